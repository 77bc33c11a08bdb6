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
    result = CliRunner().invoke(cli, ["crawl", "--sources", str(bad), "--db", str(tmp_path / "a.db")])
    assert result.exit_code != 0
    assert "source #1 ('x'): field 'url' is required" in result.output


def test_extract_reads_files_and_batch(tmp_path):
    import gzip
    import json

    html = (
        "<html lang='en'><head><title>Rupee steadies | Paper</title></head><body><article>"
        "<h1>Rupee steadies</h1>" + "<p>The rupee held steady against the dollar on Tuesday as "
        "IT exports and remittances supported the currency, dealers said in Karachi.</p>" * 6
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
    result = CliRunner().invoke(cli, ["extract", "--batch"], input="not json\n")
    assert result.exit_code != 0 and "stdin line 1" in result.output
