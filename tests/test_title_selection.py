"""Which declared title is the headline: the one the page shows (pipelines/extraction/title.py).

Pages declare several titles (og:title, the JSON-LD headline, twitter:title, <title>); the visible
heading decides between them. The pages below are hand-written, each showing one rule."""

from __future__ import annotations

import json

import lxml.html
import pytest

from pipelines.extract import extract_page
from pipelines.extraction.page import collect_page_info
from pipelines.extraction.title import (
    _headline_part,
    _in_breadcrumb,
    _section_names,
    strip_site_name,
)

_PROSE = "The regulator said the new rules would take effect next year after a consultation. "
_URL = "https://news.example/2024/05/02/story/"


def _page(*, og: str = "", ld: str = "", title: str = "", body: str = "", head: str = "") -> str:
    head += f'<meta property="og:title" content="{og}">' if og else ""
    if ld:
        data = {"@type": "NewsArticle", "headline": ld}
        head += f'<script type="application/ld+json">{json.dumps(data)}</script>'
    if title:
        head += f"<title>{title}</title>"
    return f"<html><head>{head}</head><body>{body}<p>{_PROSE * 5}</p></body></html>"


def _title(html: str) -> str:
    return extract_page(html, _URL).title


def test_declared_title_matching_the_visible_h1_wins_over_og() -> None:
    html = _page(
        og="Ministers say the plan could stall talks",
        ld="What comes next for the budget after the vote?",
        title="What comes next for the budget after the vote? | Example News",
        body="<h1>What comes next for the budget after the vote?</h1>",
    )
    assert _title(html) == "What comes next for the budget after the vote?"


def test_og_first_when_it_is_the_visible_headline() -> None:
    html = _page(
        og="One hundred years at the stadium",
        ld="100 years at the city stadium: more than a venue",
        body="<h1>One hundred years at the stadium</h1>",
    )
    assert _title(html) == "One hundred years at the stadium"


def test_og_first_when_no_visible_heading_confirms_a_title() -> None:
    html = _page(og="Nuclear power: Cooling towers demolished", ld="Cooling towers come down")
    assert _title(html) == "Nuclear power: Cooling towers demolished"


def test_breadcrumb_h1_is_not_the_visible_headline() -> None:
    # the SEO title sits in an <h1> of the breadcrumb trail; the printed headline is an <h2>
    # made of a kicker and a headline element, and og:title is that headline
    body = (
        '<nav class="breadcrumb"><ol><li><a href="/">Home</a></li>'
        "<li><h1>Trade dispute: Exports fall for the third month</h1></li></ol></nav>"
        '<h2><span class="article__kicker">Trade dispute</span>'
        '<span class="article__headline">Exporters brace for a long winter</span></h2>'
    )
    html = _page(
        og="Exporters brace for a long winter",
        ld="Trade dispute: Exports fall for the third month",
        title="Trade dispute: Exports fall for the third month",
        body=body,
    )
    assert _title(html) == "Exporters brace for a long winter"


def test_hgroup_h2_is_the_printed_headline_behind_a_breadcrumb_h1() -> None:
    # the SEO title (og:title, <title>) is the breadcrumb trail's <h1>; the page prints the
    # JSON-LD headline as an <h2> grouped with its kicker in an <hgroup>
    body = (
        "<nav><ul><li><a href='/'>Home</a></li>"
        "<li><h1>Archaeology sensation: Ancient cities found in the jungle</h1></li></ul></nav>"
        "<hgroup><div><span>Archaeology sensation</span></div>"
        "<h2>Unknown cities shed new light on an early civilisation</h2></hgroup>"
    )
    html = _page(
        og="Archaeology sensation: Ancient cities found in the jungle",
        ld="Unknown cities shed new light on an early civilisation",
        title="Archaeology sensation: Ancient cities found in the jungle",
        body=body,
    )
    assert _title(html) == "Unknown cities shed new light on an early civilisation"


def test_h2_outside_an_hgroup_is_no_printed_headline() -> None:
    body = (
        "<nav><ul><li><h1>Archaeology sensation: Ancient cities found in the jungle</h1></li>"
        "</ul></nav><h2>Unknown cities shed new light on an early civilisation</h2>"
    )
    html = _page(
        og="Archaeology sensation: Ancient cities found in the jungle",
        ld="Unknown cities shed new light on an early civilisation",
        body=body,
    )
    assert _title(html) == "Archaeology sensation: Ancient cities found in the jungle"


def test_kicker_heading_confirms_the_json_ld_headline() -> None:
    body = (
        '<h2><span data-article-kicker="Rail strike">Rail strike </span>'
        "<div>Commuters face a week of cancellations</div></h2>"
    )
    html = _page(
        og="Strike: what travellers need to know",
        ld="Commuters face a week of cancellations",
        body=body,
    )
    assert _title(html) == "Commuters face a week of cancellations"


def test_visible_h1_when_declared_titles_are_different_headlines() -> None:
    html = _page(
        og="When trams give up and concrete bursts: the fight against the next heatwave",
        ld="Traffic chaos from heat: old trams and brittle concrete as big risks",
        body="<h1>How trams and motorways are prepared for future heatwaves</h1>",
    )
    assert _title(html) == "How trams and motorways are prepared for future heatwaves"


def test_no_fallback_to_the_h1_for_variants_of_one_headline() -> None:
    # og:title and <title> differ only by a section affix: they are one headline, and the
    # <h1> (a section name) is not taken
    html = _page(
        og="Student raises money to treat an abandoned dog",
        title="Student raises money to treat an abandoned dog | Rondonia | G1",
        body="<h1>Rondonia</h1>",
    )
    assert _title(html) == "Student raises money to treat an abandoned dog"


def test_no_fallback_to_an_unrelated_h1() -> None:
    html = _page(
        og="Central bank holds rates as inflation cools",
        ld="Rates unchanged: what it means for mortgages",
        body="<h1>Most read this week</h1>",
    )
    assert _title(html) == "Central bank holds rates as inflation cools"


def test_truncated_title_gives_way_to_the_full_one() -> None:
    html = _page(
        og="Who is the striker's partner and how many children do the couple…",
        title="Who is the striker's partner and how many children do the couple have?",
    )
    assert _title(html) == "Who is the striker's partner and how many children do the couple have?"


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        ('<h2><span class="kicker">Meinung</span><span class="headline">Warum es so ist</span></h2>',
         "Warum es so ist"),
        ('<h1><span class="dachzeile">Schlachtbetriebe</span> <span>Das harte Geschäft</span></h1>',
         "Das harte Geschäft"),
        ('<h1><span class="kicker">Akkutechnik:</span> <span class="title">Hat es gereicht?</span></h1>',
         "Hat es gereicht?"),
        ('<h2><span class="red">"Es wird bald"</span><span class="x-headline">Trump spricht</span></h2>',
         "Trump spricht"),
        ('<h2><a href="/a"><span class="topline">Bahn</span><span>Streik beendet</span></a></h2>',
         "Streik beendet"),
        ("<h2>Plain heading without parts</h2>", ""),
        ('<h2><span class="headline">Only a headline</span></h2>', ""),
    ],
)  # fmt: skip
def test_headline_part_of_a_kicker_heading(heading: str, expected: str) -> None:
    el = lxml.html.fragment_fromstring(heading)
    assert _headline_part(el) == expected


def test_breadcrumb_detection() -> None:
    tree = lxml.html.fromstring(
        "<html><body><nav><ul><li><h1>SEO title</h1></li></ul></nav>"
        '<div class="page-breadcrumbs"><h1>Crumb</h1></div>'
        '<div class="article__header__crumb"><h1>Crumb of a header</h1></div>'
        '<header class="article-header"><h1>Headline</h1></header></body></html>'
    )
    info = collect_page_info(tree)
    assert [_in_breadcrumb(h) for h in info.h1s] == [True, True, True, False]


# ---------------------------------------------------------------- affixes (1.2.2)


def test_h1_in_a_crumb_element_is_not_the_visible_headline() -> None:
    # a header's "crumb" line holds the SEO title in an <h1>; og:title is the printed <h2>
    body = (
        '<div class="article__header__crumb"><h1>Club coach Miller: „Nothing left to lose“</h1>'
        "</div><h2>Coach Miller: „Nothing left to lose“</h2>"
    )
    html = _page(
        og="Coach Miller: „Nothing left to lose“",
        ld="Club coach Miller: „Nothing left to lose“",
        title="Club coach Miller: „Nothing left to lose“ - Example",
        body=body,
    )
    assert _title(html) == "Coach Miller: „Nothing left to lose“"


def test_site_name_declared_as_the_whole_title_names_the_site_by_its_last_part() -> None:
    # og:site_name repeats the page title (a template fault): taken whole it would erase every
    # declared title and leave the blog's masthead <h1>
    declared = "Three peaks in one day - Walking Notes"
    html = _page(
        og=declared,
        title=declared,
        head=f'<meta property="og:site_name" content="{declared}">',
        body="<h1>Walking Notes</h1>",
    )
    assert _title(html) == "Three peaks in one day"


def test_leading_site_name_cut_when_the_rest_is_the_printed_h1() -> None:
    # a site name in another script than the domain: the <h1> shows where the headline starts
    headline = "Fifty trillion flow into the stock market in three months"
    html = _page(
        og=f"Aria Press Agency - {headline}",
        title=f"Aria Press Agency - {headline}",
        body=f"<h1>{headline}</h1>",
    )
    assert _title(html) == headline


def test_leading_kicker_with_a_colon_is_kept() -> None:
    html = _page(
        og="Budget talks: Ministers agree on spending cuts",
        body="<h1>Ministers agree on spending cuts</h1><h1>Most read</h1>",
    )
    assert _title(html) == "Budget talks: Ministers agree on spending cuts"


def test_a_folder_of_the_url_is_a_trailing_section_affix() -> None:
    # the page files the story under /magazine/chroniques/; no tag declares the section, and
    # the <h1> carries a subscribers' badge, so no heading equals a declared title
    html = _page(
        og="The minister wishes the mayor good health | Chroniques",
        body="<h1>The minister wishes the mayor good health <span>Subscribers</span></h1>",
    )
    url = "https://news.example/magazine/chroniques/the-minister-wishes-the-mayor-good-health"
    assert extract_page(html, url).title == "The minister wishes the mayor good health"
    # at the start, the folder's word may be the headline's own ("Letters - 26 October")
    letters = _page(og="Letters - 26 October 2010 - Blog", body="<h1>Blog</h1>")
    found = extract_page(letters, "https://blog.example/blog/letters/2010-10-26-18").title
    assert found.startswith("Letters - 26 October 2010")


def _breadcrumb(*names: str) -> str:
    items = [{"@type": "ListItem", "position": i, "item": {"name": n, "@id": f"/{i}"}}
             for i, n in enumerate(names, 1)]  # fmt: skip
    data = {"@type": "BreadcrumbList", "itemListElement": items}
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


@pytest.mark.parametrize(
    ("head", "title", "expected"),
    [
        ('<meta property="article:section" content="Sports"><meta property="og:site_name" content="Daily Times">',
         "Athletics championships set for July - Sports | Daily Times", "Athletics championships set for July"),
        (_breadcrumb("Money Daily", "Cross-strait"),
         "Chip makers hit by export rules | Cross-strait | Money Daily", "Chip makers hit by export rules"),
        # a breadcrumb trail ending with the headline: the longest part is never a section name
        (_breadcrumb("Home", "Politics", "Ministers agree on spending cuts"),
         "Politics | Ministers agree on spending cuts", "Ministers agree on spending cuts"),
        # a spaced colon joins a kicker, even one named like the section
        ('<meta property="article:section" content="Sports">',
         "Sports : The season starts in July", "Sports : The season starts in July"),
        ('<meta property="article:section" content="Sports">',
         "Sports stars back the new stadium", "Sports stars back the new stadium"),
    ],
)  # fmt: skip
def test_section_name_affixes(head: str, title: str, expected: str) -> None:
    assert _title(_page(title=title, head=head)) == expected


def test_strip_site_name_with_sections() -> None:
    sections = frozenset({"world", "news"})
    assert strip_site_name("Storm hits the coast | World | News | Site", ["site"], sections) == (
        "Storm hits the coast"
    )
    assert strip_site_name("World | Storm hits the coast", [], sections) == "Storm hits the coast"
    assert strip_site_name("World - News", [], sections) == "World"


def test_leading_part_printed_as_a_heading_is_the_headline() -> None:
    # the <h1> is a teaser of another story; the headline is printed in an <h2>, and the
    # declared title adds a sub-section name that is declared nowhere else
    html = _page(
        og="Chip makers hit by export rules | Cross-strait focus | Money Daily",
        head='<meta property="og:site_name" content="Money Daily">',
        body="<h1>Weekly: markets wait for the rate decision</h1>"
        "<h2>Chip makers hit by export rules</h2>",
    )
    assert _title(html) == "Chip makers hit by export rules"


def test_invisible_characters_removed() -> None:
    html = _page(og="Parliament\u200b votes on the Bundes\u00adtag reform\ufeff")
    assert _title(html) == "Parliament votes on the Bundestag reform"


def test_section_names_leave_out_the_page_itself() -> None:
    trail = [
        {
            "@type": "ListItem",
            "position": 1,
            "item": {"@id": "https://news.example/", "name": "Home"},
        },
        {
            "@type": "ListItem",
            "position": 2,
            "item": "https://news.example/money/",
            "name": "Money",
        },
        {"@type": "ListItem", "position": 3, "item": {"@id": _URL, "name": "Loft closes"}},
        {"@type": "ListItem", "position": 3, "item": {"@id": "/2024/05/02/story", "name": "Again"}},
        {"@type": "ListItem", "position": 4, "name": "Unlinked"},
    ]
    data = {"@type": "BreadcrumbList", "itemListElement": trail}
    head = (
        '<meta property="article:section" content="Retail">'
        f'<script type="application/ld+json">{json.dumps(data)}</script>'
    )
    info = collect_page_info(lxml.html.fromstring(_page(title="Loft closes", head=head)))
    assert _section_names(info, _URL + "?utm_source=rss") == {"retail", "home", "money"}


def test_declared_variant_closest_to_an_edited_h1() -> None:
    # og:title and the JSON-LD headline are two wordings of one story; the page prints a third,
    # edited from the JSON-LD one, so that one is the headline rather than og:title
    html = _page(
        og="Teenager becomes sixth to die in suspected methanol poisoning",
        ld="Methanol poisonings: teenager Ann Lee becomes sixth to die as police detain hostel bosses",
        body="<h1>Teenager becomes sixth to die in ‘methanol poisoning’ as police detain hostel bosses</h1>",
    )
    assert _title(html).startswith("Methanol poisonings: teenager Ann Lee")


def test_h1_too_short_to_pick_a_variant() -> None:
    # an <h1> naming the section says nothing about which wording is the headline
    html = _page(
        og="Student raises money to treat an abandoned dog",
        title="Student raises money to treat an abandoned dog | Rondonia",
        body="<h1>Rondonia news</h1>",
    )
    assert _title(html) == "Student raises money to treat an abandoned dog"
