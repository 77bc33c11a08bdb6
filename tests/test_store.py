import dataclasses
import json
import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archive.schema import open_archive
from pipelines.dedup import build_record, content_hash, normalise_for_hash, trusted_canonical
from pipelines.models import Extracted, FetchedPage, PageKind, Source
from pipelines.store import ArchiveWriter, Outcome

HOME = "https://news.example/"


@pytest.fixture
def writer(tmp_path):
    db = open_archive(tmp_path / "a.db")
    w = ArchiveWriter(db, "test-1")
    w.upsert_sources(
        (Source(id="s", url=HOME), Source(id="t", url="https://other.example/")), "2024-01-01"
    )
    return w


def page(url, source="s", redirects=(), fetched="2024-03-14T10:00:00+00:00"):
    return FetchedPage(
        url=url, source_id=source, body=b"", fetched_at=fetched, redirect_urls=redirects
    )


def art(body="Pakistan's IT exports reached $3.2 billion in FY2023-24.", title="IT exports", **kw):
    return Extracted(kind=PageKind.ARTICLE, title=title, body=body, authors=["A. Writer"], **kw)


def store(writer, url, extracted, source="s", source_url=HOME, **kw):
    return writer.store_article(build_record(page(url, source, **kw), extracted, source_url))


def test_hash_ignores_whitespace_case_and_punctuation():
    assert content_hash("Hello,  World!\n") == content_hash("hello world")
    assert content_hash("hello world") != content_hash("hello there world")


@given(st.text(max_size=200))
def test_normalise_is_idempotent(text):
    assert normalise_for_hash(normalise_for_hash(text)) == normalise_for_hash(text)


@given(st.text(max_size=200))
def test_normalise_matches_its_definition(text):
    # NFKC, casefold, every run of non-word characters or "_" one space, trimmed
    folded = unicodedata.normalize("NFKC", text).casefold()
    assert normalise_for_hash(text) == " ".join(re.sub(r"[\W_]+", " ", folded).split())


def test_canonical_is_not_trusted_blindly():
    assert trusted_canonical("https://news.example/a", "https://news.example/a/", HOME)
    assert not trusted_canonical("https://news.example/a", "https://news.example/", HOME)
    assert not trusted_canonical("https://news.example/a", "https://evil.example/a", HOME)
    assert not trusted_canonical("https://news.example/a", "/relative", HOME)


def test_new_then_unchanged_then_updated(writer):
    assert store(writer, "https://news.example/a", art()).outcome is Outcome.NEW
    again = store(writer, "https://news.example/a?utm_source=x", art())
    assert again.outcome is Outcome.UNCHANGED
    changed = store(writer, "https://news.example/a", art(body="Corrected: $3.4 billion."))
    assert changed.outcome is Outcome.UPDATED
    rows = list(writer.db["articles"].rows)
    assert len(rows) == 1 and rows[0]["body"] == "Corrected: $3.4 billion."
    assert json.loads(rows[0]["authors"]) == ["A. Writer"]


def _captured(url, extracted, record_id):
    fetched = page(url)
    fetched.warc = {"warc_file": "a.warc.gz", "warc_offset": 0, "warc_record_id": record_id}
    return build_record(fetched, extracted, HOME)


def test_the_same_capture_extracted_again_is_no_revision(writer):
    # `broadsheet reprocess` after an extractor upgrade: the row takes the new reading, but
    # no version is kept, as the publisher changed nothing
    url = "https://news.example/a"
    assert writer.store_article(_captured(url, art(), "<urn:uuid:1>")).outcome is Outcome.NEW
    better = dataclasses.replace(art(), authors=["Amna Writer"])
    result = writer.store_article(_captured(url, better, "<urn:uuid:1>"))
    assert result.outcome is Outcome.TOUCHED
    assert writer.db["article_versions"].count == 0
    assert json.loads(next(writer.db["articles"].rows)["authors"]) == ["Amna Writer"]
    # a new fetch that reads differently is a revision
    later = dataclasses.replace(art(), authors=["Amna Writer", "B. Editor"])
    assert writer.store_article(_captured(url, later, "<urn:uuid:2>")).outcome is Outcome.UPDATED
    assert writer.db["article_versions"].count == 1


def test_a_new_extractor_reading_a_row_unchanged_takes_the_row_as_its_own(writer):
    # Otherwise the row would count as stale and be read again before every crawl.
    url = "https://news.example/a"
    assert store(writer, url, art()).outcome is Outcome.NEW
    upgraded = ArchiveWriter(writer.db, "test-2")
    assert upgraded.store_article(build_record(page(url), art(), HOME)).outcome is (
        Outcome.UNCHANGED
    )
    assert next(writer.db["articles"].rows)["extractor_version"] == "test-2"


def test_an_extractor_upgrade_reading_authors_differently_is_no_revision(writer):
    url = "https://news.example/a"
    assert store(writer, url, art()).outcome is Outcome.NEW
    upgraded = ArchiveWriter(writer.db, "test-2")  # same body, authors read anew by test-2
    reread = dataclasses.replace(art(), authors=["Amna Writer"])
    assert upgraded.store_article(build_record(page(url), reread, HOME)).outcome is (
        Outcome.TOUCHED
    )
    assert writer.db["article_versions"].count == 0
    # from then on, under one extractor, an author change is a revision
    again = dataclasses.replace(art(), authors=["Amna Writer", "B. Editor"])
    assert upgraded.store_article(build_record(page(url), again, HOME)).outcome is (Outcome.UPDATED)
    assert writer.db["article_versions"].count == 1


def test_variants_collapse_and_every_url_is_kept(writer):
    first = store(writer, "https://news.example/a", art(canonical_url="https://news.example/a"))
    printed = store(
        writer, "https://news.example/a?print=1", art(canonical_url="https://news.example/a")
    )
    moved = store(
        writer, "https://news.example/new-a", art(), redirects=("https://news.example/old-a",)
    )
    assert printed.article_id == first.article_id
    assert moved.outcome is Outcome.DUPLICATE and moved.article_id == first.article_id
    urls = {r["url"]: r["via"] for r in writer.db["article_urls"].rows}
    assert urls["https://news.example/old-a"] == "duplicate-body"
    assert writer.db["articles"].count == 1


def test_same_body_in_another_source_is_kept_and_marked(writer):
    original = store(writer, "https://news.example/a", art())
    copy = store(
        writer,
        "https://other.example/copy",
        art(title="Other headline"),
        source="t",
        source_url="https://other.example/",
    )
    assert copy.outcome is Outcome.NEW
    row = writer.db["articles"].get(copy.article_id)
    assert row["duplicate_of"] == original.article_id


def test_false_canonical_claim_does_not_merge_distinct_articles(writer):
    a = store(writer, "https://news.example/a", art(canonical_url="https://news.example/a"))
    b = store(
        writer,
        "https://news.example/b",
        art(body="A different story.", canonical_url="https://news.example/a"),
    )
    assert b.outcome is Outcome.NEW and b.article_id != a.article_id
    assert writer.db["articles"].count == 2


def test_full_text_search_follows_writes(writer):
    store(writer, "https://news.example/a", art(body="Spectrum auction raised Rs 2.1tr"))
    hits = writer.db.execute(
        "select count(*) from articles_fts where articles_fts match 'spectrum'"
    ).fetchone()[0]
    assert hits == 1


def test_runs_and_pages(writer):
    sources = (Source(id="s", url=HOME),)
    writer.start_run("r1", sources, "t0")
    writer.record_page("https://news.example/", "s", "listing", "home", 200, None, "t0")
    writer.record_page("https://news.example/", "s", "listing", "home", 200, None, "t1")
    writer.finish_run("r1", "s", {"pages_fetched": 3, "new": 1}, "ok", "finished", "t2")
    run = next(writer.db["crawl_runs"].rows)
    assert (run["status"], run["pages_fetched"], run["articles_new"]) == ("ok", 3, 1)
    assert next(writer.db["pages"].rows)["fetch_count"] == 2


def test_migrations_are_idempotent(tmp_path):
    open_archive(tmp_path / "x.db")
    db = open_archive(tmp_path / "x.db")
    from archive.schema import MIGRATIONS

    assert db["_sqlite_migrations"].count == len(MIGRATIONS)
    assert db.execute("pragma journal_mode").fetchone()[0] == "wal"


def test_template_variant_claiming_the_canonical_joins_it(writer):
    body = " ".join(f"word{i}" for i in range(200))
    first = store(
        writer,
        "https://news.example/story/1",
        art(body=body, canonical_url="https://news.example/story/1"),
    )
    amp = store(
        writer,
        "https://news.example/site/amp-edition/story/1",
        art(
            body=body + " Photo: a caption only the AMP page shows",
            canonical_url="https://news.example/story/1",
        ),
    )
    assert amp.article_id == first.article_id
    assert amp.outcome is Outcome.DUPLICATE
    assert writer.db["articles"].get(first.article_id)["body"] == body


def test_a_new_article_row_is_written_once_with_its_story_and_relevance(writer):
    """The row carries its story and relevance from its INSERT: an UPDATE would rewrite the
    whole row, body included (and did, twice per new article, before)."""
    from pipelines.enrich import derive

    source = Source(id="s", url=HOME, relevance="flag")
    row_updates = re.compile(r'\s*update\s+"?articles"?\s', re.IGNORECASE)

    def ingest(extracted, fetched):
        statements: list[str] = []
        derived = derive(extracted, source)
        writer.db.conn.set_trace_callback(statements.append)
        try:
            fetched_page = page(HOME + "it-exports", fetched=fetched)
            result = writer.ingest(fetched_page, extracted, source, derived)
        finally:
            writer.db.conn.set_trace_callback(None)
        return result, derived, [s for s in statements if row_updates.match(s)]

    first = art(body="Pakistan's IT exports reached $3.2 billion in FY2023-24. " * 20)
    result, derived, updates = ingest(first, "2024-03-14T10:00:00+00:00")
    assert result.outcome is Outcome.NEW and updates == []
    row = writer.db.execute(
        "select story_id, relevance_score, relevance_label, relevance_flagged from articles"
        " where id = ?",
        [result.article_id],
    ).fetchone()
    assert row[0] == result.article_id  # a story of its own, named after its first article
    assert row[1:] == (
        derived.relevance.score,
        derived.relevance.label,
        int(derived.decision == "store_flagged"),
    )
    # A revision updates the row (content and relevance in one statement, which the trace
    # repeats for each trigger program it starts): the pattern does see row updates.
    revised = art(body=first.body + " The figure was later revised to $3.4 billion.")
    result, _, updates = ingest(revised, "2024-03-15T10:00:00+00:00")
    assert result.outcome is Outcome.UPDATED and updates
    assert len(set(updates)) == 1 and "relevance_score" in updates[0]


def test_a_later_page_reached_alone_is_no_article_of_its_own(writer):
    # page 2 of a stored two-page article arrives by itself (a sitemap linking it, or another
    # worker of a distributed crawl): its text is in the article already
    source = Source(id="s", url=HOME)
    first = dataclasses.replace(page(f"{HOME}story"), parts=(page(f"{HOME}story?page=2"),))
    joined = art(body="Exports rose. Page two: the bank said imports fell.")
    stored = writer.ingest(first, joined, source)
    assert stored is not None and stored.outcome is Outcome.NEW
    alone = writer.ingest(page(f"{HOME}story?page=2&utm_source=x"), art(body="Page two."), source)
    assert alone is not None and alone.outcome is Outcome.DUPLICATE
    assert alone.article_id == stored.article_id
    assert writer.db["articles"].count == 1
    # a page that is no later page of anything is stored as ever
    other = writer.ingest(page(f"{HOME}other-story"), art(body="Another story."), source)
    assert other is not None and other.outcome is Outcome.NEW
