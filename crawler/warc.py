"""Capture every HTTP exchange of a crawl into WARC 1.1 files, the archive's evidence.

``WarcCaptureMiddleware`` sits next to the download handler (priority 950, above
HttpCacheMiddleware at 900): its ``process_response`` runs first, so it records the response as
the wire delivered it: still Content-Encoded (HttpCompressionMiddleware, 590, decodes later),
and redirects (600) and retried errors (550) are recorded too, before those middlewares turn
them into new requests. It writes a ``response`` record, then a ``request`` record pointing to
it with ``WARC-Concurrent-To``, each its own gzip member, flushed before the response moves on.

``WarcFileWriter`` (no Scrapy) owns files: naming, the ``.open`` suffix, rotation, locking.
Reading back and crash recovery are in ``pipelines/warcs.py``. See docs/warc.md.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
import uuid
import zlib
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from importlib import metadata
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, NamedTuple, Self
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import NotConfigured
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from pipelines.faults import CrashPoints, crash
from pipelines.warcs import (
    OPEN_SUFFIX,
    ORIGINAL_FILE,
    ORIGINAL_OFFSET,
    WARC_SUFFIX,
    RecoveryAction,
    RecoveryResult,
    WarcFormatError,
    WarcRef,
    payload_record,
    recover_open_files,
    sha1_digest,
)

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no locking, see docs/warc.md
    fcntl = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response
    from scrapy.statscollectors import StatsCollector

__all__ = [
    "META_KEY",
    "RecoveryResult",
    "WarcCaptureMiddleware",
    "WarcFileWriter",
    "WarcRef",
    "recover_open_files",
]

logger = logging.getLogger(__name__)

META_KEY = "warc"  # request.meta / response.meta key holding the response record's WarcRef
# request.meta key: the capture an earlier run stored the page from (EarlierCapture)
EARLIER_CAPTURE = "warc_earlier"
DEFAULT_DIR = "data/warc"
DEFAULT_MAX_BYTES = 1024**3
# zlib's fast levels (1-3) cost about half the CPU of its default (6) on real pages, for files
# about 12% larger at 3 (bench/bench_warc.py); compression runs on the reactor thread.
GZIP_LEVEL = 3
# Payloads smaller than this are written in full: compressed, they cost about what a revisit
# record (~500 bytes of headers) does.
MIN_REVISIT_BYTES = 4096
MAX_ORIGINALS = 50_000  # digests remembered per crawl process: ~8 MB
WARC_1_1_SPEC = "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"

Header = tuple[bytes, bytes]


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "unknown"


def _record_id() -> str:
    return f"<urn:uuid:{uuid.uuid4()}>"


def _http_head(first_line: str, headers: Iterable[Header]) -> bytes:
    # latin-1 both ways: header bytes are stored exactly as received, never re-encoded
    lines = [first_line.encode("latin-1")]
    lines += [name + b": " + value for name, value in headers]
    return b"\r\n".join(lines) + b"\r\n\r\n"


class _RawHttpHead(StatusAndHeaders):
    """An HTTP head whose bytes warcio writes verbatim (it would %-encode non-ASCII values)."""

    def __init__(self, raw: bytes, statusline: str, protocol: str, headers: Iterable[Header]):
        super().__init__(
            statusline,
            [(n.decode("latin-1"), v.decode("latin-1")) for n, v in headers],
            protocol=protocol,
        )
        self._raw = raw

    def compute_headers_buffer(self, header_filter: object = None) -> None:
        self.headers_buff = self._raw


class Original(NamedTuple):
    """A response record written in full, that revisit records of the same payload name."""

    record_id: str
    url: str
    fetched_at: str
    file: str
    offset: int


class EarlierCapture(NamedTuple):
    """Where an earlier run captured a page (its article row's WARC columns)."""

    file: str
    offset: int
    payload_digest: str


class WarcFileWriter:
    """Writes request/response pairs to rotating ``.warc.gz`` files in one directory.

    A file is created as ``<name>.warc.gz.open`` with an exclusive ``flock`` (so recovery in
    another process never touches it), starts with a ``warcinfo`` record, and is fsynced and
    renamed to ``<name>.warc.gz`` when it reaches ``max_bytes`` or on ``close()``. A pair is
    never split across files, so a file may exceed ``max_bytes`` by one pair.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        warcinfo: Mapping[str, str] | None = None,
        prefix: str = "broadsheet",
        gzip_level: int = GZIP_LEVEL,
        max_originals: int = MAX_ORIGINALS,
    ) -> None:
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self.gzip_level = gzip_level
        self.warcinfo = dict(warcinfo or {})
        self.prefix = prefix
        self.closed_files: list[Path] = []
        self._seq = 0
        self._fh: BinaryIO | None = None
        # warcio builds records (headers, digests); we frame each as one gzip member ourselves,
        # at ``gzip_level``: warcio's fixed level 9 costs 2.5x the CPU of 3 for 11% smaller files.
        self._warc = WARCWriter(BytesIO(), gzip=False, warc_version="1.1")
        # Payloads written in full this run, by digest: a later identical one (a re-check that
        # found the page unchanged, a site serving one page at many URLs) is written as a
        # revisit record pointing at it. Bounded, oldest forgotten first.
        self.originals: OrderedDict[str, Original] = OrderedDict()
        self.max_originals = max_originals
        self._name = ""
        self._warcinfo_id = ""
        self.crash_points = CrashPoints.from_env()

    @property
    def current_path(self) -> Path | None:
        """The ``.open`` file being written, if any."""
        return self.directory / (self._name + OPEN_SUFFIX) if self._fh else None

    def _append(self, fh: BinaryIO, record: ArcWarcRecord) -> tuple[int, int]:
        """Write ``record`` as one gzip member, flushed to the OS; return (offset, length)."""
        scratch = BytesIO()
        self._warc.out = scratch
        self._warc.write_record(record)
        gz = zlib.compressobj(self.gzip_level, zlib.DEFLATED, zlib.MAX_WBITS | 16)
        member = gz.compress(scratch.getbuffer()) + gz.flush()
        offset = fh.tell()
        if self.crash_points.due("warc"):  # tests: die with half a record on disk
            fh.write(member[: len(member) // 2])
            fh.flush()
            crash()
        fh.write(member)
        # flush, not fsync: a SIGKILL then loses nothing written; a power cut is the fsync on
        # close's job (fsync per record would cost a disk round trip per page).
        fh.flush()
        return offset, len(member)

    def _open(self) -> BinaryIO:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._seq += 1
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        self._name = f"{self.prefix}-{stamp}-{self._seq:05d}-{secrets.token_hex(4)}{WARC_SUFFIX}"
        fh = (self.directory / (self._name + OPEN_SUFFIX)).open("xb")  # x: never clobber
        if fcntl is not None:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._fh = fh
        info = self._warc.create_warcinfo_record(self._name, self.warcinfo)
        self._warcinfo_id = info.rec_headers.get_header("WARC-Record-ID")
        self._append(fh, info)
        return fh

    def write_exchange(
        self,
        *,
        url: str,
        fetched_at: datetime,
        status: int,
        response_headers: Iterable[Header],
        body: bytes,
        request_method: str = "GET",
        request_headers: Iterable[Header] = (),
        request_body: bytes = b"",
        protocol: str | None = None,
        ip_address: str | None = None,
        earlier: EarlierCapture | None = None,
    ) -> WarcRef:
        """Write one response record (a revisit record when the same payload was written in
        full earlier in the run, or is the ``earlier`` capture of the page) then its request
        record; return the response's place."""
        digest = sha1_digest(body) if status == 200 and len(body) >= MIN_REVISIT_BYTES else ""
        original = self.originals.get(digest) if digest else None
        if original is None and digest and earlier is not None and earlier.payload_digest == digest:
            original = self._earlier_original(earlier)
        try:
            fh = self._fh or self._open()
            ref = self._write_pair(
                fh, url, fetched_at, status, list(response_headers), body,
                request_method, list(request_headers), request_body, protocol, ip_address,
                original, digest,
            )  # fmt: skip
        except BaseException:
            self._abandon()
            raise
        if digest and original is None:
            self.originals[digest] = Original(
                ref.record_id, url, ref.fetched_at, ref.file, ref.offset
            )
            if len(self.originals) > self.max_originals:
                self.originals.popitem(last=False)
        if fh.tell() >= self.max_bytes:
            self.close()
        return ref

    def _earlier_original(self, earlier: EarlierCapture) -> Original | None:
        """The response record of an earlier run's capture, if it can still be read here."""
        try:
            found = payload_record(self.directory / Path(earlier.file).name, earlier.offset)
        except WarcFormatError as exc:
            logger.debug("earlier capture %s@%d not used: %s", earlier.file, earlier.offset, exc)
            return None
        if found.payload_digest != earlier.payload_digest:
            return None
        return Original(found.record_id, found.url, found.fetched_at, found.file, found.offset)

    def _write_pair(
        self,
        fh: BinaryIO,
        url: str,
        fetched_at: datetime,
        status: int,
        response_headers: list[Header],
        body: bytes,
        method: str,
        request_headers: list[Header],
        request_body: bytes,
        protocol: str | None,
        ip_address: str | None,
        original: Original | None = None,
        digest: str = "",
    ) -> WarcRef:
        # WARC can only frame HTTP/1.x messages; an h2 exchange keeps its status and headers
        # under an HTTP/1.1 status line, and WARC-Protocol says what was really spoken.
        http_version = protocol if protocol and protocol.startswith("HTTP/1.") else "HTTP/1.1"
        try:
            reason = HTTPStatus(status).phrase  # Scrapy does not keep the server's phrase
        except ValueError:
            reason = ""
        statusline = f"{status} {reason}".rstrip()
        date = datetime_to_iso_date(fetched_at.astimezone(UTC).replace(tzinfo=None), True)
        response_id = _record_id()
        # Type, ID, Date and URI first: the order readers of raw WARCs expect to see.
        warc_headers = {
            "WARC-Type": "response",
            "WARC-Record-ID": response_id,
            "WARC-Date": date,
            "WARC-Target-URI": url,
            "WARC-Warcinfo-ID": self._warcinfo_id,
        }
        if ip_address:
            warc_headers["WARC-IP-Address"] = ip_address
        if protocol:
            warc_headers["WARC-Protocol"] = protocol.lower()
        head = _RawHttpHead(
            _http_head(f"{http_version} {statusline}", response_headers),
            statusline, http_version, response_headers,
        )  # fmt: skip
        if original is None:
            if digest:  # computed already to look for a revisit: warcio need not hash again
                warc_headers["WARC-Payload-Digest"] = digest
            response = self._warc.create_warc_record(
                url, "response", payload=BytesIO(body), length=len(body),
                warc_headers_dict=warc_headers, http_headers=head,
            )  # fmt: skip
        else:
            warc_headers["WARC-Type"] = "revisit"
            warc_headers["WARC-Refers-To"] = original.record_id
            # Where the payload is, for readers of this archive (read_record): WARC names no
            # field for it, and extension fields are allowed.
            warc_headers[ORIGINAL_FILE] = original.file
            warc_headers[ORIGINAL_OFFSET] = str(original.offset)
            response = self._warc.create_revisit_record(
                url, digest, original.url, original.fetched_at,
                http_headers=head, warc_headers_dict=warc_headers,
            )  # fmt: skip
        offset, length = self._append(fh, response)

        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        names = {name.lower() for name, _ in request_headers}
        # Twisted puts these on the wire itself; Scrapy's Request never sees them.
        if b"host" not in names:
            request_headers.insert(0, (b"Host", parts.netloc.rpartition("@")[2].encode()))
        if request_body and b"content-length" not in names:
            request_headers.append((b"Content-Length", str(len(request_body)).encode()))
        request_line = f"{method} {target} {http_version}"
        request = self._warc.create_warc_record(
            url, "request", payload=BytesIO(request_body), length=len(request_body),
            warc_headers_dict={
                "WARC-Type": "request", "WARC-Record-ID": _record_id(), "WARC-Date": date,
                "WARC-Target-URI": url, "WARC-Warcinfo-ID": self._warcinfo_id,
                "WARC-Concurrent-To": response_id,
            },
            http_headers=_RawHttpHead(
                _http_head(request_line, request_headers),
                f"{target} {http_version}", method, request_headers,
            ),
        )  # fmt: skip
        self._append(fh, request)
        return WarcRef(
            file=self._name,
            offset=offset,
            length=length,
            record_id=response_id,
            payload_digest=response.rec_headers.get_header("WARC-Payload-Digest"),
            fetched_at=date,
            url=url,
            record_type="response" if original is None else "revisit",
        )

    def _abandon(self) -> None:
        """After a failed write: leave the file to crash recovery rather than append to it."""
        path, fh = self.current_path, self._fh
        self._fh = None
        if fh is None or path is None:
            return
        try:
            fh.close()  # releases the lock, so recovery can take it
        except OSError:
            logger.exception("closing %s after a failed write", path)
        for result in recover_open_files(path.parent):
            if result.original == path:
                logger.error("WARC write failed; %s: %s", path.name, result.action)
                if result.action is not RecoveryAction.IN_USE:
                    self.closed_files.append(result.path)

    def close(self) -> Path | None:
        """fsync and rename the current file to its final name; return that path."""
        fh, path = self._fh, self.current_path
        if fh is None or path is None:
            return None
        self._fh = None
        fh.flush()
        os.fsync(fh.fileno())
        final = path.with_name(self._name)
        path.rename(final)  # before close: still under our lock
        fh.close()
        self.closed_files.append(final)
        return final


class WarcCaptureMiddleware:
    """Downloader middleware: every response received, with its request, into WARC files.

    Puts the response record's ``WarcRef`` in ``request.meta["warc"]`` (``response.meta``).
    Skips responses served by HttpCacheMiddleware (flag ``cached``) and non-HTTP schemes.
    """

    def __init__(self, writer: WarcFileWriter, stats: StatsCollector | None = None) -> None:
        self.writer = writer
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("BROADSHEET_WARC_ENABLED", True):
            raise NotConfigured("BROADSHEET_WARC_ENABLED is off")
        directory = Path(settings.get("BROADSHEET_WARC_DIR") or DEFAULT_DIR)
        directory.mkdir(parents=True, exist_ok=True)
        for result in recover_open_files(directory):
            logger.warning(
                "WARC recovery: %s %s (%d records kept, %d bytes dropped) %s",
                result.original.name, result.action, result.records,
                result.dropped_bytes, result.reason,
            )  # fmt: skip
            if crawler.stats is not None:
                crawler.stats.inc_value(f"warc/recovery/{result.action}")
        contact = settings.get("BROADSHEET_CONTACT", "")
        info = {
            "software": (
                f"Broadsheet/{_version('broadsheet')} WarcCaptureMiddleware "
                f"(warcio/{_version('warcio')}, Scrapy/{_version('scrapy')})"
            ),
            "format": "WARC File Format 1.1",
            "conformsTo": WARC_1_1_SPEC,
            "description": "Broadsheet news crawl: every HTTP response received, with its request",
            "operator": contact,
            "http-header-user-agent": settings.get("USER_AGENT", ""),
            "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
        }
        writer = WarcFileWriter(
            directory,
            max_bytes=settings.getint("BROADSHEET_WARC_MAX_BYTES", DEFAULT_MAX_BYTES),
            warcinfo=info,
        )
        middleware = cls(writer, crawler.stats)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def spider_closed(self) -> None:
        self.writer.close()

    def process_request(self, request: Request) -> None:
        # A redirect or retry copies meta: drop the previous response's ref so that a ref
        # found on a response always describes that response.
        request.meta.pop(META_KEY, None)

    def process_response(self, request: Request, response: Response) -> Response:
        if "cached" in response.flags or urlsplit(response.url).scheme not in ("http", "https"):
            request.meta.pop(META_KEY, None)  # a cache hit skips process_request above
            self._inc("warc/skipped")
            return response
        latency = request.meta.get("download_latency")
        # WARC-Date is when capture began: the request left ~latency seconds ago.
        fetched_at = datetime.fromtimestamp(time.time(), UTC)
        if isinstance(latency, int | float):
            fetched_at -= timedelta(seconds=latency)
        ref = self.writer.write_exchange(
            url=response.url,
            fetched_at=fetched_at,
            status=response.status,
            response_headers=_header_pairs(response.headers.items()),
            body=response.body,
            request_method=request.method,
            request_headers=_header_pairs(request.headers.items()),
            request_body=request.body,
            protocol=response.protocol,
            ip_address=str(response.ip_address) if response.ip_address else None,
            earlier=request.meta.get(EARLIER_CAPTURE),
        )
        request.meta[META_KEY] = ref
        self._inc("warc/responses")
        self._inc("warc/response_bytes", ref.length)
        if ref.record_type == "revisit":
            self._inc("warc/revisits")  # the same payload as a response written before
        return response

    def _inc(self, key: str, count: int = 1) -> None:
        if self.stats is not None:
            self.stats.inc_value(key, count)


def _header_pairs(items: Iterable[tuple[bytes, list[bytes]]]) -> list[Header]:
    return [(name, value) for name, values in items for value in values]
