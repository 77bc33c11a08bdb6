"""The ``broadsheet`` command line: a thin click layer over library functions.

Heavy imports (Scrapy, Twisted, Datasette) happen inside the commands that need them, so
``broadsheet export`` or ``--help`` never start a reactor.
"""

from __future__ import annotations

import gzip
import json
import logging
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import click

DEFAULT_DB = "data/broadsheet.db"
EXIT_LOCKED = 75  # EX_TEMPFAIL: try again later
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


def sources_option(help_text: str) -> Any:
    """The --sources option, shared by every command that reads a sources file."""
    return click.option(
        "--sources",
        "sources_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=DEFAULT_SOURCES,
        show_default=True,
        envvar="BROADSHEET_SOURCES",
        help=f"{help_text} (env BROADSHEET_SOURCES).",
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
@sources_option("Sources file")
@db_option
@click.option(
    "--source", "source_ids", multiple=True, help="Crawl only this source id (repeatable)."
)
@click.option(
    "--contact",
    envvar="BROADSHEET_CONTACT",
    help="URL or e-mail put in the User-Agent so site owners can reach you (env BROADSHEET_CONTACT).",
)
@click.option("--since", metavar="DATE", help="Skip feed and sitemap entries dated before DATE.")
@click.option(
    "--redis",
    "redis_url",
    metavar="URL",
    help="Join a distributed run on this Redis (redis://host:port/db); `broadsheet ingest` writes.",
)
@click.option(
    "--run-name",
    help="Distributed run to join; workers with the same name share one frontier "
    "(default: the current UTC date and hour).",
)
@click.option("--recrawl", is_flag=True, help="Fetch known articles again, whatever the policy.")
@click.option(
    "--log-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Rotating log file (default: logs/crawl.log beside the archive).",
)
@click.option(
    "--set",
    "settings",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a Scrapy setting, e.g. --set DOWNLOAD_DELAY=0 (repeatable).",
)
def crawl(
    sources_path: Path,
    db_path: Path,
    source_ids: tuple[str, ...],
    contact: str | None,
    since: str | None,
    redis_url: str | None,
    run_name: str | None,
    recrawl: bool,
    log_file: Path | None,
    settings: tuple[str, ...],
) -> None:
    """Crawl the sources into the archive.

    Incremental: known articles are skipped unless due for a re-check, and feeds, sitemaps and
    listings are asked for conditionally. Exits 1 when any source failed (nothing fetched,
    blocked, mostly errors, or no article at all), 75 when another crawl holds the archive's lock.
    """
    from pipelines.sources import SourcesError, load_sources, select

    try:
        select(load_sources(sources_path), source_ids)
    except SourcesError as exc:
        raise click.ClickException(str(exc)) from exc
    from crawler.run import CrawlLocked, crawl_lock, log_to_file, run_crawl, source_runs
    from pipelines.frontier import parse_time

    overrides = _parse_set(settings)
    if contact:
        overrides["BROADSHEET_CONTACT"] = contact
    if since:
        if parse_time(since) is None:
            raise click.BadParameter(f"not an ISO date: {since!r}", param_hint="--since")
        overrides["BROADSHEET_SINCE"] = since
    if recrawl:
        overrides["BROADSHEET_RECRAWL"] = True
    log_path = log_file or db_path.parent / "logs" / "crawl.log"
    if redis_url:
        # A worker of a distributed run: it never writes the archive (it may read it, when it
        # can see it, to skip known pages), so it takes no lock.
        from crawler.distributed import distributed_settings

        overrides.update(distributed_settings(redis_url, run_name or default_run_name()))
        log_to_file(log_path)
        stats = run_crawl(sources_path, db_path, source_ids, overrides)
        _print_worker_stats(stats)
        fetched = any(k.endswith("/pages_fetched") and v for k, v in stats.items())
        errors = any(k.endswith("/errors") and v for k, v in stats.items())
        reached = stats.get("downloader/response_count", 0) > 0
        # A worker that found every page taken by the others is fine; one that reached nothing
        # or only failed is not.
        sys.exit(0 if fetched or (reached and not errors) else 1)
    try:
        with crawl_lock(db_path):
            log_to_file(log_path)
            _read_stale_articles_again(db_path, overrides)
            stats = run_crawl(sources_path, db_path, source_ids, overrides)
    except CrawlLocked as exc:
        click.echo(f"broadsheet crawl: {exc}", err=True)
        sys.exit(EXIT_LOCKED)
    run_id = stats.get("broadsheet/run_id")
    runs = source_runs(db_path, run_id) if run_id else []
    if not runs:
        raise click.ClickException("the crawl did not start; see the log above")
    _print_runs(runs)
    failed = [r.source for r in runs if r.status != "ok"]
    if failed:
        click.echo(f"failed sources: {', '.join(failed)}", err=True)
        sys.exit(1)


def _read_stale_articles_again(db_path: Path, overrides: dict[str, Any]) -> None:
    """After an upgrade, the articles an older extractor read are read again from their captures
    before anything is fetched: otherwise the crawl would compare the old reading of an article
    with the new one of its next fetch, and keep what the upgrade changed as a revision."""
    from archive.reprocess import reprocess, stale_articles
    from archive.schema import open_archive
    from crawler import settings as defaults
    from pipelines.warcs import warc_dir_for

    if not db_path.is_file():
        return
    db = open_archive(db_path)
    warc_dir = Path(overrides.get("BROADSHEET_WARC_DIR") or warc_dir_for(db_path))
    stale = stale_articles(db, warc_dir)
    if not stale:
        return
    click.echo(
        f"{stale} articles were read by an older extractor: reading their captures again"
        " before the crawl (as `broadsheet reprocess` does)", err=True,
    )  # fmt: skip
    workers = overrides.get("BROADSHEET_EXTRACT_WORKERS", defaults.BROADSHEET_EXTRACT_WORKERS)
    try:
        counts = reprocess(db, warc_dir, workers=int(workers), stale_only=True)
    except Exception:  # the crawl goes on; the next run tries again
        logging.getLogger(__name__).exception("reading stale articles again failed")
        return
    _print_counts("read again", counts)


def default_run_name() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).strftime("%Y-%m-%dT%H")


def _print_worker_stats(stats: dict[str, Any]) -> None:
    per_source: dict[str, dict[str, int]] = {}
    for key, value in stats.items():
        parts = key.split("/")
        if len(parts) == 4 and parts[:2] == ["broadsheet", "source"]:
            per_source.setdefault(parts[2], {})[parts[3]] = value
    for source, counts in sorted(per_source.items()):
        shown = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in sorted(counts.items()))
        click.echo(f"{source}: {shown}", err=True)


def _print_runs(runs: list[Any]) -> None:
    from rich.table import Table

    table = Table(title="crawl summary")
    for column in ("source", "status", "fetched", "new", "updated", "unchanged", "duplicate",
                   "not article", "not found", "errors", "note"):  # fmt: skip
        table.add_column(column)
    for r in runs:
        table.add_row(
            r.source, r.status, str(r.pages_fetched), str(r.articles_new),
            str(r.articles_updated), str(r.articles_unchanged), str(r.articles_duplicate),
            str(r.pages_not_article), str(r.pages_not_found), str(r.errors),
            r.finish_reason if r.status != "ok" or r.finish_reason != "finished" else "",
        )  # fmt: skip
    _stderr_console().print(table)


def _read_html(path: Path) -> bytes:
    data = path.read_bytes()
    if path.suffix == ".gz" or data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data


def _batch_requests(stream: TextIO) -> Iterator[tuple[str, str, str]]:
    """(path, url, error) for every non-blank line: a malformed line gives an error and the
    batch goes on, so that each request line has its one output line."""
    for number, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            request = json.loads(line)
            yield str(request["path"]), str(request.get("url") or ""), ""
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            yield "", "", f'stdin line {number}: expected {{"path": ..., "url": ...}}: {exc!r}'


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

    A file without markup (a page as a naive scraper saved its text) is read as the simple page
    it stands for: its first line the headline, each line a paragraph, bulleted lines a list,
    and the lines after a comment prompt reader comments.

    Keys: path, url, title, authors, published_at, body, language, canonical_url, site_name,
    description, and every other field the extractor finds. A page that cannot be read, or a
    --batch line that is not a request, gives a line with an "error" key instead (and a message
    on stderr); the rest go on, and the exit status is 1.
    """
    from pipelines.extract import extract_page, extracted_to_dict
    from pipelines.extraction.plaintext import as_page

    if batch and files:
        raise click.UsageError("give FILE arguments or --batch, not both")
    jobs = _batch_requests(sys.stdin) if batch else ((str(f), url, "") for f in files)
    failures = 0
    for path, page_url, error in jobs:
        message = error
        if not error:
            try:
                html = _read_html(Path(path))
            except OSError as exc:
                error, message = str(exc), f"{path}: cannot read: {exc}"
        if error:
            failures += 1
            click.echo(message, err=True)
            click.echo(json.dumps({"path": path, "url": page_url, "error": error}))
            continue
        result = extracted_to_dict(extract_page(as_page(html), page_url))
        click.echo(json.dumps({"path": path, "url": page_url, **result}, ensure_ascii=False))
    if failures:
        sys.exit(1)


@cli.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8001, show_default=True, type=int, help="Port to listen on.")
@click.option("--immutable", is_flag=True, help="Serve a file that will not change (releases).")
@click.option(
    "--release",
    metavar="NAME",
    help="Serve the frozen release NAME (made by `broadsheet release`) immutably, not the archive.",
)
@click.option(
    "--releases-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder holding the releases (default: releases/ beside --db).",
)
@click.option(
    "--warc-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="BROADSHEET_WARC_DIR",
    help="WARC folder behind the raw-capture links (default: warc/ beside --db).",
)
def serve(
    db_path: Path,
    host: str,
    port: int,
    immutable: bool,
    release: str | None,
    releases_dir: Path | None,
    warc_dir: Path | None,
) -> None:
    """Publish the archive read-only with Datasette (search, facets, CSV)."""
    from archive.serve import serve as run_datasette

    if release is not None:
        from archive.release import ReleaseError, release_db

        try:
            db_path = release_db(release, releases_dir or db_path.parent / "releases")
        except ReleaseError as exc:
            raise click.ClickException(str(exc)) from exc
        immutable = True  # a release never changes: no locking, rows counted once
    elif releases_dir is not None:
        raise click.UsageError("--releases-dir goes with --release NAME")
    if not db_path.is_file():
        raise click.ClickException(f"no archive at {db_path}; run `broadsheet crawl` first")
    click.echo(f"Broadsheet archive: http://{host}:{port}/broadsheet", err=True)
    sys.exit(run_datasette(db_path, host=host, port=port, immutable=immutable, warc_dir=warc_dir))


@cli.command()
@db_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "jsonl", "parquet"]),
    default="csv",
    show_default=True,
    help="Parquet needs -o FILE.",
)
@click.option("--sql", help="A SELECT query to export.")
@click.option("--table", help="A table to export whole.")
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="A :name parameter for --sql (repeatable).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write (default: stdout).",
)
@click.option(
    "--no-neutralise",
    is_flag=True,
    help="Keep CSV cells that start with = + - @ tab or CR as they are (default: prefix them with ').",
)
@click.option(
    "--one-per-story",
    is_flag=True,
    help="Keep one article per story: its original, else its earliest member (rows need an id).",
)
def export(
    db_path: Path,
    fmt: str,
    sql: str | None,
    table: str | None,
    params: tuple[str, ...],
    output: Path | None,
    no_neutralise: bool,
    one_per_story: bool,
) -> None:
    """Export a table or a query as CSV, JSON lines or Parquet: every row, full text, constant memory."""
    from rich.console import Console

    from archive.export import export as run_export

    if (sql is None) == (table is None):
        raise click.UsageError("give exactly one of --sql or --table")
    if fmt == "parquet" and output is None:
        raise click.UsageError("Parquet is a binary file format: give -o FILE")
    if not db_path.is_file():
        raise click.ClickException(f"no archive at {db_path}")
    options: dict[str, Any] = {
        "fmt": fmt, "sql": sql, "table": table, "params": _parse_set(params),
        "neutralise_formulas": not no_neutralise, "one_per_story": one_per_story,
    }  # fmt: skip
    console = Console(stderr=True)
    with console.status("exporting…") as status:

        def progress(count: int) -> None:
            status.update(f"exporting… {count:,} rows")

        try:
            if output is None:
                count = run_export(db_path, sys.stdout, progress=progress, **options)
            elif fmt == "parquet":
                with output.open("wb") as binary:
                    count = run_export(db_path, binary, progress=progress, **options)
            else:
                with output.open("w", encoding="utf-8", newline="") as out:
                    count = run_export(db_path, out, progress=progress, **options)
        except (ValueError, sqlite3.Error) as exc:
            if output is not None and fmt == "parquet":
                output.unlink(missing_ok=True)  # a Parquet file without its footer is unreadable
            raise click.ClickException(str(exc)) from exc
        except BrokenPipeError:
            # `broadsheet export ... | head` closed the pipe: stop quietly, like other Unix tools.
            sys.stderr.close()
            sys.exit(0)
    console.print(f"{count:,} rows exported" + (f" to {output}" if output else ""))


@cli.command()
@db_option
@sources_option("The sources file the archive was crawled with; copied into the release")
@click.option(
    "--out",
    "releases_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to put the release in (default: releases/ beside --db).",
)
@click.option(
    "--no-neutralise",
    is_flag=True,
    help="Write the CSV bundle with exact text (default: formula-like cells prefixed with ').",
)
@click.argument("name")
def release(
    db_path: Path,
    sources_path: Path,
    releases_dir: Path | None,
    no_neutralise: bool,
    name: str,
) -> None:
    """Freeze a citable snapshot into releases/NAME/: read-only database, manifest, CSVs, SHA256SUMS.

    Safe while a crawl writes (one consistent snapshot). Refuses to overwrite a release.
    """
    from archive.release import ReleaseError, create_release

    if not db_path.is_file():
        raise click.ClickException(f"no archive at {db_path}")
    console = _stderr_console()
    with console.status("releasing…") as status:
        try:
            target = create_release(
                name, db_path, sources_path, releases_dir or db_path.parent / "releases",
                neutralise_formulas=not no_neutralise, progress=status.update,
            )  # fmt: skip
        except ReleaseError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(str(target))
    console.print(
        f"release {name}: {target}  (verify: cd {target} && sha256sum -c SHA256SUMS; "
        f"browse: broadsheet serve --db {db_path} --release {name})"
    )


@cli.command()
@click.option("--port", default=8001, show_default=True, type=int, help="Datasette port.")
@click.option("--sites-port", default=8101, show_default=True, type=int,
              help="First port of the demo sites (one port per outlet).")  # fmt: skip
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default="data/demo/demo.db",
    show_default=True,
    help="Where the demo archive is written (replaced on each run).",
)
@click.option(
    "--no-serve", is_flag=True, help="Stop after the crawl instead of starting Datasette."
)
def demo(port: int, sites_port: int, db_path: Path, no_serve: bool) -> None:
    """Serve the bundled demo news sites on 127.0.0.1, crawl them, and browse the result.

    Ctrl-C stops Datasette and the demo sites.
    """
    import subprocess

    from archive.serve import serve as run_datasette
    from demo_sites.catalog import write_sources_toml
    from demo_sites.server import DemoServer

    db_path.parent.mkdir(parents=True, exist_ok=True)
    for stale in (db_path, Path(f"{db_path}-wal"), Path(f"{db_path}-shm")):
        stale.unlink(missing_ok=True)
    with DemoServer(port=sites_port) as server:
        sources = write_sources_toml(server, db_path.parent / "demo-sources.toml")
        for outlet, url in server.base_urls.items():
            click.echo(f"demo site {outlet}: {url}/", err=True)
        # The crawl runs in a child process: Twisted's reactor cannot be restarted, and a
        # separate process is exactly what cron runs.
        crawl_cmd = [
            sys.executable, "-m", "archive", "crawl", "--sources", str(sources),
            "--db", str(db_path), *LOCAL_CRAWL_SETTINGS,
        ]  # fmt: skip
        code = subprocess.call(crawl_cmd)
        if code != 0:
            raise click.ClickException(f"the demo crawl failed (exit {code})")
        if no_serve:
            return
        click.echo(f"\nBrowse the archive: http://127.0.0.1:{port}/broadsheet/articles", err=True)
        run_datasette(db_path, host="127.0.0.1", port=port)


# Politeness is for other people's servers: on loopback the demo and tests crawl at full speed.
LOCAL_CRAWL_SETTINGS = (
    "--set", "DOWNLOAD_DELAY=0", "--set", "AUTOTHROTTLE_ENABLED=False",
    "--set", "CONCURRENT_REQUESTS_PER_DOMAIN=16", "--set", "LOG_LEVEL=INFO",
)  # fmt: skip


@cli.command()
@db_option
@click.option(
    "--json", "as_json", is_flag=True, help="One JSON object per source instead of a table."
)
def status(db_path: Path, as_json: bool) -> None:
    """Health of each source: last runs, new articles against the usual rate, errors, blocks.

    Exits 1 when any source is flagged (failed, blocked, erroring, silent or with dead feeds).
    """
    from dataclasses import asdict

    from archive.health import source_health
    from archive.schema import open_archive

    if not db_path.is_file():
        raise click.ClickException(f"no archive at {db_path}")
    rows = source_health(open_archive(db_path))
    flagged = False
    if as_json:
        for row in rows:
            flags = row.flags()
            flagged |= bool(flags)
            click.echo(json.dumps({**asdict(row), "flags": flags}, ensure_ascii=False))
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(title="source health")
        for column in ("source", "last ok run", "last new article", "per day (7d / 90d)",
                       "errors", "blocked", "flags"):  # fmt: skip
            table.add_column(column)
        for row in rows:
            flags = row.flags()
            flagged |= bool(flags)
            table.add_row(
                row.source, row.last_ok_run or "never", row.last_new_article or "never",
                f"{row.per_day_recent} / {row.per_day_usual}", f"{row.error_rate:.1%}",
                f"{row.blocked_rate:.1%}", "; ".join(flags) or "ok",
            )  # fmt: skip
        Console(width=None if sys.stdout.isatty() else 160).print(table)
    sys.exit(1 if flagged else 0)


@cli.command()
@click.option("--every", default="3h", show_default=True, help="Interval: Nh (hours) or Nd (days).")
@sources_option("Sources file")
@db_option
@click.option("--contact", help="Contact for the User-Agent.")
def schedule(every: str, sources_path: Path, db_path: Path, contact: str | None) -> None:
    """Print a crontab line that runs the crawl regularly (install it with `crontab -e`)."""
    from archive.scheduling import crontab_line

    try:
        line = crontab_line(every, Path.cwd(), Path(sys.argv[0]), sources_path, db_path, contact)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--every") from exc
    click.echo(line)


workers_option = click.option(
    "--workers", type=click.IntRange(min=0), default=2, show_default=True,
    help="Extraction processes (0: extract in this process); this process stores.",
)  # fmt: skip


@cli.command()
@db_option
@click.option("--warc-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder of the crawl's WARC files (default: warc/ beside the archive).")  # fmt: skip
@click.option("--source", help="Only this source's articles.")
@click.option(
    "--since", metavar="DATE", help="Only articles published (or fetched) on or after DATE."
)
@workers_option
def reprocess(
    db_path: Path, warc_dir: Path | None, source: str | None, since: str | None, workers: int
) -> None:
    """Re-extract stored articles from their WARC captures, with no network.

    Unchanged results change nothing; improved ones update the article. Run it after upgrading
    Broadsheet to apply a better extractor to the whole archive.
    """
    from rich.progress import Progress

    from archive.reprocess import reprocess as run_reprocess
    from archive.schema import open_archive
    from pipelines.warcs import warc_dir_for

    if not db_path.is_file():
        raise click.ClickException(f"no archive at {db_path}")
    with Progress(console=_stderr_console(), transient=True) as bar:
        task = bar.add_task("re-extracting", total=None)
        counts = run_reprocess(
            open_archive(db_path), warc_dir or warc_dir_for(db_path), source=source, since=since,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
            workers=workers,
        )  # fmt: skip
    _print_counts("reprocessed", counts)
    if counts.get("missing_capture") or counts.get("errors"):
        sys.exit(1)


@cli.command("import-warc")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@sources_option("Sources file: only pages of these sources (host and allow rules) are kept")
@db_option
@click.option("--since", metavar="DATE", help="Only captures made on or after DATE (WARC-Date).")
@click.option("--until", metavar="DATE", help="Only captures made on or before DATE (WARC-Date).")
@workers_option
def import_warc(files: tuple[Path, ...], sources_path: Path, db_path: Path, since: str | None,
                until: str | None, workers: int) -> None:  # fmt: skip
    """Import foreign WARC files (e.g. Common Crawl CC-NEWS) through the same pipelines.

    Streams record by record, so memory stays flat whatever the file size.
    """
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

    from archive.reprocess import import_warcs
    from archive.schema import open_archive
    from pipelines.frontier import parse_time
    from pipelines.sources import SourcesError, load_sources

    for value, name in ((since, "--since"), (until, "--until")):
        if value and parse_time(value) is None:
            raise click.BadParameter(f"not an ISO date: {value!r}", param_hint=name)
    try:
        config = load_sources(sources_path)
    except SourcesError as exc:
        raise click.ClickException(str(exc)) from exc
    total = sum(f.stat().st_size for f in files)
    columns = (TextColumn("importing"), BarColumn(), DownloadColumn())
    with Progress(*columns, console=_stderr_console(), transient=True) as bar:
        task = bar.add_task("import", total=total)
        counts = import_warcs(
            open_archive(db_path), files, config, since=since, until=until,
            progress=lambda done: bar.update(task, completed=done), workers=workers,
        )  # fmt: skip
    _print_counts("imported", counts)


def _stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True, width=None if sys.stderr.isatty() else 132)


def _print_counts(what: str, counts: Any) -> None:
    order = ("pages_fetched", "new", "updated", "touched", "unchanged", "duplicate", "dropped",
             "not_article", "missing_capture", "errors")  # fmt: skip
    parts = [f"{key.replace('_', ' ')}: {counts[key]}" for key in order if counts.get(key)]
    click.echo(f"{what}: " + (", ".join(parts) or "nothing"), err=True)


@cli.command()
@click.option(
    "--redis", "redis_url", required=True, metavar="URL", help="Redis of the distributed run."
)
@sources_option("Sources file, the same the workers use")
@db_option
@click.option("--idle-exit", type=float, metavar="SECONDS",
              help="Stop after the queue has been empty this long (default: run until stopped).")  # fmt: skip
def ingest(redis_url: str, sources_path: Path, db_path: Path, idle_exit: float | None) -> None:
    """The single writer of a distributed crawl: apply what workers send through Redis.

    Holds the archive's crawl lock, so a local crawl and a writer never write at once.
    """
    import redis

    from archive.ingest import Ingester, drain
    from archive.schema import open_archive
    from crawler.run import CrawlLocked, crawl_lock
    from pipelines.extract import EXTRACTOR_VERSION
    from pipelines.sources import SourcesError, load_sources
    from pipelines.store import ArchiveWriter

    try:
        config = load_sources(sources_path)
    except SourcesError as exc:
        raise click.ClickException(str(exc)) from exc
    client = redis.Redis.from_url(redis_url)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise click.ClickException(f"cannot reach Redis at {redis_url}: {exc}") from exc
    try:
        with crawl_lock(db_path):
            _read_stale_articles_again(db_path, {})
            ingester = Ingester(ArchiveWriter(open_archive(db_path), EXTRACTOR_VERSION), config)
            with _stderr_console().status("waiting for messages…") as status:
                totals = drain(
                    client, ingester, idle_exit=idle_exit,
                    on_message=lambda t: status.update(
                        f"{t.messages:,} messages, {t.outcomes['new']:,} new articles"
                    ),
                )  # fmt: skip
    except CrawlLocked as exc:
        click.echo(f"broadsheet ingest: {exc}", err=True)
        sys.exit(EXIT_LOCKED)
    _print_counts("ingested", totals.outcomes)
    if totals.rejected:
        click.echo(f"{totals.rejected} messages rejected (kept in Redis for inspection)", err=True)
        sys.exit(1)
