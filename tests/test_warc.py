"""WARC writing, reading back and crash recovery, without Scrapy's engine (see docs/warc.md)."""

from __future__ import annotations

import gzip
import io
import shutil
import subprocess
import sys
import tempfile
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler.warc import WarcFileWriter
from pipelines.warcs import (
    RecoveryAction,
    WarcFormatError,
    WarcRef,
    iter_responses,
    read_record,
    recover_open_files,
    scan_gzip_warc,
)

REPO = Path(__file__).resolve().parents[1]
WARCIO = Path(sys.executable).with_name("warcio")
FETCHED = datetime(2026, 5, 9, 7, 35, 12, 123456, tzinfo=UTC)


def warcio_check(path: Path) -> None:
    proc = subprocess.run(
        [str(WARCIO), "check", str(path)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def gzip_test(path: Path) -> bool:
    return (
        subprocess.run(["gzip", "-t", str(path)], capture_output=True, check=False).returncode == 0
    )


def page(n: int) -> bytes:
    return f"<html><body><p>Article {n}</p>{'lorem ipsum ' * 40}</body></html>".encode()


def write_pages(writer: WarcFileWriter, count: int, *, gzipped: bool = False) -> list[WarcRef]:
    refs = []
    for n in range(count):
        body = page(n)
        headers = [(b"Content-Type", b"text/html; charset=utf-8"), (b"X-Caf\xe9", b"cr\xe8me")]
        if gzipped:
            body = gzip.compress(body)
            headers.append((b"Content-Encoding", b"gzip"))
        refs.append(
            writer.write_exchange(
                url=f"http://127.0.0.1:8000/a/{n}",
                fetched_at=FETCHED,
                status=200,
                response_headers=[*headers, (b"Content-Length", str(len(body)).encode())],
                body=body,
                request_headers=[(b"User-Agent", b"Broadsheet/test")],
                protocol="HTTP/1.1",
                ip_address="127.0.0.1",
            )
        )
    return refs


# --- writing and reading back ------------------------------------------------------------------


def test_round_trip_reads_exact_body_and_headers(tmp_path):
    writer = WarcFileWriter(tmp_path, warcinfo={"operator": "test@example.org"})
    plain = write_pages(writer, 2)
    encoded = write_pages(writer, 2, gzipped=True)
    final = writer.close()
    assert final is not None and final.name == plain[0].file
    assert not list(tmp_path.glob("*.open"))
    warcio_check(final)
    assert gzip_test(final)

    for n, ref in enumerate(plain + encoded):
        got = read_record(final, ref.offset)
        assert got.body == page(n % 2)  # gzip Content-Encoding undone
        assert got.record_id == ref.record_id
        assert got.payload_digest == ref.payload_digest
        assert got.fetched_at == ref.fetched_at == "2026-05-09T07:35:12.123456Z"
        assert got.url == ref.url and got.status == 200
        assert got.ip_address == "127.0.0.1"
        assert got.header("x-café") == "crème"  # header bytes kept as received (latin-1)
        assert got.length == ref.length
    assert read_record(final, encoded[0].offset).header("Content-Encoding") == "gzip"


def test_rotation_by_size(tmp_path):
    writer = WarcFileWriter(tmp_path, max_bytes=2_000)
    refs = write_pages(writer, 9)
    writer.close()
    files = sorted(tmp_path.glob("*.warc.gz"))
    assert len(files) >= 3
    assert not list(tmp_path.glob("*.open"))
    assert {ref.file for ref in refs} == {f.name for f in files}
    for ref in refs:
        assert read_record(tmp_path / ref.file, ref.offset).url == ref.url
    for path in files:
        warcio_check(path)
        first = next(iter_responses([path]), None)
        assert first is not None  # every file holds at least one pair ...
        with gzip.open(path, "rb") as fh:  # ... after its own warcinfo record
            assert b"WARC-Type: warcinfo" in fh.read(200)
        assert path.name.startswith("broadsheet-") and path.name.endswith(".warc.gz")


def test_ref_row_columns():
    ref = WarcRef("f.warc.gz", 10, 20, "<urn:uuid:x>", "sha1:ABC", "2026-01-01T00:00:00Z")
    assert ref.row() == {
        "warc_file": "f.warc.gz",
        "warc_offset": 10,
        "warc_length": 20,
        "warc_record_id": "<urn:uuid:x>",
        "warc_payload_digest": "sha1:ABC",
    }


def test_read_record_rejects_offsets_that_are_not_record_starts(tmp_path):
    writer = WarcFileWriter(tmp_path)
    refs = write_pages(writer, 2)
    path = writer.close()
    assert path is not None
    for bad in (1, refs[0].offset + 7, refs[1].offset - 1):
        with pytest.raises(WarcFormatError, match="not the start of a WARC record"):
            read_record(path, bad)
    request_offset = refs[0].offset + refs[0].length  # the request record follows
    with pytest.raises(WarcFormatError, match="'request' record, not an HTTP response"):
        read_record(path, request_offset)
    with pytest.raises(WarcFormatError, match="'warcinfo' record"):
        read_record(path, 0)


def test_read_record_detects_altered_bytes(tmp_path):
    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=False, warc_version="1.1")
    record = writer.create_warc_record(
        "http://example.org/",
        "response",
        payload=io.BytesIO(b"<p>the original words</p>"),
        length=25,
        http_headers=StatusAndHeaders("200 OK", [("Content-Type", "text/html")], "HTTP/1.1"),
    )
    writer.write_record(record)
    path = tmp_path / "plain.warc"
    path.write_bytes(buf.getvalue().replace(b"original", b"modified"))
    assert read_record(path, 0, verify=False).body == b"<p>the modified words</p>"
    with pytest.raises(WarcFormatError, match="digest"):
        read_record(path, 0)


# --- crash recovery ----------------------------------------------------------------------------

CRASH_SCRIPT = """
import os, signal, sys
from datetime import UTC, datetime
sys.path.insert(0, {repo!r})
from crawler.warc import WarcFileWriter
writer = WarcFileWriter({dir!r})
for n in range(3):
    writer.write_exchange(url=f"http://127.0.0.1/{{n}}", fetched_at=datetime.now(UTC),
                          status=200, response_headers=[(b"Content-Type", b"text/html")],
                          body=b"<p>%d</p>" % n * 500)
os.kill(os.getpid(), signal.SIGKILL)
"""


def killed_writer_file(directory: Path) -> Path:
    """A ``.open`` file as a SIGKILLed crawl leaves it (flushed records, lock released)."""
    script = CRASH_SCRIPT.format(repo=str(REPO), dir=str(directory))
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], check=False)
    assert proc.returncode == -9
    (path,) = directory.glob("*.warc.gz.open")
    return path


def test_recover_truncated_open_file(tmp_path):
    path = killed_writer_file(tmp_path)
    size = path.stat().st_size
    with path.open("rb") as fh:
        scan = scan_gzip_warc(fh)
    assert scan.records == 7 and scan.good_end == size and not scan.error  # warcinfo + 3 pairs
    # Cut the last record (the third request) in the middle of its gzip member.
    with path.open("rb") as fh:
        members = list(iter_responses([path]))
        last_response_end = members[-1].offset + members[-1].length
    with path.open("r+b") as fh:
        fh.truncate(last_response_end + (size - last_response_end) // 2)
    assert not gzip_test(path)

    (result,) = recover_open_files(tmp_path)
    assert result.action is RecoveryAction.TRUNCATED
    assert result.records == 6
    assert result.path == path.with_name(path.name.removesuffix(".open"))
    assert result.path.stat().st_size == last_response_end == result.kept_bytes
    assert not list(tmp_path.glob("*.open"))
    assert gzip_test(result.path)
    warcio_check(result.path)
    bodies = [r.body for r in iter_responses([result.path])]
    assert bodies == [b"<p>%d</p>" % n * 500 for n in range(3)]
    assert read_record(result.path, members[-1].offset).body == b"<p>2</p>" * 500


def test_recover_complete_open_file_just_renames(tmp_path):
    path = killed_writer_file(tmp_path)
    (result,) = recover_open_files(tmp_path)
    assert result.action is RecoveryAction.RENAMED and result.dropped_bytes == 0
    assert result.path.name == path.name.removesuffix(".open")
    warcio_check(result.path)


def test_recover_quarantines_damage_before_the_tail(tmp_path):
    path = killed_writer_file(tmp_path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    (result,) = recover_open_files(tmp_path)
    assert result.action is RecoveryAction.QUARANTINED
    assert result.path.name.endswith(".warc.gz.corrupt")
    assert result.path.read_bytes() == bytes(data)  # evidence left untouched


def test_recover_removes_file_without_a_complete_record(tmp_path):
    path = killed_writer_file(tmp_path)
    with path.open("r+b") as fh:
        fh.truncate(40)  # inside the warcinfo member
    (result,) = recover_open_files(tmp_path)
    assert result.action is RecoveryAction.REMOVED
    assert not list(tmp_path.iterdir())


def test_recovery_leaves_a_live_writers_file_alone(tmp_path):
    writer = WarcFileWriter(tmp_path)
    write_pages(writer, 1)
    (result,) = recover_open_files(tmp_path)
    assert result.action is RecoveryAction.IN_USE
    assert writer.current_path is not None and writer.current_path.exists()
    assert writer.close() is not None


# --- foreign WARCs -----------------------------------------------------------------------------


def http(status: str, headers: list[tuple[str, str]]) -> StatusAndHeaders:
    return StatusAndHeaders(status, headers, protocol="HTTP/1.1")


def build_foreign_warc(path: Path, *, compress: bool) -> dict[str, bytes]:
    """A crawl as another tool might write it: CC-NEWS-like responses, a revisit, and records
    that are not HTTP responses at all."""
    html = b"<html><body>" + b"news " * 400 + b"</body></html>"
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(html), html)
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=compress, warc_version="1.0")
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "other"}))
        writer.write_record(
            writer.create_warc_record(
                "dns:example.org", "response", payload=io.BytesIO(b"example.org. 300 IN A 1"),
                length=23, warc_content_type="text/dns",
            )
        )  # fmt: skip
        writer.write_record(
            writer.create_warc_record(
                "https://example.org/a", "response", payload=io.BytesIO(html),
                length=len(html), http_headers=http("200 OK", [("Content-Type", "text/html")]),
            )
        )  # fmt: skip
        gz = gzip.compress(html.replace(b"news", b"more"))
        writer.write_record(
            writer.create_warc_record(
                "https://example.org/b", "response", payload=io.BytesIO(chunked_gzip := gz),
                length=len(chunked_gzip),
                http_headers=http("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                             ("Content-Encoding", "gzip")]),
            )
        )  # fmt: skip
        writer.write_record(
            writer.create_warc_record(
                "https://example.org/c", "response", payload=io.BytesIO(chunked),
                length=len(chunked),
                http_headers=http("200 OK", [("Content-Type", "text/html"),
                                             ("Transfer-Encoding", "chunked")]),
            )
        )  # fmt: skip
        writer.write_record(
            writer.create_warc_record(
                "https://example.org/logo.png", "response", payload=io.BytesIO(b"\x89PNG"),
                length=4, http_headers=http("200 OK", [("Content-Type", "image/png")]),
            )
        )  # fmt: skip
        writer.write_record(
            writer.create_revisit_record(
                "https://example.org/a?again", "sha1:AAAA", "https://example.org/a",
                "2026-01-01T00:00:00Z",
                http_headers=http("200 OK", [("Content-Type", "text/html")]),
            )
        )  # fmt: skip
        writer.write_record(
            writer.create_warc_record(
                "urn:notes", "resource", payload=io.BytesIO(b"not http"), length=8,
                warc_content_type="text/plain",
            )
        )  # fmt: skip
    return {
        "https://example.org/a": html,
        "https://example.org/b": html.replace(b"news", b"more"),
        "https://example.org/c": html,
        "https://example.org/logo.png": b"\x89PNG",
    }


@pytest.mark.parametrize("compress", [True, False], ids=["warc.gz", "warc"])
def test_iter_responses_on_foreign_warc(tmp_path, compress):
    path = tmp_path / ("cc-news.warc.gz" if compress else "cc-news.warc")
    expected = build_foreign_warc(path, compress=compress)
    warcio_check(path)

    seen: list[int] = []
    got = list(iter_responses([path], progress=seen.append))
    bodies = {r.url: r.body for r in got if not r.is_revisit}
    assert bodies == expected  # dns: and resource records skipped; chunking and gzip undone
    (revisit,) = [r for r in got if r.is_revisit]
    assert revisit.body == b"" and revisit.refers_to_uri == "https://example.org/a"
    assert revisit.payload_digest == "sha1:AAAA"
    assert seen == sorted(seen) and seen[-1] == path.stat().st_size

    # offsets found while streaming are valid random-access pointers
    for response in got:
        if not response.is_revisit:
            assert read_record(path, response.offset).body == expected[response.url]

    html_only = list(
        iter_responses([path, path], filter=lambda h: h.content_type == "text/html", revisits=False)
    )
    assert [r.url for r in html_only] == [
        f"https://example.org/{x}" for x in ("a", "b", "c", "a", "b", "c")
    ]


def test_iter_responses_bounds_the_body(tmp_path):
    path = tmp_path / "big.warc.gz"
    expected = build_foreign_warc(path, compress=True)
    got = {r.url: r for r in iter_responses([path], max_body=100)}
    a = got["https://example.org/a"]
    assert a.body_truncated and a.body == expected[a.url][:100]
    b = got["https://example.org/b"]  # decompressed size is bounded too
    assert b.body_truncated and b.body == expected[b.url][:100]
    assert not got["https://example.org/logo.png"].body_truncated


def test_copy_of_our_warc_reads_like_a_foreign_one(tmp_path):
    writer = WarcFileWriter(tmp_path / "ours")
    refs = write_pages(writer, 3, gzipped=True)
    path = writer.close()
    assert path is not None
    copy = tmp_path / "copy.warc.gz"
    shutil.copy(path, copy)
    got = list(iter_responses([copy]))
    assert [(r.url, r.offset, r.record_id) for r in got] == [
        (ref.url, ref.offset, ref.record_id) for ref in refs
    ]
    assert [r.body for r in got] == [page(n) for n in range(3)]


def test_failed_write_hands_the_file_to_recovery(tmp_path, monkeypatch):
    writer = WarcFileWriter(tmp_path)
    (kept,) = write_pages(writer, 1)
    fh = writer._fh
    assert fh is not None
    real_write = fh.write

    def disk_full(data: bytes) -> int:
        real_write(data[: len(data) // 2])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fh, "write", disk_full)
    with pytest.raises(OSError, match="No space"):
        write_pages(writer, 1)
    (recovered,) = writer.closed_files
    assert recovered.name == kept.file and not list(tmp_path.glob("*.open"))
    assert gzip_test(recovered)
    assert read_record(recovered, kept.offset).body == page(0)
    (fresh,) = write_pages(writer, 1)  # the next exchange starts a new file
    assert fresh.file != kept.file


# --- revisit records ---------------------------------------------------------------------------


def big_page(n: int) -> bytes:
    """A page above MIN_REVISIT_BYTES that does not compress to nothing."""
    words = " ".join(f"w{(n * 7919 + i * 104729) % 100003}" for i in range(3000))
    return f"<html><body><p>Article {n}</p><p>{words}</p></body></html>".encode()


def write_body(writer: WarcFileWriter, url: str, body: bytes, status: int = 200) -> WarcRef:
    return writer.write_exchange(
        url=url, fetched_at=FETCHED, status=status,
        response_headers=[(b"Content-Type", b"text/html")], body=body,
    )  # fmt: skip


def test_an_identical_payload_is_a_revisit_that_reads_back_whole(tmp_path):
    """A site serving one large page at many URLs, or a re-check finding a page unchanged:
    the payload is written once; later copies are revisit records naming it, smaller by far,
    and read back with the payload, even from the next file."""
    writer = WarcFileWriter(tmp_path, max_bytes=1)  # each exchange closes its file
    first = write_body(writer, "http://h.test/a", big_page(1))
    again = write_body(writer, "http://h.test/catch-all/x/y", big_page(1))
    other = write_body(writer, "http://h.test/b", big_page(2))
    writer.close()
    assert [r.record_type for r in (first, again, other)] == ["response", "revisit", "response"]
    assert again.file != first.file
    assert again.length * 5 < first.length
    assert again.payload_digest == first.payload_digest != other.payload_digest
    for path in tmp_path.glob("*.warc.gz"):
        warcio_check(path)
    got = read_record(tmp_path / again.file, again.offset)
    assert got.is_revisit and got.body == big_page(1) and got.url == "http://h.test/catch-all/x/y"
    assert (got.refers_to_uri, got.refers_to_date) == ("http://h.test/a", first.fetched_at)
    streamed = next(iter_responses([tmp_path / again.file]))
    assert streamed.is_revisit and streamed.body == big_page(1)


def test_small_pages_and_other_statuses_are_written_whole(tmp_path):
    writer = WarcFileWriter(tmp_path)
    refs = [write_body(writer, f"http://h.test/{n}", page(1)) for n in range(2)]
    refs += [write_body(writer, f"http://h.test/gone/{n}", big_page(3), 404) for n in range(2)]
    assert {r.record_type for r in refs} == {"response"}


def test_the_writer_forgets_the_oldest_payloads_first(tmp_path):
    writer = WarcFileWriter(tmp_path, max_originals=1)
    write_body(writer, "http://h.test/1", big_page(1))
    write_body(writer, "http://h.test/2", big_page(2))  # pushes page 1 out
    assert write_body(writer, "http://h.test/3", big_page(1)).record_type == "response"
    assert write_body(writer, "http://h.test/4", big_page(1)).record_type == "revisit"


def test_a_revisit_whose_payload_record_is_gone_is_a_clear_error(tmp_path):
    writer = WarcFileWriter(tmp_path, max_bytes=1)
    first = write_body(writer, "http://h.test/a", big_page(1))
    again = write_body(writer, "http://h.test/b", big_page(1))
    writer.close()
    (tmp_path / first.file).unlink()
    with pytest.raises(WarcFormatError, match="revisit of"):
        read_record(tmp_path / again.file, again.offset)
    streamed = next(iter_responses([tmp_path / again.file]))  # yielded, without a body
    assert streamed.is_revisit and streamed.body == b""


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.booleans()), min_size=1, max_size=12))
def test_every_written_page_reads_back_as_written(writes: list[tuple[int, bool]]) -> None:
    """Any mix of repeated and new payloads, with files closed anywhere along the way."""
    with tempfile.TemporaryDirectory() as directory:
        writer = WarcFileWriter(directory)
        written = []
        for n, (which, rotate) in enumerate(writes):
            body = big_page(which)
            written.append((write_body(writer, f"http://h.test/{n}", body), body))
            if rotate:
                writer.close()
        writer.close()
        for ref, body in written:
            assert read_record(Path(directory) / ref.file, ref.offset).body == body
