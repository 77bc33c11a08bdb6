"""Small string helpers shared by the field extractors."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urljoin, urlsplit

_SPACE = re.compile(r"\s+")


def clean_space(text: str | None) -> str:
    """Collapse all whitespace (incl. NBSP) to single spaces and trim."""
    if not text:
        return ""
    return _SPACE.sub(" ", text).strip()


def clip(text: str, limit: int) -> str:
    """Cut text to ``limit`` characters; fields stay bounded whatever the page holds."""
    return text if len(text) <= limit else text[:limit].rstrip()


def fold(text: str) -> str:
    """Comparison key: NFKC, casefolded, only word characters and single spaces."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.findall(r"\w+", text))


def absolute_url(base: str, href: str | None) -> str:
    """Resolve ``href`` against ``base``; empty when it is not an http(s) URL."""
    href = (href or "").strip()
    if not href or href.startswith(("data:", "javascript:", "mailto:")):
        return ""
    try:
        resolved = urljoin(base, href) if base else href
        scheme = urlsplit(resolved).scheme
    except ValueError:
        return ""
    return resolved if scheme in ("http", "https") else ""


def host_labels(url: str) -> list[str]:
    """Meaningful host labels: ``www.news.example.co.uk`` -> ["news", "example"]."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""  # type: ignore[return-value]
    labels = [p for p in host.split(".") if p]
    # drop the public suffix roughly: last label, and a second-level "co"/"com"/... before it
    if len(labels) >= 2:
        labels = labels[:-1]
        if len(labels) >= 2 and labels[-1] in {"co", "com", "org", "net", "ac", "gov", "ne", "or"}:
            labels = labels[:-1]
    return [p for p in labels if p not in {"www", "m", "amp", "mobile", "edition"}]
