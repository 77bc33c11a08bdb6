"""Bodies of the hostile site's pages and documents: pure functions, no I/O.

Articles are plausible news pages (JSON-LD, Open Graph, byline, several paragraphs) so the
extractor and classifier treat them as articles; each has its own text, so no two share a content
hash. The XML documents carry entity bombs and external-entity payloads.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from html import escape

PUBLISHED = "2024-05-02T08:30:00+00:00"
# What an XXE payload would pull into the archive if an XML parser resolved it.
XXE_FILE = "file:///etc/passwd"
XXE_MARKERS = ("root:x:0:0", "/bin/bash", "/usr/sbin/nologin", "daemon:x:")

_SUBJECTS = (
    "The provincial government", "Exporters in the southern port city", "The central bank",
    "Small manufacturers", "Officials at the customs authority", "A group of textile mills",
    "The finance ministry", "Traders at the wholesale market", "Economists at the state university",
    "Shipping agents", "The chamber of commerce", "Farmers in the canal districts",
)  # fmt: skip
_VERBS = (
    "said on Tuesday that", "warned that", "reported that", "told reporters that",
    "announced that", "estimated that", "argued that", "confirmed that",
)  # fmt: skip
_CLAUSES = (
    "orders rose by {n} percent compared with the same month last year",
    "the cost of imported cotton had fallen for the {n}th week in a row",
    "power tariffs would be reviewed before the end of the quarter",
    "{n} new licences had been issued since January",
    "delays at the container terminal had cut shipments by {n} percent",
    "the new rules would apply to firms with more than {n} workers",
    "prices in the wholesale market were expected to settle by the summer",
    "the budget set aside {n} billion rupees for rural roads",
    "wages in the garment sector had not kept pace with inflation",
    "a new credit line for exporters would open within {n} days",
)
_TAILS = (
    "The figures were published in a report on Monday.",
    "Several business groups welcomed the decision.",
    "Critics said the measures came too late to help this season.",
    "The details will be discussed at a meeting next week.",
    "Independent analysts were more cautious about the outlook.",
    "The opposition called for a debate in the assembly.",
    "Banks are expected to pass the change on to borrowers.",
    "Officials declined to give a timetable for the next steps.",
)


def paragraphs(seed: str, count: int = 6) -> list[str]:
    """``count`` paragraphs of plausible business-news prose, different for every seed."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        sentences = []
        for _ in range(3):
            clause = rng.choice(_CLAUSES).format(n=rng.randint(3, 97))
            sentences.append(f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {clause}.")
        sentences.append(rng.choice(_TAILS))
        out.append(" ".join(sentences))
    return out


def json_ld(data: dict[str, object]) -> str:
    text = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    return f'<script type="application/ld+json">{text}</script>'


def article_html(
    title: str,
    paras: Sequence[str],
    *,
    published: str = PUBLISHED,
    author: str = "Amina Qureshi",
    charset: str = "utf-8",
    head_extra: str = "",
    body_attrs: str = "",
    raw_paras: Sequence[str] = (),
    escape_title: bool = True,
) -> str:
    """A complete article page. ``raw_paras`` are inserted as HTML, unescaped."""
    shown_title = escape(title) if escape_title else title
    ld = json_ld(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": title,
            "datePublished": published,
            "author": {"@type": "Person", "name": author},
        }
    )
    body = "\n".join(f"<p>{escape(p)}</p>" for p in paras)
    raw = "\n".join(raw_paras)
    return f"""<!DOCTYPE html>
<html lang="en"><head>
<meta charset="{charset}">
<title>{shown_title}</title>
<meta property="og:type" content="article">
<meta property="og:site_name" content="Hostile Herald">
<meta property="article:published_time" content="{published}">
<meta name="author" content="{escape(author)}">
{ld}
{head_extra}
</head><body{body_attrs}>
<header><a href="/">Hostile Herald</a></header>
<main><article>
<h1>{shown_title}</h1>
<p class="byline">By {escape(author)}</p>
<time datetime="{published}">2 May 2024</time>
{raw}
{body}
</article></main>
<footer>Hostile Herald, a test outlet.</footer>
</body></html>
"""


def simple_page(title: str, body_html: str) -> str:
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"</head><body>{body_html}</body></html>"
    )


def home_html(links: Sequence[tuple[str, str]], feeds: Sequence[str]) -> str:
    feed_tags = "\n".join(
        f'<link rel="alternate" type="application/rss+xml" title="feed" href="{escape(f)}">'
        for f in feeds
    )
    items = "\n".join(
        f'<li><a href="{escape(href)}">{escape(text)}</a></li>' for href, text in links
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Hostile Herald: latest</title>
{feed_tags}
</head><body><h1>Hostile Herald</h1><ul>
{items}
</ul></body></html>
"""


def sitemap_xml(urls: Sequence[tuple[str, str]]) -> str:
    items = "".join(
        f"<url><loc>{escape(u)}</loc>{f'<lastmod>{m}</lastmod>' if m else ''}</url>"
        for u, m in urls
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</urlset>\n'
    )


def sitemap_index_xml(urls: Sequence[str]) -> str:
    items = "".join(f"<sitemap><loc>{escape(u)}</loc></sitemap>" for u in urls)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}'
        "</sitemapindex>\n"
    )


def rss_xml(items: Sequence[tuple[str, str]]) -> str:
    body = "".join(
        f"<item><title>{escape(t)}</title><link>{escape(u)}</link>"
        "<pubDate>Thu, 02 May 2024 08:30:00 GMT</pubDate></item>"
        for u, t in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        f"<title>Hostile Herald</title><link>/</link>{body}</channel></rss>\n"
    )


_LAUGHS_DTD = '<!ENTITY lol "lol">' + "".join(
    f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
    for i in range(1, 10)
)


def laughs_sitemap(base: str) -> str:
    """Billion laughs: nine levels of ten-fold entity expansion (10^9 "lol"s) in a sitemap."""
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE urlset [{_LAUGHS_DTD}]>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{base}/news/2024/05/&lol9;</loc><lastmod>&lol9;</lastmod></url></urlset>\n"
    )


def laughs_feed(base: str) -> str:
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE rss [{_LAUGHS_DTD}]>\n'
        '<rss version="2.0"><channel><title>&lol9;</title>'
        f"<item><title>&lol9;</title><link>{base}/news/2024/05/&lol9;</link></item>"
        "</channel></rss>\n"
    )


def _xxe_dtd(root: str, base: str) -> str:
    # A local file, a loopback "network" entity and an external DTD: none may be fetched.
    return (
        f'<!DOCTYPE {root} SYSTEM "{base}/xxe/external.dtd" ['
        f'<!ENTITY xxe SYSTEM "{XXE_FILE}">'
        f'<!ENTITY net SYSTEM "{base}/xxe/callback">'
        "]>"
    )


def xxe_sitemap(base: str) -> str:
    return (
        f'<?xml version="1.0"?>\n{_xxe_dtd("urlset", base)}\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{base}/news/2024/05/xxe-&xxe;</loc></url>"
        f"<url><loc>{base}/news/2024/05/xxe-net-&net;</loc></url></urlset>\n"
    )


def xxe_feed(base: str) -> str:
    return (
        f'<?xml version="1.0"?>\n{_xxe_dtd("rss", base)}\n'
        '<rss version="2.0"><channel><title>&xxe;</title>'
        f"<item><title>&xxe; &net;</title><link>{base}/news/2024/05/xxe-feed-&xxe;</link>"
        "<description>&xxe;</description></item></channel></rss>\n"
    )
