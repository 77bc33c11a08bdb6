"""Ground truth for the bundled demo outlets.

The server renders pages from exactly this data, so tests can assert what a correct crawl stores:
every article's canonical path, headline, person authors, dates (with offset), body paragraphs,
tags and section. Content lives in ``content/<outlet>.json``; nothing here is cached at module
level, each call re-reads the (small) files so callers never share mutable state.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

CONTENT_DIR = Path(__file__).parent / "content"
OUTLET_IDS = ("indus", "margalla", "ravi")
EDITIONS = (1, 2)
SECTION_PAGE_SIZE = 6
TAG_PAGE_SIZE = 8


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def story_number(slug: str) -> int:
    """A stable numeric story id (some outlets put one in the URL), derived from the slug."""
    return int(hashlib.sha1(slug.encode()).hexdigest()[:8], 16) % 90000 + 10000


@dataclass(frozen=True, slots=True)
class PathScheme:
    """URL shapes of one outlet, relative to its base (no host, no path prefix)."""

    article: str
    section: str
    section_page: str
    tag: str
    tag_page: str
    author: str = ""
    amp: str = ""
    about: str = "/about/"
    contact: str = "/contact/"
    feed: str = "/feed.xml"
    sitemap: str = "/sitemap.xml"
    child_sitemaps: tuple[str, ...] = ()

    def article_path(self, slug: str, published_at: str, section: str) -> str:
        return _fill(self.article, slug, published_at, section)

    def amp_path(self, slug: str, published_at: str, section: str) -> str:
        return _fill(self.amp, slug, published_at, section) if self.amp else ""

    def listing_path(self, kind: str, key: str, page: int = 1) -> str:
        first, later = {
            "section": (self.section, self.section_page),
            "tag": (self.tag, self.tag_page),
            "author": (self.author, self.author),
        }[kind]
        return (first if page == 1 else later).format(key=key, page=page)


def _fill(pattern: str, slug: str, published_at: str, section: str) -> str:
    when = datetime.fromisoformat(published_at)
    return pattern.format(
        yyyy=f"{when.year:04d}",
        mm=f"{when.month:02d}",
        dd=f"{when.day:02d}",
        slug=slug,
        num=story_number(slug),
        section=section,
    )


@dataclass(frozen=True, slots=True)
class Article:
    """One article as it should end up in the archive (the ground truth)."""

    outlet_id: str
    slug: str
    path: str  # canonical path relative to the outlet base
    title: str  # the on-page <h1> headline
    authors: tuple[str, ...]  # person names only; empty for staff / agency bylines
    byline: str  # what the page shows after "By"
    published_at: str  # ISO 8601 with offset
    updated_at: str  # ISO 8601 with offset, "" when never updated
    paragraphs: tuple[str, ...]
    tags: tuple[str, ...]
    section: str  # display name, e.g. "Start-ups"
    section_key: str
    summary: str
    republished_from: tuple[str, str] | None = None  # (outlet id, canonical path)
    edition_added: int = 1
    amp_path: str = ""

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)

    @property
    def modified_at(self) -> str:
        return self.updated_at or self.published_at

    def url(self, base_url: str) -> str:
        return base_url.rstrip("/") + self.path


@dataclass(frozen=True, slots=True)
class Listing:
    """A listing page (section, tag or author), one page of a paginated series."""

    kind: str
    key: str
    label: str
    page: int
    pages: int
    path: str
    articles: tuple[Article, ...]


@dataclass(frozen=True, slots=True)
class Traps:
    """Crawler traps of one outlet, as paths relative to the outlet base."""

    redirect_from: str  # answers 301 ...
    redirect_to: str  # ... to this canonical article path
    missing: str  # linked, answers 404
    pdf: str  # linked, application/pdf
    disallowed: str  # article-looking page under a robots.txt Disallow, linked from home
    utm_links: tuple[str, ...]  # article paths carrying utm_* params, linked from home
    slash_variant: str  # the other-slash twin of an article path, linked from home
    fragment_link: str  # article path + "#comments", linked from home
    print_suffix: str = "?print=1"  # appended to any article path
    paged: str = ""  # an article served in two pages (?page=2), the print version whole


@dataclass(frozen=True, slots=True)
class Outlet:
    id: str
    name: str
    tagline: str
    city: str
    country: str
    language: str
    date_style: str  # "json-ld", "meta" or "text": where a page states its dates
    feed_kind: str  # "rss" or "atom"
    paths: PathScheme
    sections: tuple[tuple[str, str], ...]  # (key, label)
    disallow: tuple[str, ...]
    traps: Traps
    author_bios: tuple[tuple[str, str], ...]
    about: tuple[str, ...]
    contact: tuple[str, ...]
    comments: tuple[tuple[str, str], ...]  # reader comment pool: (name, text)
    disallowed_page: tuple[str, tuple[str, ...]]  # (headline, paragraphs)
    pdf_lines: tuple[str, ...]
    _articles: tuple[tuple[Article, Mapping[str, Any]], ...] = field(
        repr=False, compare=False, default=()
    )  # (edition-1 article, its revisions by edition)

    def articles(self, edition: int = 1) -> list[Article]:
        """Articles visible in ``edition``, newest first."""
        if edition not in EDITIONS:
            raise ValueError(f"unknown edition {edition}; known: {EDITIONS}")
        out = [
            _revise(a, revs, edition) for a, revs in self._articles if a.edition_added <= edition
        ]
        return sorted(out, key=lambda a: datetime.fromisoformat(a.published_at), reverse=True)

    def section_label(self, key: str) -> str:
        return dict(self.sections)[key]

    def listings(self, edition: int = 1) -> list[Listing]:
        """Every section, tag and author listing page, pagination included."""
        arts = self.articles(edition)
        groups: list[tuple[str, str, str, list[Article], int]] = []
        for key, label in self.sections:
            groups.append(
                (
                    "section",
                    key,
                    label,
                    [a for a in arts if a.section_key == key],
                    SECTION_PAGE_SIZE,
                )
            )
        tag_names = sorted({t for a in arts for t in a.tags}, key=str.lower)
        for tag in tag_names:
            groups.append(
                ("tag", slugify(tag), tag, [a for a in arts if tag in a.tags], TAG_PAGE_SIZE)
            )
        if self.paths.author:
            for name, _bio in self.author_bios:
                groups.append(
                    ("author", slugify(name), name, [a for a in arts if name in a.authors], 1000)
                )
        out: list[Listing] = []
        for kind, key, label, items, size in groups:
            pages = max(1, -(-len(items) // size))
            for page in range(1, pages + 1):
                chunk = tuple(items[(page - 1) * size : page * size])
                out.append(
                    Listing(
                        kind,
                        key,
                        label,
                        page,
                        pages,
                        self.paths.listing_path(kind, key, page),
                        chunk,
                    )
                )
        return out


def _revise(article: Article, revisions: Mapping[str, Any], edition: int) -> Article:
    """Apply the newest revision at or below ``edition`` (editions model later corrections)."""
    applicable = [int(e) for e in revisions if int(e) <= edition]
    if not applicable:
        return article
    rev = revisions[str(max(applicable))]
    return _replace(
        article,
        title=rev.get("title", article.title),
        paragraphs=tuple(rev.get("paragraphs", article.paragraphs)),
        updated_at=rev.get("updated", article.updated_at),
        summary=rev.get("summary", article.summary),
    )


def _replace(article: Article, **changes: Any) -> Article:
    data = {name: getattr(article, name) for name in Article.__slots__}
    data.update(changes)
    return Article(**data)


def _load_raw(outlet_id: str) -> dict[str, Any]:
    with (CONTENT_DIR / f"{outlet_id}.json").open(encoding="utf-8") as fh:
        return json.load(fh)


def _build_outlet(raw: Mapping[str, Any], all_raw: Mapping[str, Mapping[str, Any]]) -> Outlet:
    meta = raw["outlet"]
    paths = PathScheme(
        **{k: tuple(v) if isinstance(v, list) else v for k, v in meta["paths"].items()}
    )
    sections = tuple((k, v) for k, v in meta["sections"].items())
    labels = dict(sections)
    by_slug = {a["slug"]: a for a in raw["articles"]}
    built: list[tuple[Article, Mapping[str, Any]]] = []
    for spec in raw["articles"]:
        paragraphs = spec.get("paragraphs")
        origin = None
        if "republish_of" in spec:
            src_id, src_slug = spec["republish_of"]
            src = next(a for a in all_raw[src_id]["articles"] if a["slug"] == src_slug)
            src_paths = PathScheme(**all_raw[src_id]["outlet"]["paths"])
            paragraphs = src["paragraphs"]
            origin = (src_id, src_paths.article_path(src_slug, src["published"], src["section"]))
        article = Article(
            outlet_id=meta["id"],
            slug=spec["slug"],
            path=paths.article_path(spec["slug"], spec["published"], spec["section"]),
            title=spec["title"],
            authors=tuple(spec.get("authors", ())),
            byline=spec.get("byline") or _join_names(spec.get("authors", ())),
            published_at=spec["published"],
            updated_at=spec.get("updated", ""),
            paragraphs=tuple(paragraphs or ()),
            tags=tuple(spec["tags"]),
            section=labels[spec["section"]],
            section_key=spec["section"],
            summary=spec["summary"],
            republished_from=origin,
            edition_added=int(spec.get("edition", 1)),
            amp_path=paths.amp_path(spec["slug"], spec["published"], spec["section"]),
        )
        built.append((article, spec.get("revisions", {})))
    traps_raw = meta["traps"]

    def art_path(slug: str) -> str:
        spec = by_slug[slug]
        return paths.article_path(slug, spec["published"], spec["section"])

    slash_target = art_path(traps_raw["slash_pair"])
    traps = Traps(
        redirect_from=traps_raw["redirect_from"],
        redirect_to=art_path(traps_raw["redirect_to"]),
        missing=traps_raw["missing"],
        pdf=traps_raw["pdf"]["path"],
        disallowed=traps_raw["disallowed"]["path"],
        utm_links=tuple(art_path(s) for s in traps_raw["utm"]),
        slash_variant=slash_target[:-1] if slash_target.endswith("/") else slash_target + "/",
        fragment_link=art_path(traps_raw["fragment"]) + "#comments",
        paged=art_path(traps_raw["paged"]) if traps_raw.get("paged") else "",
    )
    return Outlet(
        id=meta["id"],
        name=meta["name"],
        tagline=meta["tagline"],
        city=meta["city"],
        country=meta["country"],
        language=meta["language"],
        date_style=meta["date_style"],
        feed_kind=meta["feed_kind"],
        paths=paths,
        sections=sections,
        disallow=tuple(meta["disallow"]),
        traps=traps,
        author_bios=tuple((k, v) for k, v in meta["authors"].items()),
        about=tuple(meta["about"]),
        contact=tuple(meta["contact"]),
        comments=tuple((c["name"], c["text"]) for c in meta["comments"]),
        disallowed_page=(
            traps_raw["disallowed"]["title"],
            tuple(traps_raw["disallowed"]["paragraphs"]),
        ),
        pdf_lines=tuple(traps_raw["pdf"]["lines"]),
        _articles=tuple(built),
    )


def _join_names(names: list[str] | tuple[str, ...]) -> str:
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def outlets() -> list[Outlet]:
    """All demo outlets, in a fixed order (indus = A, margalla = B, ravi = C)."""
    raw = {oid: _load_raw(oid) for oid in OUTLET_IDS}
    return [_build_outlet(raw[oid], raw) for oid in OUTLET_IDS]


def get_outlet(outlet_id: str) -> Outlet:
    for outlet in outlets():
        if outlet.id == outlet_id:
            return outlet
    raise KeyError(outlet_id)


def all_articles(edition: int = 1) -> list[Article]:
    return [a for o in outlets() for a in o.articles(edition)]


def non_article_paths(outlet: Outlet | str, edition: int = 1) -> dict[str, list[str]]:
    """HTML-ish paths that must never be stored as articles, grouped by kind.

    ``missing`` answers 404 and ``disallowed`` sits under a robots.txt Disallow: a polite
    crawler never fetches it at all.
    """
    o = get_outlet(outlet) if isinstance(outlet, str) else outlet
    out: dict[str, list[str]] = {"home": ["/"], "section": [], "tag": [], "author": []}
    for listing in o.listings(edition):
        out[listing.kind].append(listing.path)
    out |= {
        "about": [o.paths.about],
        "contact": [o.paths.contact],
        "pdf": [o.traps.pdf],
        "missing": [o.traps.missing],
        "disallowed": [o.traps.disallowed],
    }
    return out


class _HasBaseUrls(Protocol):
    base_urls: dict[str, str]
    shared_host: bool


def sources_toml(base_urls: Mapping[str, str], *, shared_host: bool = False) -> str:
    """A sources.toml for a running demo server (id and url per outlet; allow in shared mode)."""
    lines = ["allow_private_networks = true", ""]
    for outlet_id, base in base_urls.items():
        lines += ["[[source]]", f'id = "{outlet_id}"', f'url = "{base.rstrip("/")}/"']
        if shared_host:
            # Literal TOML string: the regex backslashes stay as written.
            lines.append(f"allow = ['^{re.escape(base.rstrip('/') + '/')}']")
        lines.append("")
    return "\n".join(lines)


def write_sources_toml(server: _HasBaseUrls, path: str | Path) -> Path:
    target = Path(path)
    target.write_text(
        sources_toml(server.base_urls, shared_host=server.shared_host), encoding="utf-8"
    )
    return target
