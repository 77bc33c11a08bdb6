import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archive.schema import open_archive
from pipelines.versions import (
    TOUCH_MAX_CHARS,
    classify_change,
    diff_versions,
    record_version,
    sentences,
)

BODY = (
    "Pakistan's IT exports reached $3.2 billion in FY2023-24, the central bank said. "
    "Software houses led the growth.\n\n"
    "Freelancers earned a further $350 million. 1,204 views"
)
OLD = {
    "title": "IT exports hit record",
    "body": BODY,
    "published_at": "2024-07-18T10:00:00+05:00",
    "updated_at": "2024-07-18T10:00:00+05:00",
    "authors": json.dumps(["A. Writer"]),
    "content_hash": "h-old",
}


def new(**changes):
    return {**OLD, **changes}


@pytest.fixture
def db(tmp_path):
    return open_archive(tmp_path / "v.db")  # applies m002_stories and m004_versions


def test_diff_lists_changed_fields_with_sentence_level_body_diff():
    diff = diff_versions(
        OLD, new(title="IT exports hit a record", body=BODY.replace("3.2", "3.4"), authors=["B"])
    )
    assert diff.changed_fields == ("title", "body", "authors")
    title, body, authors = diff.changes
    assert (title.old, title.new) == ("IT exports hit record", "IT exports hit a record")
    assert (authors.old, authors.new) == ("A. Writer", "B")  # JSON and lists compare alike
    assert "-Pakistan's IT exports reached $3.2 billion in FY2023-24, the central bank said." in (
        body.diff
    )
    assert "+Pakistan's IT exports reached $3.4 billion in FY2023-24, the central bank said." in (
        body.diff
    )
    assert " Software houses led the growth." in body.diff  # one sentence of context
    stored = json.loads(diff.to_json())
    assert stored[1]["field"] == "body" and "old" not in stored[1]
    assert stored[0] == {"field": "title", "old": title.old, "new": title.new}


def test_sentences_keep_paragraph_breaks():
    assert sentences("One. Two!\n\nThree?") == ["One.", "Two!", "", "Three?"]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, "unchanged"),
        ({"body": BODY.replace(". ", ".  ").replace("\n\n", "\n\n\n")}, "touch"),  # whitespace
        ({"body": BODY.replace("growth.", "growth!")}, "touch"),  # punctuation
        ({"body": BODY.replace("1,204 views", "1,530 views")}, "touch"),  # counter
        ({"body": BODY + "\nUpdated 5 minutes ago"}, "touch"),
        ({"body": BODY.replace("Software", "software")}, "touch"),  # case
        ({"body": BODY.replace("houses", "hooses")}, "touch"),  # a typo fix
        ({"updated_at": "2024-07-18T11:00:00+05:00"}, "touch"),  # CMS cache rebuild
        ({"title": "IT exports hit record."}, "touch"),
        ({"body": BODY.replace("3.2", "3.4")}, "version"),  # one character, but a figure
        ({"body": BODY.replace("central bank", "finance ministry")}, "version"),
        ({"body": BODY + "\n\nThe ministry disputed the figure."}, "version"),
        ({"authors": json.dumps(["A. Writer", "B. Editor"])}, "version"),
        ({"published_at": "2024-07-17T10:00:00+05:00"}, "version"),
        ({"title": "IT exports hit record high in July"}, "version"),
    ],
)
def test_classify_change(changes, expected):
    assert classify_change(OLD, new(**changes)) == expected


def test_touch_threshold_is_in_characters():
    short = "x" * TOUCH_MAX_CHARS
    long = "x" * (TOUCH_MAX_CHARS + 1)
    assert classify_change(OLD, new(body=BODY + " " + short)) == "touch"
    assert classify_change(OLD, new(body=BODY + " " + long)) == "version"


@given(st.text(max_size=300))
def test_identical_is_unchanged_and_whitespace_is_at_most_touch(text):
    row = new(body=text)
    assert classify_change(row, dict(row)) == "unchanged"
    spaced = new(body="  " + text.replace(" ", "\n ") + "\n")
    assert classify_change(row, spaced) in ("unchanged", "touch")


def test_record_version_keeps_every_revision_and_is_idempotent(db):
    v2 = new(body=BODY.replace("3.2", "3.4"), content_hash="h-2")
    v3 = new(body=BODY.replace("3.2", "3.5"), title="Corrected", content_hash="h-3")
    assert record_version(db, "a1", OLD, v2, "2024-07-19T00:00:00+00:00") == "version"
    assert record_version(db, "a1", OLD, v2, "2024-07-19T00:00:00+00:00") == "version"
    assert db["article_versions"].count == 1  # re-running the same transition adds nothing
    assert record_version(db, "a1", v2, v3, "2024-07-20T00:00:00+00:00") == "version"
    assert record_version(db, "a1", v3, dict(v3), "2024-07-21T00:00:00+00:00") == "unchanged"
    touched = new(**{**v3, "body": v3["body"].replace("1,204", "1,300")})
    assert record_version(db, "a1", v3, touched, "2024-07-21T00:00:00+00:00") == "touch"
    rows = list(db.query("select * from article_versions order by version"))
    assert [r["version"] for r in rows] == [1, 2]
    assert rows[0]["body"] == OLD["body"] and rows[0]["content_hash"] == "h-old"
    assert rows[1]["body"] == v2["body"] and rows[1]["title"] == OLD["title"]
    assert json.loads(rows[1]["changed_fields"]) == ["title", "body"]
    assert json.loads(rows[0]["authors"]) == ["A. Writer"]
