"""TrieScanner: the fast word-bounded scans return exactly what ``reference.finditer`` returns."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines import gazetteer
from pipelines.gazetteer import TrieScanner, countries_in, country_matcher, default_gazetteer

# Characters that stress the any-case path: IGNORECASE equivalents that lower() does not give
# ("ſ" is "s", "ı" is "i"), a character whose lower case is longer ("İ"), case pairs beyond ASCII
# ("ẞ"/"ß", Kelvin "K"), the class characters @&$, and separators.
ALPHABET = "abcsikABCSIK ſıİẞßKΣσς.,()-@&$\n\t_é1"
KEYS = ["ab", "abc", "a b", "b c", "s", "sk", "ik", "a.", ".b", "(c)", "ab-", "ß", "é"]


def reference_spans(scanner: TrieScanner, text: str) -> list[tuple[int, int, int]]:
    return [(m.start(), m.end("t"), m.end()) for m in scanner.reference.finditer(text)]


SCANNERS = [
    TrieScanner.build(keys, left=left, right=right, folded=folded, stem=stem)
    for keys in (KEYS, [k for k in KEYS if k[-1].isalnum()], ["AB", "Ab", "S", "IK.", "K"])
    for left, right in ((r"\w", r"\w"), (r"\w@&", r"\w@&$"))
    for folded in (False, True)
    for stem in (False, True)
    if not (folded and any(k != k.lower() for k in keys))
]


def test_the_fast_paths_are_taken():
    assert all(scanner.fast is not None for scanner in SCANNERS)
    assert any(scanner.head is not None and scanner.open_ends for scanner in SCANNERS)
    assert country_matcher().folded.head is not None  # the any-case scan, despite "u.s."
    assert default_gazetteer().matcher.folded.head is not None


@settings(max_examples=400, deadline=None)
@given(
    st.text(alphabet=ALPHABET, max_size=60)
    | st.lists(st.sampled_from(KEYS + list(" .Sſİ"))).map("".join)
)
def test_spans_are_the_reference_matches(text):
    for scanner in SCANNERS:
        assert scanner.spans(text) == reference_spans(scanner, text)


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("ab abc", True),
        ("“ab” – é", True),  # lower-cases exactly
        ("ſk", False),  # IGNORECASE's "s"; lower() keeps "ſ"
        ("İk", False),  # lower() gives two characters
        ("ẞ K", True),  # IGNORECASE matches them to "ß" and "k", as lower() gives
        ("kık", False),  # IGNORECASE's "i"; lower() keeps "ı"
    ],
)
def test_texts_with_other_case_rules_take_the_reference(text, safe):
    scanner = TrieScanner.build(KEYS, left=r"\w", right=r"\w", folded=True)
    assert scanner.head is not None
    assert scanner.lowers_exactly(text) is safe
    assert scanner.spans(text) == reference_spans(scanner, text)


def test_the_case_tables_the_odd_characters_come_from():
    everything = [chr(i) for i in range(0x110000)]
    assert gazetteer._lower_case_changes() == {ch for ch in everything if ch.lower() != ch}
    # What _lowers_exactly relies on for the characters it is not asked about: a character that
    # str.lower() leaves alone is its own lower case to the regex engine too.
    assert all(
        gazetteer._sre.unicode_tolower(ord(ch)) == ord(ch) for ch in everything if ch.lower() == ch
    )


def test_a_match_right_after_a_key_ending_in_punctuation():
    scanner = TrieScanner.build(["a.", ".b"], left=r"\w", right=r"\w", folded=True)
    assert scanner.open_ends and scanner.head is not None
    assert scanner.spans("A..B x a..b") == [(0, 2, 2), (2, 4, 4), (7, 9, 9), (9, 11, 11)]
    assert scanner.spans("A..B x a..b") == reference_spans(scanner, "A..B x a..b")


def test_exact_keys_scan_skips_to_first_letters_and_keeps_the_boundary():
    scanner = TrieScanner.build(["US", "U.S."], left=r"\w@&", right=r"\w@&$", folded=False)
    text = "US and U.S. but not USB, US$ or aUS"
    assert scanner.spans(text) == [(0, 2, 2), (7, 11, 11)]
    assert scanner.spans(text) == reference_spans(scanner, text)


def test_keys_with_odd_case_rules_keep_the_reference_scan():
    # "ı" in a key makes ASCII "I" an IGNORECASE match for it, which lower() cannot give.
    scanner = TrieScanner.build(["ıa"], left=r"\w", right=r"\w", folded=True)
    assert scanner.fast is None
    assert scanner.spans("Ia ıa") == [(0, 2, 2), (3, 5, 5)]


def test_country_names_in_any_case_and_with_case_equivalents():
    found = countries_in("UNITED ARAB EMIRATES, ſaudi arabia and the Falkland Islands (Malvinas).")
    assert [m.code for m in found] == ["AE", "SA", "FK"]
    assert re.search("ſaudi arabia", found[1].text)
