"""Tests of pipelines.extract: pure helpers, golden pages, and never-raise properties.

Regenerate the golden files after an intended change with:
    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_extract.py -k golden
"""

from __future__ import annotations

import json
import os
import re
import time
import unicodedata
import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.extract import EXTRACTOR_VERSION, extract_page, extracted_to_dict
from pipelines.extraction.authors import clean_author
from pipelines.extraction.body import clean_body, is_boilerplate_line
from pipelines.extraction.dates import date_from_url, normalize_date
from pipelines.extraction.language import guess_language, normalize_code
from pipelines.extraction.page import PageInfo
from pipelines.extraction.source import _ORIGINAL_SOURCE, _PHRASE_GATE, find_original_source
from pipelines.extraction.text import clean_space, nfc
from pipelines.extraction.title import strip_site_name
from pipelines.models import PageKind

FIXTURES = Path(__file__).parent / "fixtures" / "extraction"
_URL_COMMENT = re.compile(r"<!--\s*url:\s*(\S+)\s*-->")


# ---------------------------------------------------------------- title


@pytest.mark.parametrize(
    ("raw", "names", "expected"),
    [
        ("Chips rally on AI demand | Ledgerline", ["Ledgerline"], "Chips rally on AI demand"),
        ("Chips rally on AI demand - TechWire", ["techwire"], "Chips rally on AI demand"),
        ("Ledgerline :: Chips rally", ["Ledgerline"], "Chips rally"),
        ("Chips rally | Markets | Ledger Line", ["ledgerline"], "Chips rally | Markets"),
        ("Why X - and why not Y", ["example"], "Why X - and why not Y"),
        ("No separator here", ["Ledgerline"], "No separator here"),
    ],
)
def test_strip_site_name(raw: str, names: list[str], expected: str) -> None:
    assert strip_site_name(raw, names) == expected


# ---------------------------------------------------------------- authors


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("By Jane Doe", ["Jane Doe"]),
        ("By Jane Doe and John Roe", ["Jane Doe", "John Roe"]),
        ("Jane Doe, Senior Reporter", ["Jane Doe"]),
        ("Jane Doe, John Roe & Ana Lima", ["Jane Doe", "John Roe", "Ana Lima"]),
        ("Von Jana Becker und Tim Ott", ["Jana Becker", "Tim Ott"]),
        ("Jane Doe (AP)", ["Jane Doe", "AP"]),
        ("jane@example.com", []),
        ("Staff", []),
        ("Nachrichten", []),  # "News": a CMS account's display name, not a person
        ("News Desk", []),
        ("Updated March 3, 2024", []),
        ("https://twitter.com/janedoe", []),
        ("Reuters", ["Reuters"]),
        ("Авторы: Дмитрий Попов", ["Дмитрий Попов"]),
        ("Текст: Венера Ерофеева", ["Венера Ерофеева"]),
        ("Фото: Алексей Меринов", []),  # picture credits name a photographer
        ("Photo by Jane Doe", []),
        ("Foto: Jana Becker/dpa", []),
        ("Jos&#xE9; Volta e Pinto", ["José Volta e Pinto"]),  # double-escaped; double surname
        ("Ana Silva e João Costa", ["Ana Silva", "João Costa"]),
        ("Juan Pérez y Ana Ruiz", ["Juan Pérez", "Ana Ruiz"]),
        ("By", []),
        ("Jane Doe 27", ["Jane Doe"]),  # a comment count after the name
        ("回答者：", []),
        ("تحریر: احمد علی", ["احمد علی"]),  # a one-word label before a colon
        ("Reportage: Jane Doe", ["Jane Doe"]),
        ("P. Mucović prije 26 minuta", []),  # "26 minutes ago" glued to the name: no name
        ("Jane Doe 3 hours ago", []),
    ],
)
def test_clean_author(raw: str, expected: list[str]) -> None:
    assert clean_author(raw) == expected


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-03-05T08:30:00+01:00", "2024-03-05T08:30:00+01:00"),
        ("2024-03-05T08:30:00Z", "2024-03-05T08:30:00+00:00"),
        ("2024-03-05T08:30:00.123-0500", "2024-03-05T08:30:00-05:00"),
        ("2024-03-05 08:30", "2024-03-05T08:30:00"),
        ("2024-03-05", "2024-03-05"),
        ("20240305", "2024-03-05"),
        ("20240305T083000+0900", "2024-03-05T08:30:00+09:00"),  # ISO 8601 basic format
        ("20240305T0830Z", "2024-03-05T08:30:00+00:00"),
        ("202403050830", "2024-03-05T08:30:00"),
        ("2024/03/05 08:30", "2024-03-05T08:30:00"),
        ("2024.03.05 08:30:15 +09:00", "2024-03-05T08:30:15+09:00"),
        ("5 مارچ 2024", "2024-03-05"),  # Urdu
        ("٥ مارس ٢٠٢٤", "2024-03-05"),  # Arabic, Arabic-Indic digits
        ("5 آذار 2024", "2024-03-05"),  # Levantine Arabic
        ("5 मार्च 2024", "2024-03-05"),  # Hindi
        ("۵ تير ۱۴۰۳", ""),  # Solar Hijri: not read
        ("Tue, 05 Mar 2024 08:30:00 GMT", "2024-03-05T08:30:00+00:00"),
        ("March 5, 2024", "2024-03-05"),
        ("Published March 5, 2024 at 10:15", "2024-03-05T10:15:00"),
        ("1709627400", "2024-03-05T08:30:00+00:00"),
        # a 12-hour clock (email.utils read "PM" as nothing) and the zone names pages print
        ("November 19, 2019, 07:47 PM EST", "2019-11-19T19:47:00-05:00"),
        ("Fri Apr 28 19:20:36 CEST 2023", "2023-04-28T19:20:36+02:00"),
        ("04:25:06 PM IST Apr 08, 2020", "2020-04-08T16:25:06+05:30"),
        ("July 5, 2024 10:00 AM ET", "2024-07-05T10:00:00-04:00"),  # EDT by the date
        ("January 5, 2024 10:00 PM ET", "2024-01-05T22:00:00-05:00"),
        ("March 5, 2024 10:00 GMT+5:30", "2024-03-05T10:00:00+05:30"),  # not POSIX's west
        ("5 March 2024 10:00 UTC-3", "2024-03-05T10:00:00-03:00"),
        ("Tue, 5 Mar 2024 10:00 CEST", "2024-03-05T10:00:00+02:00"),
        ("March 5, 2024 10:00 AM CST", "2024-03-05T10:00:00"),  # US Central or China: unread
        ("March 5, 2024 10:00 AM BY", "2024-03-05T10:00:00"),
        ("2024-02-30", ""),
        ("1850-01-01", ""),
        ("not a date", ""),
        ("", ""),
    ],
)
def test_normalize_date(raw: str, expected: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # dateutil warns of zone names it cannot read
        assert normalize_date(raw) == expected


def test_zone_names_do_not_depend_on_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    # dateutil's default reads a zone name equal to the machine's own as local time
    monkeypatch.setattr(time, "tzname", ("CST", "CDT"))
    assert normalize_date("March 5, 2024 10:00 AM CST") == "2024-03-05T10:00:00"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://x.example/2023/08/21/slug/", "2023-08-21"),
        ("https://x.example/news/2023-08-21-slug", "2023-08-21"),
        ("https://x.example/a/20230821/slug", "2023-08-21"),
        ("https://x.example/news/slug-12345", ""),
    ],
)
def test_date_from_url(url: str, expected: str) -> None:
    assert date_from_url(url) == expected


# ---------------------------------------------------------------- original source, body lines


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Article originally published in The Forbes", "The Forbes"),
        ("This article first appeared on Grist. Read more.", "Grist"),
        ("This story was originally published by ProPublica on May 2, 2024.", "ProPublica"),
        ("Source: Reuters", "Reuters"),
        ("Republished with permission from The Conversation.", "The Conversation"),
        ("The CEO first appeared nervous.", ""),
    ],
)
def test_original_source(line: str, expected: str) -> None:
    assert find_original_source(["Intro paragraph.", line], PageInfo()) == expected


@pytest.mark.parametrize(
    "line",
    [
        "Share on Facebook",
        "Also See: Pakistan's exports hit a record",
        "Related Articles",
        "Sign up for our newsletter to get the news in your inbox.",
        "What are your views on this? Share with us in the comments bar below.",
        "Featured Content⭐",
        "© 2024 Example Media. All rights reserved.",
        "Advertisement",
        "Loading weather data ...",
        "Loading…",
        "CLICK FOR FULL STATE SWIM RESULTS",
        "Click to enlarge",
        "(Reporting by Jane Roe; Editing by John Doe)",
        "Reporting by Jane Roe in Karachi; additional reporting by Ann Lee; Editing by Tom Brown",
        "Keith Bradsher contributed reporting from Hong Kong.",
        "Follow The New York Times Opinion section on Facebook, Twitter and Instagram.",
        "You may also like...",
        "Tempo de leitura: 2 minutos",
        "Reading time: 3 minutes",
        "5 min read",
        "Filed under: Economy |",
        "[Related: Exporters ask for a lower tax on software services]",
        "(Read more: Rupee falls to a record low)",
    ],
)
def test_boilerplate_lines(line: str) -> None:
    assert is_boilerplate_line(line)


@pytest.mark.parametrize(
    "line",
    [
        "Shares of chipmakers rose after the announcement.",
        "The company said it would share more details next quarter.",
        "Related companies in the sector saw their shares fall sharply on Monday.",
        "Loading the ships took three days...",
        "Clicks for ads fell by a third, the company said.",
        "Reporting by the Financial Times suggests exports rose by $4 billion in FY18-19.",
        "The ministry contributed reporting requirements to the new trade rules last year.",
        "Follow the money, investigators on the export case said on Monday.",
        "Reading time for the report was cut to 10 minutes, officials said.",
        "The case was filed under the new export law in 2019.",
        "(Related companies were not named in the filing.)",
    ],
)
def test_content_lines_kept(line: str) -> None:
    assert not is_boilerplate_line(line)


def test_clean_body_paragraphs_and_headline() -> None:
    text = "My Headline\nFirst paragraph.\nShare this article\nSecond paragraph.\nSecond paragraph."
    body = clean_body(text, title="My Headline")
    assert body == "First paragraph.\n\nSecond paragraph.\n\nSecond paragraph."


# ---------------------------------------------------------------- language


def test_language_helpers() -> None:
    assert normalize_code("en-GB") == "en"
    assert normalize_code("deu") == "de"
    assert normalize_code("x") == ""
    german = (
        "Die Betriebe wollen nicht mit den hohen Preisen leben und setzen auf eine eigene Anlage"
    )
    assert guess_language(german) == "de"
    assert guess_language("これは日本語の文章です。" * 5) == "ja"
    assert guess_language("") == ""


# ---------------------------------------------------------------- whole pages


def test_unparseable_inputs_are_empty() -> None:
    for html in (b"", b"   ", "", b"\x00\x00", b"\xff\xfe\x00"):
        result = extract_page(html, "https://x.example/")
        assert result.kind == PageKind.EMPTY
        assert result.kind_reason


def test_encoding_argument_is_used() -> None:
    html = "<html><body><h1>Café prices</h1><p>Crème brûlée</p></body></html>".encode("cp1252")
    result = extract_page(html, "https://x.example/", encoding="cp1252")
    assert result.title == "Café prices"


def test_feed_hint_is_a_fallback_date() -> None:
    html = "<html><body><h1>T</h1><p>" + "word " * 60 + "</p></body></html>"
    result = extract_page(html, "https://x.example/a", hints={"feed_published": "2024-01-02"})
    assert (result.published_at, result.published_method) == ("2024-01-02", "feed")


def test_dict_has_version_and_path_independent_keys() -> None:
    assert EXTRACTOR_VERSION
    data = extracted_to_dict(extract_page(b"<p>x</p>", "https://x.example/"), "https://x.example/")
    for key in ("url", "title", "authors", "published_at", "body", "language", "canonical_url",
                "site_name", "description", "kind", "comments", "is_paywalled"):  # fmt: skip
        assert key in data
    json.dumps(data)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=3000))
def test_never_raises_on_bytes(data: bytes) -> None:
    result = extract_page(data, "https://x.example/")
    assert len(result.body) <= len(data) + 10
    assert len(result.title) <= 500


_TAGS = st.sampled_from(
    ["<p>", "</p>", "<div class='byline'>", "</div>", "<h1>", "</h1>", "<time datetime='2024-01-01'>",
     "<script type='application/ld+json'>", "</script>", "{", '"author":', "<meta name=author content='",
     "'>", "<!--", "-->", "<title>", "</title>", "By ", " and ", "\x00", "é", "<?xml version='1.0'?>"]
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(_TAGS, st.text(max_size=20)), max_size=60))
def test_never_raises_on_html_soup(parts: list[str]) -> None:
    html = "".join(parts)
    result = extract_page(html, "https://x.example/2024/01/02/a")
    assert len(result.authors) <= 20
    assert len(result.body) <= len(html) + 10
    json.dumps(extracted_to_dict(result))


# ---------------------------------------------------------------- golden files


def _fixtures() -> list[Path]:
    return sorted(FIXTURES.glob("*.html"))


@pytest.mark.parametrize("path", _fixtures(), ids=lambda p: p.stem)
def test_golden(path: Path) -> None:
    html = path.read_bytes()
    match = _URL_COMMENT.search(html[:300].decode("utf-8", "replace"))
    assert match, f"{path.name} must start with <!-- url: ... -->"
    url = match.group(1)
    actual = extracted_to_dict(extract_page(html, url), url)
    expected_path = path.with_suffix(".expected.json")
    if os.environ.get("UPDATE_GOLDEN") == "1" or not expected_path.exists():
        text = json.dumps(actual, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        expected_path.write_text(text, encoding="utf-8")
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    assert actual == expected


def test_text_fields_come_out_in_nfc() -> None:
    # "geprüft" written as u + combining diaeresis (pasted from macOS): stored and searched
    # as the single code point readers type
    decomposed = "Kindersitze gepru\u0308ft"
    html = (
        f"<html><head><title>{decomposed}</title><meta name='author' content='Jo\u0308rg Mu\u0308ller'>"
        f"</head><body><article><h1>{decomposed}</h1>"
        + f"<p>{decomposed}: Besonders bei Babyschalen sollte gepru\u0308ft werden, ob der Gurt reicht.</p>"
        * 6
        + "</article></body></html>"
    )
    result = extract_page(html, "https://x.example/2024/01/02/kindersitze")
    assert result.title == "Kindersitze geprüft"
    assert result.authors == ["Jörg Müller"]
    assert "sollte geprüft werden" in result.body
    assert "\u0308" not in result.body


@given(st.text(max_size=40))
def test_nfc_is_unicode_nfc(text: str) -> None:
    assert nfc(text) == unicodedata.normalize("NFC", text)


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=80))
def test_clean_space_collapses_exactly_what_backslash_s_matches(text: str) -> None:
    assert clean_space(text) == re.sub(r"\s+", " ", text).strip()


_SOURCE_WORDS = st.sampled_from(
    ["Originally", "first", "FIRST", "published", "appeared", "ran", "in", "on", "by", "the",
     "Dawn", "Reuters", "reprinted", "adapted", "from", "with", "permission", "Source:", ".",
     ",", "\n", "\u00a0", "  ", "was", "been", "initially", "2024"]
)  # fmt: skip


@given(st.lists(_SOURCE_WORDS, max_size=12).map(" ".join))
def test_original_source_gate_passes_every_line_a_phrase_pattern_matches(line: str) -> None:
    # the cheap gate in front of the two phrase patterns never hides a match from them
    if any(pattern.search(line) for pattern in _ORIGINAL_SOURCE[:2]):
        assert _PHRASE_GATE.search(line.lower())


@pytest.mark.parametrize("path", _fixtures(), ids=lambda p: p.stem)
def test_precision_run_in_place_equals_trafilaturas_own_sequence(path: Path) -> None:
    # the copy-free precision steps give what trafilatura's sequence gives on copies
    from trafilatura.xml import xmltotxt

    from pipelines.extraction.body import _PRECISION, _precision_in_place, _sequence
    from pipelines.extraction.parse import parse_html

    html = path.read_bytes()
    ours, ours_text = _precision_in_place(parse_html(html), _PRECISION)
    theirs, theirs_text, _, _ = _sequence(parse_html(html), _PRECISION, None)
    assert ours_text == theirs_text
    assert xmltotxt(ours, _PRECISION.formatting) == xmltotxt(theirs, _PRECISION.formatting)
    assert ours_text  # every fixture is an article: the comparison is of real text
