"""Page language as ISO 639-1: declared (html lang, meta) first, then a cheap content guess."""

from __future__ import annotations

import re
from collections import Counter

from pipelines.extraction.page import PageInfo, ld_text

_CODE = re.compile(r"^\s*([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)*\s*$")
# ISO 639-2/3 codes that pages sometimes declare instead of the two-letter code
_THREE_TO_TWO = {
    "eng": "en", "deu": "de", "ger": "de", "fra": "fr", "fre": "fr", "spa": "es", "ita": "it",
    "por": "pt", "nld": "nl", "dut": "nl", "rus": "ru", "jpn": "ja", "kor": "ko", "zho": "zh",
    "chi": "zh", "ara": "ar", "tur": "tr", "pol": "pl", "swe": "sv", "nor": "no", "dan": "da",
    "fin": "fi", "ind": "id", "ukr": "uk", "ces": "cs", "cze": "cs", "ell": "el", "gre": "el",
}  # fmt: skip
# scripts that identify a language (or nearly) on their own
_SCRIPTS = (
    (re.compile(r"[\u3040-\u30ff]"), "ja"),  # kana before Han: Japanese mixes both
    (re.compile(r"[\uac00-\ud7af]"), "ko"),
    (re.compile(r"[\u4e00-\u9fff]"), "zh"),
    (re.compile(r"[\u0e00-\u0e7f]"), "th"),
    (re.compile(r"[\u0590-\u05ff]"), "he"),
    (re.compile(r"[\u0600-\u06ff]"), "ar"),
    (re.compile(r"[\u0900-\u097f]"), "hi"),
    (re.compile(r"[\u0370-\u03ff]"), "el"),
)
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
# a handful of very frequent function words per Latin/Cyrillic-script language
_STOPWORDS = {
    "en": "the and of to in is that for it with was on as are this by be have from",
    "de": "der die und das ist nicht mit den von zu sich auf ein eine für im dem auch",
    "fr": "le la les et des est une du que pour dans qui pas sur au avec par ce il",
    "es": "el la de que y los las en del por una para con se es su al lo como más",
    "pt": "o a de que e os as do da em um uma para com não por se dos das no na",
    "it": "il di che la e per un una non con del della sono è le gli nel si anche",
    "nl": "de het een en van is dat op te in zijn voor met niet aan er die ook",
    "id": "yang dan di ini itu dengan untuk dari tidak dalam akan pada juga ke ada",
    "tr": "ve bir bu da de için ile çok olarak gibi daha olan ama ne sonra kadar",
    "pl": "i w nie na się z że do to jest o jak po od za co ale przez",
    "sv": "och att det som en är på för med av till den har inte om ett jag",
    "ru": "и в не на что с по это как к из он но за от для то его так",
    "uk": "і в не на що з та це як до за від для по але його що ще",
}  # fmt: skip
_STOP_SETS = {lang: frozenset(words.split()) for lang, words in _STOPWORDS.items()}
_WORD = re.compile(r"\w+")


def normalize_code(raw: str | None) -> str:
    match = _CODE.match(raw or "")
    if not match:
        return ""
    code = match.group(1).lower()
    if len(code) == 3:
        return _THREE_TO_TWO.get(code, "")
    return code


def guess_language(text: str) -> str:
    """Script ranges for non-Latin scripts, stopword counts otherwise; "" when unsure."""
    sample = text[:3000]
    if not sample.strip():
        return ""
    for pattern, lang in _SCRIPTS:
        if len(pattern.findall(sample)) >= 20:
            return lang
    words = [w.lower() for w in _WORD.findall(sample)[:500]]
    if len(words) < 8:
        return ""
    counts: Counter[str] = Counter()
    for lang, stops in _STOP_SETS.items():
        if lang in ("ru", "uk") and not _CYRILLIC.search(sample):
            continue
        counts[lang] = sum(1 for w in words if w in stops)
    if not counts:
        return ""
    lang, hits = counts.most_common(1)[0]
    return lang if hits >= max(3, len(words) // 20) else ""


def find_language(info: PageInfo, body: str) -> str:
    for raw in (
        info.lang,
        info.first("content-language", "og:locale", "dc.language", "language"),
        ld_text((info.article or {}).get("inLanguage")),
    ):
        code = normalize_code(raw)
        if code:
            return code
    return guess_language(body)
