"""A page saved as plain text (what a naive scraper keeps: the text, no markup) read as a page.

``broadsheet extract`` meets such files among saved pages. Read as HTML, a text file is one
run of text: no headline, no paragraphs, and the line filter cannot drop a prompt glued to the
story. ``text_page`` writes the text as the simple page it was: the first line the headline,
each line a paragraph, bulleted lines list items, and the lines after a comment prompt ("Share
with us in the comments") reader comments. The same extraction then reads it like any page.
"""

from __future__ import annotations

import html
import re

from pipelines.extraction.body import is_boilerplate_line
from pipelines.extraction.parse import decode_html

# markup: a start or end tag, a comment or a doctype. A text without any in its first
# characters is no HTML page.
_MARKUP = re.compile(r"<(?:/?[a-zA-Z][\w:-]*[\s>/]|!--|!doctype)", re.IGNORECASE)
_SNIFF_CHARS = 65_536
_BULLET = re.compile(r"^\s*[•·▪◦‣*–-]\s+")
# a prompt that asks readers to comment: what follows it on such a page is their comments
_COMMENT_PROMPT = re.compile(r"\bcomments?\b", re.IGNORECASE)


def is_plain_text(text: str) -> bool:
    """Whether ``text`` (decoded) is plain text rather than markup: it has words and no tag."""
    head = text[:_SNIFF_CHARS]
    return bool(head.strip()) and _MARKUP.search(head) is None


def text_page(text: str) -> str:
    """The HTML page a plain text stands for (see the module docstring)."""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        return "<html><body></body></html>"
    parts = [f"<h1>{html.escape(lines[0])}</h1>"]
    comments: list[str] = []
    items: list[str] = []

    def close_list() -> None:
        if items:
            parts.append("<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>")
            items.clear()

    prompted = False  # past the prompt to comment: every line is a reader's comment
    for line in lines[1:]:
        if prompted:
            said = _BULLET.sub("", line)
            if not is_boilerplate_line(said):
                comments.append(html.escape(said))
            continue
        if is_boilerplate_line(line) and _COMMENT_PROMPT.search(line):
            prompted = True
            continue
        if _BULLET.match(line):
            items.append(html.escape(_BULLET.sub("", line)))
            continue
        close_list()
        parts.append(f"<p>{html.escape(line)}</p>")
    close_list()
    if comments:
        entries = "".join(f'<li class="comment"><div class="comment-body">{c}</div></li>'
                          for c in comments)  # fmt: skip
        parts.append(f'<section id="comments"><ol class="comment-list">{entries}</ol></section>')
    return f"<html><body><article>{''.join(parts)}</article></body></html>"


def as_page(data: bytes) -> bytes | str:
    """A saved file as ``extract_page`` should read it: ``data`` itself when it holds markup,
    else the page its text stands for (``text_page``)."""
    if _MARKUP.search(data[:_SNIFF_CHARS].decode("latin-1")):
        return data  # the common case, told without decoding the page
    text = decode_html(data)
    return text_page(text) if is_plain_text(text) else data
