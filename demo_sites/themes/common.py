"""Helpers shared by the outlet themes (escaping, date text, trap links, print pages)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from demo_sites.catalog import Article
    from demo_sites.site import Site

UTM = "utm_source=newsletter&utm_medium=email&utm_campaign=weekly_digest"
UTM_SOCIAL = "utm_source=twitter&utm_medium=social"


def esc(text: str) -> str:
    return escape(text, quote=True)


def when(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def long_date(iso: str) -> str:
    d = when(iso)
    return f"{d:%B} {d.day}, {d.year}"


def day_month_year(iso: str, month: str = "%B") -> str:
    d = when(iso)
    return f"{d.day} {d.strftime(month)} {d.year}"


def json_ld(data: dict[str, Any]) -> str:
    # "</" must not appear raw inside a <script> element.
    text = json.dumps(data, ensure_ascii=False, indent=2).replace("</", "<\\/")
    return f'<script type="application/ld+json">\n{text}\n</script>'


def paragraphs(paras: Sequence[str], insert: str = "", after: int = 2, cls: str = "") -> str:
    """Body paragraphs with an optional inline junk block (e.g. "Also see:") after ``after``."""
    attr = f' class="{cls}"' if cls else ""
    out = []
    for i, para in enumerate(paras):
        out.append(f"<p{attr}>{esc(para)}</p>")
        if insert and i + 1 == after and len(paras) > after:
            out.append(insert)
    return "\n".join(out)


@dataclass(frozen=True, slots=True)
class TrapLinks:
    """Hrefs of every crawler trap an outlet's home page links to."""

    utm: list[tuple[Article, str]]
    archive: tuple[Article, str]  # old URL that 301-redirects
    missing: str
    pdf: str
    disallowed: tuple[Article, str]
    slash: tuple[Article, str]
    fragment: tuple[Article, str]


def trap_links(site: Site, link: Callable[[str], str]) -> TrapLinks:
    traps = site.outlet.traps
    by_path = {a.path: a for a in site.articles}
    utm = []
    for i, path in enumerate(traps.utm_links):
        art = by_path[path]
        utm.append((art, f"{link(path)}?{UTM if i % 2 == 0 else UTM_SOCIAL}"))
    slash_target = next(
        a for a in site.articles if a.path.rstrip("/") == traps.slash_variant.rstrip("/")
    )
    frag_path = traps.fragment_link.split("#")[0]
    return TrapLinks(
        utm=utm,
        archive=(by_path[traps.redirect_to], link(traps.redirect_from)),
        missing=link(traps.missing),
        pdf=link(traps.pdf),
        disallowed=(site.disallowed_article, link(traps.disallowed)),
        slash=(slash_target, link(traps.slash_variant)),
        fragment=(by_path[frag_path], link(traps.fragment_link)),
    )


def print_page(site: Site, article: Article, head_extra: str, date_line: str) -> str:
    """The printer-friendly variant: same text, bare template, canonical to the real page."""
    o = site.outlet
    return f"""<!DOCTYPE html>
<html lang="{o.language}">
<head>
<meta charset="utf-8">
<title>{esc(article.title)} | {esc(o.name)} (print)</title>
<meta name="robots" content="noindex, follow">
<link rel="canonical" href="{esc(site.abs(article.path))}">
{head_extra}
<style>body{{font-family:Georgia,serif;max-width:40em;margin:2em auto}}</style>
</head>
<body onload="window.print()">
<div class="print-masthead">{esc(o.name)}</div>
<h1>{esc(article.title)}</h1>
<p class="print-byline">By {esc(article.byline)}</p>
<p class="print-date">{date_line}</p>
{paragraphs(article.paragraphs)}
<p class="print-footer">Printed from {esc(site.abs(article.path))}. &copy; {esc(o.name)}.</p>
</body>
</html>
"""
