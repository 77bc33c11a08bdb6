"""Small string helpers shared by the field extractors."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urljoin, urlsplit


def clean_space(text: str | None) -> str:
    """Collapse all whitespace (incl. NBSP) to single spaces and trim.

    ``str.split`` splits on exactly the characters ``\\s`` matches in a str pattern, at a
    third of the cost of ``re.sub(r"\\s+", " ", text).strip()`` (a hot path: every text node
    read)."""
    if not text:
        return ""
    return " ".join(text.split())


def nfc(text: str) -> str:
    """Unicode NFC: "ü" as one code point, as readers type it, also when the page wrote it
    as "u" plus a combining diaeresis (text pasted from macOS). Search and comparison of
    stored text depend on it; the glyphs are the same."""
    if text.isascii() or unicodedata.is_normalized("NFC", text):
        return text
    return unicodedata.normalize("NFC", text)


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


_MIN_TRUNCATED_NAME = 5


def is_site_name(text: str, site_names: list[str]) -> bool:
    """Whether ``text`` names the site: equal to one of ``site_names`` (site name, publisher,
    domain labels) once folded, or with spaces removed ("Example News" vs "examplenews"),
    containing one with little else ("The Example" vs "example"), or a site name cut short
    ("TechCrunc"). Empty text counts as a site name (nothing of its own)."""
    key = fold(text)
    if not key:
        return True
    squashed = key.replace(" ", "")
    for name in site_names:
        other = fold(name)
        if not other:
            continue
        other_squashed = other.replace(" ", "")
        if key == other or squashed == other_squashed:
            return True
        if len(other_squashed) >= 3 and (
            other_squashed in squashed and len(squashed) <= len(other_squashed) + 12
        ):
            return True
        if len(squashed) >= _MIN_TRUNCATED_NAME and other_squashed.startswith(squashed):
            return True
    return False
