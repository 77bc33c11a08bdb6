"""pipelines/extraction/plaintext.py: a page saved as plain text read as the page it stands for."""

from __future__ import annotations

import json

import lxml.html
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from archive.cli import cli
from pipelines.extraction.plaintext import as_page, is_plain_text, text_page

# A story as a naive scraper saves it: headline, standfirst bullets, paragraphs, a source line,
# a cross-link, a comment prompt, a reader's comment and a promo label.
_PROSE = (
    "Software exports rose to $4 billion in FY18-19, the central bank said on Monday. "
    "Officials credited freelancers and small firms that sell services to clients abroad. "
    "Payments still take weeks to clear, and exporters asked for faster settlement rules. "
    "The ministry expects the figure to grow further once new tax exemptions take effect. "
)
SAVED = f"""Software exporters court investors in Silicon Valley

  • Officials want more of the region's engineers to work for foreign clients.
  • A second summit is planned for next year.

{_PROSE}

{_PROSE.replace("Monday", "Wednesday")}

Trade figures

{_PROSE.replace("Monday", "Tuesday")}

{_PROSE.replace("Monday", "Friday")}

{_PROSE.replace("Monday", "Saturday")}

{_PROSE.replace("Monday", "Sunday")}

 Article originally published in The Daily Ledger

Also See: Software exports reach a record in FY18-19

What are your views on this? Share with us in the comments bar below.

  • Good to see the sector finally getting attention, but payments still take weeks to clear.

  • Featured Content
"""


def test_is_plain_text_tells_text_from_markup() -> None:
    assert is_plain_text(SAVED)
    assert not is_plain_text("<html><body><p>Exports rose.</p></body></html>")
    assert not is_plain_text("<!DOCTYPE html>\nExports rose.")
    assert not is_plain_text("   \n ")
    assert is_plain_text("Exports rose 4 < 5 and 7 > 6.")  # comparisons are no tags


def test_text_page_writes_headline_paragraphs_lists_and_comments() -> None:
    tree = lxml.html.document_fromstring(text_page(SAVED))
    assert tree.findtext(".//h1") == "Software exporters court investors in Silicon Valley"
    assert [li.text for li in tree.findall(".//article/ul/li")] == [
        "Officials want more of the region's engineers to work for foreign clients.",
        "A second summit is planned for next year.",
    ]
    comments = [div.text for div in tree.findall(".//section[@id='comments']//div")]
    # after the prompt, the reader's comment; the promo label is no comment
    assert comments == [
        "Good to see the sector finally getting attention, but payments still take weeks to clear."
    ]
    assert "What are your views" not in lxml.html.tostring(tree, encoding="unicode")


@given(st.lists(st.text(alphabet="abc XYZ.,'&<>", min_size=1, max_size=30), max_size=8))
def test_text_page_keeps_every_word_of_plain_lines(lines: list[str]) -> None:
    text = "\n".join(["Headline of the story", *lines])
    page = lxml.html.document_fromstring(text_page(text)).text_content()
    for line in lines:
        for word in line.split():
            assert word in page  # escaped in the markup, the same text in the page


def test_as_page_leaves_html_as_it_is() -> None:
    html = b"<html><body><h1>Exports</h1><p>Exports rose.</p></body></html>"
    assert as_page(html) is html
    assert isinstance(as_page(SAVED.encode("utf-8")), str)


def test_broadsheet_extract_reads_a_saved_text(tmp_path) -> None:
    saved = tmp_path / "story.txt"
    saved.write_text(SAVED, encoding="utf-8")
    result = CliRunner().invoke(cli, ["extract", str(saved)])
    assert result.exit_code == 0, result.output
    page = json.loads(result.output.splitlines()[0])
    assert page["kind"] == "article"
    assert page["title"] == "Software exporters court investors in Silicon Valley"
    assert page["original_source"] == "The Daily Ledger"
    assert page["comments"] == [
        "Good to see the sector finally getting attention, but payments still take weeks to clear."
    ]
    body = page["body"]
    assert "Software exports rose to $4 billion" in body and "Trade figures" in body
    for junk in ("Also See", "What are your views", "Featured Content", "payments still take"):
        assert junk not in body
