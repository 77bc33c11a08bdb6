"""Incremental crawls against the demo sites: a second run of an unchanged site costs little, and a
changed site yields exactly the new and the corrected articles."""

from __future__ import annotations

import json
import time

import pytest

from demo_sites.catalog import outlets
from demo_sites.server import DemoServer
from pipelines.extract import EXTRACTOR_VERSION
from pipelines.urls import canonicalize
from tests.test_e2e_crawl import run_crawl

pytestmark = pytest.mark.e2e


def test_second_crawl_is_cheap_and_finds_new_and_changed_articles(tmp_path):
    with DemoServer() as server:
        first = run_crawl(server, tmp_path)
        assert first.returncode == 0, first.output[-3000:]
        first_requests = len(server.requests)
        articles_before = first.db["articles"].count

        server.clear_requests()
        second = run_crawl(server, tmp_path)
        assert second.returncode == 0, second.output[-3000:]
        second_requests = len(server.requests)
        ratio = second_requests / first_requests
        print(f"first crawl {first_requests} requests, second {second_requests} ({ratio:.1%})")
        assert ratio <= 0.10, server.requests
        assert second.db["articles"].count == articles_before

        time.sleep(1.1)  # Last-Modified has one-second resolution
        server.set_edition(2)
        server.clear_requests()
        third = run_crawl(server, tmp_path)
        assert third.returncode == 0, third.output[-3000:]
        assert third.db["articles"].count == articles_before + 1
        added = [
            (o.id, a) for o in outlets() for a in o.articles(edition=2) if a.edition_added == 2
        ]
        for outlet_id, article in added:
            url = canonicalize(article.url(server.base_urls[outlet_id]))
            assert (
                third.db.execute(
                    "select count(*) from article_urls where url = ?", [url]
                ).fetchone()[0]
                == 1
            )
        corrected = {
            (o.id, a.path): a
            for o in outlets()
            for a in o.articles(edition=2)
            if a.title not in {b.title for b in o.articles(edition=1)} and a.edition_added == 1
        }
        assert corrected
        for (outlet_id, path), article in corrected.items():
            url = canonicalize(server.base_urls[outlet_id] + path)
            row = third.db.execute(
                "select a.title, a.body from article_urls u join articles a on a.id = u.article_id"
                " where u.url = ?",
                [url],
            ).fetchone()
            assert row[0] == article.title
            assert "Correction" in row[1]
            article_id = third.db.execute(
                "select article_id from article_urls where url = ?", [url]
            ).fetchone()[0]
            versions = list(third.db["article_versions"].rows_where("article_id = ?", [article_id]))
            assert len(versions) == 1  # the state before the correction, kept whole
            assert {"title", "body"} <= set(json.loads(versions[0]["changed_fields"]))
            assert "$530 million" in versions[0]["body"]
        runs = third.db.execute(
            "select sum(articles_new), sum(articles_updated) from crawl_runs where run_id ="
            " (select run_id from crawl_runs order by id desc limit 1)"
        ).fetchone()
        assert runs == (1, len(corrected))


def test_a_crawl_after_an_upgrade_reads_old_readings_again_instead_of_recording_revisions(
    tmp_path,
):
    """Rows read by an older extractor are read again from their captures before the crawl, so
    the next fetch is compared with the current extractor's reading of the old capture."""
    with DemoServer() as server:
        first = run_crawl(server, tmp_path)
        assert first.returncode == 0, first.output[-3000:]
        db = first.db
        # What an older extractor might have stored: a share line left in the body.
        old = [r[0] for r in db.execute("select id from articles order by id limit 5")]
        marks = ",".join("?" * len(old))
        db.execute(
            "update articles set extractor_version = '0.9', content_hash = 'old',"
            f" body = body || '\n\nShare this article on Facebook' where id in ({marks})",
            old,
        )
        # Two more rows of an older extractor whose WARC file an operator has removed.
        gone = [r[0] for r in db.execute("select id from articles order by id desc limit 2")]
        db.execute(
            "update articles set extractor_version = '0.9', warc_file = 'removed.warc.gz'"
            " where id in (?, ?)",
            gone,
        )
        db.conn.commit()
        second = run_crawl(server, tmp_path, "--recrawl")
        assert second.returncode == 0, second.output[-3000:]
    assert db.execute("select count(*) from article_versions").fetchone()[0] == 0
    assert db.execute(
        "select count(*) from articles where body like '%Share this article on Facebook%'"
        " or (extractor_version is not ? and warc_file != 'removed.warc.gz')",
        [EXTRACTOR_VERSION],
    ).fetchone() == (0,)
    updated = db.execute(
        "select sum(articles_updated) from crawl_runs where run_id ="
        " (select run_id from crawl_runs order by id desc limit 1)"
    ).fetchone()[0]
    assert updated == 0
    # Only the rows that can be read again are counted; the others are reported, once.
    assert "5 articles were read by an older extractor" in second.output
    assert "missing capture: 2" in second.output
