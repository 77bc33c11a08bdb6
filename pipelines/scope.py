"""Which URLs belong to which source.

A URL belongs to a source when it is on the source's site (same host and port, with www./m./amp.
folded) and, if the source lists ``allow`` patterns, matches one of them, and matches no ``deny``
pattern. Several sources may share one host, each scoped to a path by ``allow``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from .models import Source
from .urls import registrable_host


def _site(url: str) -> tuple[str, int | None]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "", None
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return registrable_host(url), (None if port in (None, default) else port)


@dataclass(frozen=True, slots=True)
class SourceScope:
    source: Source
    site: tuple[str, int | None]
    allow: tuple[re.Pattern[str], ...]
    deny: tuple[re.Pattern[str], ...]

    @classmethod
    def of(cls, source: Source) -> SourceScope:
        return cls(
            source=source,
            site=_site(source.url),
            allow=tuple(re.compile(p) for p in source.allow),
            deny=tuple(re.compile(p) for p in source.deny),
        )

    def on_site(self, url: str) -> bool:
        """On the source's host and port, whatever its allow and deny patterns say."""
        return _site(url) == self.site

    def contains(self, url: str) -> bool:
        if not self.on_site(url):
            return False
        if self.allow and not any(p.search(url) for p in self.allow):
            return False
        return not any(p.search(url) for p in self.deny)


def scopes_for(sources: tuple[Source, ...]) -> dict[str, SourceScope]:
    return {s.id: SourceScope.of(s) for s in sources}
