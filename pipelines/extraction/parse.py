"""Decode arbitrary bytes and parse them into one lxml tree that every extraction step shares."""

from __future__ import annotations

import re

import lxml.html
from lxml.html import HtmlElement

MAX_INPUT_CHARS = 4_000_000  # pages beyond this are truncated: no article needs more, parsing does

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
# control characters/lone surrogates can leave lxml with an empty tree; they never carry meaning
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE
)

# remove_comments: HTML comments are never content, and dropping them keeps text_content() clean
_PARSER = lxml.html.HTMLParser(
    remove_comments=True, remove_pis=True, collect_ids=False, default_doctype=False
)


def decode_html(html: bytes | str, encoding: str | None = None) -> str:
    """Bytes to str: declared encoding, then UTF-8, then the page's meta charset, then cp1252."""
    if isinstance(html, str):
        return html
    data = html[: MAX_INPUT_CHARS * 2]
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    candidates = [encoding] if encoding else []
    candidates.append("utf-8")
    match = _META_CHARSET.search(data[:4096])
    if match:
        candidates.append(match.group(1).decode("ascii", errors="ignore"))
    for name in candidates:
        try:
            return data.decode(name)
        except (LookupError, UnicodeDecodeError):
            continue
    # cp1252 cannot map five bytes; "replace" keeps going instead of failing the page
    return data.decode("cp1252", errors="replace")


def _parse(text: str) -> HtmlElement | None:
    try:
        return lxml.html.document_fromstring(text, parser=_PARSER)
    except (ValueError, lxml.etree.ParserError):
        return None


def parse_document(
    html: bytes | str, encoding: str | None = None
) -> tuple[HtmlElement | None, str]:
    """Return the document root (None when there is nothing to parse) and the decoded text."""
    text = decode_html(html, encoding)[:MAX_INPUT_CHARS]
    if text[:200].lstrip()[:5].lower() == "<?xml":
        # lxml refuses str input that declares an encoding
        text = _XML_DECL.sub("", text, count=1)
    tree = _parse(text)
    if tree is None or not len(tree):
        # rare: retry without control characters/surrogates rather than scanning every page
        tree = _parse(_CONTROL.sub("", text))
    if tree is None or not len(tree):
        return None, text
    return tree, text


def parse_html(html: bytes | str, encoding: str | None = None) -> HtmlElement | None:
    return parse_document(html, encoding)[0]
