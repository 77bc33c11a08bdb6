"""The ``broadsheet`` command line: a thin click layer over library functions.

Heavy imports (Scrapy, Twisted, Datasette) happen inside the commands that need them, so
``broadsheet export`` or ``--help`` never start a reactor.
"""

from __future__ import annotations

import gzip
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import click

DEFAULT_DB = "data/broadsheet.db"
DEFAULT_SOURCES = "sources.toml"

db_option = click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_DB,
    show_default=True,
    envvar="BROADSHEET_DB",
    help="SQLite archive file (env BROADSHEET_DB).",
)


def _parse_set(values: tuple[str, ...]) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected KEY=VALUE, got {item!r}", param_hint="--set")
        overrides[key.strip()] = value
    return overrides


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="broadsheet")
def cli() -> None:
    """Broadsheet: crawl news sites into a research archive and publish it with Datasette."""


@cli.command()
@click.option(
    "--sources",
    "sources_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_SOURCES,
    show_default=True,
    envvar="BROADSHEET_SOURCES",
    help="Sources file (env BROADSHEET_SOURCES).",
)
@db_option
@click.option("--source", "source_ids", multiple=True, help="Crawl only this source id (repeatable).")
@click.option(
    "--set",
    "settings",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a Scrapy setting, e.g. --set DOWNLOAD_DELAY=0 (repeatable).",
)
def crawl(sources_path: Path, db_path: Path, source_ids: tuple[str, ...], settings: tuple[str, ...]) -> None:
    """Crawl the sources into the archive.

    Exits 1 when any source failed: nothing fetched, blocked, mostly errors, or no article found.
    """
    from pipelines.sources import SourcesError, load_sources, select

    try:
        select(load_sources(sources_path), source_ids)
    except SourcesError as exc:
        raise click.ClickException(str(exc)) from exc
    from crawler.run import run_crawl

    runs = run_crawl(sources_path, db_path, source_ids, _parse_set(settings))
    if not runs:
        raise click.ClickException("the crawl did not start; see the log above")
    _print_runs(runs)
    failed = [r.source for r in runs if r.status != "ok"]
    if failed:
        click.echo(f"failed sources: {', '.join(failed)}", err=True)
        sys.exit(1)


def _print_runs(runs: list[Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="crawl summary")
    for column in ("source", "status", "fetched", "new", "updated", "unchanged", "duplicate",
                   "not article", "errors", "note"):  # fmt: skip
        table.add_column(column)
    for r in runs:
        table.add_row(
            r.source, r.status, str(r.pages_fetched), str(r.articles_new),
            str(r.articles_updated), str(r.articles_unchanged), str(r.articles_duplicate),
            str(r.pages_not_article), str(r.errors), r.finish_reason if r.status != "ok" else "",
        )  # fmt: skip
    Console(stderr=True).print(table)


def _read_html(path: Path) -> bytes:
    data = path.read_bytes()
    if path.suffix == ".gz" or data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data


def _batch_requests(stream: TextIO) -> Iterator[tuple[str, str]]:
    for number, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            request = json.loads(line)
            yield str(request["path"]), str(request.get("url") or "")
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise click.ClickException(
                f'stdin line {number}: expected {{"path": ..., "url": ...}}: {exc}'
            ) from exc


@cli.command()
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--url", default="", help="The URL the page(s) came from (resolves relative links).")
@click.option(
    "--batch",
    is_flag=True,
    help='Read JSON lines {"path": ..., "url": ...} from stdin instead of FILE arguments.',
)
def extract(files: tuple[Path, ...], url: str, batch: bool) -> None:
    """Extract saved pages (.html or .html.gz) and print one JSON object per line.

    Keys: path, url, title, authors, published_at, body, language, canonical_url, site_name,
    description, and every other field the extractor finds.
    """
    from pipelines.extract import extract_page, extracted_to_dict

    if batch and files:
        raise click.UsageError("give FILE arguments or --batch, not both")
    jobs = _batch_requests(sys.stdin) if batch else ((str(f), url) for f in files)
    failures = 0
    for path, page_url in jobs:
        try:
            html = _read_html(Path(path))
        except OSError as exc:
            failures += 1
            click.echo(f"{path}: cannot read: {exc}", err=True)
            click.echo(json.dumps({"path": path, "url": page_url, "error": str(exc)}))
            continue
        result = extracted_to_dict(extract_page(html, page_url))
        click.echo(json.dumps({"path": path, "url": page_url, **result}, ensure_ascii=False))
    if failures:
        sys.exit(1)
