"""Author names: JSON-LD, meta tags, rel=author and byline elements, cleaned to person names."""

from __future__ import annotations

import re
from typing import Any

from lxml.html import HtmlElement

from pipelines.extraction.page import PageInfo
from pipelines.extraction.text import clean_space, fold

MAX_AUTHORS = 20
MAX_NAME_CHARS = 80

_PREFIX = re.compile(
    r"^(?:(?:written|reported|posted|published|compiled|edited)\s+)?"
    r"(?:by|von|por|par|door|av|af|przez|от|автор|text|texto|texte|author|authors|"
    r"autor|autorin|autore|auteur|redaktion)\s*[:\-–]?\s+"
    # Italian/Portuguese "di"/"da"/"de" only in lower case: "De Niro" is a name
    r"|^(?-i:di|da|de)\s+",
    re.IGNORECASE,
)
_SPLIT = re.compile(
    r"\s*(?:,|;|\||/|&|\band\b|\bund\b|\bet\b|\by\b|\be\b|\bog\b|\ben\b|\bi\b|\boch\b|\bmit\b"
    r"|\bwith\b|\bsowie\b|・|、|，)\s*",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"\S+@\S+\.\w+")
_URLISH = re.compile(r"https?://|www\.|\.(?:com|org|net|de)\b", re.IGNORECASE)
_DATEISH = re.compile(
    r"\d{1,4}[./-]\d{1,2}|\b(?:19|20)\d{2}\b|\b\d{1,2}:\d{2}\b|"
    r"\b(?:updated|published|posted|aktualisiert|veröffentlicht)\b",
    re.IGNORECASE,
)
# words that turn a byline fragment into a job title or a non-person label
_ROLE_TEXT = """staff writer reporter correspondent editor editors contributor columnist senior
    chief deputy managing associate contributing news desk team newsroom bureau photographer
    photos photo video produced opinion analysis updated special guest freelance journalist
    redakteur redakteurin korrespondent korrespondentin autor autorin mitarbeiter
    redaktion reuters-staff"""
_ROLE_WORDS = frozenset(_ROLE_TEXT.split())
_AGENCIES = frozenset(
    {"ap", "afp", "dpa", "reuters", "associated press", "upi", "ansa", "efe", "kna", "epd",
     "apa", "sda", "bloomberg", "xinhua", "pa", "ani", "ians", "pti", "tass", "kyodo"}
)  # fmt: skip
_BYLINE_XPATH = (
    "(//*[@rel='author'] | //*[@itemprop='author']//*[@itemprop='name']"
    " | //*[@itemprop='author'][not(.//*[@itemprop='name'])]"
    " | //*[contains(@class,'byline') or contains(@class,'author-name')"
    " or contains(@class,'article-author') or contains(@class,'author__name')"
    " or contains(@class,'authorName') or contains(@class,'byline__name')"
    " or contains(@class,'autor')])"
    "[position() <= 12]"
)


def _drop_roles(name: str) -> str:
    """Cut trailing role words: "Jane Doe Senior Reporter" -> "Jane Doe"."""
    words = name.split()
    for i, word in enumerate(words):
        if i >= 1 and word.lower().strip(".,") in _ROLE_WORDS:
            return " ".join(words[:i])
    return name


def clean_author(raw: str) -> list[str]:
    """One raw author string to zero or more clean person/agency names."""
    text = clean_space(_EMAIL.sub(" ", raw or ""))
    if not text or _URLISH.search(text):
        return []
    # "Jane Doe (dpa)" and "Jane Doe, Staff Writer": both sides are candidates, roles filtered
    text = re.sub(r"[()\[\]]", ",", text)
    names: list[str] = []
    for part in _SPLIT.split(_PREFIX.sub("", text)):
        part = _PREFIX.sub("", part.strip(" .:-–—·|\"'"))
        if not part or _DATEISH.search(part):
            continue
        part = _drop_roles(part).strip(" .:-–—")
        if _is_name(part):
            names.append(part)
    return names


def _is_name(part: str) -> bool:
    if not part or len(part) > MAX_NAME_CHARS:
        return False
    low = part.lower()
    if low in _AGENCIES:
        return True
    words = part.split()
    if len(words) > 5 or not any(ch.isalpha() for ch in part):
        return False
    if words[0].lower() in _ROLE_WORDS or low in {"staff", "admin", "editor", "guest"}:
        return False
    # a person's name is capitalised in scripts that have case; all-lowercase is UI text
    return not (part.lower() == part and part.upper() != part)


def _ld_names(value: Any, out: list[str], depth: int = 0) -> None:
    if depth > 3:
        return
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, list):
        for item in value[:MAX_AUTHORS]:
            _ld_names(item, out, depth + 1)
    elif isinstance(value, dict):
        name = value.get("name")
        if isinstance(name, str):
            out.append(name)
        elif isinstance(name, list):
            _ld_names(name, out, depth + 1)


def _dedupe(names: list[str]) -> list[str]:
    seen: set[str] = set()
    result = []
    for name in names:
        key = fold(name)
        if key and key not in seen:
            seen.add(key)
            result.append(name)
    return result[:MAX_AUTHORS]


def _clean_all(raws: list[str]) -> list[str]:
    return _dedupe([name for raw in raws for name in clean_author(raw)])


def _is_organisation(value: Any) -> bool:
    items = value if isinstance(value, list) else [value]
    return bool(items) and all(
        isinstance(i, dict)
        and str(i.get("@type", "")).lower() in ("organization", "newsmediaorganization")
        for i in items
    )


def find_authors(tree: HtmlElement, info: PageInfo, site_name: str = "") -> list[str]:
    """JSON-LD, then meta tags, then byline elements. An author that is only the publishing
    organisation (or names the site) is kept as a fallback while a person's byline is sought."""
    ld_author = (info.article or {}).get("author")
    raws: list[str] = []
    _ld_names(ld_author, raws)
    fallback = _clean_all(raws)
    site_key = fold(site_name)
    if (
        fallback
        and not _is_organisation(ld_author)
        and not any(fold(n) == site_key for n in fallback)
    ):
        return fallback
    meta = info.all(
        "author", "article:author", "dc.creator", "dcterms.creator", "sailthru.author",
        "parsely-author", "byl", "twitter:creator:name", "cxenseparse:author",
    )  # fmt: skip
    for names in (
        _clean_all(meta),
        _clean_all(
            [
                b
                for el in tree.xpath(_BYLINE_XPATH)
                if (b := clean_space(el.text_content())) and len(b) < 200
            ]
        ),
    ):
        people = [n for n in names if fold(n) != site_key]
        if people:
            return people
    return fallback
