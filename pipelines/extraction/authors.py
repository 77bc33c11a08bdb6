"""Bylines: JSON-LD, meta tags, rel=author and byline elements, cleaned to person names.

News agencies named in a byline ("AP", "Reuters", "SAN News Service") are returned apart from
the people, as the product keeps them marked as agencies rather than as authors.
"""

from __future__ import annotations

import html
import re
from typing import Any

from lxml.html import HtmlElement

from pipelines.extraction.page import PageInfo, in_comments, ld_text
from pipelines.extraction.text import clean_space, fold, host_labels, is_site_name

MAX_AUTHORS = 20
MAX_NAME_CHARS = 80

_PREFIX = re.compile(
    r"^(?:(?:written|reported|posted|published|compiled|edited)\s+)?"
    r"(?:by|von|por|par|door|av|af|przez|от|автор|авторы|текст|text|texto|texte|author|authors|"
    r"autor|autorin|autore|auteur|redaktion)\s*[:\-–]?\s+"
    # Italian/Portuguese "di"/"da"/"de" only in lower case: "De Niro" is a name
    r"|^(?-i:di|da|de)\s+",
    re.IGNORECASE,
)
_SPLIT = re.compile(
    r"\s*(?:,|;|\||/|&|\band\b|\bund\b|\bet\b|\bog\b|\ben\b|\boch\b|\bmit\b"
    # one-letter "and" (es/it/pt/ca/pl) in lower case only, never an initial: "Sarah E. Needleman"
    r"|(?-i:\b[yei]\b)(?!\.)"
    r"|\bwith\b|\bsowie\b|・|、|，)\s*",
    re.IGNORECASE,
)
# the same separators, kept: a one-letter conjunction may join a double surname instead
_SPLIT_KEEP = re.compile(f"({_SPLIT.pattern})", re.IGNORECASE)
_JOINING = frozenset({"e", "y", "i"})
# a prefix word left alone ("By" in its own element) and a trailing count ("Jane Doe 27")
_LONE_PREFIX = frozenset({"by", "von", "por", "par", "door", "from", "text", "author"})
_TRAILING_NUMBER = re.compile(r"(?:\s+\d+)+$")
_EMAIL = re.compile(r"\S+@\S+\.\w+")
_LABEL = re.compile(r"^[^\s:：]{1,20}\s*[:：]\s+(?=\S)")
# words that end no name (particles such as "de" or "van" come before a surname)
_NEVER_LAST = frozenset({"of", "by", "from", "to", "the", "and", "with", "for"})
_INNER_LABEL = re.compile(r"\S[:：]\s")  # "Label: value" after the first field: names have none
# a picture or video credit ("Photo: Jane Doe", "Foto von", "Фото:"): a photographer, not a byline
_CREDIT = re.compile(
    r"^(?:photos?|fotos?|фото|images?|bild(?:er)?|illustration|grafik|video|picture)"
    r"(?:\s*:|\s+(?:by|von|de|di)\b)",
    re.IGNORECASE,
)
# a URL (profile links in author meta tags); a bare domain may be an outlet's name and passes
_URLISH = re.compile(r"https?://|www\.|\.(?:com|org|net|de)/", re.IGNORECASE)
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATEISH = re.compile(
    r"\d{1,4}[./-]\d{1,2}|\b(?:19|20)\d{2}\b|\d:\d{2}\b|"
    r"\b(?:mon|tues|wednes|thurs|fri|satur|sun)day\b|"
    r"\b(?:updated|published|posted|aktualisiert|veröffentlicht)\b"
    rf"|\b{_MONTH}\s+\d{{1,2}}\b|\b\d{{1,2}}\.?\s+{_MONTH}(?:\s|$)"
    r"|\bmin(?:ute)?s?\.?\s+read\b|\bread(?:ing)?\s+time\b"
    # a relative time: "26 minutes ago", "prije 26 minuta", "vor 3 Stunden", "hace 2 horas"
    r"|\b\d+\s*(?:min|minut|minute|hour|hr|sat|stund|hora|ore|giorn|day|dan|tag|día|jour)\w*\b",
    re.IGNORECASE,
)
# a bare domain ("example.com") names an outlet, not a person
_DOMAIN = re.compile(r"^[\w-]+(?:\.[\w-]+)*\.[a-z]{2,6}$", re.IGNORECASE)
# whole "names" that are a newsroom, not a person
_NOT_PEOPLE = frozenset(
    {"staff", "admin", "editor", "guest", "newsroom", "redaktion", "redação", "redacao",
     "redacción", "redaccion", "redazione", "rédaction", "redactie", "redakcja",
     # the word "news" as a CMS account's display name (WordPress "Nachrichten")
     "news", "nachrichten", "noticias", "notícias", "notizie", "nieuws", "nouvelles",
     "actualités", "actualites", "wiadomości", "novinky", "haberler"}
)  # fmt: skip
# words that turn a byline fragment into a job title or a non-person label
_ROLE_TEXT = """staff writer reporter correspondent editor editors contributor columnist senior
    chief deputy managing associate contributing news desk team newsroom bureau photographer
    photos photo video produced opinion analysis updated special guest freelance journalist
    redakteur redakteurin korrespondent korrespondentin autor autorin mitarbeiter
    redaktion reuters-staff"""
_ROLE_WORDS = frozenset(_ROLE_TEXT.split())
_AGENCIES = frozenset(
    {"ap", "afp", "dpa", "reuters", "associated press", "upi", "ansa", "efe", "kna", "epd",
     "apa", "sda", "bloomberg", "xinhua", "pa", "ani", "ians", "pti", "app", "tass", "kyodo",
     "yonhap", "aap", "anadolu", "bernama", "antara", "cna", "ap news", "reuters staff",
     "agence france presse", "deutsche presse agentur", "press trust of india",
     "united press international", "kyodo news", "yonhap news", "xinhua news", "efe news"}
)  # fmt: skip
# agencies by the shape of their name, in any language
_AGENCY_SHAPE = re.compile(
    r"\b(?:news|press)\s+(?:service|agency|agencies|wire)\b|newswire\b|\bwire(?:\s+service)?$"
    r"|presse-?agentur|nachrichtenagentur|^(?:agence|agencia|agência|agenzia|agentur)\s"
    r"|\bpress\s+(?:trust|association)\b|\bnews\s+network$",
    re.IGNORECASE,
)
# explicit author markup (PageInfo.author_links, PageInfo.props): an itemprop=author element
# is read through its itemprop=name parts when it has some
# byline classes (looked up in PageInfo.marked: no whole-tree contains() XPath): substrings,
# and whole class tokens of an "author(s)" block ("author", "authors__item", "post-author")
_BYLINE_CLASS = re.compile(
    r"byline|author-name|article-author|author__name|authorName|autor"
    r"|(?:^|\s)(?:(?:post|entry|article|story)-)?authors?(?:__(?:name|item|list-item|link))?"
    r"(?:\s|$)"
)
_BYLINE_GATE = ("byline", "uthor", "autor")
_MAX_BYLINE_ELEMENTS = 12
_META_KEYS = (
    "author", "article:author", "dc.creator", "dcterms.creator", "sailthru.author",
    "parsely-author", "byl", "twitter:creator:name", "cxenseparse:author",
)  # fmt: skip
_ORG_TYPES = frozenset({"organization", "newsmediaorganization", "corporation"})


def is_agency(name: str) -> bool:
    """A news agency or wire service: a known name or abbreviation, or a name shaped like one
    ("… News Service", "… News Agency", "… Wire", "Agence …", "…presse-Agentur")."""
    return fold(name) in _AGENCIES or bool(_AGENCY_SHAPE.search(name))


def _drop_roles(name: str) -> str:
    """Cut trailing role words: "Jane Doe Senior Reporter" -> "Jane Doe", "AP Staff" -> "AP".

    A name is not cut down to one word unless that word is an agency: "Gear Team" and
    "BBC News" are whole names."""
    words = name.split()
    for i, word in enumerate(words):
        if i >= 1 and word.lower().strip(".,") in _ROLE_WORDS:
            head = " ".join(words[:i])
            return head if i >= 2 or is_agency(head) else name
    return name


def clean_author(raw: str, *, strict_case: bool = True) -> list[str]:
    """One raw author string to zero or more clean person/agency names.

    ``strict_case=False`` keeps all-lowercase names (outlet names such as "kicker"), for
    sources that say they name an organisation."""
    text = clean_space(_EMAIL.sub(" ", raw or ""))
    if not text or _URLISH.search(text) or _CREDIT.match(text):
        return []
    # a one-word label before a colon ("تحریر: ...", "Reportage: ...") names no one: names
    # have no colon
    text = _LABEL.sub("", text, count=1)
    # "Jane Doe (dpa)" and "Jane Doe, Staff Writer": both sides are candidates, roles filtered
    text = re.sub(r"[()\[\]]", ",", text)
    if "&" in text and ";" in text:
        text = clean_space(html.unescape(text))  # "Jos&#xE9; Volta" double-escaped in JSON-LD
    names: list[str] = []
    for part in _split_names(_PREFIX.sub("", text)):
        part = part.strip()
        if part.endswith((":", "：")):
            continue  # a label ("回答者：") with nothing after it
        part = _PREFIX.sub("", part.strip(" .:-–—·|\"'"))
        if not part or _DATEISH.search(part) or _INNER_LABEL.search(part):
            continue  # a date, or another field ("Photos: John Roe", "Sendung: hr-INFO")
        part = _TRAILING_NUMBER.sub("", part)
        if not is_agency(part):
            part = _drop_roles(part)
        part = part.strip(" .:-–—")
        if _is_name(part, strict_case=strict_case):
            names.append(part)
    return names


def _split_names(text: str) -> list[str]:
    """``text`` split at the name separators, but a one-letter conjunction before a single
    last word joins a double surname: "José Volta e Pinto", "Ortega y Gasset"."""
    pieces = _SPLIT_KEEP.split(text)
    parts = [pieces[0]]
    for sep, part in zip(pieces[1::2], pieces[2::2], strict=True):
        if sep.strip().lower() in _JOINING and len(part.split()) == 1 and parts[-1].strip():
            parts[-1] += sep + part
        else:
            parts.append(part)
    return parts


def _is_name(part: str, *, strict_case: bool = True) -> bool:
    if not part or len(part) > MAX_NAME_CHARS or part.startswith("@"):
        return False  # "@NatGeoUK": a social handle, not a name
    if part.lower() in _LONE_PREFIX:
        return False
    if is_agency(part):
        return True
    low = part.lower()
    words = part.split()
    if len(words) > 5 or not any(ch.isalpha() for ch in part):
        return False
    if words[0].lower() in _ROLE_WORDS or low in _NOT_PEOPLE:
        return False
    if len(words) > 1 and words[-1].lower() in _NEVER_LAST:
        return False  # a label cut from its name: "SHOW ALL ARTICLES OF"
    # a person's name is capitalised in scripts that have case; all-lowercase is UI text
    return not strict_case or not (low == part and part.upper() != part)


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
        else:
            # schema.org Person given as its parts
            parts = [value.get(k) for k in ("givenName", "additionalName", "familyName")]
            full = " ".join(p for p in parts if isinstance(p, str) and p.strip())
            if full:
                out.append(full)


def _dedupe(names: list[str]) -> list[str]:
    seen: set[str] = set()
    result = []
    for name in names:
        key = fold(name)
        if key and key not in seen:
            seen.add(key)
            result.append(name)
    return result[:MAX_AUTHORS]


def _is_organisation(value: Any) -> bool:
    items = value if isinstance(value, list) else [value]
    return bool(items) and all(
        isinstance(i, dict) and str(i.get("@type", "")).lower() in _ORG_TYPES for i in items
    )


def find_authors(
    tree: HtmlElement, info: PageInfo, site_name: str = "", url: str = ""
) -> tuple[list[str], list[str]]:
    """(people, agencies) of the byline.

    Sources in order: the JSON-LD article's ``author``, author meta tags, byline elements; the
    first that names a person or an agency gives the result. An author that is the publishing organisation or the site itself (JSON-LD
    Organization, or a name matching og:site_name, the JSON-LD publisher or the domain) is no
    person: it is returned as the author only when no person and no agency is found.
    """
    publisher = ld_text(info.resolve((info.article or {}).get("publisher")))
    site_names = [n for n in (site_name, publisher, *host_labels(url)) if n]
    ld_author = info.resolve((info.article or {}).get("author"))
    ld_raws: list[str] = []
    _ld_names(ld_author, ld_raws)
    ld_is_org = _is_organisation(ld_author)
    agencies: list[str] = []
    outlets: list[str] = []
    sources = (
        lambda: [n for raw in ld_raws for n in clean_author(raw, strict_case=False)],
        lambda: _names_of(info.all(*_META_KEYS), site_names),
        lambda: _names_of(_byline_texts(tree, info), site_names),
        lambda: _bold_byline(tree),
        lambda: _names_of(_prefixed_bylines(tree, info), site_names),
    )
    for index, names in enumerate(source() for source in sources):
        people: list[str] = []
        for name in names:
            if is_agency(name):
                agencies.append(name)
            elif (index == 0 and ld_is_org) or _is_outlet(name, site_names):
                if index == 0:
                    outlets.append(name)  # the publisher credited in structured data
            elif index > 0 or _is_name(name):  # JSON-LD names were read case-blind
                people.append(name)
        if people or agencies:
            # a source that names only agencies is the byline: later sources are noisier
            return _dedupe(people), _dedupe(agencies)
    return _dedupe(outlets), []


def _is_outlet(name: str, site_names: list[str]) -> bool:
    return bool(_DOMAIN.match(name)) or is_site_name(name, site_names)


# spaced bars, dots and dashes between the fields of a byline line: "Jane Doe | Madrid |
# 08/01/2014", "By Jane Doe - January 10, 2020 - 21 minutes"
_FIELD_BAR = re.compile(r"\s+[|•·\-–—]\s+")


def _byline_fields(raw: str) -> str:
    """A byline line of bar- or dash-separated fields, a later one of them a date, is
    name | place or role | date: the names are in its first field ("Jane Doe and John Roe"),
    and an agency may be in any ("Jane Doe | Reuters | March 3")."""
    fields = _FIELD_BAR.split(raw)
    if len(fields) < 2 or not any(_DATEISH.search(f) for f in fields[1:]):
        return raw
    return ", ".join([fields[0], *(f for f in fields[1:] if is_agency(f.strip(" .")))])


def _names_of(raws: list[str], site_names: list[str]) -> list[str]:
    """Names in each raw byline string; a string that starts with the outlet's own name is the
    outlet and its address ("example.de, Frankfurt, Germany"), not a list of people."""
    names: list[str] = []
    for raw in map(_byline_fields, raws):
        first = _PREFIX.sub("", _SPLIT.split(clean_space(raw), maxsplit=1)[0]).strip(" .:-")
        if first and _is_outlet(first, site_names) and not is_agency(first):
            continue
        names.extend(clean_author(raw))
    return names


def _byline_elements(info: PageInfo) -> list[HtmlElement]:
    found: list[HtmlElement] = list(info.author_links)
    for el, prop in info.props:
        if prop == "author" and not _is_organisation_item(el):
            names = [n for n in el.iterdescendants() if n.get("itemprop") == "name"]
            found.extend(names or [el])
    if any(word in info.attrs for word in _BYLINE_GATE):
        found.extend(info.find_marked(_BYLINE_CLASS))
    unique: list[HtmlElement] = []
    for el in found:
        if el not in unique and not _in_comment(el):
            unique.append(el)
        if len(unique) >= _MAX_BYLINE_ELEMENTS:
            break
    return unique


def _article_of(el: HtmlElement) -> HtmlElement | None:
    return next(el.iterancestors("article"), None)


def _first_article_only(tree: HtmlElement, bylines: list[HtmlElement]) -> list[HtmlElement]:
    """Bylines in several ``<article>`` elements are the story's and those of teaser cards
    (related stories, "more from"), each naming its own author: the story's ``<article>``
    is the first of them on the page. Bylines outside any ``<article>`` stay."""
    articles = {a for el in bylines if (a := _article_of(el)) is not None}
    if len(articles) < 2:
        return bylines
    first = next((a for a in tree.iter("article") if a in articles), None)
    if first is None:  # bylines from another tree than ``tree``: nothing to rank them by
        return bylines
    return [el for el in bylines if _article_of(el) in (None, first)]


def _is_organisation_item(el: HtmlElement) -> bool:
    """An ``itemprop=author`` item typed as an organisation: the outlet, not a byline."""
    kind = (el.get("itemtype") or "").rstrip("/").rsplit("/", 1)[-1].lower()
    return kind in _ORG_TYPES


def _in_comment(el: HtmlElement) -> bool:
    """Whether a byline-like element is a reader comment's author or a picture credit (in a
    ``<figure>``)."""
    if any(node.tag in ("figure", "figcaption") for node in (el, *el.iterancestors())):
        return True
    return in_comments(el)


_PROSE_CHARS = 150  # a paragraph this long is running text: a byline comes before it
_NAME_WORD = re.compile(
    r"^(?:[A-ZÀ-ÖØ-ÞĀ-ſ][\w'’.-]*|de|da|do|dos|van|von|der|den|le|la|bin|al|del)$"
)
_NAME_LIST = re.compile(r"\s*(?:/|,|&|\band\b)\s*")


def _bold_byline(tree: HtmlElement) -> list[str]:
    """Names printed as a paragraph of their own in bold, in the container of the story's
    paragraphs of running text: just before the first of them ("<p><strong>Jane Doe/John Roe
    </strong></p>") or as the signature right after the last (Vietnamese outlets, many
    others), as small outlets sign stories. A last resort when no byline markup names a
    person; every name must be two to four capitalised words."""
    before: list[str] = []
    parent = None  # container of the bold paragraph seen before any running text
    prose = None  # the last paragraph of running text so far
    for p in tree.iter("p"):
        text = clean_space(p.text_content())
        if len(text) >= _PROSE_CHARS:
            if prose is None and before and p.getparent() is parent:
                return before
            prose = p
            continue
        names = _bold_names(p, text)
        if not names:
            continue
        if prose is None:
            before, parent = names, p.getparent()
        elif p.getprevious() is prose and not _more_text_after(p):
            return names
    return []


def _bold_names(p: HtmlElement, text: str) -> list[str]:
    """The names of a paragraph made of bold text only, when each is a plain name."""
    children = [c for c in p if isinstance(c.tag, str)]
    if not text or not children or (p.text or "").strip():
        return []
    if not all(c.tag in ("strong", "b") and not (c.tail or "").strip() for c in children):
        return []
    names = _NAME_LIST.split(_PREFIX.sub("", text))
    return names if all(_is_plain_name(n) for n in names) else []


def _more_text_after(p: HtmlElement) -> bool:
    """Whether a later sibling of ``p`` is a paragraph with text: a signature ends the story."""
    return any(
        s.tag == "p" and clean_space(s.text_content())
        for s in p.itersiblings()
        if isinstance(s.tag, str)
    )


def _is_plain_name(text: str) -> bool:
    words = text.split()
    return 2 <= len(words) <= 4 and all(_NAME_WORD.match(w) for w in words)


# BEM-named byline parts ("article__author", "sharekit__contributors--author"): the name class
# of many templates, and of teaser cards too, so read last and only after a "By"
_BEM_BYLINE = re.compile(r"(?:__|--)(?:author|byline)", re.IGNORECASE)


def _prefixed_bylines(tree: HtmlElement, info: PageInfo) -> list[str]:
    """A last resort: texts of BEM-named author elements that start with a byline prefix."""
    if "uthor" not in info.attrs and "yline" not in info.attrs:
        return []
    found = [el for el in info.find_marked(_BEM_BYLINE) if not _in_comment(el)]
    texts = (clean_space(_lines_text(el)) for el in _first_article_only(tree, found))
    return [t for t in texts if len(t) < 200 and _PREFIX.match(t)][:_MAX_BYLINE_ELEMENTS]


def _lines_text(el: HtmlElement) -> str:
    """The element's text with its line breaks kept as name separators: "Jane Doe<br>Photos:
    John Roe" is two fields, not "Jane DoePhotos: John Roe"."""
    if next(el.iter("br"), None) is None:
        return el.text_content()
    parts = [el.text or ""]
    for node in el.iterdescendants():
        if node.tag == "br":
            parts.append("; ")
        elif isinstance(node.tag, str):
            parts.append(node.text or "")
        parts.append(node.tail or "")
    return "".join(parts)


def _byline_texts(tree: HtmlElement, info: PageInfo) -> list[str]:
    return [
        b
        for el in _first_article_only(tree, _byline_elements(info))
        if (b := clean_space(el.get("content") if el.tag == "meta" else _lines_text(el)))
        and len(b) < 200
    ]


# A news-agency credit line ending a story: "(Reporting by A in Beirut and B; Writing by C;
# Editing by D)". Reporters and writers wrote the story; editors, "additional reporting" (or
# "with reporting by") and other credits did not put their names on it.
_CREDIT_ROLE = re.compile(
    r"\b((?:additional|further|with|and) reporting|reporting|writing|editing|edited|compiled"
    r"|graphics?|photos?"
    r"|fact-checking|production) by\b",
    re.IGNORECASE,
)
_AUTHOR_ROLES = frozenset({"reporting", "writing"})
_CREDIT_END = re.compile(r"[;()]")
_CREDIT_PLACE = re.compile(r"\s+in\s+\S.*$")  # "A in Beirut": where they reported from
_CREDIT_LINES = 6  # credit lines are the story's last lines
_MAX_CREDIT_LINE = 400


def credit_line_authors(lines: list[str]) -> list[str]:
    """The people a credit line at the end of a story says reported or wrote it, for a story
    that prints no byline (a wire story as syndicated). Agencies are left out."""
    names: list[str] = []
    tail = [line for line in lines if line.strip()][-_CREDIT_LINES:]
    for line in tail:
        if len(line) > _MAX_CREDIT_LINE or " by" not in line.lower():
            continue
        roles = list(_CREDIT_ROLE.finditer(line))
        if not roles or line[: roles[0].start()].strip(" ("):
            continue  # a credit line starts with its first credit; prose does not
        for index, role in enumerate(roles):
            if role.group(1).lower() not in _AUTHOR_ROLES:
                continue
            end = roles[index + 1].start() if index + 1 < len(roles) else len(line)
            chunk = _CREDIT_END.split(line[role.end() : end], maxsplit=1)[0]
            for part in _split_names(chunk):
                part = _CREDIT_PLACE.sub("", part.strip()).strip(" .")
                words = part.split()
                if len(words) < 2 or any(is_agency(word) for word in words):
                    continue  # one word is no full name; "Reuters TV" is the agency's
                if part[0].isupper() and _is_name(part):
                    names.append(part)
    return _dedupe(names)
