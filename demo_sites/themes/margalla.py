"""Outlet B, Margalla Tech Review: a WordPress-flavoured tech site. Dates live in meta tags only.

No JSON-LD and no <time datetime>; root-relative links; off-site share anchors; ?page=N paging.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from demo_sites.themes.common import day_month_year, esc, paragraphs, print_page, trap_links

if TYPE_CHECKING:
    from demo_sites.catalog import Article, Listing
    from demo_sites.site import Site


def _meta_dates(a: Article) -> str:
    tags = [f'<meta property="article:published_time" content="{a.published_at}">']
    if a.updated_at:
        tags.append(f'<meta property="article:modified_time" content="{a.updated_at}">')
    tags.append(f'<meta name="author" content="{esc(", ".join(a.authors) or a.byline)}">')
    tags.append(f'<meta property="article:section" content="{esc(a.section)}">')
    tags += [f'<meta property="article:tag" content="{esc(t)}">' for t in a.tags]
    return "\n".join(tags)


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
    body_class: str = "home",
) -> str:
    o = site.outlet
    canon = f'<link rel="canonical" href="{esc(canonical)}" />\n' if canonical else ""
    menu = "".join(
        f'<li class="menu-item"><a href="{esc(site.href(site.section_path(k)))}">{esc(v)}</a></li>'
        for k, v in o.sections
    )
    return f"""<!doctype html>
<html lang="en-US">
<head>
<meta charset="UTF-8" />
<meta name="viewport" content="width=device-width, initial-scale=1" />
<title>{esc(title)}</title>
<meta name="description" content="{esc(description or o.tagline)}" />
<meta property="og:site_name" content="{esc(o.name)}" />
<meta property="og:title" content="{esc(og_title or title)}" />
<meta property="og:type" content="{og_type}" />
{canon}<link rel="alternate" type="application/atom+xml" title="{esc(o.name)} &raquo; Feed" href="{esc(site.href(o.paths.feed))}" />
{head}
</head>
<body class="{body_class} wp-theme-mtr">
<div class="gdpr-popup" id="gdpr">
  <span>This website uses cookies to improve your experience.</span>
  <a class="btn btn-sm" role="button">Accept</a> <a class="btn btn-sm btn-link" role="button">Read more</a>
</div>
<div class="top-bar container"><span class="top-bar-date">Islamabad</span>
  <a class="top-bar-link" href="{esc(site.href(o.paths.contact))}">Advertise with us</a></div>
<header id="masthead" class="site-header container">
  <div class="site-branding"><p class="site-title"><a href="{esc(site.href("/"))}" rel="home">{esc(o.name)}</a></p>
  <p class="site-description">{esc(o.tagline)}</p></div>
  <nav id="site-navigation" class="main-navigation"><ul id="primary-menu" class="menu">
  <li class="menu-item"><a href="{esc(site.href("/"))}">Home</a></li>{menu}
  <li class="menu-item"><a href="{esc(site.href(o.paths.about))}">About Us</a></li></ul></nav>
</header>
<div class="container"><div class="adsbygoogle-placeholder banner-ad">Sponsored</div></div>
<div id="content" class="site-content container"><div class="row">
{body}
</div></div>
<footer id="colophon" class="site-footer container">
  <div class="footer-widgets"><ul>
    <li><a href="{esc(site.href(o.paths.about))}">About Us</a></li>
    <li><a href="{esc(site.href(o.paths.contact))}">Contact Us</a></li>
    <li><a href="{esc(site.href(o.paths.feed))}">Atom feed</a></li></ul></div>
  <div class="site-info">Copyright &copy; 2025 {esc(o.name)} | Powered by coffee and deadlines</div>
</footer>
</body>
</html>
"""


def _sidebar(site: Site, exclude: Article | None = None) -> str:
    trending = "".join(
        f'<li><a href="{esc(site.href(a.path))}">{esc(a.title)}</a></li>'
        for a in site.trending(exclude)
    )
    return f"""<div id="secondary" class="col-md-4 widget-area">
  <section class="widget widget_trending"><h2 class="widget-title">Trending Now</h2><ul>{trending}</ul></section>
  <section class="widget widget_newsletter"><h2 class="widget-title">Newsletter</h2>
    <p>Get the week in Pakistani tech, every Friday. No spam, unsubscribe any time.</p>
    <form method="post" action="{esc(site.href("/wp-admin/admin-post.php"))}"><input type="email" name="mail" /><input type="submit" value="Sign me up" /></form></section>
  <section class="widget widget_ad"><div class="adsbygoogle-placeholder">Advertisement</div></section>
</div>"""


def _post_card(site: Site, a: Article) -> str:
    return f"""<article class="post-card">
  <h2 class="entry-title"><a href="{esc(site.href(a.path))}" rel="bookmark">{esc(a.title)}</a></h2>
  <div class="entry-meta"><span class="cat-links"><a href="{esc(site.href(site.section_path(a.section_key)))}">{esc(a.section)}</a></span>
  <span class="posted-on">{day_month_year(a.published_at, "%b")}</span></div>
  <div class="entry-summary"><p>{esc(a.summary)}</p></div>
</article>"""


def _share(site: Site, a: Article) -> str:
    url = quote(site.abs(a.path), safe="")
    text = quote(a.title, safe="")
    return f"""<div class="sharedaddy sd-sharing"><h3 class="sd-title">Share this:</h3><ul>
  <li><a class="share-twitter" href="https://twitter.com/intent/tweet?url={url}&amp;text={text}" rel="nofollow noopener" target="_blank">Share on X</a></li>
  <li><a class="share-facebook" href="https://www.facebook.com/sharer/sharer.php?u={url}" rel="nofollow noopener" target="_blank">Facebook</a></li>
  <li><a class="share-whatsapp" href="https://api.whatsapp.com/send?text={text}%20{url}" rel="nofollow noopener" target="_blank">WhatsApp</a></li>
  <li><button class="share-copy" data-url="{esc(site.abs(a.path))}">Copy link</button></li></ul></div>"""


def article(site: Site, a: Article) -> str:
    o = site.outlet
    see = site.also_see(a)
    also = (
        f'<p class="also-read"><strong>Also see:</strong> <a href="{esc(site.href(see.path))}">{esc(see.title)}</a></p>'
        if see
        else ""
    )
    republished = ""
    if a.republished_from:
        origin = {"indus": "The Indus Ledger", "ravi": "Ravi Bytes"}.get(
            a.republished_from[0], a.republished_from[0]
        )
        republished = (
            f'<p class="syndication-note"><em>This article was originally published in {esc(origin)}. '
            "It is reproduced here with permission.</em></p>"
        )
    comments = site.comments(a)
    comment_html = "".join(
        f"""<li class="comment"><div class="comment-author vcard"><b class="fn">{esc(n)}</b> says:</div>
<div class="comment-metadata">{day_month_year(d.isoformat(), "%b")} at {d:%H:%M}</div>
<div class="comment-content"><p>{esc(t)}</p></div></li>"""
        for n, d, t in comments
    )
    bios = "".join(
        f"""<div class="author-box"><span class="author-box-name">About {esc(n)}</span>
<p>{esc(site.bio(n))}</p></div>"""
        for n in a.authors
    )
    related = "".join(
        f'<li class="related-post"><a href="{esc(site.href(r.path))}">{esc(r.title)}</a></li>'
        for r in site.related(a)
    )
    tags = " ".join(
        f'<a href="{esc(site.href(site.tag_path(t)))}" rel="tag">{esc(t)}</a>' for t in a.tags
    )
    updated = (
        f' <span class="updated-on">(updated {day_month_year(a.updated_at, "%b")})</span>'
        if a.updated_at
        else ""
    )
    body = f"""<div id="primary" class="col-md-8 content-area"><main id="main" class="site-main">
<div class="breadcrumbs" typeof="BreadcrumbList"><a href="{esc(site.href("/"))}">Home</a> &raquo;
  <a href="{esc(site.href(site.section_path(a.section_key)))}">{esc(a.section)}</a> &raquo; <span>{esc(a.title)}</span></div>
<article class="post type-post status-publish format-standard hentry">
  <header class="entry-header">
    <h1 class="entry-title">{esc(a.title)}</h1>
    <div class="entry-meta"><span class="byline">By <span class="author">{esc(a.byline)}</span></span>
      <span class="posted-on">{day_month_year(a.published_at, "%b")}</span>{updated}
      <a class="comments-link" href="#comments">{len(comments)} Comments</a></div>
  </header>
  {_share(site, a)}
  {republished}
  <div class="entry-content">
{paragraphs(a.paragraphs, also)}
  </div>
  <div class="adsbygoogle-placeholder in-content-ad">Advertisement</div>
  <footer class="entry-footer"><span class="tags-links">Tagged: {tags}</span>
  <a class="print-link" href="{esc(site.href(a.path))}?print=1">Printer-friendly version</a></footer>
  {bios}
</article>
<div class="jp-relatedposts"><h3 class="jp-relatedposts-headline">Related stories</h3><ul>{related}</ul></div>
<div id="comments" class="comments-area">
  <h2 class="comments-title">{len(comments)} thoughts on &ldquo;{esc(a.title)}&rdquo;</h2>
  <ol class="comment-list">{comment_html}</ol>
  <div id="respond" class="comment-respond"><h3 class="comment-reply-title">Leave a Reply</h3>
  <p class="comment-notes">What are your views? Share in the comments below. Your email address will not be published.</p>
  <form action="{esc(site.href("/wp-comments-post.php"))}" method="post"><textarea name="comment"></textarea>
  <input type="submit" value="Post Comment" /></form></div>
</div>
</main></div>
{_sidebar(site, a)}"""
    return _page(
        site,
        f"{a.title} - {o.name}",
        body,
        canonical=site.abs(a.path),
        head=_meta_dates(a),
        description=a.summary,
        og_type="article",
        og_title=a.title,
        body_class="post-template-default single single-post",
    )


def print_article(site: Site, a: Article) -> str:
    return print_page(site, a, _meta_dates(a), day_month_year(a.published_at))


def amp_article(site: Site, a: Article) -> str:
    raise LookupError("Margalla Tech Review has no AMP pages")


def home(site: Site) -> str:
    o = site.outlet
    traps = trap_links(site, site.href)
    latest = site.latest()
    cards = "\n".join(_post_card(site, a) for a in latest)
    picks = "".join(f'<li><a href="{esc(h)}">{esc(a.title)}</a></li>' for a, h in traps.utm)
    archive_art, archive_href = traps.archive
    drafted, drafted_href = traps.disallowed
    slash_art, slash_href = traps.slash
    frag_art, frag_href = traps.fragment
    body = f"""<div id="primary" class="col-md-8 content-area"><main id="main" class="site-main">
<h1 class="screen-reader-text">{esc(o.name)}</h1>
<section class="latest-posts"><h2 class="section-heading">Latest</h2>
{cards}
<a class="more-link" href="{esc(site.href(site.section_path(o.sections[0][0])))}">More stories</a>
</section>
<section class="editors-picks"><h2 class="section-heading">Picked for you</h2><ul>{picks}</ul></section>
<section class="saved-search"><h2 class="section-heading">Reader digest</h2>
  <article class="post-card"><h2 class="entry-title"><a href="{esc(drafted_href)}">{esc(drafted.title)}</a></h2></article></section>
<section class="from-archive"><h2 class="section-heading">From our archive</h2><ul>
  <li><a href="{esc(archive_href)}">{esc(archive_art.title)}</a></li>
  <li><a href="{esc(traps.missing)}">Explainer: the 2020 cloud policy in five points</a></li>
  <li><a href="{esc(traps.pdf)}">Download our telecom pricing tracker (PDF)</a></li>
  <li><a href="{esc(slash_href)}">{esc(slash_art.title)}</a></li>
  <li><a href="{esc(frag_href)}">Readers debate: {esc(frag_art.title)}</a></li>
</ul></section>
</main></div>
{_sidebar(site)}"""
    return _page(site, f"{o.name} - {o.tagline}", body, canonical=site.abs("/"))


def listing(site: Site, lst: Listing) -> str:
    o = site.outlet
    cards = "\n".join(_post_card(site, a) for a in lst.articles)
    nav = []
    if lst.page > 1:
        nav.append(
            f'<a class="prev page-numbers" href="{esc(site.href(o.paths.listing_path(lst.kind, lst.key, lst.page - 1)))}">&laquo; Previous</a>'
        )
    for n in range(1, lst.pages + 1):
        nav.append(
            f'<span class="page-numbers current">{n}</span>'
            if n == lst.page
            else f'<a class="page-numbers" href="{esc(site.href(o.paths.listing_path(lst.kind, lst.key, n)))}">{n}</a>'
        )
    if lst.page < lst.pages:
        nav.append(
            f'<a class="next page-numbers" href="{esc(site.href(o.paths.listing_path(lst.kind, lst.key, lst.page + 1)))}">Next &raquo;</a>'
        )
    label = f"Topic: {lst.label}" if lst.kind == "tag" else lst.label
    body = f"""<div id="primary" class="col-md-8 content-area"><main id="main" class="site-main">
<header class="page-header"><h1 class="page-title">{esc(label)}</h1></header>
{cards}
<nav class="navigation pagination"><div class="nav-links">{" ".join(nav)}</div></nav>
</main></div>
{_sidebar(site)}"""
    title = f"{label} - Page {lst.page} - {o.name}" if lst.page > 1 else f"{label} - {o.name}"
    return _page(site, title, body, canonical=site.abs(lst.path), body_class="archive category")


def static(site: Site, title: str, paras: tuple[str, ...], path: str) -> str:
    body = f"""<div id="primary" class="col-md-8 content-area"><main id="main" class="site-main">
<article class="page"><h1 class="entry-title">{esc(title)}</h1><div class="entry-content">
{paragraphs(paras)}
</div></article></main></div>"""
    return _page(
        site, f"{title} - {site.outlet.name}", body, canonical=site.abs(path), body_class="page"
    )


def not_found(site: Site) -> str:
    body = f"""<div id="primary" class="col-md-8 content-area"><main id="main" class="site-main">
<section class="error-404 not-found"><h1 class="page-title">Oops! That page can&rsquo;t be found.</h1>
<p>It looks like nothing was found at this location. Try the <a href="{esc(site.href("/"))}">home page</a>.</p>
</section></main></div>"""
    return _page(site, f"Page not found - {site.outlet.name}", body, body_class="error404")
