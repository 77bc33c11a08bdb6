"""Decode arbitrary bytes and parse them into one lxml tree that every extraction step shares."""

from __future__ import annotations

import re

import lxml.html
from lxml import etree
from lxml.html import HtmlComment, HtmlElement, HtmlEntity, HtmlProcessingInstruction

MAX_INPUT_CHARS = 4_000_000  # pages beyond this are truncated: no article needs more, parsing does

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
# control characters/lone surrogates can leave lxml with an empty tree; they never carry meaning
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE
)
_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
_UTF16_SNIFF_BYTES = 2048


def _make_parser(encoding: str | None = None) -> lxml.html.HTMLParser:
    # remove_comments: HTML comments are never content, and dropping them keeps text_content()
    # clean. The element class lookup is lxml.html's classes picked in C: lxml.html's default
    # lookup calls a Python method for every element proxy (~2500 per page, here and inside
    # trafilatura, which works on copies of this tree and so inherits the parser). Only the
    # form-control subclasses (FormElement, InputElement...) are lost; nothing here uses them.
    parser = lxml.html.HTMLParser(
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
        default_doctype=False,
        encoding=encoding,
    )
    parser.set_element_class_lookup(
        etree.ElementDefaultClassLookup(
            element=HtmlElement,
            comment=HtmlComment,
            pi=HtmlProcessingInstruction,
            entity=HtmlEntity,
        )
    )
    return parser


_PARSER = _make_parser()
# the decoded text is parsed as UTF-8 bytes: measurably faster in lxml than str input
_UTF8_PARSER = _make_parser("utf-8")


def _utf16_without_bom(data: bytes) -> str:
    """ "utf-16-le"/"utf-16-be" when NUL bytes sit at every other position (ASCII markup in
    UTF-16 without a byte order mark), else "". UTF-8 decoding would accept such bytes."""
    head = data[:_UTF16_SNIFF_BYTES]
    if len(head) < 16 or b"\x00" not in head:
        return ""
    half = len(head) // 2
    odd, even = head[1::2].count(0), head[0::2].count(0)
    if odd >= 0.6 * half and even <= 0.05 * half:
        return "utf-16-le"
    if even >= 0.6 * half and odd <= 0.05 * half:
        return "utf-16-be"
    return ""


_MAX_STRAYS = 64  # more bytes than this that are not UTF-8: not a UTF-8 page with a few strays
_UTF8_NAMES = frozenset({"utf-8", "utf8"})


def _utf8_with_strays(data: bytes) -> str | None:
    """A page that says it is UTF-8 but has a few bytes that are not (a paragraph pasted from a
    latin-1 editor, a template in another charset): the UTF-8 text as it is, each stray byte read
    as windows-1252. None when there are more than ``_MAX_STRAYS`` of them."""
    view, parts, start = memoryview(data), [], 0
    for _ in range(_MAX_STRAYS + 1):
        try:
            parts.append(str(view[start:], "utf-8"))
            return "".join(parts)
        except UnicodeDecodeError as err:
            parts.append(str(view[start : start + err.start], "utf-8"))
            stray = view[start + err.start : start + err.end]
            parts.append(str(stray, "cp1252", errors="replace"))
            start += err.end
    return None


def _detect(data: bytes) -> str | None:
    """beautifulsoup4's UnicodeDammit: HTML/XML declarations, then a statistical guess
    (charset-normalizer, a trafilatura dependency), then windows-1252."""
    from bs4.dammit import UnicodeDammit  # lazy: only pages whose declared charsets all fail

    dammit = UnicodeDammit(data, is_html=True)
    return dammit.unicode_markup


def decode_html(html: bytes | str, encoding: str | None = None) -> str:
    """Bytes to str: a byte order mark, UTF-16 without one, the declared encoding, UTF-8, the
    page's meta charset, UTF-8 with a few stray windows-1252 bytes when the page or the server
    says UTF-8, then UnicodeDammit's detection (cp1252 with replacement as last)."""
    if isinstance(html, str):
        return html
    data = html[: MAX_INPUT_CHARS * 2]
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data.decode(codec, errors="replace")
    utf16 = _utf16_without_bom(data)
    if utf16:
        return data.decode(utf16, errors="replace")
    match = _META_CHARSET.search(data[:4096])
    meta = match.group(1).decode("ascii", errors="ignore") if match else ""
    candidates = [name for name in (encoding, "utf-8", meta) if name]
    for name in candidates:
        try:
            return data.decode(name)
        except (LookupError, UnicodeDecodeError):
            continue
    if any(name.strip().lower() in _UTF8_NAMES for name in (encoding or "", meta)):
        # statistical detection would read the whole page in a wrong charset for a few bytes
        mixed = _utf8_with_strays(data)
        if mixed is not None:
            return mixed
    try:
        detected = _detect(data)
    except Exception:  # noqa: BLE001 - detection is best effort; decoding below cannot fail
        detected = None
    if detected:
        return detected
    # cp1252 cannot map five bytes; "replace" keeps going instead of failing the page
    return data.decode("cp1252", errors="replace")


# a self-closed root element or doctype, in the first 4 KB
_SELF_CLOSED = re.compile(r"(<html\b[^>]*?)\s*/>|<!doctype[^>]*/>", re.IGNORECASE)


def _parse(text: str) -> HtmlElement | None:
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: let lxml take the str
        data = None
    try:
        if data is not None:
            return lxml.html.document_fromstring(data, parser=_UTF8_PARSER)
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
        text = _CONTROL.sub("", text)
        tree = _parse(text)
    if (tree is None or not len(tree)) and _SELF_CLOSED.search(text[:4096]):
        # "<html lang='de' />" or a doctype closed with "/>" (hand-written XHTML): libxml2
        # closes the document there and keeps nothing of it
        text = _SELF_CLOSED.sub(_open_tag, text[:4096], count=2) + text[4096:]
        tree = _parse(text)
    if tree is None or not len(tree):
        return None, text
    return tree, text


def _open_tag(match: re.Match[str]) -> str:
    return "" if match.group(0).lower().startswith("<!doctype") else match.group(1) + ">"


def parse_html(html: bytes | str, encoding: str | None = None) -> HtmlElement | None:
    return parse_document(html, encoding)[0]
