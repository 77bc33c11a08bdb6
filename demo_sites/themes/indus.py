"""Outlet A, The Indus Ledger: a broadsheet-style daily. Dates live in JSON-LD only.

Absolute links everywhere (as many WordPress sites emit), BEM class names, author pages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from demo_sites.themes.common import (
    esc,
    json_ld,
    long_date,
    paragraphs,
    print_page,
    trap_links,
)

if TYPE_CHECKING:
    from demo_sites.catalog import Article, Listing
    from demo_sites.site import Site

STYLE = "body{font-family:Georgia,serif;margin:0}.page-grid{display:flex;gap:2em}"


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
    canon = f'<link rel="canonical" href="{esc(canonical)}">\n' if canonical else ""
    og_url = f'<meta property="og:url" content="{esc(canonical)}">\n' if canonical else ""
    nav = "".join(
        f'<li class="primary-nav__item"><a href="{esc(site.abs(site.section_path(k)))}">'
        f"{esc(label)}</a></li>"
        for k, label in o.sections
    )
    return f"""<!DOCTYPE html>
<html lang="en-PK">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
<meta name="description" content="{esc(description or o.tagline)}">
<meta property="og:title" content="{esc(og_title or title)}">
<meta property="og:site_name" content="{esc(o.name)}">
<meta property="og:type" content="{og_type}">
{og_url}{canon}<link rel="alternate" type="application/rss+xml" title="{esc(o.name)} - Latest"
 href="{esc(site.abs(o.paths.feed))}">
<style>{STYLE}</style>
{head}
</head>
<body>
<div id="cookie-notice" class="consent-bar" role="dialog">
  <p>We use cookies to measure readership and to personalise advertising. By continuing you agree
  to our use of cookies.</p>
  <button class="consent-bar__accept">Accept all</button> <button>Manage choices</button>
</div>
<header class="masthead">
  <div class="masthead__top">
    <span class="masthead__edition">{esc(o.city)} edition</span>
    <a class="masthead__logo" href="{esc(site.abs("/"))}">{esc(o.name)}</a>
    <span class="masthead__tagline">{esc(o.tagline)}</span>
  </div>
  <nav class="primary-nav" aria-label="Sections">
    <ul><li class="primary-nav__item"><a href="{esc(site.abs("/"))}">Home</a></li>{nav}
    <li class="primary-nav__item"><a href="{esc(site.abs(o.paths.about))}">About</a></li></ul>
  </nav>
</header>
<div class="ad ad--leaderboard" data-slot="top-728x90"><span>Advertisement</span></div>
{body}
<footer class="site-footer">
  <ul class="site-footer__links">
    <li><a href="{esc(site.abs(o.paths.about))}">About the Ledger</a></li>
    <li><a href="{esc(site.abs(o.paths.contact))}">Contact us</a></li>
    <li><a href="{esc(site.abs(o.paths.feed))}">RSS</a></li>
    <li><a href="{esc(site.abs(o.traps.pdf))}">IT exports factbook (PDF)</a></li>
  </ul>
  <p class="site-footer__legal">&copy; 2025 {esc(o.name)}. All rights reserved. Reproduction
  without permission is prohibited.</p>
</footer>
</body>
</html>
"""


def _rail(site: Site, exclude: Article | None = None) -> str:
    items = "".join(
        f'<li><a href="{esc(site.abs(a.path))}">{esc(a.title)}</a></li>'
        for a in site.trending(exclude)
    )
    return f"""<aside class="rail">
  <section class="rail__box rail__box--trending"><h3>Trending</h3><ol>{items}</ol></section>
  <section class="rail__box newsletter-signup">
    <h3>The Morning Ledger</h3>
    <p>Markets, tech and policy before your first chai. Sign up for our free newsletter.</p>
    <form action="{esc(site.abs("/newsletter/subscribe"))}" method="post">
      <input type="email" name="email" placeholder="you@example.com"><button>Subscribe</button>
    </form>
  </section>
  <div class="ad ad--mpu" data-slot="rail-300x250"><span>Advertisement</span></div>
</aside>"""


def _byline(site: Site, article: Article) -> str:
    if not article.authors:
        return esc(article.byline)
    links = [
        f'<a class="story__author" rel="author" href="{esc(site.abs(site.author_path(n)))}">'
        f"{esc(n)}</a>"
        for n in article.authors
    ]
    return links[0] if len(links) == 1 else ", ".join(links[:-1]) + " and " + links[-1]


def _teaser(site: Site, a: Article, cls: str = "teaser") -> str:
    return f"""<div class="{cls}">
  <a class="{cls}__section" href="{esc(site.abs(site.section_path(a.section_key)))}">{esc(a.section)}</a>
  <h3 class="{cls}__title"><a href="{esc(site.abs(a.path))}">{esc(a.title)}</a></h3>
  <p class="{cls}__dek">{esc(a.summary)}</p>
  <span class="{cls}__meta">{esc(a.byline)} &middot; {long_date(a.published_at)}</span>
</div>"""


def _ld(site: Site, a: Article) -> str:
    data: dict[str, object] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": site.abs(a.path)},
        "headline": a.title,
        "description": a.summary,
        "datePublished": a.published_at,
    }
    if a.updated_at:
        data["dateModified"] = a.updated_at
    data["author"] = [
        {"@type": "Person", "name": n, "url": site.abs(site.author_path(n))} for n in a.authors
    ] or [{"@type": "Organization", "name": a.byline}]
    data |= {
        "publisher": {
            "@type": "Organization",
            "name": site.outlet.name,
            "logo": {"@type": "ImageObject", "url": site.abs("/logo.png")},
        },
        "articleSection": a.section,
        "keywords": list(a.tags),
        "inLanguage": "en",
    }
    return json_ld(data)


def article(site: Site, a: Article) -> str:
    o = site.outlet
    see = site.also_see(a)
    also = (
        (
            f'<p class="inline-related"><strong>Also see:</strong> <a href="{esc(site.abs(see.path))}">'
            f"{esc(see.title)}</a></p>"
        )
        if see
        else ""
    )
    updated = (
        f' <span class="story__updated">Updated {long_date(a.updated_at)}</span>'
        if a.updated_at
        else ""
    )
    bios = "".join(
        f"""<div class="author-card"><h4 class="author-card__name"><a href="{esc(site.abs(site.author_path(n)))}">{esc(n)}</a></h4>
<p class="author-card__bio">{esc(site.bio(n))}</p></div>"""
        for n in a.authors
    )
    related = "".join(
        f'<li><a href="{esc(site.abs(r.path))}">{esc(r.title)}</a></li>' for r in site.related(a)
    )
    comments = site.comments(a)
    comment_html = "".join(
        f"""<li class="comment"><span class="comment__author">{esc(name)}</span>
<span class="comment__date">{long_date(d.isoformat())} at {d:%I:%M %p}</span>
<p class="comment__text">{esc(text)}</p></li>"""
        for name, d, text in comments
    )
    tags = "".join(
        f'<li><a href="{esc(site.abs(site.tag_path(t)))}">{esc(t)}</a></li>' for t in a.tags
    )
    body = f"""<div class="page-grid">
<main class="page-grid__main">
<ol class="crumbs">
  <li><a href="{esc(site.abs("/"))}">Home</a></li>
  <li><a href="{esc(site.abs(site.section_path(a.section_key)))}">{esc(a.section)}</a></li>
  <li aria-current="page">{esc(a.title)}</li>
</ol>
<article class="story">
  <header class="story__header">
    <span class="story__kicker">{esc(a.section)}</span>
    <h1 class="story__headline">{esc(a.title)}</h1>
    <p class="story__standfirst">{esc(a.summary)}</p>
    <div class="story__meta">
      <span class="story__byline">By {_byline(site, a)}</span>
      <span class="story__dateline">{esc(o.city)} &middot; {long_date(a.published_at)}</span>{updated}
    </div>
  </header>
  <div class="share-tools" aria-label="Share this story">
    <button data-share="x">Share on X</button> <button data-share="facebook">Facebook</button>
    <button data-share="whatsapp">WhatsApp</button> <button data-copy>Copy link</button>
    <a class="share-tools__print" href="{esc(site.abs(a.path))}?print=1">Print</a>
    <a class="share-tools__comments" href="#comments">{len(comments)} comments</a>
  </div>
  <div class="story__body">
{paragraphs(a.paragraphs, also)}
  </div>
  <div class="ad ad--inarticle" data-slot="in-article"><span>Advertisement</span></div>
  <ul class="story__tags">{tags}</ul>
  <section class="story__authors">{bios}</section>
  <section class="related-box"><h2>Related stories</h2><ul>{related}</ul></section>
  <section id="comments" class="discussion">
    <h2>Reader comments ({len(comments)})</h2>
    <p class="discussion__prompt">What are your views? Share in the comments below.</p>
    <ol class="discussion__list">{comment_html}</ol>
    <form class="discussion__form" action="{esc(site.abs("/comments/post"))}" method="post">
      <textarea name="comment"></textarea><button>Post comment</button>
    </form>
  </section>
</article>
</main>
{_rail(site, a)}
</div>"""
    return _page(
        site,
        f"{a.title} | {o.name}",
        body,
        canonical=site.abs(a.path),
        head=_ld(site, a),
        description=a.summary,
        og_type="article",
        og_title=a.title,
    )


def print_article(site: Site, a: Article) -> str:
    return print_page(
        site, a, _ld(site, a), f"{esc(site.outlet.city)}, {long_date(a.published_at)}"
    )


def amp_article(site: Site, a: Article) -> str:
    raise LookupError("The Indus Ledger has no AMP pages")


def home(site: Site) -> str:
    o = site.outlet
    latest = site.latest()
    traps = trap_links(site, site.abs)
    picks = "".join(f'<li><a href="{esc(href)}">{esc(a.title)}</a></li>' for a, href in traps.utm)
    lead = _teaser(site, latest[0], "lead-story")
    rest = "\n".join(_teaser(site, a) for a in latest[1:])
    sections = "".join(
        f'<li><a href="{esc(site.abs(site.section_path(k)))}">{esc(v)}</a></li>'
        for k, v in o.sections
    )
    archive_art, archive_href = traps.archive
    drafted, drafted_href = traps.disallowed
    slash_art, slash_href = traps.slash
    frag_art, frag_href = traps.fragment
    body = f"""<div class="page-grid">
<main class="page-grid__main home">
<h1 class="visually-hidden">{esc(o.name)}: latest news</h1>
{lead}
<section class="home__latest"><h2>Latest</h2>
{rest}
</section>
<section class="home__exclusive"><h2>Exclusive</h2>
  <div class="teaser"><h3 class="teaser__title"><a href="{esc(drafted_href)}">{esc(drafted.title)}</a></h3>
  <p class="teaser__dek">Documents seen by the Ledger.</p></div>
</section>
<section class="home__picks"><h2>Editor's picks</h2><ul>{picks}</ul></section>
<section class="home__archive"><h2>From the archive</h2><ul>
  <li><a href="{esc(archive_href)}">{esc(archive_art.title)}</a></li>
  <li><a href="{esc(traps.missing)}">How the 2021 IT policy review was shelved</a></li>
  <li><a href="{esc(traps.pdf)}">Download: Pakistan IT exports factbook, FY2023-24 (PDF, 2 pages)</a></li>
</ul></section>
<section class="home__mostread"><h2>Most read</h2><ol>
  <li><a href="{esc(slash_href)}">{esc(slash_art.title)}</a></li>
  <li><a href="{esc(frag_href)}">{esc(frag_art.title)}</a> <span class="count">Join the discussion</span></li>
</ol></section>
<nav class="home__sections"><h2>Sections</h2><ul>{sections}</ul></nav>
</main>
{_rail(site)}
</div>"""
    return _page(
        site,
        f"{o.name} | Business, technology and the digital economy",
        body,
        canonical=site.abs("/"),
    )


def listing(site: Site, lst: Listing) -> str:
    o = site.outlet
    kind = {"section": "Section", "tag": "Topic", "author": "Author"}[lst.kind]
    teasers = "\n".join(_teaser(site, a) for a in lst.articles) or "<p>No stories yet.</p>"
    pager = []
    if lst.page > 1:
        pager.append(
            f'<a rel="prev" href="{esc(site.abs(o.paths.listing_path(lst.kind, lst.key, lst.page - 1)))}">'
            "&larr; Newer stories</a>"
        )
    if lst.page < lst.pages:
        pager.append(
            f'<a rel="next" href="{esc(site.abs(o.paths.listing_path(lst.kind, lst.key, lst.page + 1)))}">'
            "Older stories &rarr;</a>"
        )
    bio = (
        f'<p class="author-profile">{esc(site.bio(lst.label))}</p>' if lst.kind == "author" else ""
    )
    suffix = f" - page {lst.page}" if lst.page > 1 else ""
    body = f"""<div class="page-grid">
<main class="page-grid__main archive">
<ol class="crumbs"><li><a href="{esc(site.abs("/"))}">Home</a></li><li>{esc(lst.label)}</li></ol>
<h1 class="archive__title"><span>{kind}:</span> {esc(lst.label)}</h1>{bio}
<div class="archive__list">
{teasers}
</div>
<nav class="pagination">{" ".join(pager)} <span>Page {lst.page} of {lst.pages}</span></nav>
</main>
{_rail(site)}
</div>"""
    return _page(site, f"{lst.label}{suffix} | {o.name}", body, canonical=site.abs(lst.path))


def static(site: Site, title: str, paras: tuple[str, ...], path: str) -> str:
    body = f"""<main class="page-static">
<h1>{esc(title)}</h1>
{paragraphs(paras)}
</main>"""
    return _page(site, f"{title} | {site.outlet.name}", body, canonical=site.abs(path))


def not_found(site: Site) -> str:
    body = f"""<main class="page-static error-404">
<h1>Page not found</h1>
<p>The story you were looking for may have been moved or removed.
<a href="{esc(site.abs("/"))}">Return to the front page</a>.</p>
</main>"""
    return _page(site, f"Page not found | {site.outlet.name}", body)
