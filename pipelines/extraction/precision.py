"""Markup repairs before trafilatura's precision mode, which Broadsheet's body step uses.

Precision mode deletes blocks by markup patterns that mean boilerplate in a template (a boxed
aside, a "read more" box, a block of links) but also match real text: the way editors paste
paragraphs, empty tags, component wrappers. Each repair below undoes one such match without
changing what the text is, so precision mode judges the paragraph as what it is. They run on
the tree handed to trafilatura, after every other step has read it.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

from lxml.etree import XPath
from lxml.html import HtmlElement

from pipelines.extraction.page import PageInfo
from pipelines.urls import host_domain, site_domain

# A CSS declaration that mentions "border" without drawing one: box sizing, table spacing,
# custom properties, and borders set to none or to zero width.
_NO_BORDER_PROPERTY = re.compile(
    r"\s*(?:box-sizing|border-(?:collapse|spacing)|--[\w-]*)\s*:", re.IGNORECASE
)
_BORDER_PROPERTY = re.compile(
    r"\s*border(?:-(?:top|right|bottom|left))?(?:-(?:style|width))?\s*:", re.IGNORECASE
)
_NO_BORDER_VALUE = frozenset({"0", "0px", "0em", "0rem", "none", "hidden", "!important"})


def _draws_border(declaration: str) -> bool:
    if "border" not in declaration:
        return False
    if _NO_BORDER_PROPERTY.match(declaration):
        return False
    prop = _BORDER_PROPERTY.match(declaration)
    if prop is None:
        return True  # colour, radius, image: may belong to a drawn box
    value = declaration[prop.end() :].lower().replace("!important", " !important")
    return not set(value.split()) <= _NO_BORDER_VALUE


def drop_invisible_borders(elements: list[HtmlElement]) -> int:
    """Remove border declarations that draw nothing from these elements' inline styles.

    trafilatura's precision mode deletes every block whose style contains "border" (a boxed
    aside), and so deletes the paragraphs that editors paste with "box-sizing: border-box" or
    "border: 0" on them: real text. A style that still draws a border is left alone. Returns
    the number of styles rewritten."""
    rewritten = 0
    for el in elements:
        declarations = (el.get("style") or "").split(";")
        if any(_draws_border(d) for d in declarations):
            continue
        el.set("style", ";".join(d for d in declarations if "border" not in d))
        rewritten += 1
    return rewritten


def _blank(text: str | None) -> bool:
    return not text or text.isspace()


# elements trafilatura's precision mode deletes when empty, with the text after them (its
# CUT_EMPTY_ELEMS, trafilatura 2.x)
_EMPTY_CUT_TAGS = (
    "article", "b", "blockquote", "dd", "div", "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6",
    "i", "li", "main", "p", "pre", "q", "section", "span", "strong",
)  # fmt: skip


def unwrap_empty_inline(tree: HtmlElement) -> int:
    """Remove empty elements (``<b></b>``, an icon ``<span>``, a spacer ``<div>`` inside a
    heading), keeping the text after them. trafilatura's precision mode deletes empty elements
    together with that text, which is the rest of the sentence after an inline one and the
    heading's words after a spacer. Returns the number removed."""
    empty = [
        el
        for el in tree.iter(_EMPTY_CUT_TAGS)
        if el.text is None and len(el) == 0 and not _blank(el.tail)
    ]
    for el in empty:
        el.drop_tag()  # joins the tail to the text before it
    return len(empty)


_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


def drop_heading_anchors(tree: HtmlElement) -> int:
    """Remove links without text (a permalink "#" icon, an empty anchor target) from headings
    that have text of their own. Precision mode deletes a short heading whose links hold no
    text, as it deletes a row of icon links, and so every subheading of a page that gives its
    subheadings permalink icons (blogs, interviews: the questions). Returns the number
    removed."""
    empty = []
    for heading in tree.iter(_HEADINGS):
        anchors = [a for a in heading.iter("a") if _blank(a.text_content())]
        if anchors and not _blank(heading.text_content()):
            empty.extend(anchors)
    for anchor in empty:
        anchor.drop_tree()  # keeps its tail
    return len(empty)


_TARGET_ATTRIBUTES = frozenset({"name", "id"})


def unwrap_targets(targets: list[HtmlElement]) -> int:
    """Unwrap jump targets (``<a name="x">``, ``<a id="x">``: no href, no other attribute) that
    hold text, in a paragraph or a heading. They link nowhere, but trafilatura counts every
    ``<a>`` as link text, so precision mode deleted a paragraph an old CMS wrapped whole in a
    target (the answers of a podcast transcript, each a jump target) as a block of links.
    Returns the number unwrapped."""
    found = []
    for anchor in targets:
        parent = anchor.getparent()
        if parent is None or (parent.tag != "p" and parent.tag not in _HEADINGS):
            continue
        if set(anchor.attrib) <= _TARGET_ATTRIBUTES and not _blank(anchor.text_content()):
            found.append(anchor)
    for anchor in found:
        anchor.drop_tag()
    return len(found)


def collapse_paragraph_wrappers(tree: HtmlElement) -> int:
    """Reduce a chain of ``<div>`` elements that each hold nothing but the next one, down to a
    paragraph (``div > div > div > p``, as component-built pages wrap every paragraph), to
    its outermost ``<div>``.

    trafilatura's precision mode deletes a ``<div>`` that is the last child of its parent,
    holds a link and under 200 characters: a "read more" box, and also every inner wrapper of
    a short paragraph with a link in it. The outer wrapper keeps its place among the
    paragraph's siblings, where that test sees it as it is. Returns the number removed."""
    inner: list[HtmlElement] = []
    for p in tree.iter("p"):
        chain = []
        el = p
        parent = el.getparent()
        while (
            parent is not None
            and parent.tag == "div"
            and len(parent) == 1
            and _blank(parent.text)
            and _blank(el.tail)
        ):
            chain.append(parent)
            el, parent = parent, parent.getparent()
        inner.extend(chain[:-1])
    for el in inner:
        el.drop_tag()
    return len(inner)


# trafilatura's precision rule for blocks of links and page-bottom boxes, on class or id
_BOX_TOKEN = re.compile(r"(?:^|\s)bottom|bottom(?:\s|$)|(?:^|\s)link(?:\s|$)")


def unmark_inline_spans(marked: list[tuple[HtmlElement, str, str]]) -> int:
    """Remove a class or id of the "link"/"bottom" kind from a ``<span>`` in running text (in a
    ``<p>``, with text after it). Precision mode deletes any span so marked, as a block of
    links, and so cuts a linked phrase out of its sentence. ``marked`` is the page sweep's
    (element, class, id) list. Returns the number of spans changed."""
    changed = 0
    for el, cls, ident in marked:
        if el.tag != "span" or not (_BOX_TOKEN.search(cls) or _BOX_TOKEN.search(ident)):
            continue
        parent = el.getparent()
        if parent is None or parent.tag != "p" or _blank(el.tail):
            continue
        el.attrib.pop("class", None)
        el.attrib.pop("id", None)
        changed += 1
    return changed


def drop_hover_cards(marked: list[tuple[HtmlElement, str, str]]) -> int:
    """Remove a hover card from running text: a ``<span>`` inside a paragraph that holds a
    picture and two links or more (a person's photo, name and latest stories, shown when the
    pointer rests on the name). Its links make the sentence around it link text, and precision
    mode deletes the whole paragraph as a block of links. The name's own link, outside the
    card, stays. ``marked`` is the page sweep's list. Returns the number removed."""
    cards = []
    for el, _cls, _ident in marked:
        if el.tag != "span" or el.find(".//img") is None or len(el.findall(".//a")) < 2:
            continue
        if _paragraph_of(el) is not None:
            cards.append(el)
    # the innermost such span is the card: an outer one also holds the name's own link
    inner = [c for c in cards if not any(d in cards for d in c.iterdescendants("span"))]
    for card in inner:
        card.drop_tree()  # keeps its tail: the rest of the sentence
    return len(inner)


def _paragraph_of(el: HtmlElement) -> HtmlElement | None:
    """The ``<p>`` an inline element sits in, a few levels up (a link in <strong>, <em>...)."""
    up = el.getparent()
    for _ in range(_P_DEPTH):
        if up is None or up.tag == "p":
            return up
        up = up.getparent()
    return None


_P_DEPTH = 4  # how far up the paragraph of an inline element may be


# An embedded post the story quotes (a tweet as Twitter's embed code writes it), and the class or
# id tokens of the wrappers trafilatura deletes with their content: embed blocks, social boxes
_EMBEDDED_POST = re.compile(r"(?:^|\s)twitter-(?:tweet|video)(?:\s|$)")
_EMBED_WRAPPER = re.compile(r"embed|social|share|viral|widget", re.IGNORECASE)
_EMBED_DEPTH = 4
_FRAME_SLACK = 200  # characters a frame may hold besides the post (a caption, a label)


def lift_embedded_posts(marked: list[tuple[HtmlElement, str, str]]) -> int:
    """Move a quoted post (``<blockquote class="twitter-tweet">``) out of the embed or social
    wrappers around it, to just before the outermost one. Both trafilatura modes delete such
    wrappers ("wp-block-embed", "social-media-embed") with what they hold, so a tweet that a
    story quotes was lost with its frame, while the same tweet without a wrapper is kept; a
    reader of the story sees it as part of it. ``marked`` is the page sweep's list. Returns the
    number moved."""
    moved = 0
    for el, cls, _ident in marked:
        if el.tag != "blockquote" or not _EMBEDDED_POST.search(cls):
            continue
        outer, up = None, el.getparent()
        # only the post's own frame: wrappers that hold little but it (a caption, a script)
        room = len(el.text_content()) + _FRAME_SLACK
        for _ in range(_EMBED_DEPTH):
            if up is None or up.tag in ("body", "article", "main"):
                break
            if len(up.text_content()) > room:
                break
            if _EMBED_WRAPPER.search((up.get("class") or "") + " " + (up.get("id") or "")):
                outer = up
            up = up.getparent()
        if outer is None or outer.getparent() is None:
            continue
        tail, el.tail = el.tail, None
        if not _blank(tail):  # text after the quote stays where it was
            previous = el.getprevious()
            parent = el.getparent()
            if previous is not None:
                previous.tail = (previous.tail or "") + tail
            elif parent is not None:
                parent.text = (parent.text or "") + tail
        outer.addprevious(el)
        moved += 1
    return moved


# Elements that start a block of their own: a run of bare text ends at them.
_BLOCKS = frozenset(
    {
        "p", "div", "ul", "ol", "dl", "li", "table", "h1", "h2", "h3", "h4", "h5", "h6",
        "blockquote", "pre", "section", "article", "aside", "header", "footer", "nav", "form",
        "figure", "hr", "main", "details", "address", "center", "iframe", "script", "style",
        "noscript", "template", "video", "audio", "canvas", "svg", "button", "select", "object",
        "figcaption", "picture", "fieldset", "legend", "dialog", "menu", "summary",
    }
)  # fmt: skip
# A run this long is a sentence or more of text; a shorter one ("Share:", "Tags", a date) is
# left for trafilatura to judge as it is.
_MIN_BARE_RUN = 80
_CONTAINERS = ("div", "td", "section", "article", "main")
# Containers named as furniture, or inside one nearby: their bare text stays bare (a photo
# caption, a newsletter box, a byline), for trafilatura to drop as before.
_FURNITURE = re.compile(
    r"caption|credit|signup|newsletter|subscri|promo|share|social|related|byline|author|"
    r"foot|header|nav|menu|breadcrumb|comment|widget|sidebar|advert|cookie|banner|modal|popup|"
    r"title|headline|titul",
    re.IGNORECASE,
)
_FURNITURE_DEPTH = 4
# A container with one run of bare text and no line break is more often a teaser, a caption or
# a notice than a story's text; one named as the story's lead is the exception.
_LEDE = re.compile(
    r"intro|summary|lede|lead|standfirst|abstract|deck|kicker|sapo|chapo", re.IGNORECASE
)


def _names(el: HtmlElement) -> str:
    return f"{el.get('class') or ''} {el.get('id') or ''}"


def _furniture(box: HtmlElement) -> bool:
    el: HtmlElement | None = box
    for _ in range(_FURNITURE_DEPTH):
        if el is None:
            return False
        if _FURNITURE.search(_names(el)):
            return True
        el = el.getparent()
    return False


def _run_text(text: str | None, items: list[HtmlElement]) -> str:
    return (text or "") + "".join(i.text_content() + (i.tail or "") for i in items)


def _bare_runs(box: HtmlElement) -> list[tuple[HtmlElement | None, list[HtmlElement], str]]:
    """The runs of text directly in ``box``: (the block the run follows, or None for the
    container's own text; the run's inline elements; its text)."""
    runs: list[tuple[HtmlElement | None, list[HtmlElement]]] = [(None, [])]
    for child in box:
        if not isinstance(child.tag, str) or child.tag in _BLOCKS:
            runs.append((child, []))
        else:
            runs[-1][1].append(child)
    found = []
    for after, items in runs:
        if after is not None and not isinstance(after.tag, str):
            continue  # a comment's tail: left as it is
        text = box.text if after is None else after.tail
        if _blank(text) and not items:
            continue
        run = _run_text(text, items).strip()
        linked = sum(len(a.text_content()) for i in items for a in i.iter("a"))
        # a row of links (a network's other sites) or a picture credit is no paragraph
        if 2 * linked > len(run) or "©" in run:
            continue
        found.append((after, items, run))
    return found


def _wrap(box: HtmlElement, after: HtmlElement | None, items: list[HtmlElement]) -> None:
    block = box.makeelement("p")
    if after is None:
        block.text, box.text = box.text, None
        box.insert(0, block)
    else:
        block.text, after.tail = after.tail, None
        after.addnext(block)
    for item in items:
        block.append(item)


def _text_divs_as_paragraphs(box: HtmlElement) -> int:
    """Make paragraphs of the ``<div>``s in ``box`` that hold only a run of text, found under
    ``box`` through wrappers holding only ``<div>``s: editors that write a story as bare text
    write some of its paragraphs as ``<div>text</div>``, which precision mode drops once the
    story has ``<p>``s. Only unnamed divs, as editors write them: a div with a class or id is
    the template's. Returns the number made paragraphs."""
    made = 0
    stack = [child for child in box if child.tag == "div"]
    while stack:
        div = stack.pop()
        if div.get("class") or div.get("id"):
            continue  # the template's box (a tag line, a "Related" link), not written text
        blocks = [c for c in div if not isinstance(c.tag, str) or c.tag in _BLOCKS]
        if not blocks:
            if not _blank(div.text_content()):
                div.tag = "p"
                made += 1
        elif _blank(div.text) and all(c.tag == "div" and _blank(c.tail) for c in div):
            stack.extend(div)
    return made


def _inline_lede(box: HtmlElement) -> bool:
    """Whether ``box`` is named as the story's lead and holds only inline elements (a lead set
    in ``<strong>``: no text of its own, yet a run to read)."""
    # cheapest tests first: this is asked of every container without bare text; a lead's
    # first element starts with its text (an icon or a picture in a link does not)
    if not len(box):
        return False
    first = box[0]
    if not isinstance(first.tag, str) or first.tag in _BLOCKS or _blank(first.text):
        return False
    if not _LEDE.search(_names(box)):
        return False
    return all(isinstance(c.tag, str) and c.tag not in _BLOCKS for c in box)


def wrap_bare_text(tree: HtmlElement) -> int:
    """Put each run of text that sits directly in a container (``<div>`` text before, between
    or after its blocks, with its inline elements and ``<br>``s) in a ``<p>`` of its own, when
    the run is a sentence or more long, or when the container has the tag and class of a sibling
    whose run was: the template's paragraph, however short. Only containers written as text
    are read: two runs or more, or a line break, or a name that makes the run the story's lead.

    trafilatura reads a container's own text only when the page has too little text in
    paragraphs; otherwise it drops it, so a story written as ``<div>text<br>text</div>`` next to
    a few ``<p>`` loses its bare lines (an old blog lost its first sentence, ahead of the
    ``<br>``). As a paragraph, the run is judged like any other. Returns the number wrapped."""
    pending: list[tuple[HtmlElement, list[tuple[HtmlElement | None, list[HtmlElement], str]]]] = []
    kinds: set[tuple[object, str, str]] = set()  # (parent, tag, class) of boxes wrapped
    wrapped = 0
    for box in list(tree.iter(_CONTAINERS)):
        bare = not _blank(box.text) or any(not _blank(child.tail) for child in box)
        if not bare and not _inline_lede(box):
            continue
        if _furniture(box):
            continue
        runs = _bare_runs(box)
        broken = any(child.tag == "br" for child in box)
        if len(runs) < 2 and not broken and not _LEDE.search(_names(box)):
            continue
        long = [run for run in runs if len(run[2]) >= _MIN_BARE_RUN]
        for after, items, _ in long:
            _wrap(box, after, items)
        wrapped += len(long)
        if long:
            wrapped += _text_divs_as_paragraphs(box)
        if long and box.get("class"):
            kinds.add((box.getparent(), box.tag, box.get("class") or ""))
        short = [run for run in runs if 0 < len(run[2]) < _MIN_BARE_RUN]
        if short and box.get("class"):
            pending.append((box, short))
    for box, short in pending:
        if (box.getparent(), box.tag, box.get("class") or "") in kinds:
            for after, items, _ in short:
                _wrap(box, after, items)
            wrapped += len(short)
    return wrapped


# a paragraph is "one link" to precision mode when the link holds this share of its text
_LINKED_SHARE = 0.8


def _leaves(href: str, page_url: str, home: str, hosts: dict[str, bool]) -> bool:
    """Whether ``href`` leaves the site of ``home`` (the page's domain): an e-mail address, or
    a web page of another domain. ``hosts`` remembers the verdict for each host."""
    href = href.strip()
    low = href.lower()
    if low.startswith("mailto:"):
        return "@" in href
    if not home:
        return False
    if low.startswith(("http://", "https://", "//")):  # the common case, without parsing
        host = low.split("/", 3)[2].rpartition("@")[2].partition(":")[0]
        if "[" not in host:  # an IPv6 literal goes the long way
            verdict = hosts.get(host)
            if verdict is None:
                verdict = hosts[host] = bool(host) and host_domain(host) != home
            return verdict
    elif ":" not in low.partition("/")[0].partition("?")[0]:
        return False  # a relative path, query or fragment: the page's own site
    try:
        target = site_domain(urljoin(page_url, href))
    except ValueError:  # a malformed address ("http://[x"): no site of its own
        return False
    return bool(target) and target != home


def unlink_outbound(outbound: list[tuple[HtmlElement, str]], page_url: str) -> int:
    """Remove the link, keeping its text, from a ``<p>`` whose text is one link to an e-mail
    address or to another site: a contact address, the story's source, an event's page, a
    cited URL.

    Precision mode deletes every paragraph that is mostly one link (over 10 characters), as it
    deletes a "Read also: <headline>" line. Such cross-links point to the site's own pages:
    they stay links here, for precision mode to drop. ``outbound``: the page's links with a
    host or scheme of their own and their hrefs (the page sweep's). Returns the number unlinked."""
    home = site_domain(page_url) if page_url else ""
    found, hosts = [], {}
    for anchor, href in outbound:
        if not _leaves(href, page_url, home, hosts):
            continue
        p = _paragraph_of(anchor)
        if p is None:
            continue
        if [a for a in p.iter("a") if not _blank(a.text_content())] != [anchor]:
            continue
        label = " ".join(anchor.text_content().split())
        if len(label) >= _LINKED_SHARE * len(" ".join(p.text_content().split())):
            found.append(anchor)
    for anchor in found:
        anchor.drop_tag()
    return len(found)


_MIN_LINK_LIST = 2  # items: one link alone is a "Read also" line, which the line filter knows
# a link to a file (a report, a data table), not to another story: such a list is content
_DOCUMENT = re.compile(
    r"\.(?:pdf|docx?|xlsx?|csv|pptx?|odt|ods|zip|json|xml|txt|epub)(?:[?#]|$)", re.IGNORECASE
)
# items only, each holding exactly one link: evaluated in C before any text is read
_ONE_LINK_PER_ITEM = XPath("count(*) = count(li) and not(li[count(.//a) != 1])")


def drop_internal_link_lists(lists: list[HtmlElement], page_url: str) -> int:
    """Remove a list whose every item is one link to the site's own pages: "More stories",
    "Related", "Read next" under or inside a story. Precision mode keeps a list of links inside
    the story's container, and a reader sees headlines of other stories, not text of this
    one. Lists of links to other sites (sources, products), to files (a report, a data table),
    within the page (a table of contents) and of sentences with a link stay. ``lists`` are the page
    sweep's. Returns the number removed."""
    home = site_domain(page_url) if page_url else ""
    if not home:
        return 0
    found, hosts = [], {}
    for el in lists:
        if len(el) < _MIN_LINK_LIST or not _ONE_LINK_PER_ITEM(el):
            continue
        anchors = el.findall(".//a")
        hrefs = [(a.get("href") or "").strip() for a in anchors]
        if any(
            not h or h.startswith("#") or _DOCUMENT.search(h) or _leaves(h, page_url, home, hosts)
            for h in hrefs
        ):
            continue
        linked = sum(len(" ".join(a.text_content().split())) for a in anchors)
        if linked >= _LINKED_SHARE * len(" ".join(el.text_content().split())) > 0:
            found.append(el)
    for el in found:
        el.drop_tree()
    return len(found)


def repair_for_precision(
    tree: HtmlElement,
    info: PageInfo,
    page_url: str = "",
) -> None:
    """Every repair above, on ``tree``; ``info`` is the page sweep's (its bordered, marked and
    outbound elements and lists), ``page_url`` the page's address (which links go elsewhere)."""
    drop_invisible_borders(info.bordered)
    spans, quotes = [], []  # the marked elements the next three repairs read, in one pass
    for item in info.marked:
        tag = item[0].tag
        if tag == "span":
            spans.append(item)
        elif tag == "blockquote":
            quotes.append(item)
    unmark_inline_spans(spans)
    drop_hover_cards(spans)
    lift_embedded_posts(quotes)
    unwrap_empty_inline(tree)
    drop_heading_anchors(tree)
    wrap_bare_text(tree)
    collapse_paragraph_wrappers(tree)
    unlink_outbound(info.outbound, page_url)
    unwrap_targets(info.targets)
    drop_internal_link_lists(info.lists, page_url)
