"""The command line: every command has help, and the README documents every command and option."""

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.cli import cli

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def commands():
    return sorted(cli.commands)


@pytest.mark.parametrize("name", commands())
def test_every_command_has_help_and_is_documented(name):
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    assert f"### `broadsheet {name}`" in README
    for option in cli.commands[name].params:
        for flag in option.opts:
            if flag.startswith("--") and flag != "--help":
                assert flag in README, f"README does not mention {name} {flag}"


def test_every_broadsheet_setting_is_documented():
    settings = (ROOT / "crawler" / "settings.py").read_text(encoding="utf-8")
    names = set(re.findall(r"^(BROADSHEET_[A-Z_]+)\s*[:=]", settings, flags=re.MULTILINE))
    assert names
    for name in names:
        assert f"`{name}`" in README, name


def test_bad_sources_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "s.toml"
    bad.write_text('[[source]]\nid = "x"\n', encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["crawl", "--sources", str(bad), "--db", str(tmp_path / "a.db")]
    )
    assert result.exit_code != 0
    assert "source #1 ('x'): field 'url' is required" in result.output


def test_extract_reads_files_and_batch(tmp_path):
    import gzip
    import json

    html = (
        "<html lang='en'><head><title>Rupee steadies | Paper</title></head><body><article>"
        "<h1>Rupee steadies</h1>" + "<p>The rupee held steady against the dollar on Tuesday as "
        "IT exports and remittances supported the currency, dealers said in Karachi.</p>"
        * 6
        + "</article></body></html>"
    )
    page = tmp_path / "p.html.gz"
    page.write_bytes(gzip.compress(html.encode()))
    result = CliRunner().invoke(cli, ["extract", "--url", "https://paper.example/a", str(page)])
    assert result.exit_code == 0, result.output
    row = json.loads(result.output.splitlines()[0])
    for key in ("path", "url", "title", "authors", "published_at", "body", "language",
                "canonical_url", "site_name", "description"):  # fmt: skip
        assert key in row
    assert row["title"] == "Rupee steadies"
    assert "remittances" in row["body"]
    batch = json.dumps({"path": str(page), "url": "https://paper.example/a"}) + "\n"
    result = CliRunner().invoke(cli, ["extract", "--batch"], input=batch)
    assert json.loads(result.output)["title"] == "Rupee steadies"
    # a bad request line gives its own error line and the batch goes on, one line per request
    lines = ["not json", "[1]", json.dumps({"url": "x"}), batch.strip(), ""]
    result = CliRunner().invoke(cli, ["extract", "--batch"], input="\n".join(lines))
    assert result.exit_code == 1
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row.get("error", "")[:12] for row in rows] == ["stdin line 1", "stdin line 2",
                                                          "stdin line 3", ""]  # fmt: skip
    assert rows[3]["title"] == "Rupee steadies"


def test_extract_output_keeps_agencies_in_the_byline(tmp_path):
    import json

    html = (
        "<html lang='en'><head><title>Rupee steadies</title>"
        "<meta name='author' content='Jane Doe (Reuters)'></head><body><article>"
        "<h1>Rupee steadies</h1>"
        + "<p>The rupee held steady against the dollar on Tuesday as IT exports and "
        "remittances supported the currency, dealers said in Karachi.</p>"
        * 6
        + "</article></body></html>"
    )
    page = tmp_path / "p.html"
    page.write_text(html, encoding="utf-8")
    result = CliRunner().invoke(cli, ["extract", "--url", "https://paper.example/a", str(page)])
    row = json.loads(result.output)
    # the byline as printed, the agency kept and marked; the people apart
    assert (row["authors"], row["agencies"], row["people"]) == (
        ["Jane Doe", "Reuters"],
        ["Reuters"],
        ["Jane Doe"],
    )


def test_schedule_prints_a_crontab_line(tmp_path):
    result = CliRunner().invoke(cli, ["schedule", "--every", "6h", "--db", str(tmp_path / "a.db")])
    assert result.exit_code == 0, result.output
    fields, command = result.output.split(" ", 5)[:5], result.output.split(" ", 5)[5]
    assert fields[1] == "*/6" and fields[2:] == ["*", "*", "*"]
    assert 0 <= int(fields[0]) < 60
    assert "crawl --sources" in command and str(tmp_path / "a.db") in command
    assert "|| echo" in command
    bad = CliRunner().invoke(cli, ["schedule", "--every", "often"])
    assert bad.exit_code != 0 and "--every" in bad.output


def test_crawl_lock_refuses_a_second_crawl(tmp_path):
    from crawler.run import CrawlLocked, crawl_lock

    db = tmp_path / "a.db"
    with (
        crawl_lock(db),
        pytest.raises(CrawlLocked, match="another crawl is already writing"),
        crawl_lock(db),
    ):
        pass
    with crawl_lock(db):  # released after the first holder ends
        pass


def test_status_flags_failed_and_silent_sources(tmp_path):
    import json
    from datetime import UTC, datetime, timedelta

    from archive.schema import open_archive
    from pipelines.models import Source
    from pipelines.store import ArchiveWriter

    db_path = tmp_path / "a.db"
    start = (datetime.now(UTC) - timedelta(hours=3)).isoformat(timespec="seconds")
    end = (datetime.now(UTC) - timedelta(hours=2)).isoformat(timespec="seconds")
    writer = ArchiveWriter(open_archive(db_path), "t")
    writer.upsert_sources(
        (Source(id="good", url="https://g/"), Source(id="bad", url="https://b/")), "t"
    )
    writer.start_run(
        "r1", (Source(id="good", url="https://g/"), Source(id="bad", url="https://b/")), start
    )
    writer.finish_run("r1", "good", {"pages_fetched": 10, "new": 3}, "ok", "finished", end)
    writer.finish_run(
        "r1",
        "bad",
        {"pages_fetched": 0, "errors": 12, "blocked": 12},
        "failed",
        "blocked: 12 responses were 403 or 429",
        end,
    )
    result = CliRunner().invoke(cli, ["status", "--db", str(db_path), "--json"])
    assert result.exit_code == 1
    rows = {r["source"]: r for r in map(json.loads, result.output.splitlines())}
    assert any("last run failed: blocked" in f for f in rows["bad"]["flags"])
    assert any("blocked 100%" in f for f in rows["bad"]["flags"])
    assert any("silent" in f for f in rows["good"]["flags"])  # no article ever stored
