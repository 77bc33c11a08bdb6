import json
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.relevance import (
    DATA_DIR,
    Relevance,
    TermMatch,
    decide,
    load_lexicon,
    load_lexicons,
    score,
    word_count,
)
from pipelines.shingles import words

ARTICLE = Path(__file__).parent / "fixtures" / "facts" / "article-5k.txt"


@pytest.fixture(scope="module")
def lexicons():
    return load_lexicons()


def test_english_and_urdu_lexicons_load_with_versions(lexicons):
    assert set(lexicons) >= {"en", "ur"}
    assert lexicons["en"].version.startswith("en-") and len(lexicons["en"].version) == 15
    assert len(lexicons["en"].terms) > 100
    categories = set(lexicons["en"].categories)
    assert {
        "it_exports",
        "software",
        "telecom",
        "fintech",
        "startups_vc",
        "semiconductors",
    } <= categories
    assert {"ecommerce", "digital_policy", "freelancing"} <= categories


def test_version_changes_when_the_file_changes(tmp_path):
    copy = tmp_path / "lexicon-en.toml"
    shutil.copy(DATA_DIR / "lexicon-en.toml", copy)
    before = load_lexicon(copy).version
    copy.write_text(copy.read_text("utf-8").replace("relevant = 0.5", "relevant = 0.6"), "utf-8")
    after = load_lexicon(copy)
    assert after.version != before and after.scoring.relevant == 0.6


def test_tech_article_is_relevant_with_auditable_terms(lexicons):
    title, body = ARTICLE.read_text("utf-8").split("\n", 1)
    result = score(title, body, "en", lexicons)
    assert result.label == "relevant" and result.score > 0.9
    terms = {m.term: m for m in result.matched}
    assert terms["IT exports"] == TermMatch("IT exports", "it_exports", 2)
    assert "freelancer*" in terms
    rows = json.loads(result.terms_json())
    assert ["IT exports", "it_exports", 2] in rows


def test_sport_is_irrelevant_even_with_a_tech_word(lexicons):
    result = score(
        "Pakistan beat New Zealand by six wickets",
        "Fans followed the cricket on mobile apps as the T20 series ended in Lahore.",
        "en",
        lexicons,
    )
    assert result.label == "irrelevant" and result.score == 0.0
    assert {m.category for m in result.matched} == {"negative"}


def test_a_passing_mention_in_a_long_article_is_borderline(lexicons):
    body = "The finance minister said IT exports would be supported. " + (
        "The assembly debated property taxes and farm subsidies at length. " * 60
    )
    result = score("Budget debate continues", body, "en", lexicons)
    assert result.label == "borderline"


def test_title_counts_more_than_body(lexicons):
    in_title = score("Freelancers earn more", "A report was released.", "en", lexicons)
    in_body = score("A report", "Freelancers earn more.", "en", lexicons)
    assert in_title.score > in_body.score > 0


def test_ambiguous_terms_need_company(lexicons):
    alone = score("Jazz night in Karachi", "A jazz band and a cloud of smoke.", "en", lexicons)
    assert alone.matched == () and alone.label == "irrelevant"
    with_telecom = score("Jazz expands", "Jazz added broadband subscribers.", "en", lexicons)
    assert {m.term for m in with_telecom.matched} >= {"Jazz", "broadband"}


def test_capitalised_terms_match_as_written(lexicons):
    assert score("", "it exports goods", "en", lexicons).matched == ()
    assert [m.term for m in score("", "IT exports grew", "en", lexicons).matched] == ["IT exports"]
    assert [m.term for m in score("", "SOFTWARE and Software", "en", lexicons).matched] == [
        "software"
    ]


def test_any_case_terms_match_as_ignorecase_does(lexicons):
    # The fast scan runs on lower-cased text; a text with a character whose IGNORECASE match is
    # not its lower case ("ſ" matches "s") is scanned with the reference pattern instead.
    for body in ("SOFTWARE EXPORTS rose", "ſoftware exports rose", "Software Exports — “rose”"):
        matched = score("", body, "en", lexicons).matched
        assert [(m.term, m.count) for m in matched] == [("software exports", 1)], body


def test_runs_of_whitespace_count_as_one_space(lexicons):
    spaced = score("", "IT \n\t exports and  software\u00a0houses", "en", lexicons)
    assert [m.term for m in spaced.matched] == ["IT exports", "software houses"]


def test_stems_and_longest_terms(lexicons):
    matched = score("", "Startups and start-ups hired developers.", "en", lexicons).matched
    assert {(m.term, m.count) for m in matched} == {
        ("startup*", 1),
        ("start-up*", 1),
        ("developers", 1),
    }


def test_urdu_article(lexicons):
    result = score(
        "آئی ٹی برآمدات میں اضافہ",
        "پاکستان کی آئی ٹی برآمدات میں اضافہ ہوا، فری لانسرز اور سافٹ ویئر ہاؤسز نے ریکارڈ آمدنی حاصل کی۔",
        "ur",
        lexicons,
    )
    assert result.label == "relevant" and result.language == "ur"
    assert "فری لانسر*" in {m.term for m in result.matched}
    assert score("کرکٹ", "کرکٹ میچ", "ur-PK", lexicons).label == "irrelevant"


def test_unknown_language_falls_back_to_english(lexicons):
    result = score("IT exports", "", "de", lexicons)
    assert result.language == "en" and result.lexicon_version == lexicons["en"].version


def test_a_single_lexicon_can_be_passed(lexicons):
    assert score("IT exports", "", "xx", lexicons["en"]).label == "relevant"


@pytest.mark.parametrize(
    ("policy", "label", "decision"),
    [
        ("keep", "irrelevant", "store"),
        ("keep", "relevant", "store"),
        ("flag", "relevant", "store"),
        ("flag", "borderline", "store_flagged"),
        ("flag", "irrelevant", "store_flagged"),
        ("drop", "relevant", "store"),
        ("drop", "borderline", "store_flagged"),
        ("drop", "irrelevant", "drop"),
    ],
)
def test_decide(policy, label, decision):
    relevance = Relevance(0.5, label, (), "en-x", "en", 1.0)
    assert decide(policy, relevance) == decision


def test_decide_rejects_unknown_policy():
    with pytest.raises(ValueError):
        decide("archive", Relevance(0.0, "irrelevant", (), "en-x", "en", 0.0))


def test_bad_lexicon_is_rejected(tmp_path):
    bad = tmp_path / "lexicon-xx.toml"
    bad.write_text('language = "xx"\n[categories.a]\nterms = { "x" = -1.0 }\n', "utf-8")
    with pytest.raises(ValueError):
        load_lexicon(bad)
    bad.write_text("[categories.a]\n", "utf-8")
    with pytest.raises(ValueError):
        load_lexicon(bad)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200), st.text(max_size=2000), st.sampled_from(["en", "ur", "", "xx-YY"]))
def test_score_is_bounded_and_never_raises(lexicons, title, body, language):
    result = score(title, body, language, lexicons)
    assert 0.0 <= result.score <= 1.0
    assert result.label in ("relevant", "borderline", "irrelevant")


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200), st.text(max_size=1000))
def test_adding_a_title_term_never_lowers_the_score(lexicons, title, body):
    before = score(title, body, "en", lexicons).score
    after = score(title + " IT exports", body, "en", lexicons).score
    assert after >= before


@given(st.one_of(st.text(alphabet=st.characters(max_codepoint=127)), st.text()))
def test_word_count_from_the_signature_words_is_the_word_scan(text):
    """derive() hands score() the words it split for the signature: the count must not move."""
    expected = len(re.findall(r"\w+", text))
    assert word_count(text, words(text)) == expected
    assert word_count(text) == expected
