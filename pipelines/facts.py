"""Economic facts in news text: money, percentages, periods and counts, with character offsets.

``extract_facts`` is a pure function over a plain string: regexes find candidates over the whole
text, a fixed priority (money > percent > period > count) settles overlaps, and each fact carries
its sentence so a researcher can read the figure in context. The normalisation rules (currencies,
multipliers, fiscal years, which plain years count as periods) are in docs/research.md.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from pipelines.gazetteer import CountryMention, OrgMention, countries_in, organisations_in
from pipelines.wire import constructor_pickle

__all__ = [
    "CALENDAR_FY",
    "EXTRACTOR_VERSION",
    "INDIA_FY",
    "PAKISTAN_FY",
    "US_FEDERAL_FY",
    "CountryMention",
    "Fact",
    "FiscalYear",
    "OrgMention",
    "countries_in",
    "extract_facts",
    "organisations_in",
    "sentence_spans",
]

# Stored with every fact row: bump when a rule change alters what is extracted.
EXTRACTOR_VERSION = "facts-1"

FactKind = Literal["money", "percent", "period", "count"]
Direction = Literal["increase", "decrease"]


@constructor_pickle
@dataclass(frozen=True, slots=True)
class FiscalYear:
    """A fiscal-year convention. Years are named by the calendar year they END in (FY24 ends in
    2024), which is how Pakistani, Indian and US federal budgets are all labelled."""

    start_month: int = 7
    name: str = "Pakistan (July-June)"

    def start(self, end_year: int) -> date:
        return date(end_year - 1 if self.start_month > 1 else end_year, self.start_month, 1)

    def month_year(self, month: int, end_year: int) -> int:
        """The calendar year in which ``month`` of fiscal year ``end_year`` falls."""
        return self.start(end_year).year if month >= self.start_month else end_year


PAKISTAN_FY = FiscalYear(7, "Pakistan (July-June)")  # also Bangladesh, Egypt, Australia
INDIA_FY = FiscalYear(4, "India (April-March)")
US_FEDERAL_FY = FiscalYear(10, "US federal (October-September)")
CALENDAR_FY = FiscalYear(1, "calendar year")


@constructor_pickle
@dataclass(frozen=True, slots=True)
class Fact:
    """One figure. ``text == source[start:end]``; the typed fields used depend on ``kind``:

    money: value (as written, low end of a range), value_high, currency (ISO 4217), multiplier,
        amount (= value x multiplier), amount_high, qualifier.
    percent: value, value_high, unit ("%", "pp" percentage points, "bp" basis points), direction.
    period: period (label, see docs/research.md), start_date, end_date (ISO, inclusive).
    count: value (the full count, multiplier applied), multiplier, unit (the counted noun), qualifier.
    """

    kind: FactKind
    text: str
    start: int
    end: int
    sentence: str
    sentence_start: int
    value: float | None = None
    value_high: float | None = None
    currency: str | None = None
    multiplier: float | None = None
    amount: float | None = None
    amount_high: float | None = None
    unit: str | None = None
    period: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    direction: Direction | None = None
    qualifier: str | None = None


# --- sentences -----------------------------------------------------------------------------------

# A period after one of these (case-insensitive) does not end a sentence: "Rs. 50", "Mr. Iqbal".
_ABBREVIATIONS = frozenset(
    [
        "rs",
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "st",
        "no",
        "nos",
        "vs",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "gen",
        "lt",
        "col",
        "capt",
        "sen",
        "rep",
        "gov",
        "govt",
        "hon",
        "pvt",
        "sr",
        "jr",
        "fig",
        "vol",
        "approx",
        "est",
        "tk",
        "mt",
        "dept",
        "univ",
        "e.g",
        "i.e",
        "ca",
        "cf",
    ]
)
# A run of sentence punctuation (its first character, then ``more``), closing quotes or brackets,
# then whitespace; or a line break. Starting with one character class lets the engine skip ahead.
_SENTENCE_END = re.compile(r"[.!?۔؟\n](?:(?<=\n)|(?P<more>[.!?۔؟]*)[\"'”’)\]]*(?=\s))")
_INITIALS = re.compile(r"(?:[A-Za-z]\.)*[A-Za-z]")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, whitespace-trimmed. Splits after . ! ? (and Urdu ۔ ؟) when
    whitespace follows, and at line breaks; not after abbreviations, initials ("U.S."), or when the
    next word starts in lower case. Decimals never split because no whitespace follows the point."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        first = text[m.start()]
        if first != "\n":
            if first == "." and not m.group("more"):
                lo = max(0, m.start() - 40)
                word_start = (
                    max(lo - 1, text.rfind(" ", lo, m.start()), text.rfind("\n", lo, m.start())) + 1
                )
                word = text[word_start : m.start()].lstrip("(\"'“‘[").lower()
                if word in _ABBREVIATIONS or _INITIALS.fullmatch(word):
                    continue
            following = text[m.end() : m.end() + 3].lstrip()
            if following[:1].islower():
                continue
        _add_span(text, start, m.end(), spans)
        start = m.end()
    _add_span(text, start, len(text), spans)
    return spans


# Text without sentence punctuation (tables, scraped lists) is cut into pieces of at most this many
# characters, at a space where possible, so no fact drags a whole page along as its "sentence".
MAX_SENTENCE = 1000


def _add_span(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end:
        while start < end and text[start].isspace():
            start += 1
        stop = end
        if stop - start > MAX_SENTENCE:
            space = text.rfind(" ", start + MAX_SENTENCE // 2, start + MAX_SENTENCE)
            stop = space if space > start else start + MAX_SENTENCE
        trimmed = stop
        while trimmed > start and text[trimmed - 1].isspace():
            trimmed -= 1
        if start < trimmed:
            spans.append((start, trimmed))
        start = stop


# --- shared pieces -------------------------------------------------------------------------------

_NUM = r"\d+(?:,\d{2,3})*(?:\.\d+)?"
_MULTIPLIERS = {
    "thousand": 1e3, "k": 1e3,
    "million": 1e6, "m": 1e6, "mn": 1e6, "mln": 1e6,
    "billion": 1e9, "b": 1e9, "bn": 1e9, "bln": 1e9, "arab": 1e9,
    "trillion": 1e12, "tr": 1e12, "trn": 1e12,
    "crore": 1e7, "crores": 1e7, "cr": 1e7,
    "lakh": 1e5, "lakhs": 1e5, "lac": 1e5, "lacs": 1e5,
}  # fmt: skip
# Single letters ($4b, €2m, $50k) count only when glued to the digits.
_MULT = (
    r"(?:(?i:trillion|billion|million|thousand|crores?|lakhs?|lacs?|arab|trn|tr|bln|bn|mln|mn|cr)"
    r"|(?<=\d)(?i:k|m|b))(?!\w)"
)

# Curated ISO 4217 codes accepted as written next to a number (tests check them against
# pycountry). Not every code: "ALL", "TOP" or "PHP" would turn ordinary words into money.
_ISO_CODES = [
    "USD",
    "PKR",
    "INR",
    "EUR",
    "GBP",
    "BDT",
    "LKR",
    "NPR",
    "AFN",
    "CNY",
    "JPY",
    "AED",
    "SAR",
    "QAR",
    "KWD",
    "OMR",
    "BHD",
    "MYR",
    "SGD",
    "HKD",
    "AUD",
    "CAD",
    "CHF",
    "TRY",
    "IDR",
    "EGP",
    "NGN",
    "KES",
    "ZAR",
    "BRL",
    "KRW",
    "RUB",
    "IRR",
    "THB",
    "VND",
    "MVR",
    "NZD",
    "SEK",
    "NOK",
    "DKK",
]
_ISO = "|".join(_ISO_CODES)
_SYMBOLS = {
    "$": "", "US$": "USD", "C$": "CAD", "A$": "AUD", "AU$": "AUD", "HK$": "HKD", "S$": "SGD",
    "NZ$": "NZD", "NT$": "TWD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "Tk": "BDT",
    "Rp": "IDR", "RM": "MYR",
}  # fmt: skip
_CUR_SYMBOL_AGAIN = r"(?:US\s?\$|\$|€|£|¥|₹|R[sS]\.?\s?|Tk\.?\s?|PKR\s?|INR\s?|USD\s?)?"
# "$4bn", "US$ 4.1 billion", "Rs. 50,000", "PKR 350 billion", "$2-3 billion", "$3.2bn-$3.5bn".
# A "to" range joins only when the second figure repeats no currency ("$2 to 3 billion");
# "$5 billion to $6 billion" is two facts, like "from Rs 150,000 to Rs 300,000".
# The currency alternatives in the order they are tried, as (first character, rest):
# US\s?\$ | (?:C|A|AU|HK|S|NZ|NT)\$ | \$ | € | £ | ¥ | ₹ | R[sS]\.? | Tk\.? | Rp\.? | RM(?=\s?\d)
# | (?:ISO codes)(?=\s?\d), none right after [\w$€£¥₹]. The pattern branches on the first character
# and tests that boundary after it, so the regex engine skips ahead to possible first characters
# instead of trying the whole alternation at every position of the text.
_CURRENCY_ALTERNATIVES = [
    ("U", r"S\s?\$"),
    *[(alt[0], re.escape(alt[1:]) + r"\$") for alt in ("C", "A", "AU", "HK", "S", "NZ", "NT")],
    *[(symbol, "") for symbol in "$€£¥₹"],
    ("R", r"[sS]\.?"),
    ("T", r"k\.?"),
    ("R", r"p\.?"),
    ("R", r"M(?=\s?\d)"),
    *[(code[0], code[1:] + r"(?=\s?\d)") for code in _ISO_CODES],
]
_CURRENCY_BY_FIRST: dict[str, list[str]] = {}
for _first, _rest in _CURRENCY_ALTERNATIVES:
    _CURRENCY_BY_FIRST.setdefault(_first, []).append(_rest)
_CUR = "|".join(
    f"{re.escape(first)}(?<![\\w$€£¥₹].)(?:{'|'.join(rests)})"
    for first, rests in _CURRENCY_BY_FIRST.items()
)
_MONEY_PREFIXED = re.compile(
    rf"(?P<cur>{_CUR})"
    rf"\s?(?P<neg>[-−])?(?P<n1>{_NUM})(?:\s?(?P<m1>{_MULT}))?"
    rf"(?:\s?[-–]\s?{_CUR_SYMBOL_AGAIN}(?P<n2>{_NUM})(?:\s?(?P<m2>{_MULT}))?"
    rf"|\s+to\s+(?P<n3>{_NUM})\s?(?P<m3>{_MULT}))?"
    r"(?!\w)(?![.,]\d)"
)
# Every other fact hangs off a number: one scan finds them, anchored matches read what follows.
# (?<![\w.,])_NUM, with the look-behind after the first digit so that the engine skips to digits.
_NUMBER = re.compile(r"\d(?<![\w.,].)\d*" + _NUM.removeprefix(r"\d+"))
_MONEY_SUFFIX = re.compile(
    rf"(?:\s?[-–]\s?(?P<n2>{_NUM}))?(?:\s?(?P<m1>{_MULT}))?\s+"
    r"(?P<adj>(?:US|U\.S\.|American|Indian|Pakistani|Sri\s+Lankan|Nepalese|Nepali|Canadian"
    r"|Australian|Singapore|Hong\s+Kong|New\s+Zealand)\s+)?"
    r"(?P<word>(?i:dollars?|rupees?|euros?|pounds?(?:\s+sterling)?|taka|yuan|renminbi|yen"
    rf"|dirhams?|riyals?|ringgit|francs?)|{_ISO})(?!\w)"
)
_MONEY_WORDS = ("dollar", "rupee", "euro", "pound", "taka", "yuan", "renminbi", "yen", "dirham",
                "riyal", "ringgit", "franc")  # fmt: skip
_WORD_CURRENCY = {
    "euro": "EUR", "pound": "GBP", "taka": "BDT", "yuan": "CNY", "renminbi": "CNY", "yen": "JPY",
    "dirham": "AED", "riyal": "SAR", "ringgit": "MYR", "franc": "CHF",
}  # fmt: skip
_DOLLAR_ADJ = {
    "us": "USD", "u.s.": "USD", "american": "USD", "canadian": "CAD", "australian": "AUD",
    "singapore": "SGD", "hong kong": "HKD", "new zealand": "NZD",
}  # fmt: skip
_RUPEE_ADJ = {
    "indian": "INR", "pakistani": "PKR", "sri lankan": "LKR", "nepalese": "NPR", "nepali": "NPR",
}  # fmt: skip
# "Rs" is written for four currencies; the sentence names the country when it is not the default.
_RUPEE_CUES = (
    ("INR", re.compile(r"₹|\bINR\b|\bIndia(?:n|ns)?\b")),
    ("LKR", re.compile(r"\bLKR\b|\bSri\s+Lanka(?:n|ns)?\b")),
    ("NPR", re.compile(r"\bNPR\b|\bNepal(?:i|ese)?\b")),
    ("PKR", re.compile(r"\bPKR\b|\bPakistan(?:i|is)?\b")),
)

_QUALIFIER = re.compile(
    r"(?i)\b(?P<q>about|around|approximately|approx\.?|roughly|nearly|almost|some|close\s+to"
    r"|an?\s+estimated|estimated|over|more\s+than|above|in\s+excess\s+of|upwards\s+of|at\s+least"
    r"|up\s+to|as\s+(?:much|many)\s+as|under|less\s+than|fewer\s+than|below)\s*\Z"
)
_QUALIFIER_LAST_WORDS = frozenset(
    [
        "about",
        "around",
        "approximately",
        "approx",
        "approx.",
        "roughly",
        "nearly",
        "almost",
        "some",
        "to",
        "estimated",
        "over",
        "than",
        "above",
        "of",
        "least",
        "as",
        "under",
        "below",
    ]
)
_QUALIFIER_KIND = {
    "over": "more_than", "more than": "more_than", "above": "more_than",
    "in excess of": "more_than", "upwards of": "more_than", "at least": "at_least",
    "up to": "up_to", "as much as": "up_to", "as many as": "up_to",
    "under": "less_than", "less than": "less_than", "fewer than": "less_than", "below": "less_than",
}  # fmt: skip

_PERCENT_SUFFIX = re.compile(
    rf"(?:\s?[-–]\s?(?P<n2>{_NUM})|\s+to\s+(?P<n3>{_NUM}))?\s?"
    r"(?P<unit>%|(?i:per\s?cent|percent|pct|pc)(?!\w)"
    r"|(?i:percentage\s+points?|ppts?|pp)(?!\w)|(?i:basis\s+points?|bps|bp)(?!\w))"
)
_INCREASE = (
    r"rose|rises?|risen|rising|grew|grows?|grown|growing|growth|increas\w*|up|jump\w*"
    r"|surg\w*|soar\w*|climb\w*|gain\w*|rais\w*|hik\w*|boost\w*|expand\w*|expansion|higher"
    r"|rebound\w*|accelerat\w*|doubl\w*|tripl\w*|strengthen\w*|appreciat\w*|improv\w*|spik\w*"
    r"|advanc\w*|widen\w*"
)
_DECREASE = (
    r"fell|falls?|falling|fallen|declin\w*|decreas\w*|drop\w*|down|dipp\w*|dips?|plung\w*"
    r"|plummet\w*|slump\w*|slid|slides?|sliding|shr[aiu]nk\w*|shrinks?|contract\w*|cuts?|cutting"
    r"|reduc\w*|slash\w*|lower\w*|eased|eases|easing|slow\w*|weaken\w*|depreciat\w*|tumbl\w*"
    r"|loss\w*|lost|narrow\w*|layoffs?|trimm\w*|trims?|sank|sink\w*|sunk"
)
_UP_WORD = re.compile(rf"(?i)(?:{_INCREASE})")
_DOWN_WORD = re.compile(rf"(?i)(?:{_DECREASE}|laid)")
# Only nouns/adjectives right after a percentage describe it ("a 12% increase", "34% higher").
_DIRECTION_AFTER = re.compile(
    r"(?i)\s*(?:(?:year-on-year|year-over-year|yoy|y/y|y-o-y|month-on-month|mom|m/m"
    r"|quarter-on-quarter|qoq|annual|annually)\s+)?"
    r"(?:(?P<up>increase|rise|jump|growth|gain|hike|higher|surge|rebound|more)"
    r"|(?P<down>decrease|decline|drop|fall|cut|reduction|lower|dip|contraction|loss|less|slump))\b"
)
# A new clause starts a new figure's context: "Sales fell 3%, while margins were 20%".
_CLAUSE_BREAK = re.compile(r"(?i);|\b(?:while|whereas|but|although|though|however)\b")

# --- periods -------------------------------------------------------------------------------------

_MONTH_NAMES = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
    "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?(?![a-z])"
)
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
    "hundred": 100,
}  # fmt: skip
_NUMWORD = "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
# Leading with a character class lets the regex engine skip ahead; the word is checked in Python.
# A match is always a whole [\w-] token, so only tokens whose tail after the first letter is a
# number word's are worth returning.
_NUMBER_TAILS = "|".join(sorted({word[1:] for word in _NUMBER_WORDS}, key=len, reverse=True))
_NUMBER_WORD = re.compile(
    rf"[OoTtFfSsEeNnHh](?<![\w-].)(?:{_NUMBER_TAILS})"
    r"(?:-(?:one|two|three|four|five|six|seven|eight|nine))?(?![\w-])"
)
_ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "1st": 1,
    "2nd": 2,
    "3rd": 3,
    "4th": 4,
}

# Fiscal-year tokens: "FY24", "FY 2024", "FY2018-19", "FY'24", "fiscal year 2023-24", "fiscal
# 2024", "financial year 2023-24"; "CY23"/"calendar year 2023" are calendar years.
_FY_TOKEN = re.compile(
    r"(?P<kind>[FCfc](?:Y|iscal|ISCAL|inancial|alendar))"
    r"(?:(?<=Y)\s?'?|(?<=[a-zL])\s+(?:[Yy]ear\s+|YEAR\s+)?)"
    r"(?P<y1>\d{4}|\d{2})(?!\d)(?:\s?[-–/]\s?(?P<y2>\d{4}|\d{2})(?!\d))?"
)
_YEAR_RANGE_TAIL = re.compile(r"\s?[-–/]\s?(?P<y2>\d{4}|\d{2})(?!\d)(?![.,]\d)")
# Prefixes read backwards from a year or FY token, each anchored at the token (\Z with endpos).
_P_PART_BEFORE_FY = re.compile(
    r"(?:(?P<q>Q[1-4]|[1-4]Q|H[12]|[12]H)|(?P<nm>\d{1,2})M)\s?(?:of\s+)?\Z"
)
_P_PART_BEFORE_YEAR = re.compile(
    r"(?<![\w-])(?P<q>Q[1-4]|[1-4]Q|H[12]|[12]H)\s?(?:of\s+)?(?:CY\s?)?\Z"
)
_P_ORDINAL_BEFORE = re.compile(
    r"(?i)(?<![\w-])(?P<ord>first|second|third|fourth|1st|2nd|3rd|4th)\s+(?P<unit>quarter|half)"
    r"\s+of\s+(?:the\s+)?(?:calendar\s+)?(?:year\s+)?\Z"
)
_P_MONTHS_BEFORE = re.compile(
    rf"(?i)(?<![\w-])(?:first\s+)?(?P<n>\d{{1,2}}|{_NUMWORD})\s+months\s+of\s+(?:the\s+)?"
    r"(?:calendar\s+)?(?:year\s+)?\Z"
)
_P_MONTH_RANGE_BEFORE = re.compile(
    rf"(?<![\w-])(?P<m1>{_MONTH})\s?[-–]\s?(?P<m2>{_MONTH}),?\s+(?:of\s+)?(?:the\s+)?\Z"
)
_P_DAY_BEFORE = re.compile(
    rf"(?<![\w-])(?:(?P<m>{_MONTH})\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?"
    rf"|(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m2>{_MONTH}),?)\s+\Z"
)
_P_MONTH_BEFORE = re.compile(rf"(?<![\w-])(?P<m>{_MONTH}),?\s+\Z")
# Plain years are periods only after one of these words ("in 2023", "by 2030", "since 2004") or
# as "2023's"; "to/and/or 2024" only right after another period ("between 2019 and 2024").
_YEAR_CONTEXT = frozenset(
    [
        "in",
        "during",
        "since",
        "by",
        "until",
        "till",
        "through",
        "throughout",
        "for",
        "from",
        "between",
        "before",
        "after",
        "of",
        "to",
        "and",
        "or",
        "early",
        "mid",
        "late",
        "year",
        "end",
    ]
)
_LINKING_CONTEXT = frozenset({"to", "and", "or"})

# --- counts --------------------------------------------------------------------------------------

_COUNT_SUFFIX = re.compile(
    r"(?!-)(?:\s?(?P<mult>(?i:million|billion|thousand|lakhs?|lacs?|crores?|mn|mln|bn))(?!\w)"
    r"|(?<=\d)(?P<glued>(?i:m|k))(?!\w))?"
    r"(?P<tail>(?:[ \t]+[A-Za-z][\w'&-]*){1,3})"
)
_COUNT_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "in",
        "on",
        "at",
        "to",
        "for",
        "from",
        "by",
        "with",
        "and",
        "or",
        "but",
        "nor",
        "as",
        "than",
        "into",
        "over",
        "under",
        "per",
        "via",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "has",
        "have",
        "had",
        "will",
        "would",
        "shall",
        "should",
        "can",
        "could",
        "may",
        "might",
        "must",
        "do",
        "does",
        "did",
        "that",
        "which",
        "who",
        "whom",
        "whose",
        "this",
        "these",
        "those",
        "it",
        "its",
        "their",
        "his",
        "her",
        "our",
        "your",
        "my",
        "we",
        "they",
        "he",
        "she",
        "you",
        "i",
        "am",
        "pm",
        "each",
        "more",
        "less",
        "between",
        "against",
        "after",
        "before",
        "since",
        "until",
        "while",
        "if",
        "when",
        "where",
        "so",
        "not",
        "no",
        "all",
        "about",
        "up",
        "down",
        "out",
        "off",
        "also",
        "only",
        "just",
        "said",
        "says",
        "say",
        "according",
        "cent",
        "times",
        "year",
        "month",
        "day",
        "week",
        "hour",
        "minute",
        "time",
    ]
)
# Durations, measures and money words are not counts of things.
_COUNT_EXCLUDED = frozenset(
    [
        "years",
        "yrs",
        "months",
        "weeks",
        "days",
        "hours",
        "hrs",
        "minutes",
        "mins",
        "seconds",
        "secs",
        "decades",
        "centuries",
        "quarters",
        "times",
        "points",
        "pts",
        "percent",
        "km",
        "kms",
        "miles",
        "metres",
        "meters",
        "acres",
        "hectares",
        "tonnes",
        "tons",
        "kg",
        "kgs",
        "grams",
        "litres",
        "liters",
        "barrels",
        "gigabytes",
        "petabytes",
        "terabytes",
        "megabytes",
        "gb",
        "tb",
        "mb",
        "pb",
        "kb",
        "mbps",
        "gbps",
        "kbps",
        "mhz",
        "ghz",
        "mw",
        "gw",
        "kw",
        "kwh",
        "mwh",
        "gwh",
        "watts",
        "volts",
        "degrees",
        "feet",
        "ft",
        "inches",
        "cents",
        "paisa",
        "dollars",
        "rupees",
        "euros",
        "pounds",
        "billions",
        "millions",
        "thousands",
        "hundreds",
        "dozens",
        "runs",
        "wickets",
        "goals",
        "overs",
        "rs",
    ]
)
_IRREGULAR_PLURALS = frozenset(
    [
        "people",
        "staff",
        "personnel",
        "youth",
        "children",
        "men",
        "women",
        "police",
        "crew",
        "faculty",
        "alumni",
    ]
)
# Capitalised words that may open a sentence right before a count ("About 40 companies").
_COUNT_LEAD_WORDS = (
    _COUNT_STOP
    | _QUALIFIER_LAST_WORDS
    | frozenset(
        ["around", "nearly", "almost", "only", "another", "total", "roughly", "these", "those"]
    )
)
_COUNT_LEFT_EXCLUDED = "$€£¥₹#:/+-–"


# --- extraction ----------------------------------------------------------------------------------

Fields = dict[str, object]


@dataclass(slots=True)
class _Scan:
    """Per-call working state: the text, its sentences, and which characters facts already own."""

    text: str
    sentences: list[tuple[int, int]] | None  # sentence_spans(text), on first use
    starts: list[int] | None
    fiscal: FiscalYear
    default_rupee: str
    default_dollar: str
    taken: bytearray
    facts: list[Fact]
    rupees: dict[int, str] = field(default_factory=dict)  # sentence start -> rupee currency

    def sentence_of(self, pos: int) -> tuple[int, int]:
        if self.sentences is None or self.starts is None:  # many texts hold no figure at all
            self.sentences = sentence_spans(self.text)
            self.starts = [s for s, _ in self.sentences]
        index = bisect_right(self.starts, pos) - 1
        return self.sentences[index] if index >= 0 else (0, len(self.text))

    def free(self, start: int, end: int) -> bool:
        return start < end and self.taken.find(1, start, end) == -1

    def add(self, start: int, end: int, kind: FactKind, fields: Fields) -> None:
        self.taken[start:end] = b"\x01" * (end - start)
        s_start, s_end = self.sentence_of(start)
        self.facts.append(
            Fact(
                kind=kind,
                text=self.text[start:end],
                start=start,
                end=end,
                sentence=self.text[s_start:s_end],
                sentence_start=s_start,
                **fields,  # type: ignore[arg-type]
            )
        )


def extract_facts(
    text: str,
    *,
    fiscal: FiscalYear = PAKISTAN_FY,
    default_rupee: str = "PKR",
    default_dollar: str = "USD",
) -> list[Fact]:
    """Every money, percent, period and count fact in ``text``, in text order.

    ``fiscal`` fixes what "FY24" means (Pakistan's July-June by default); ``default_rupee`` is the
    currency of "Rs"/"rupees" when the sentence names no other rupee country; ``default_dollar``
    is what a bare "$" means. Never raises on any string.
    """
    if not text or not isinstance(text, str):
        return []
    scan = _Scan(
        text=text,
        sentences=None,
        starts=None,
        fiscal=fiscal,
        default_rupee=default_rupee,
        default_dollar=default_dollar,
        taken=bytearray(len(text)),
        facts=[],
    )
    numbers = [(m.start(), m.end()) for m in _NUMBER.finditer(text)]
    # Kinds claim text in priority order, so "$5 million" is never also a count of millions.
    _money(scan, numbers)
    _percents(scan, numbers)
    _periods(scan, numbers)
    _counts(scan, numbers)
    scan.facts.sort(key=lambda f: f.start)
    return scan.facts


def _number(raw: str) -> float:
    word = _NUMBER_WORDS.get(raw.lower())
    if word is not None:
        return float(word)
    if "-" in raw:  # "twenty-five"
        tens, _, unit = raw.lower().partition("-")
        return float(_NUMBER_WORDS.get(tens, 0) + _NUMBER_WORDS.get(unit, 0))
    return float(raw.replace(",", ""))


def _multiplier(raw: str | None) -> float:
    return _MULTIPLIERS.get(raw.lower(), 1.0) if raw else 1.0


def _qualifier(text: str, start: int) -> str | None:
    before = text[max(0, start - 24) : start].split()
    if not before or before[-1].lower() not in _QUALIFIER_LAST_WORDS:
        return None  # cheap test first: most figures follow no qualifier at all
    m = _QUALIFIER.search(text, max(0, start - 24), start)
    if m is None:
        return None
    return _QUALIFIER_KIND.get(" ".join(m.group("q").lower().split()), "approx")


def _sign(text: str, start: int) -> tuple[int, str]:
    """A minus or plus glued to a number ("-3.2%") unless it joins words ("KSE-100")."""
    if start > 0 and text[start - 1] in "-−+":
        before = text[start - 2] if start > 1 else " "
        if not (before.isalnum() or before in ".,%"):
            return start - 1, text[start - 1]
        return start, "joined"
    if text[max(0, start - 6) : start].lower() == "minus ":
        return start - 6, "-"
    return start, ""


def _rupee(scan: _Scan, pos: int) -> str:
    s_start, s_end = scan.sentence_of(pos)
    known = scan.rupees.get(s_start)
    if known is None:
        sentence = scan.text[s_start:s_end]
        cued = {code for code, pattern in _RUPEE_CUES if pattern.search(sentence)}
        known = scan.rupees[s_start] = cued.pop() if len(cued) == 1 else scan.default_rupee
    return known


def _prefix_currency(scan: _Scan, raw: str, pos: int) -> str:
    token = "".join(raw.split()).rstrip(".")
    if token in ("Rs", "RS"):
        return _rupee(scan, pos)
    if token == "$":
        return scan.default_dollar
    return _SYMBOLS.get(token) or token  # ISO codes stand for themselves


def _word_currency(scan: _Scan, word: str, adjective: str | None, pos: int) -> str:
    if word in _ISO_CODES:
        return word
    lowered = " ".join(word.lower().split())
    adj = " ".join(adjective.lower().split()) if adjective else ""
    if lowered.startswith("dollar"):
        return _DOLLAR_ADJ.get(adj, scan.default_dollar)
    if lowered.startswith("rupee"):
        return _RUPEE_ADJ.get(adj) or _rupee(scan, pos)
    head = lowered.split()[0]
    return _WORD_CURRENCY.get(head, _WORD_CURRENCY.get(head.rstrip("s"), "XXX"))


def _money_fields(
    low: float,
    m1: str | None,
    high_raw: str | None,
    m2: str | None,
    currency: str,
    qualifier: str | None,
) -> Fields | None:
    # "$2-3 billion": a multiplier written once applies to both ends.
    mult_low = _multiplier(m1 or (m2 if high_raw else None))
    mult_high = _multiplier(m2 or m1)
    high = _number(high_raw) if high_raw else None
    amount = low * mult_low
    if not math.isfinite(amount):
        return None
    if high is not None and not high * mult_high > amount:
        return None  # "$5-2" is not a range; leave it rather than guess
    return {
        "value": low,
        "value_high": high,
        "currency": currency,
        "multiplier": mult_low,
        "amount": amount,
        "amount_high": high * mult_high if high is not None else None,
        "qualifier": qualifier,
    }


def _money(scan: _Scan, numbers: list[tuple[int, int]]) -> None:
    text = scan.text
    for m in _MONEY_PREFIXED.finditer(text):
        low = _number(m.group("n1"))
        begin, sign = _sign(text, m.start())  # "-$2bn"
        if sign == "joined":
            begin, sign = m.start(), ""
        if m.group("neg") or sign in ("-", "−"):
            low = -low
        fields = _money_fields(
            low,
            m.group("m1"),
            m.group("n2") or m.group("n3"),
            m.group("m2") or m.group("m3"),
            _prefix_currency(scan, m.group("cur"), m.start()),
            _qualifier(text, begin),
        )
        if fields is not None and scan.free(begin, m.end()):
            scan.add(begin, m.end(), "money", fields)
    if not numbers:
        return
    lowered = text.lower()
    if not any(word in lowered for word in _MONEY_WORDS) and not any(
        code in text for code in _ISO_CODES
    ):
        return  # no currency word anywhere: skip the per-number suffix checks
    for start, end in numbers:
        m = _MONEY_SUFFIX.match(text, end)
        if m is None:
            continue
        begin, sign = _sign(text, start)
        if sign == "joined" or (start > 0 and text[start - 1] in "$€£¥₹"):
            continue
        low = _number(text[start:end])
        if sign in ("-", "−"):
            low = -low
        fields = _money_fields(
            low,
            m.group("m1"),
            m.group("n2"),
            None,
            _word_currency(scan, m.group("word"), m.group("adj"), start),
            _qualifier(text, begin),
        )
        if fields is not None and scan.free(begin, m.end()):
            scan.add(begin, m.end(), "money", fields)


def _direction(scan: _Scan, start: int, end: int, sign: str) -> Direction | None:
    if sign in ("-", "−"):
        return "decrease"
    if sign == "+":
        return "increase"
    text = scan.text
    s_start, s_end = scan.sentence_of(start)
    after = _DIRECTION_AFTER.match(text, end, min(s_end, end + 40))
    if after:
        return "increase" if after.group("up") else "decrease"
    window = text[max(s_start, start - 80) : start]
    for brk in _CLAUSE_BREAK.finditer(window):
        window = window[brk.end() :]
    words = [w.strip(".,:()\"'“”‘’") for w in window.split()[-8:]]  # the nearest eight words
    for index in range(len(words) - 1, -1, -1):
        word = words[index]
        if _UP_WORD.fullmatch(word):
            if word.lower() == "up" and index + 1 < len(words) and words[index + 1].lower() == "to":
                continue  # "up to 40%" is a ceiling, not a rise
            return "increase"
        if _DOWN_WORD.fullmatch(word):
            return "decrease"
    return None


def _percents(scan: _Scan, numbers: list[tuple[int, int]]) -> None:
    text = scan.text
    for start, end in numbers:
        m = _PERCENT_SUFFIX.match(text, end)
        if m is None:
            continue
        begin, sign = _sign(text, start)
        if sign == "joined" and not m.group("n2"):
            sign = ""
        value = _number(text[start:end])
        if sign in ("-", "−"):
            value = -value
        high_raw = m.group("n2") or m.group("n3")
        high = _number(high_raw) if high_raw else None
        if high is not None and high <= value:
            continue
        unit_raw = m.group("unit").lower()
        unit = (
            "bp"
            if unit_raw[0] == "b"
            else "pp"
            if unit_raw.startswith(("percentage", "pp"))
            else "%"
        )
        if scan.free(begin, m.end()):
            scan.add(
                begin,
                m.end(),
                "percent",
                {
                    "value": value,
                    "value_high": high,
                    "unit": unit,
                    "direction": _direction(scan, begin, m.end(), sign if sign != "joined" else ""),
                    "qualifier": _qualifier(text, begin),
                },
            )


# --- periods: helpers --------------------------------------------------------------------------


def _expand_year(raw: str) -> int:
    if len(raw) == 4:
        return int(raw)
    value = int(raw)
    return 2000 + value if value < 70 else 1900 + value


def _second_year(first: int, raw: str) -> int:
    if len(raw) == 4:
        return int(raw)
    second = first // 100 * 100 + int(raw)
    return second + 100 if second < first else second


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _period(label: str, first: date, months: int) -> Fields:
    last = date.fromordinal(_add_months(first, months).toordinal() - 1)
    return {"period": label, "start_date": first.isoformat(), "end_date": last.isoformat()}


def _part_offset(letter: str, index: int) -> tuple[int, int]:
    """(offset, length) in months of quarter or half ``index``."""
    return ((index - 1) * 3, 3) if letter == "Q" else ((index - 1) * 6, 6)


def _parse_part(raw: str) -> tuple[str, int]:
    letter = "Q" if "Q" in raw.upper() else "H"
    return letter, int(raw.upper().replace(letter, ""))


@dataclass(frozen=True, slots=True)
class _Anchor:
    """A year-like token: a fiscal year (``fy_end``) or a calendar year (``year``)."""

    start: int
    end: int
    fy_end: int | None = None
    year: int | None = None
    last_year: int | None = None  # "2019-2024": a span of calendar years


def _base(scan: _Scan, anchor: _Anchor) -> tuple[str, date]:
    if anchor.fy_end is not None:
        return f"FY{anchor.fy_end}", scan.fiscal.start(anchor.fy_end)
    assert anchor.year is not None
    return str(anchor.year), date(anchor.year, 1, 1)


def _month_in(scan: _Scan, anchor: _Anchor, month: int) -> date:
    if anchor.fy_end is not None:
        return date(scan.fiscal.month_year(month, anchor.fy_end), month, 1)
    assert anchor.year is not None
    return date(anchor.year, month, 1)


def _with_prefix(scan: _Scan, anchor: _Anchor) -> tuple[int, Fields] | None:
    """The longest period ending at ``anchor``: "Q3 2024", "first half of FY24", "9MFY24",
    "July-March FY24", "March 15, 2024", "March 2024". None when nothing precedes it."""
    text, start = scan.text, anchor.start
    lo = max(0, start - 45)
    label, first = _base(scan, anchor)
    if anchor.fy_end is not None:
        m = _P_PART_BEFORE_FY.search(text, max(0, start - 8), start)
        if m:
            if m.group("nm"):
                months = int(m.group("nm"))
                return (
                    (m.start(), _period(f"{label}-{months}M", first, months))
                    if 1 <= months <= 12
                    else None
                )
            letter, index = _parse_part(m.group("q"))
            offset, length = _part_offset(letter, index)
            return m.start(), _period(
                f"{label}-{letter}{index}", _add_months(first, offset), length
            )
    elif anchor.last_year is None:
        m = _P_PART_BEFORE_YEAR.search(text, max(0, start - 10), start)
        if m:
            letter, index = _parse_part(m.group("q"))
            offset, length = _part_offset(letter, index)
            return m.start(), _period(
                f"{label}-{letter}{index}", _add_months(first, offset), length
            )
    if anchor.last_year is not None:
        return None
    window = text[lo:start].lower()
    if "quarter" in window or "half" in window:
        m = _P_ORDINAL_BEFORE.search(text, lo, start)
        if m:
            letter = "Q" if m.group("unit").lower() == "quarter" else "H"
            index = _ORDINALS[m.group("ord").lower()]
            if letter == "H" and index > 2:
                return None
            offset, length = _part_offset(letter, index)
            return m.start(), _period(
                f"{label}-{letter}{index}", _add_months(first, offset), length
            )
    if "months" in window:
        m = _P_MONTHS_BEFORE.search(text, lo, start)
        if m:
            months = int(_number(m.group("n")))
            return (
                (m.start(), _period(f"{label}-{months}M", first, months))
                if 1 <= months <= 12
                else None
            )
    m = (
        _P_MONTH_RANGE_BEFORE.search(text, max(0, start - 32), start)
        if ("-" in window or "–" in window)
        else None
    )
    if m:
        m1 = _MONTH_NAMES[m.group("m1").rstrip(".").lower()]
        m2 = _MONTH_NAMES[m.group("m2").rstrip(".").lower()]
        if anchor.fy_end is not None:
            begin, last = _month_in(scan, anchor, m1), _month_in(scan, anchor, m2)
        else:
            assert anchor.year is not None
            begin = date(anchor.year if m1 <= m2 else anchor.year - 1, m1, 1)
            last = date(anchor.year, m2, 1)
        if last < begin:
            return None
        months = (last.year - begin.year) * 12 + last.month - begin.month + 1
        return m.start(), _period(f"{begin:%Y-%m}/{last:%Y-%m}", begin, months)
    if anchor.fy_end is not None:
        return None
    assert anchor.year is not None
    near = text[max(0, start - 16) : start]
    m = (
        _P_DAY_BEFORE.search(text, max(0, start - 24), start)
        if any(c.isdigit() for c in near)
        else None
    )
    if m:
        month = _MONTH_NAMES[(m.group("m") or m.group("m2")).rstrip(".").lower()]
        day = date(anchor.year, month, int(m.group("d") or m.group("d2")))
        return m.start(), {
            "period": day.isoformat(),
            "start_date": day.isoformat(),
            "end_date": day.isoformat(),
        }
    m = _P_MONTH_BEFORE.search(text, max(0, start - 12), start)
    if m:
        month = _MONTH_NAMES[m.group("m").rstrip(".").lower()]
        begin = date(anchor.year, month, 1)
        return m.start(), _period(f"{begin:%Y-%m}", begin, 1)
    return None


def _year_context(text: str, start: int) -> str | None:
    """The word that makes a plain year a period ("in 2023"), or None."""
    lo = max(0, start - 30)
    before = text[lo:start]
    if not before or not (before[-1].isspace() or before[-1] == "-"):
        return None
    words = before.replace("-", " ").split()
    if len(words) >= 2 and words[-1].lower() == "year" and words[-2].lower() == "the":
        words = words[:-2]
    elif words and words[-1].lower() == "the":
        words = words[:-1]
    if not words or (len(words) == 1 and lo > 0 and text[lo - 1].isalnum()):
        return None
    word = words[-1].lower().strip("(\"'“‘,")
    return word if word in _YEAR_CONTEXT else None


def _anchors(scan: _Scan, numbers: list[tuple[int, int]]) -> list[_Anchor]:
    text = scan.text
    anchors: list[_Anchor] = []
    for m in _FY_TOKEN.finditer(text):
        kind = m.group("kind").lower()
        y1 = _expand_year(m.group("y1"))
        if kind in ("cy", "calendar"):
            if not m.group("y2"):
                anchors.append(_Anchor(m.start(), m.end(), year=y1))
            continue
        glued = m.start() > 0 and text[m.start() - 1].isalnum()
        # "3QFY24", "9MFY24": only a part prefix may be glued to FY.
        if glued and not _P_PART_BEFORE_FY.search(text, max(0, m.start() - 8), m.start()):
            continue
        if kind in ("fiscal", "financial") and len(m.group("y1")) != 4:
            continue
        if m.group("y2"):
            y2 = _second_year(y1, m.group("y2"))
            if y2 != y1 + 1:
                continue  # "FY2018-21" is not one fiscal year
            anchors.append(_Anchor(m.start(), m.end(), fy_end=y2))
        else:
            anchors.append(_Anchor(m.start(), m.end(), fy_end=y1))
    for start, end in numbers:
        if end - start != 4 or not text[start:end].isdigit():
            continue
        year = int(text[start:end])
        if not 1900 <= year <= 2099 or text[end : end + 1].isalnum():
            continue
        tail = _YEAR_RANGE_TAIL.match(text, end)
        if tail:
            second = _second_year(year, tail.group("y2"))
            if second == year + 1:  # "2019-20", "2023-2024": a fiscal year by convention
                anchors.append(_Anchor(start, tail.end(), fy_end=second))
            elif year < second <= year + 50:
                anchors.append(_Anchor(start, tail.end(), year=year, last_year=second))
            continue
        anchors.append(_Anchor(start, end, year=year))
    return anchors


def _periods(scan: _Scan, numbers: list[tuple[int, int]]) -> None:
    text = scan.text
    candidates: list[tuple[int, int, Fields, int | None]] = []  # (start, end, fields, link)
    for anchor in _anchors(scan, numbers):
        try:
            found = _with_prefix(scan, anchor)
        except ValueError:  # "February 30, 2024"
            continue
        if found is not None:
            candidates.append((found[0], anchor.end, found[1], None))
            continue
        if anchor.fy_end is not None:
            label, first = _base(scan, anchor)
            candidates.append((anchor.start, anchor.end, _period(label, first, 12), None))
            continue
        assert anchor.year is not None
        if anchor.last_year is not None:
            fields: Fields = {
                "period": f"{anchor.year}/{anchor.last_year}",
                "start_date": f"{anchor.year}-01-01",
                "end_date": f"{anchor.last_year}-12-31",
            }
            candidates.append((anchor.start, anchor.end, fields, None))
            continue
        explicit = text[anchor.start - 2 : anchor.start].upper() == "CY" or text[
            max(0, anchor.start - 14) : anchor.start
        ].lower().rstrip().endswith("calendar year")
        possessive = text[anchor.end : anchor.end + 2] in ("'s", "’s")
        context = None if explicit or possessive else _year_context(text, anchor.start)
        if not (explicit or possessive or context):
            continue
        fields = _period(str(anchor.year), date(anchor.year, 1, 1), 12)
        link = anchor.start if context in _LINKING_CONTEXT else None
        candidates.append((anchor.start, anchor.end, fields, link))
    # Leftmost-longest among overlapping readings; sorted by start, so only the last accepted
    # period can overlap or sit next to the current one.
    last_end = -1
    for start, end, fields, link in sorted(candidates, key=lambda c: (c[0], c[0] - c[1])):
        if link is not None and not 0 <= link - last_end <= 12:
            continue
        if start < last_end or not scan.free(start, end):
            continue
        last_end = end
        scan.add(start, end, "period", fields)


# --- counts --------------------------------------------------------------------------------------


def _is_plural(word: str) -> bool:
    lowered = word.lower()
    if lowered in _IRREGULAR_PLURALS:
        return True
    return (
        len(lowered) > 2
        and lowered.endswith("s")
        and not lowered.endswith(("ss", "us", "is", "'s", "’s"))
    )


def _count_at(scan: _Scan, start: int, end: int, value: float) -> None:
    text = scan.text
    m = _COUNT_SUFFIX.match(text, end)
    if m is None:
        return
    mult = m.group("mult") or m.group("glued")
    value *= _multiplier(mult)
    if value == 1 or not math.isfinite(value):
        return  # "one company" is not a figure worth recording
    pos = m.start("tail")
    for word_match in re.finditer(r"\S+", m.group("tail")):
        word = word_match.group()
        lowered = word.lower()
        if word.isupper() and len(word) > 1:
            continue  # an acronym modifier: "IT" in "300 IT professionals" is not "it"
        if (
            lowered in _COUNT_STOP
            or lowered in _COUNT_EXCLUDED
            or lowered in _NUMBER_WORDS
            or lowered in _MONTH_NAMES
            or lowered in _MULTIPLIERS
        ):
            return
        if _is_plural(word):
            stop = pos + word_match.end()
            unit = word if any(c.isupper() for c in word[1:]) else lowered
            if scan.free(start, stop):
                scan.add(
                    start,
                    stop,
                    "count",
                    {
                        "value": value,
                        "multiplier": _multiplier(mult),
                        "unit": unit,
                        "qualifier": _qualifier(text, start),
                    },
                )
            return


def _after_a_name(text: str, start: int) -> bool:
    """ "Windows 10 users", "iPhone 15 sales", "Page 3 stories": a number right after a
    capitalised word (not a sentence-initial "About"/"Some", not a possessive) names a model,
    version or page rather than counting things."""
    if start < 2 or text[start - 1] != " ":
        return False
    before = text[max(0, start - 25) : start - 1].split()
    if not before:
        return False
    word = before[-1]
    if not word.isalpha() or word.lower() in _COUNT_LEAD_WORDS:
        return False
    return word[0].isupper() or any(c.isupper() for c in word[1:])


def _counts(scan: _Scan, numbers: list[tuple[int, int]]) -> None:
    text = scan.text
    for start, end in numbers:
        if start > 0 and text[start - 1] in _COUNT_LEFT_EXCLUDED:
            continue
        raw = text[start:end]
        if len(raw) == 4 and raw.isdigit() and 1900 <= int(raw) <= 2099:
            continue  # a year, not a count
        if scan.taken[start] or _after_a_name(text, start):
            continue
        _count_at(scan, start, end, _number(raw))
    for m in _NUMBER_WORD.finditer(text):
        word = m.group().lower()
        head, _, unit = word.partition("-")
        if word not in _NUMBER_WORDS and not (
            head in _NUMBER_WORDS and unit in _NUMBER_WORDS and _NUMBER_WORDS[head] >= 20
        ):
            continue
        if not scan.taken[m.start()]:
            _count_at(scan, m.start(), m.end(), _number(word))
