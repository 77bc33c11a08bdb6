"""Site-template learning (pipelines/templates.py): counts, thresholds, cleaning, re-cleaning,
and an end-to-end demonstration on the bundled demo outlets."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import sqlite_utils

from archive.schema import open_archive
from pipelines.dedup import content_hash
from pipelines.models import Extracted, FetchedPage, PageKind, Source
from pipelines.store import ArchiveWriter, Outcome
from pipelines.templates import TemplateModel, Thresholds, block_hash, clean_body, split_blocks

WORDS = (
    "market bank rupee export tariff startup founder funding round investor growth inflation "
    "budget policy telecom spectrum broadband fintech wallet payment lender loan deposit rate "
    "quarter revenue profit loss margin factory textile cotton power tariff grid solar wind port "
    "shipping freight customs duty ministry regulator court ruling appeal license operator tower "
    "subscriber handset chip software cloud data centre engineer hiring layoff salary wage"
)
SIGN_OFF = "Follow Example Times on X and LinkedIn for the latest on business and technology."
NEWSLETTER = "Get the morning briefing in your inbox. Sign up for our free newsletter."
PROMPT = "What are your views? Share with us in the comments."
QUOTE = '"We will not raise rates this year," the governor said.'
T0 = "2026-01-01T00:00:00+00:00"


def paragraph(rng: random.Random, n: int = 40) -> str:
    words = WORDS.split()
    return " ".join(rng.choice(words) for _ in range(n)).capitalize() + "."


def story(n: int, paragraphs: int = 4) -> list[str]:
    rng = random.Random(n)
    return [paragraph(rng) for _ in range(paragraphs)]


@pytest.fixture
def db(tmp_path: Path) -> sqlite_utils.Database:
    return open_archive(tmp_path / "a.db")


@pytest.fixture
def writer(db: sqlite_utils.Database) -> ArchiveWriter:
    w = ArchiveWriter(db, "test")
    w.upsert_sources((SOURCE,), T0)
    return w


SOURCE = Source(id="ex", url="http://127.0.0.1:9/")


def ingest(writer: ArchiveWriter, n: int, blocks: list[str], at: str = T0) -> Outcome:
    page = FetchedPage(url=f"http://127.0.0.1:9/news/{n}", source_id="ex", body=b"", fetched_at=at)
    extracted = Extracted(
        kind=PageKind.ARTICLE, title=f"Story number {n}", body="\n\n".join(blocks), language="en"
    )
    result = writer.ingest(page, extracted, SOURCE)
    assert result is not None
    return result.outcome


def bodies(db: sqlite_utils.Database) -> dict[str, str]:
    return {r["url"]: r["body"] for r in db["articles"].rows}


def test_split_and_hash_normalise_case_and_whitespace_but_keep_digits() -> None:
    assert split_blocks("a\n\n b \n \n\nc\n") == ["a", "b", "c"]
    assert block_hash("Sign up  for our\nNewsletter") == block_hash("sign up for our newsletter")
    assert block_hash("Page 2 of 5") != block_hash("Page 3 of 5")


def test_observe_is_idempotent_and_applies_only_the_difference(db: sqlite_utils.Database) -> None:
    model = TemplateModel(db)
    body = "\n\n".join([*story(1), SIGN_OFF, SIGN_OFF])  # twice in one article: counted once
    for _ in range(3):
        model.observe("ex", "a1", body, T0)
    counts = {r["block_hash"]: r["articles"] for r in db["source_blocks"].rows}
    assert counts[block_hash(SIGN_OFF)] == 1
    assert set(counts.values()) == {1} and len(counts) == 5
    assert db["article_blocks"].count == 5
    model.observe("ex", "a1", "\n\n".join([*story(1), NEWSLETTER]), T0)  # revised article
    counts = {r["block_hash"]: r["articles"] for r in db["source_blocks"].rows}
    assert counts[block_hash(SIGN_OFF)] == 0 and counts[block_hash(NEWSLETTER)] == 1
    model.observe("ex", "a2", body, T0)
    assert db["source_blocks"].get(("ex", block_hash(SIGN_OFF)))["articles"] == 1


def test_long_paragraphs_are_not_counted(db: sqlite_utils.Database) -> None:
    model = TemplateModel(db)
    long_block = paragraph(random.Random(99), 80)
    model.observe("ex", "a1", f"{long_block}\n\n{SIGN_OFF}", T0)
    assert [r["sample"] for r in db["source_blocks"].rows] == [SIGN_OFF]


def test_thresholds_minimum_articles_and_ratio(db: sqlite_utils.Database) -> None:
    db["sources"].insert({"id": "ex", "url": "http://127.0.0.1:9/"})
    model = TemplateModel(db)
    hashes = {block_hash(SIGN_OFF), block_hash(NEWSLETTER)}
    for n in range(7):  # the sign-off in all 7, but fewer than MIN_ARTICLES stored
        db["articles"].insert({"id": f"a{n}", "source": "ex", "url": f"u{n}"}, alter=False)
        model.observe("ex", f"a{n}", "\n\n".join([*story(n), SIGN_OFF]), T0)
    assert not model.evaluate("ex") and model.boilerplate("ex") == frozenset()
    for n in range(7, 20):  # 20 articles: the newsletter box in 5 (< 0.3 x 20), then in 6
        db["articles"].insert({"id": f"a{n}", "source": "ex", "url": f"u{n}"}, alter=False)
        extra = [NEWSLETTER] if n >= 15 else []
        model.observe("ex", f"a{n}", "\n\n".join([*story(n), SIGN_OFF, *extra]), T0)
    model.evaluate("ex")
    assert model.boilerplate("ex") == {block_hash(SIGN_OFF)}
    model.observe("ex", "a6", "\n\n".join([*story(6), SIGN_OFF, NEWSLETTER]), T0)
    assert model.evaluate("ex")  # the set changed: earlier articles need cleaning
    assert model.boilerplate("ex") == hashes
    # Hysteresis: once learned, a block stays while it is in >= 15% of the articles (here 4).
    for n in (15, 16):
        model.observe("ex", f"a{n}", "\n\n".join([*story(n), SIGN_OFF]), T0)
    model.evaluate("ex")
    assert model.boilerplate("ex") == hashes
    # A fresh model reads the learned set from the database.
    assert TemplateModel(db).boilerplate("ex") == hashes


def test_clean_never_empties_a_body_nor_removes_most_of_it() -> None:
    hashes = {block_hash(SIGN_OFF), block_hash(NEWSLETTER), block_hash(PROMPT)}
    t = Thresholds()
    only = f"{SIGN_OFF}\n\n{NEWSLETTER}"
    assert clean_body(only, hashes, t) == (only, [])
    short_story = f"Rates held.\n\n{SIGN_OFF}\n\n{PROMPT}"  # boilerplate is most of the words
    assert clean_body(short_story, hashes, t) == (short_story, [])
    body = "\n\n".join([*story(1), PROMPT, SIGN_OFF])
    cleaned, removed = clean_body(body, hashes, t)
    assert cleaned == "\n\n".join(story(1)) and removed == [PROMPT, SIGN_OFF]
    assert clean_body(body, set(), t) == (body, [])


def test_ingest_learns_the_template_and_keeps_real_text(
    writer: ArchiveWriter, db: sqlite_utils.Database
) -> None:
    long_block = paragraph(random.Random(99), 80)  # syndicated paragraph carried by every story
    for n in range(24):
        extra = [QUOTE] if n in (3, 17) else []  # a quote two stories repeat
        assert ingest(writer, n, [*story(n), *extra, long_block, SIGN_OFF, PROMPT]) is Outcome.NEW
    stored = bodies(db)
    assert len(stored) == 24
    for n in range(24):
        body = stored[f"http://127.0.0.1:9/news/{n}"]
        assert SIGN_OFF not in body and PROMPT not in body, n  # earlier ones re-cleaned too
        assert all(p in body for p in story(n)) and long_block in body
        assert (QUOTE in body) == (n in (3, 17))
    state = db["source_templates"].get("ex")
    assert state["boilerplate_blocks"] == 2 and state["fingerprint"] == state["cleaned_fingerprint"]
    assert not db["article_versions"].count  # cleaning is not a revision
    # Stored again as extracted (with the boilerplate): the cleaned body compares equal.
    assert ingest(writer, 0, [*story(0), long_block, SIGN_OFF, PROMPT]) is Outcome.UNCHANGED
    # A wire story carried twice keeps its paragraphs.
    wire = story(1000, 6)
    assert ingest(writer, 100, [*wire, SIGN_OFF]) is Outcome.NEW
    ingest(writer, 101, [*wire, PROMPT])  # the same body once cleaned: one article, two URLs
    for n in (100, 101):
        (body,) = db.execute(
            "select a.body from article_urls u join articles a on a.id = u.article_id"
            " where u.url = ?",
            [f"http://127.0.0.1:9/news/{n}"],
        ).fetchone()
        assert body == "\n\n".join(wire)
    assert ingest(writer, 200, story(200)) is Outcome.NEW  # nothing to clean
    # The hash derive() takes of the extracted body is used only when nothing was cleaned.
    for row in db["articles"].rows:
        assert row["content_hash"] == content_hash(row["body"]), row["url"]


def test_reclean_updates_earlier_articles_word_counts_and_search(
    writer: ArchiveWriter, db: sqlite_utils.Database
) -> None:
    for n in range(7):  # not yet learnable: stored with the newsletter line
        ingest(writer, n, [*story(n), NEWSLETTER])
    assert all(NEWSLETTER in b for b in bodies(db).values())
    search = "select count(*) from articles_fts where articles_fts match ?"
    assert db.execute(search, ['"morning briefing"']).fetchone()[0] == 7
    before = {r["id"]: (r["word_count"], r["content_hash"]) for r in db["articles"].rows}
    ingest(writer, 7, [*story(7), NEWSLETTER])  # 8th article: evaluated, learned, re-cleaned
    assert db.execute(search, ['"morning briefing"']).fetchone()[0] == 0
    assert db.execute(search, ["tariff"]).fetchone()[0] > 0
    for row in db["articles"].rows:
        assert NEWSLETTER not in row["body"] and row["word_count"] == len(row["body"].split())
        if row["id"] in before:
            assert row["content_hash"] != before[row["id"]][1]
    # The 8th was stored before the evaluation it triggered, so it was re-cleaned too.
    assert db["source_templates"].get("ex")["recleaned_articles"] == 8
    model = writer.templates
    assert model.reclean("ex") == 0  # nothing changed since


def test_migration_backfills_counts_from_stored_bodies(tmp_path: Path) -> None:
    from archive.schema import MIGRATIONS

    assert "m011_templates" in dict(MIGRATIONS)
    db = open_archive(tmp_path / "b.db")
    db.execute("delete from _sqlite_migrations where name = 'm011_templates'")
    for table in ("source_blocks", "article_blocks", "source_templates"):
        db[table].drop()
    db["sources"].insert({"id": "ex", "url": "http://127.0.0.1:9/"})
    for n in range(10):
        db["articles"].insert(
            {"id": f"a{n}", "source": "ex", "url": f"u{n}", "body": f"{story(n)[0]}\n\n{SIGN_OFF}"}
        )
    db.conn.commit()
    db = open_archive(tmp_path / "b.db")
    assert db["source_blocks"].get(("ex", block_hash(SIGN_OFF)))["articles"] == 10
    assert TemplateModel(db).boilerplate("ex") == {block_hash(SIGN_OFF)}
    assert TemplateModel(db).reclean("ex") == 10


# --- End to end on the bundled demo outlets ------------------------------------------------


@pytest.mark.e2e
def test_demo_sites_learning_keeps_every_paragraph_and_removes_template_lines(
    tmp_path: Path,
) -> None:
    from demo_sites.server import DemoServer
    from tests.test_e2e_crawl import expected, run_crawl, stored_by_url

    with DemoServer() as server:
        crawl = run_crawl(server, tmp_path)
        assert crawl.returncode == 0, crawl.output[-3000:]
        want = expected(server)
        rows = stored_by_url(crawl)
        assert len(rows) == len(want) == 66

        def missing_paragraphs(found: dict[str, str]) -> list[tuple[str, str]]:
            return [
                (url, p[:60])
                for url, (_, article) in want.items()
                for p in article.paragraphs
                if p.strip() not in split_blocks(found[url])
            ]

        # 1. The crawl itself, learning active: nothing of any demo article was removed.
        assert not missing_paragraphs({url: row["body"] for url, row in rows.items()})
        learned = crawl.db.execute(
            "select source, sample from source_blocks where learned_at is not null"
        ).fetchall()
        assert not learned, learned  # the extractor already drops the demo themes' boilerplate
        assert crawl.db["source_templates"].count == 3

        # 2. The same articles as a template that leaks its sign-off, newsletter box and comment
        # prompt into the article container would give them, through the one storage path.
        db = open_archive(tmp_path / "leaky.db")
        writer = ArchiveWriter(db, "test")
        sources = {o: Source(id=o, url=url) for o, url in server.base_urls.items()}
        writer.upsert_sources(tuple(sources.values()), T0)
        template = {
            o: [f"Follow {o.title()} Times on X for the latest in tech and business.",
                NEWSLETTER if o != "ravi" else "Bytes in your inbox: sign up for our newsletter.",
                PROMPT]
            for o in sources
        }  # fmt: skip
        ordered = sorted(rows.items(), key=lambda item: (item[1]["first_seen_at"], item[0]))
        for n, (url, row) in enumerate(ordered):
            outlet = want[url][0]
            rng = random.Random(n)
            leaked = [b for b in template[outlet] if rng.random() < 0.9]  # most pages, not all
            page = FetchedPage(url=url, source_id=outlet, body=b"", fetched_at=row["fetched_at"])
            extracted = Extracted(
                kind=PageKind.ARTICLE, title=row["title"], language="en",
                body="\n\n".join([*split_blocks(row["body"]), *leaked]),
            )  # fmt: skip
            result = writer.ingest(page, extracted, sources[outlet])
            assert result is not None and result.outcome is Outcome.NEW
        found = bodies(db)
        assert set(found) == set(want)
        assert not missing_paragraphs(found)
        lines = {line for lines in template.values() for line in lines}
        leftover = [
            (url, b) for url, body in found.items() for b in split_blocks(body) if b in lines
        ]
        assert not leftover, leftover[:5]
        learned = {
            (s, sample)
            for s, sample in db.execute(
                "select source, sample from source_blocks where learned_at is not null"
            ).fetchall()
        }
        assert learned == {(o, line) for o, lines in template.items() for line in lines}
        assert not db["article_versions"].count
