"""A local clock time published with a wrong "Z" next to the true UTC instant
(pipelines/extraction/dates.py, ``_true_utc``)."""

from __future__ import annotations

import pytest

from pipelines.extract import extract_page
from pipelines.extraction.dates import _country, _zones_by_country

_PROSE = "The regulator said the new rules would take effect next year after a consultation. "


def _page(ld_published: str, meta_published: str) -> str:
    head = (
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Veteran",'
        f' "datePublished": "{ld_published}"}}</script>'
        f'<meta property="article:published_time" content="{meta_published}">'
    )
    return (
        f"<html><head>{head}</head><body><h1>Veteran beats the virus</h1>"
        f"<p>{_PROSE * 4}</p></body></html>"
    )


needs_tz_table = pytest.mark.skipif(not _zones_by_country(), reason="no zone1970.tab")


@needs_tz_table
def test_local_clock_ahead_of_utc_gives_way_to_the_instant() -> None:
    # an Australian page: JSON-LD writes the Brisbane clock (UTC+10) with "Z", the meta tag
    # the real instant; the JSON-LD value runs ahead by exactly one of Australia's offsets
    html = _page("2020-04-25T07:25:06Z", "2020-04-24T21:25:06+00:00")
    result = extract_page(html, "https://www.news.example.com.au/national/veteran/")
    assert (result.published_at, result.published_method) == ("2020-04-24T21:25:06+00:00", "meta")


@needs_tz_table
def test_local_clock_behind_utc_gives_way_to_the_instant() -> None:
    # a Brazilian page (UTC-3): the mislabelled local clock is the earlier value
    html = _page("2024-03-07T09:10:00Z", "2024-03-07T12:10:00+00:00")
    result = extract_page(html, "https://noticias.example.com.br/a/veterano")
    assert result.published_at == "2024-03-07T12:10:00+00:00"


def test_without_a_country_the_json_ld_value_stays() -> None:
    html = _page("2020-04-25T07:25:06Z", "2020-04-24T21:25:06+00:00")
    result = extract_page(html, "https://www.news.example.com/national/veteran/")
    assert (result.published_at, result.published_method) == (
        "2020-04-25T07:25:06+00:00",
        "json-ld",
    )


@needs_tz_table
def test_a_gap_that_is_no_offset_of_the_country_changes_nothing() -> None:
    # 3 h is no offset in use in Australia: not a mislabelled clock, JSON-LD stays first
    html = _page("2020-04-25T07:25:06Z", "2020-04-25T04:25:06+00:00")
    result = extract_page(html, "https://www.news.example.com.au/national/veteran/")
    assert result.published_at == "2020-04-25T07:25:06+00:00"


@pytest.mark.parametrize(
    ("url", "country"),
    [
        ("https://www.couriermail.example.com.au/news/x", "au"),
        ("https://www.bbc.co.uk/news/x", "gb"),
        ("https://www.spiegel.de/a", "de"),
        ("https://techcrunch.com/2024/05/16/x", ""),
        ("https://news.example.io/x", ""),
        ("https://stream.example.tv/x", ""),
        ("https://127.0.0.1:8101/a", ""),
        ("not a url", ""),
    ],
)
def test_country_from_the_domain(url: str, country: str) -> None:
    assert _country(url) == country
