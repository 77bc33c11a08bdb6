"""bench/reference_texts.py: the word F1 and the scoring of a folder laid out as newspaper4k's."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bench.reference_texts import score, word_f1

_WORDS = st.lists(st.sampled_from(["exports", "rose", "4", "billion", "in", "FY18-19"]))


@given(_WORDS, _WORDS)
def test_word_f1_is_symmetric_bounded_and_one_on_equal_texts(a: list[str], b: list[str]) -> None:
    x, y = " ".join(a), " ".join(b)
    assert 0.0 <= word_f1(x, y) == word_f1(y, x) <= 1.0
    if a:
        assert word_f1(x, x.upper()) == 1.0


def test_word_f1_counts_repeated_words() -> None:
    assert word_f1("a a b", "a b") == 0.8  # precision 2/3, recall 1


def test_score_reads_pages_that_have_a_reference(tmp_path) -> None:
    (tmp_path / "html").mkdir()
    (tmp_path / "txt").mkdir()
    text = "Software exports rose to $4 billion in FY18-19, the central bank said on Monday. " * 6
    page = f"<html><body><article><h1>Exports</h1><p>{text}</p></article></body></html>"
    (tmp_path / "html" / "story.html").write_text(page)
    (tmp_path / "html" / "no_reference.html").write_text(page)
    (tmp_path / "txt" / "story.txt").write_text(text)
    scores = score(tmp_path)
    assert list(scores) == ["story"]
    ours, theirs = scores["story"]
    assert ours > 0.95 and theirs > 0.95
