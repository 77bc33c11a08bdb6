"""bench/snippet_checks.py reads trafilatura-style snippet assertions without running them."""

from __future__ import annotations

from bench.snippet_checks import read_checks

_TESTS = """
MOCK_PAGES = {"https://a.example/1": "a.html", "https://b.example/2": "b.html"}

def test_extract(xmloutput):
    result = load_mock_page("https://a.example/1", xmloutput)
    assert "kept phrase" in result and "menu item" not in result
    if xmloutput is False:
        assert "plain only" in result
    else:
        assert "xml only" in result
    result = load_mock_page("https://b.example/2", xmloutput, formatting=True)
    assert "formatted" in result

def test_other():
    result = load_mock_page("https://b.example/2")
    assert "b text" in result
    assert result is not None
"""


def test_reads_plain_text_assertions_only() -> None:
    pages, checks = read_checks(_TESTS)
    assert pages == {"https://a.example/1": "a.html", "https://b.example/2": "b.html"}
    assert checks == {
        "https://a.example/1": [("kept phrase", True), ("menu item", False), ("plain only", True)],
        "https://b.example/2": [("b text", True)],
    }
