"""Load and validate sources.toml: what to crawl. Errors name the source and the field."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .models import Source, SourcesConfig

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_LIST_FIELDS = ("feeds", "sitemaps", "allow", "deny", "tags")
_STR_FIELDS = ("name", "country", "language", "relevance")
_POLICIES = ("keep", "flag", "drop")
_KNOWN = {"id", "url", *_LIST_FIELDS, *_STR_FIELDS}
_TOP_LEVEL = {"source", "allow_private_networks"}


class SourcesError(ValueError):
    """A sources file that cannot be used; the message names the source and the field."""


def _where(index: int, raw: dict[str, Any]) -> str:
    ident = raw.get("id")
    return f"source #{index + 1}" + (f" ({ident!r})" if isinstance(ident, str) else "")


def _check_url(value: object, where: str, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SourcesError(f"{where}: field '{field}' must be a non-empty string URL")
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SourcesError(f"{where}: field '{field}' must be an http(s) URL, got {value!r}")
    return value.strip()


def _parse_source(index: int, raw: object) -> Source:
    if not isinstance(raw, dict):
        raise SourcesError(f"source #{index + 1}: each [[source]] must be a table")
    where = _where(index, raw)
    unknown = sorted(set(raw) - _KNOWN)
    if unknown:
        raise SourcesError(
            f"{where}: unknown field '{unknown[0]}' (known: {', '.join(sorted(_KNOWN))})"
        )
    ident = raw.get("id")
    if not isinstance(ident, str) or not _ID.match(ident):
        raise SourcesError(
            f"{where}: field 'id' is required: lowercase letters, digits, '-' or '_' (max 64)"
        )
    if "url" not in raw:
        raise SourcesError(f"{where}: field 'url' is required (the outlet's home page)")
    url = _check_url(raw["url"], where, "url")
    values: dict[str, Any] = {}
    for field in _STR_FIELDS:
        value = raw.get(field, "")
        if not isinstance(value, str):
            raise SourcesError(f"{where}: field '{field}' must be a string")
        values[field] = value.strip()
    values["relevance"] = values["relevance"] or "keep"
    if values["relevance"] not in _POLICIES:
        raise SourcesError(f"{where}: field 'relevance' must be one of {', '.join(_POLICIES)}")
    for field in _LIST_FIELDS:
        value = raw.get(field, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise SourcesError(f"{where}: field '{field}' must be a list of strings")
        values[field] = tuple(v.strip() for v in value if v.strip())
    for field in ("feeds", "sitemaps"):
        for item in values[field]:
            _check_url(item, where, field)
    for field in ("allow", "deny"):
        for pattern in values[field]:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise SourcesError(
                    f"{where}: field '{field}' has an invalid regular expression {pattern!r}: {exc}"
                ) from exc
    return Source(id=ident, url=url, **values)


def parse_sources(data: dict[str, Any]) -> SourcesConfig:
    unknown = sorted(set(data) - _TOP_LEVEL)
    if unknown:
        raise SourcesError(f"unknown top-level key '{unknown[0]}' (use [[source]] tables)")
    allow_private = data.get("allow_private_networks", False)
    if not isinstance(allow_private, bool):
        raise SourcesError("field 'allow_private_networks' must be true or false")
    raw_sources = data.get("source", [])
    if not isinstance(raw_sources, list) or not raw_sources:
        raise SourcesError("no sources: add at least one [[source]] table with 'id' and 'url'")
    sources = tuple(_parse_source(i, raw) for i, raw in enumerate(raw_sources))
    seen: set[str] = set()
    for i, source in enumerate(sources):
        if source.id in seen:
            raise SourcesError(f"source #{i + 1} ({source.id!r}): field 'id' is used twice")
        seen.add(source.id)
    return SourcesConfig(sources=sources, allow_private_networks=allow_private)


def load_sources(path: str | Path) -> SourcesConfig:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SourcesError(f"{path}: sources file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SourcesError(f"{path}: not valid TOML: {exc}") from exc
    try:
        return parse_sources(data)
    except SourcesError as exc:
        raise SourcesError(f"{path}: {exc}") from exc


def select(config: SourcesConfig, ids: tuple[str, ...] | list[str]) -> SourcesConfig:
    """Keep only the named sources; an unknown id is an error that lists the known ones."""
    if not ids:
        return config
    known = {s.id for s in config.sources}
    for ident in ids:
        if ident not in known:
            raise SourcesError(f"unknown source id {ident!r} (known: {', '.join(sorted(known))})")
    return SourcesConfig(
        sources=tuple(s for s in config.sources if s.id in ids),
        allow_private_networks=config.allow_private_networks,
    )
