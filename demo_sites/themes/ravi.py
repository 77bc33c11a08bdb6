"""Outlet C, Ravi Bytes: a hand-rolled digital site. Dates appear as visible text only.

No date meta, no JSON-LD, no <time> element: "Published: 14 March 2024, 10:30 PKT".
Has an AMP variant of every story; ?page=N paging on section pages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from demo_sites.themes.common import day_month_year, esc, paragraphs, print_page, trap_links, when

if TYPE_CHECKING:
    from demo_sites.catalog import Article, Listing
    from demo_sites.site import Site


def stamp(iso: str) -> str:
    """'14 March 2024, 10:30 PKT' (all Ravi Bytes times are Pakistan time)."""
    return f"{day_month_year(iso)}, {when(iso):%H:%M} PKT"


def _page(
    site: Site,
    title: str,
    body: str,
    *,
    canonical: str = "",
    head: str = "",
    description: str = "",
    og_type: str = "website",
    og_title: str = "",
) -> str:
    o = site.outlet
    canon = f'<link rel="canonical" href="{esc(canonical)}">' if canonical else ""
    nav = " ".join(
        f'<a class="rb-nav-link" href="{esc(site.href(site.section_path(k)))}">{esc(v)}</a>'
        for k, v in o.sections
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{esc(title)}</title>
<meta name="description" content="{esc(description or o.tagline)}">
<meta property="og:title" content="{esc(og_title or title)}">
<meta property="og:site_name" content="{esc(o.name)}">
<meta property="og:type" content="{og_type}">
{canon}
<link rel="alternate" type="application/rss+xml" title="Ravi Bytes RSS" href="{esc(site.href(o.paths.feed))}">
{head}
</head>
<body>
<div class="rb-cookie" id="rbCookie">Cookies help us keep Ravi Bytes free. <button onclick="this.parentNode.remove()">OK, got it</button></div>
<div class="rb-wrap">
<div class="rb-head">
  <a class="rb-logo" href="{esc(site.href("/"))}">Ravi<span>Bytes</span></a>
  <div class="rb-strap">{esc(o.tagline)}</div>
  <div class="rb-nav"><a class="rb-nav-link" href="{esc(site.href("/"))}">Home</a> {nav}
  <a class="rb-nav-link" href="{esc(site.href(o.paths.about))}">About</a>
  <a class="rb-nav-link" href="{esc(site.href(o.paths.contact))}">Contact</a></div>
</div>
<div class="rb-ad rb-ad-top">ADVERTISEMENT</div>
{body}
<div class="rb-foot">
  <div><a href="{esc(site.href(o.paths.about))}">About Ravi Bytes</a> | <a href="{esc(site.href(o.paths.contact))}">Write to us</a>
  | <a href="{esc(site.href(o.paths.feed))}">RSS</a></div>
  <div class="rb-copy">&copy; Ravi Bytes, Lahore. Content may not be republished without written permission.</div>
</div>
</div>
</body>
</html>
"""


def _side(site: Site, exclude: Article | None = None) -> str:
    items = "".join(
        f'<div class="rb-trend-item"><span class="rb-num">{i}</span> <a href="{esc(site.href(a.path))}">{esc(a.title)}</a></div>'
        for i, a in enumerate(site.trending(exclude), start=1)
    )
    return f"""<div class="rb-side">
  <div class="rb-box"><div class="rb-box-title">Trending</div>{items}</div>
  <div class="rb-box rb-newsletter"><div class="rb-box-title">Bytes in your inbox</div>
    <div>One email every weekday with the five stories Lahore&rsquo;s tech crowd is talking about.</div>
    <form action="{esc(site.href("/subscribe"))}" method="post"><input name="email" placeholder="Email address"><button>Join</button></form></div>
  <div class="rb-ad rb-ad-side">ADVERTISEMENT</div>
</div>"""


def _card(site: Site, a: Article) -> str:
    return f"""<div class="rb-card">
  <div class="rb-card-sec">{esc(a.section)}</div>
  <a class="rb-card-title" href="{esc(site.href(a.path))}">{esc(a.title)}</a>
  <div class="rb-card-text">{esc(a.summary)}</div>
</div>"""


def article(site: Site, a: Article) -> str:
    o = site.outlet
    see = site.also_see(a)
    also = (
        f'<div class="rb-inline-link">Also see: <a href="{esc(site.href(see.path))}">{esc(see.title)}</a></div>'
        if see
        else ""
    )
    url = quote(site.abs(a.path), safe="")
    comments = site.comments(a)
    comment_html = "".join(
        f"""<div class="rb-comment"><div class="rb-comment-name">{esc(n)}</div>
<div class="rb-comment-when">{d.day} {d:%b}, {d:%H:%M}</div><div class="rb-comment-text">{esc(t)}</div></div>"""
        for n, d, t in comments
    )
    bios = "".join(
        f'<div class="rb-author-box"><b>{esc(n)}</b> {esc(site.bio(n))}</div>' for n in a.authors
    )
    related = "".join(
        f'<li><a href="{esc(site.href(r.path))}">{esc(r.title)}</a></li>' for r in site.related(a)
    )
    tags = " ".join(
        f'<a class="rb-tag" href="{esc(site.href(site.tag_path(t)))}">#{esc(t)}</a>' for t in a.tags
    )
    updated = (
        f'<div class="rb-updated">Updated: {stamp(a.updated_at)}</div>' if a.updated_at else ""
    )
    amp = f'<link rel="amphtml" href="{esc(site.abs(a.amp_path))}">' if a.amp_path else ""
    body = f"""<div class="rb-cols"><div class="rb-main">
<div class="rb-crumbs"><a href="{esc(site.href("/"))}">Home</a> / <a href="{esc(site.href(site.section_path(a.section_key)))}">{esc(a.section)}</a> / Story</div>
<div class="rb-story">
  <h1 class="rb-headline">{esc(a.title)}</h1>
  <div class="rb-dek">{esc(a.summary)}</div>
  <div class="rb-byline">By {esc(a.byline)}</div>
  <div class="rb-published">Published: {stamp(a.published_at)}</div>
  {updated}
  <div class="rb-share">
    <a href="whatsapp://send?text={url}">Share on WhatsApp</a> <a href="mailto:?subject={quote(a.title)}&amp;body={url}">Email</a>
    <span class="rb-share-x" data-network="x">Share on X</span> <span class="rb-share-fb" data-network="facebook">Facebook</span>
    <span class="rb-copy" data-copy="{esc(site.abs(a.path))}">Copy link</span>
  </div>
  <div class="rb-text">
{paragraphs(a.paragraphs, also, after=3)}
  </div>
  <div class="rb-tags">{tags}</div>
  <div class="rb-tools"><a href="{esc(site.href(a.path))}?print=1">Print this story</a>
  {f'<a href="{esc(site.href(a.amp_path))}">Lite version</a>' if a.amp_path else ""}</div>
  {bios}
</div>
<div class="rb-ad rb-ad-mid">ADVERTISEMENT</div>
<div class="rb-related"><div class="rb-box-title">Related stories</div><ul>{related}</ul></div>
<div class="rb-comments" id="comments">
  <div class="rb-box-title">Comments ({len(comments)})</div>
  {comment_html}
  <div class="rb-comment-cta">What are your views? Share in the comments below.</div>
  <form action="{esc(site.href("/comment"))}" method="post"><input name="name" placeholder="Name"><textarea name="c"></textarea><button>Send</button></form>
</div>
</div>
{_side(site, a)}
</div>"""
    return _page(
        site,
        f"{a.title} | {o.name}",
        body,
        canonical=site.abs(a.path),
        head=amp,
        description=a.summary,
        og_type="article",
        og_title=a.title,
    )


def print_article(site: Site, a: Article) -> str:
    return print_page(site, a, "", f"Published: {stamp(a.published_at)}")


def amp_article(site: Site, a: Article) -> str:
    o = site.outlet
    updated = f'<p class="upd">Updated: {stamp(a.updated_at)}</p>' if a.updated_at else ""
    return f"""<!doctype html>
<html amp lang="en">
<head>
<meta charset="utf-8">
<title>{esc(a.title)} | {esc(o.name)}</title>
<link rel="canonical" href="{esc(site.abs(a.path))}">
<meta name="viewport" content="width=device-width,minimum-scale=1,initial-scale=1">
<style amp-boilerplate>body{{visibility:visible}}</style>
<style amp-custom>body{{font-family:sans-serif;padding:1em}}</style>
</head>
<body>
<header class="amp-head"><a href="{esc(site.href("/"))}">{esc(o.name)}</a></header>
<article>
<h1>{esc(a.title)}</h1>
<p class="by">By {esc(a.byline)}</p>
<p class="pub">Published: {stamp(a.published_at)}</p>
{updated}
{paragraphs(a.paragraphs)}
</article>
<footer><a href="{esc(site.href(a.path))}">View full version</a></footer>
</body>
</html>
"""


def home(site: Site) -> str:
    o = site.outlet
    traps = trap_links(site, site.href)
    cards = "\n".join(_card(site, a) for a in site.latest())
    picks = "".join(f'<li><a href="{esc(h)}">{esc(a.title)}</a></li>' for a, h in traps.utm)
    archive_art, archive_href = traps.archive
    drafted, drafted_href = traps.disallowed
    slash_art, slash_href = traps.slash
    frag_art, frag_href = traps.fragment
    body = f"""<div class="rb-cols"><div class="rb-main">
<div class="rb-section-title">Latest Bytes</div>
<div class="rb-grid">
{cards}
</div>
<div class="rb-box"><div class="rb-box-title">Shared on social</div><ul>{picks}</ul></div>
<div class="rb-box"><div class="rb-box-title">Coming up</div>
  <div class="rb-card"><a class="rb-card-title" href="{esc(drafted_href)}">{esc(drafted.title)}</a></div></div>
<div class="rb-box"><div class="rb-box-title">Old but gold</div><ul>
  <li><a href="{esc(archive_href)}">{esc(archive_art.title)}</a></li>
  <li><a href="{esc(traps.missing)}">Lahore&rsquo;s first hackathon, ten years on</a></li>
  <li><a href="{esc(traps.pdf)}">Freelancer tax guide 2024 (PDF)</a></li>
  <li><a href="{esc(slash_href)}">{esc(slash_art.title)}</a></li>
  <li><a href="{esc(frag_href)}">Most discussed: {esc(frag_art.title)}</a></li>
</ul></div>
</div>
{_side(site)}
</div>"""
    return _page(site, f"{o.name} | Tech news from Lahore", body, canonical=site.abs("/"))


def listing(site: Site, lst: Listing) -> str:
    o = site.outlet
    cards = "\n".join(_card(site, a) for a in lst.articles)
    more = []
    if lst.page > 1:
        more.append(
            f'<a class="rb-prev" href="{esc(site.href(o.paths.listing_path(lst.kind, lst.key, lst.page - 1)))}">Newer</a>'
        )
    if lst.page < lst.pages:
        more.append(
            f'<a class="rb-more" href="{esc(site.href(o.paths.listing_path(lst.kind, lst.key, lst.page + 1)))}">Load more stories</a>'
        )
    heading = f"#{lst.label}" if lst.kind == "tag" else lst.label
    body = f"""<div class="rb-cols"><div class="rb-main">
<h1 class="rb-section-title">{esc(heading)}</h1>
<div class="rb-grid">
{cards}
</div>
<div class="rb-pager">{" ".join(more)}</div>
</div>
{_side(site)}
</div>"""
    suffix = f" (page {lst.page})" if lst.page > 1 else ""
    return _page(site, f"{heading}{suffix} | {o.name}", body, canonical=site.abs(lst.path))


def static(site: Site, title: str, paras: tuple[str, ...], path: str) -> str:
    body = f"""<div class="rb-static"><h1>{esc(title)}</h1>
{paragraphs(paras)}
</div>"""
    return _page(site, f"{title} | {site.outlet.name}", body, canonical=site.abs(path))


def not_found(site: Site) -> str:
    body = f"""<div class="rb-static"><h1>404: this byte went missing</h1>
<p>We could not find that page. Head back to the <a href="{esc(site.href("/"))}">latest stories</a>.</p></div>"""
    return _page(site, f"Not found | {site.outlet.name}", body)
