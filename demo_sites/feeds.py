"""robots.txt, sitemaps (plain, index, Google News) and RSS 2.0 / Atom feeds."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

if TYPE_CHECKING:
    from demo_sites.site import Site

FEED_SIZE = 20
NEWS_SIZE = 10


def robots(sites: Sequence[Site]) -> str:
    """One robots.txt for the given sites; several sites means the shared-host root file."""
    lines = ["# Demo robots.txt", "User-agent: *"]
    lines += [f"Disallow: {s.href(rule)}" for s in sites for rule in s.outlet.disallow]
    lines += ["", "User-agent: GPTBot-Demo", "Disallow: /", ""]
    lines += [f"Sitemap: {s.abs(s.outlet.paths.sitemap)}" for s in sites]
    return "\n".join(lines) + "\n"


def _newest(site: Site, articles: Sequence) -> str:
    return max(
        (site.modified(a) for a in articles),
        key=datetime.fromisoformat,
        default=site.modified(site.articles[0]),
    )


def _w3c(iso: str) -> str:
    return datetime.fromisoformat(iso).isoformat()


def sitemap(site: Site, path: str) -> tuple[str, str]:
    """Body and last-modified (ISO) of the sitemap at ``path``."""
    paths, articles = site.outlet.paths, site.articles
    head = '<?xml version="1.0" encoding="UTF-8"?>\n'
    if path == paths.sitemap and paths.child_sitemaps:
        newest = _newest(site, articles)
        items = "".join(
            f"  <sitemap>\n    <loc>{escape(site.abs(child))}</loc>\n"
            f"    <lastmod>{_w3c(newest)}</lastmod>\n  </sitemap>\n"
            for child in paths.child_sitemaps
        )
        ns = "http://www.sitemaps.org/schemas/sitemap/0.9"
        return f'{head}<sitemapindex xmlns="{ns}">\n{items}</sitemapindex>\n', newest
    if path.endswith("news.xml"):
        return _news_sitemap(site, articles[:NEWS_SIZE]), _newest(site, articles[:NEWS_SIZE])
    urls = [(site.abs("/"), _newest(site, articles), "hourly")]
    urls += [(site.abs(a.path), site.modified(a), "") for a in articles]
    body = "".join(
        f"  <url>\n    <loc>{escape(loc)}</loc>\n    <lastmod>{_w3c(mod)}</lastmod>\n"
        + (f"    <changefreq>{freq}</changefreq>\n" if freq else "")
        + "  </url>\n"
        for loc, mod, freq in urls
    )
    ns = "http://www.sitemaps.org/schemas/sitemap/0.9"
    return f'{head}<urlset xmlns="{ns}">\n{body}</urlset>\n', _newest(site, articles)


def _news_sitemap(site: Site, articles: Sequence) -> str:
    items = "".join(
        f"  <url>\n    <loc>{escape(site.abs(a.path))}</loc>\n"
        f"    <lastmod>{_w3c(site.modified(a))}</lastmod>\n"
        "    <news:news>\n      <news:publication>\n"
        f"        <news:name>{escape(site.outlet.name)}</news:name>\n"
        f"        <news:language>{site.outlet.language}</news:language>\n"
        "      </news:publication>\n"
        f"      <news:publication_date>{_w3c(a.published_at)}</news:publication_date>\n"
        f"      <news:title>{escape(a.title)}</news:title>\n"
        "    </news:news>\n  </url>\n"
        for a in articles
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"\n'
        '        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n'
        f"{items}</urlset>\n"
    )


def feed(site: Site) -> tuple[str, str]:
    articles = site.articles[:FEED_SIZE]
    newest = _newest(site, articles)
    if site.outlet.feed_kind == "atom":
        return _atom(site, articles, newest), newest
    return _rss(site, articles, newest), newest


def _rfc822(iso: str) -> str:
    return format_datetime(datetime.fromisoformat(iso))


def _rss(site: Site, articles: Sequence, newest: str) -> str:
    o = site.outlet
    items = "".join(
        "    <item>\n"
        f"      <title>{escape(a.title)}</title>\n"
        f"      <link>{escape(site.abs(a.path))}</link>\n"
        f'      <guid isPermaLink="false">{o.id}-{a.slug}</guid>\n'
        f"      <pubDate>{_rfc822(a.published_at)}</pubDate>\n"
        + "".join(f"      <dc:creator>{escape(n)}</dc:creator>\n" for n in a.authors)
        + f"      <category>{escape(a.section)}</category>\n"
        f"      <description>{escape(a.summary)}</description>\n"
        "    </item>\n"
        for a in articles
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:atom="http://www.w3.org/2005/Atom">\n  <channel>\n'
        f"    <title>{escape(o.name)}</title>\n"
        f"    <link>{escape(site.abs('/'))}</link>\n"
        f'    <atom:link href="{escape(site.abs(o.paths.feed))}" rel="self"'
        ' type="application/rss+xml"/>\n'
        f"    <description>{escape(o.tagline)}</description>\n"
        f"    <language>{o.language}</language>\n"
        f"    <lastBuildDate>{_rfc822(newest)}</lastBuildDate>\n"
        f"{items}  </channel>\n</rss>\n"
    )


def _atom(site: Site, articles: Sequence, newest: str) -> str:
    o = site.outlet
    entries = "".join(
        "  <entry>\n"
        f"    <title>{escape(a.title)}</title>\n"
        f'    <link rel="alternate" type="text/html" href="{escape(site.abs(a.path))}"/>\n'
        f"    <id>tag:{o.id}.demo,{a.published_at[:10]}:{a.slug}</id>\n"
        f"    <published>{_w3c(a.published_at)}</published>\n"
        f"    <updated>{_w3c(site.modified(a))}</updated>\n"
        + "".join(f"    <author><name>{escape(n)}</name></author>\n" for n in a.authors)
        + f'    <category term="{escape(a.section)}"/>\n'
        f"    <summary>{escape(a.summary)}</summary>\n"
        "  </entry>\n"
        for a in articles
    )
    updated = datetime.fromisoformat(newest).astimezone(UTC).isoformat().replace("+00:00", "Z")
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom">\n'
        f"  <title>{escape(o.name)}</title>\n"
        f"  <subtitle>{escape(o.tagline)}</subtitle>\n"
        f'  <link rel="self" href="{escape(site.abs(o.paths.feed))}"/>\n'
        f'  <link rel="alternate" href="{escape(site.abs("/"))}"/>\n'
        f"  <id>{escape(site.abs('/'))}</id>\n"
        f"  <updated>{updated}</updated>\n"
        f"{entries}</feed>\n"
    )
