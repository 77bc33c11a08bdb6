"""Simple declared fields: canonical URL, site name, description, image, tags, section."""

from __future__ import annotations

import re
from typing import Any

from pipelines.extraction.page import PageInfo, ld_text
from pipelines.extraction.text import absolute_url, clean_space, clip

MAX_TAGS = 50
MAX_FIELD_CHARS = 2_000
_TAG_SPLIT = re.compile(r"\s*[,;|]\s*")


def find_canonical(info: PageInfo, url: str) -> str:
    for href in (*info.links.get("canonical", ()), info.first("og:url")):
        resolved = absolute_url(url, href)
        if resolved:
            return resolved
    return absolute_url("", url) or url


def find_site_name(info: PageInfo) -> str:
    publisher = ld_text(info.resolve((info.article or {}).get("publisher")))
    if publisher.startswith(("http://", "https://")):
        publisher = ""  # an unresolved {"@id": URL} reference names nothing
    name = info.first("og:site_name") or publisher or info.first("application-name", "publisher")
    return clip(clean_space(name), 200)


def find_description(info: PageInfo) -> str:
    text = info.first("og:description", "description", "twitter:description") or ld_text(
        (info.article or {}).get("description")
    )
    return clip(text, MAX_FIELD_CHARS)


def _ld_image(value: Any) -> str:
    if isinstance(value, list):
        return _ld_image(value[0]) if value else ""
    if isinstance(value, dict):
        return ld_text(value.get("url") or value.get("contentUrl") or value.get("@id"))
    return ld_text(value)


def find_top_image(info: PageInfo, base: str) -> str:
    for raw in (
        info.first("og:image", "og:image:url", "og:image:secure_url"),
        info.first("twitter:image", "twitter:image:src"),
        _ld_image((info.article or {}).get("image")),
        *info.links.get("image_src", ()),
    ):
        resolved = absolute_url(base, raw)
        if resolved:
            return clip(resolved, MAX_FIELD_CHARS)
    return ""


def find_tags(info: PageInfo) -> list[str]:
    raws = info.all("article:tag", "parsely-tags", "news_keywords", "keywords")
    keywords = (info.article or {}).get("keywords")
    if isinstance(keywords, list):
        raws.extend(str(k) for k in keywords if isinstance(k, str | int))
    elif isinstance(keywords, str):
        raws.append(keywords)
    tags: list[str] = []
    seen: set[str] = set()
    for raw in raws:
        for tag in _TAG_SPLIT.split(raw):
            tag = clean_space(tag)
            if tag and len(tag) <= 100 and tag.casefold() not in seen:
                seen.add(tag.casefold())
                tags.append(tag)
    return tags[:MAX_TAGS]


def find_section(info: PageInfo) -> str:
    section = info.first("article:section", "parsely-section", "section") or ld_text(
        (info.article or {}).get("articleSection")
    )
    return clip(section, 200)
