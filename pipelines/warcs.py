"""WARC files on disk: pointers into them, reading records back, and crash recovery.

Pure module (no Scrapy): the crawl-side writer lives in ``crawler/warc.py``; this side is used
by the store stage (``WarcRef.row()``), by ``broadsheet reprocess`` (``read_record``) and by
``broadsheet import-warc`` (``iter_responses``). See docs/warc.md.

Our files are ``.warc.gz`` with one gzip member per record, so a record is addressed by the
byte offset of its gzip member and can be read with one seek. A file being written is named
``<final name>.open``; ``recover_open_files`` repairs the ones a crash left behind.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import os
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import ChunkedDataReader
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord

try:  # Scrapy depends on both; this module must still import without them.
    import brotli
except ImportError:  # pragma: no cover
    brotli = None
try:
    from backports import zstd
except ImportError:  # pragma: no cover
    zstd = None

try:  # POSIX advisory locks: a live writer's file must never be "recovered" under it.
    import fcntl
except ImportError:  # pragma: no cover - Windows: no locking, see docs/warc.md
    fcntl = None  # type: ignore[assignment]

WARC_SUFFIX = ".warc.gz"
OPEN_SUFFIX = ".open"
QUARANTINE_SUFFIX = ".corrupt"
GZIP_MAGIC = b"\x1f\x8b"
HTTP_RECORD_TYPES = ("response", "revisit")
# Extension fields of our revisit records: the file and offset of the response record that holds
# the payload (the standard fields name it by record id, URI and date, which need an index).
ORIGINAL_FILE = "Broadsheet-Original-File"
ORIGINAL_OFFSET = "Broadsheet-Original-Offset"
# A news page is < 2 MB (DOWNLOAD_MAXSIZE is 10 MB); a foreign WARC may hold videos.
DEFAULT_MAX_BODY = 32 * 1024 * 1024
_CHUNK = 64 * 1024


class WarcFormatError(ValueError):
    """The bytes at a path/offset are not the WARC record the caller was promised."""


def sha1_digest(data: bytes) -> str:
    """``sha1:<base32>``, the form warcio writes and ``warcio check`` verifies."""
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")


def warc_dir_for(db: Path) -> Path:
    """Default WARC folder: beside the archive, so the two move and back up together."""
    return db.parent / "warc"


# --- pointers ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WarcRef:
    """Where a response record lives: what an article row stores to stay traceable.

    ``file`` is the *final* base name (``….warc.gz``) even while the file still carries its
    ``.open`` suffix: the rename on close is deterministic, and a crash is repaired by
    ``recover_open_files`` to the same name. It is relative to ``BROADSHEET_WARC_DIR`` so an
    archive can move. ``offset``/``length`` delimit the record's gzip member.
    """

    file: str
    offset: int
    length: int
    record_id: str
    payload_digest: str
    fetched_at: str  # the record's WARC-Date, ISO 8601 UTC
    url: str = ""
    # "revisit": the payload is in an earlier response record, which read_record reads for it
    record_type: str = "response"

    def row(self) -> dict[str, object]:
        """Columns for the article row."""
        return {
            "warc_file": self.file,
            "warc_offset": self.offset,
            "warc_length": self.length,
            "warc_record_id": self.record_id,
            "warc_payload_digest": self.payload_digest,
        }


# --- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecordHead:
    """What ``iter_responses`` knows about a record before reading its body (for filters)."""

    url: str
    status: int
    record_type: str  # "response" or "revisit"
    headers: tuple[tuple[str, str], ...]
    fetched_at: str

    def header(self, name: str) -> str | None:
        return _header(self.headers, name)

    @property
    def content_type(self) -> str:
        return (self.header("Content-Type") or "").split(";", 1)[0].strip().lower()


@dataclass(frozen=True, slots=True)
class WarcResponse:
    """An HTTP response read back from a WARC record.

    ``body`` is the entity decoded from chunking and Content-Encoding; ``headers`` are as
    recorded (still naming the Content-Encoding). A ``revisit`` record carries no body: use
    ``refers_to_uri``/``refers_to_date``/``payload_digest`` to find the original.
    """

    url: str
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    fetched_at: str
    record_id: str
    payload_digest: str
    record_type: str = "response"
    protocol: str = ""
    ip_address: str = ""
    file: str = ""
    offset: int = -1
    length: int = -1
    refers_to_uri: str = ""
    refers_to_date: str = ""
    body_truncated: bool = False  # the entity exceeded max_body; ``body`` is its first bytes
    decode_error: str = ""  # Content-Encoding could not be undone; ``body`` is still encoded

    @property
    def is_revisit(self) -> bool:
        return self.record_type == "revisit"

    def header(self, name: str) -> str | None:
        return _header(self.headers, name)


def _header(headers: Iterable[tuple[str, str]], name: str) -> str | None:
    lower = name.lower()
    for key, value in headers:
        if key.lower() == lower:
            return value
    return None


def _read_gzip_member(fh: BinaryIO, where: str) -> tuple[bytes, int]:
    """Decompress the one gzip member at ``fh``'s position: (data, compressed length)."""
    start = fh.tell()
    d = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
    out = io.BytesIO()
    consumed = 0
    while not d.eof:
        chunk = fh.read(_CHUNK)
        if not chunk:
            raise WarcFormatError(f"{where}: gzip member truncated at byte {start + consumed}")
        try:
            out.write(d.decompress(chunk))
        except zlib.error as exc:
            raise WarcFormatError(f"{where}: not a valid gzip member ({exc})") from exc
        consumed += len(chunk)
    return out.getvalue(), consumed - len(d.unused_data)


def read_record(path: str | os.PathLike[str], offset: int, *, verify: bool = True) -> WarcResponse:
    """Read the response (or revisit) record starting at ``offset``, touching only its bytes.

    ``offset`` is a ``WarcRef.offset`` / ``warc_offset``. In a ``.warc.gz`` it must be the start
    of a gzip member; in an uncompressed ``.warc`` the start of a ``WARC/`` header. With
    ``verify`` the block and payload digests are checked. A revisit record of ours comes with
    the body of the response record it names. Raises ``WarcFormatError``.
    """
    path = Path(path)
    response, original = _read_one(path, offset, verify)
    if original is not None:
        return _with_original_payload(response, path.parent, *original, verify)
    return response


def payload_record(path: str | os.PathLike[str], offset: int) -> WarcResponse:
    """The response record holding the payload of the record at ``path``/``offset``: that
    record, or the one a revisit record of ours names (its ``file`` and ``offset`` its own).
    Digests are not checked. Raises ``WarcFormatError``."""
    path = Path(path)
    response, original = _read_one(path, offset, False)
    return response if original is None else _original_record(path.parent, *original, False)


def _original_record(directory: Path, file: str, offset: int, verify: bool) -> WarcResponse:
    """The response record a revisit of ours names: in ``directory``, under its final name or
    still ``.open`` while its crawl writes it; never a revisit itself."""
    path = directory / Path(file).name
    if not path.exists() and path.with_name(path.name + OPEN_SUFFIX).exists():
        path = path.with_name(path.name + OPEN_SUFFIX)
    found, again = _read_one(path, offset, verify)
    if again is not None or found.is_revisit:
        raise WarcFormatError(f"{path}@{offset}: a revisit, not the record of a payload")
    return replace(found, file=Path(file).name)


def _read_one(path: Path, offset: int, verify: bool) -> tuple[WarcResponse, tuple[str, int] | None]:
    """The record at ``offset``, and for a revisit of ours where its payload is."""
    where = f"{path}@{offset}"
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise WarcFormatError(f"{where}: cannot open ({exc})") from exc
    with fh:
        fh.seek(offset)
        magic = fh.read(5)
        fh.seek(offset)
        if magic[:2] == GZIP_MAGIC:
            data, length = _read_gzip_member(fh, where)
            if not data.startswith(b"WARC/"):
                raise WarcFormatError(f"{where}: gzip member does not hold a WARC record")
            stream: BinaryIO = io.BytesIO(data)
        elif magic == b"WARC/":
            stream, length = fh, -1
        else:
            raise WarcFormatError(
                f"{where}: offset is not the start of a WARC record (found {magic!r}); "
                "use the warc_offset stored with the row"
            )
        iterator = ArchiveIterator(stream, check_digests=verify)
        try:
            record = next(iter(iterator))
            if record.rec_type not in HTTP_RECORD_TYPES or record.http_headers is None:
                raise WarcFormatError(
                    f"{where}: a {record.rec_type!r} record, not an HTTP response"
                )
            response = _to_response(record, DEFAULT_MAX_BODY, path.name, offset, length)
            if verify and record.digest_checker.passed is False:
                problems = "; ".join(record.digest_checker.problems)
                raise WarcFormatError(f"{where}: digest mismatch ({problems})")
            return response, _original_of(record)
        except (ArchiveLoadFailed, StopIteration) as exc:
            raise WarcFormatError(f"{where}: cannot parse a WARC record ({exc})") from exc


def _original_of(record: ArcWarcRecord) -> tuple[str, int] | None:
    """The (file, offset) of the response record an own revisit record names, else None."""
    if record.rec_type != "revisit":
        return None
    file = record.rec_headers.get_header(ORIGINAL_FILE)
    offset = record.rec_headers.get_header(ORIGINAL_OFFSET) or ""
    return (file, int(offset)) if file and offset.isdigit() else None


def _with_original_payload(
    revisit: WarcResponse, directory: Path, file: str, offset: int, verify: bool
) -> WarcResponse:
    """A revisit record of ours with the body of the response record it names."""
    try:
        original = _original_record(directory, file, offset, verify)
    except WarcFormatError as exc:
        raise WarcFormatError(
            f"{revisit.file}@{revisit.offset}: revisit of {file}@{offset}, unreadable ({exc})"
        ) from exc
    if original.payload_digest != revisit.payload_digest:
        raise WarcFormatError(
            f"{revisit.file}@{revisit.offset}: revisit of {file}@{offset}, which holds another"
            " payload"
        )
    return replace(
        revisit,
        body=original.body,
        body_truncated=original.body_truncated,
        decode_error=original.decode_error,
    )


class _CountingReader(io.RawIOBase):
    """Counts bytes handed to warcio, for progress reports that cost nothing."""

    def __init__(self, fh: BinaryIO, on_read: Callable[[int], None]) -> None:
        self._fh = fh
        self._on_read = on_read

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._fh.read(len(buffer))
        buffer[: len(data)] = data
        self._on_read(len(data))
        return len(data)


def iter_responses(
    paths: Iterable[str | os.PathLike[str]],
    *,
    filter: Callable[[RecordHead], bool] | None = None,
    progress: Callable[[int], None] | None = None,
    revisits: bool = True,
    max_body: int = DEFAULT_MAX_BODY,
) -> Iterator[WarcResponse]:
    """Stream the HTTP responses of any WARC files (``.warc`` or ``.warc.gz``, ours or not).

    Memory is bounded by one record (``max_body``): nothing is kept between records, so
    ``revisit`` records are yielded unresolved (``is_revisit``, empty body) rather than looked
    up, except ours, which name the file and offset of their payload's record: those come with
    its body (empty when it cannot be read). Non-HTTP records (warcinfo, request, metadata,
    resource, dns:) are skipped. ``filter`` sees the record head before the body is read or
    decoded. ``progress`` receives the total number of file bytes read so far, across all paths.
    """
    total = 0

    def count(n: int) -> None:
        nonlocal total
        total += n

    for raw_path in paths:
        path = Path(raw_path)
        with path.open("rb") as fh:
            iterator = ArchiveIterator(io.BufferedReader(_CountingReader(fh, count)))
            for record in iterator:
                if record.rec_type not in HTTP_RECORD_TYPES or record.http_headers is None:
                    continue
                if record.rec_type == "revisit" and not revisits:
                    continue
                if not record.http_headers.get_statuscode().isdigit():
                    continue  # e.g. a revisit with WARC headers only
                if filter is not None and not filter(_head(record)):
                    continue
                response = _to_response(record, max_body, path.name, -1, -1)
                original = _original_of(record)
                iterator.read_to_end(record)  # only now does warcio know the record's extent
                response = replace(
                    response,
                    offset=iterator.get_record_offset(),
                    length=iterator.get_record_length(),
                )
                if original is not None:
                    with contextlib.suppress(WarcFormatError):
                        response = _with_original_payload(response, path.parent, *original, False)
                yield response
                if progress is not None:
                    progress(total)
        if progress is not None:
            progress(total)


def _head(record: ArcWarcRecord) -> RecordHead:
    rec = record.rec_headers
    return RecordHead(
        url=rec.get_header("WARC-Target-URI") or "",
        status=int(record.http_headers.get_statuscode()),
        record_type=record.rec_type,
        headers=tuple((k, v) for k, v in record.http_headers.headers),
        fetched_at=rec.get_header("WARC-Date") or "",
    )


def _to_response(
    record: ArcWarcRecord, max_body: int, file: str, offset: int, length: int
) -> WarcResponse:
    head = _head(record)
    rec = record.rec_headers
    body = b""
    truncated = False
    decode_error = ""
    if record.rec_type == "response":
        raw = record.raw_stream.read(max_body + 1)
        if len(raw) > max_body:
            raw, truncated = raw[:max_body], True
        if (head.header("Transfer-Encoding") or "").lower() == "chunked":
            raw = _dechunk(raw)
        body, decode_error, cut = _decode(raw, head.header("Content-Encoding"), max_body)
        truncated = truncated or cut
        if not truncated:
            record.raw_stream.read()  # let warcio's digest checker see the whole payload
    return WarcResponse(
        url=head.url,
        status=head.status,
        headers=head.headers,
        body=body,
        fetched_at=head.fetched_at,
        record_id=rec.get_header("WARC-Record-ID") or "",
        payload_digest=rec.get_header("WARC-Payload-Digest") or "",
        record_type=record.rec_type,
        protocol=rec.get_header("WARC-Protocol") or record.http_headers.protocol or "",
        ip_address=rec.get_header("WARC-IP-Address") or "",
        file=file,
        offset=offset,
        length=length,
        refers_to_uri=rec.get_header("WARC-Refers-To-Target-URI") or "",
        refers_to_date=rec.get_header("WARC-Refers-To-Date") or "",
        body_truncated=truncated,
        decode_error=decode_error,
    )


def _dechunk(raw: bytes) -> bytes:
    # warcio's reader falls back to the raw bytes when they are not actually chunked.
    return ChunkedDataReader(io.BytesIO(raw)).read()


def _decode(raw: bytes, content_encoding: str | None, limit: int) -> tuple[bytes, str, bool]:
    """Undo Content-Encoding (possibly stacked, last applied first): (body, error, truncated)."""
    codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
    body = raw
    for coding in reversed(codings):
        try:
            if coding in ("gzip", "x-gzip"):
                body, cut = _inflate(body, zlib.MAX_WBITS | 32, limit)
            elif coding == "deflate":
                try:
                    body, cut = _inflate(body, zlib.MAX_WBITS, limit)
                except zlib.error:  # raw deflate, as some servers send
                    body, cut = _inflate(body, -zlib.MAX_WBITS, limit)
            elif coding == "br" and brotli is not None:
                body, cut = brotli.decompress(body), False
            elif coding == "zstd" and zstd is not None:
                body, cut = zstd.decompress(body), False
            elif coding == "identity":
                continue
            else:
                return raw, f"unsupported Content-Encoding {coding!r}", False
        except Exception as exc:  # noqa: BLE001 - any codec failure means "keep the raw bytes"
            return raw, f"cannot decode {coding!r}: {exc}", False
        if cut or len(body) > limit:
            return body[:limit], "", True
    return body, "", False


def _inflate(data: bytes, wbits: int, limit: int) -> tuple[bytes, bool]:
    d = zlib.decompressobj(wbits=wbits)
    out = d.decompress(data, limit + 1)  # bounded: a decompression bomb stops here
    return out[:limit], len(out) > limit


# --- recovery ----------------------------------------------------------------------------------


class RecoveryAction(StrEnum):
    RENAMED = "renamed"  # complete: only the .open suffix was dropped
    TRUNCATED = "truncated"  # a trailing partial record was cut off, then renamed
    REMOVED = "removed"  # nothing complete in it (not even the warcinfo record)
    QUARANTINED = "quarantined"  # damaged other than at the tail: left intact as .corrupt
    IN_USE = "in_use"  # a live writer holds its lock: not touched


@dataclass(frozen=True, slots=True)
class RecoveryResult:
    original: Path
    path: Path  # where the file is now (== original when IN_USE; missing when REMOVED)
    action: RecoveryAction
    records: int  # complete records kept
    kept_bytes: int
    dropped_bytes: int
    reason: str = ""


@dataclass(frozen=True, slots=True)
class _Scan:
    records: int
    good_end: int  # byte offset just after the last complete, valid record
    size: int
    truncated_tail: bool  # the data after good_end is an unfinished gzip member
    error: str


def _check_record(head: bytes, total: int, tail: bytes) -> str:
    """Is one decompressed gzip member exactly one whole WARC record? '' if so."""
    if not head.startswith(b"WARC/"):
        return "member does not start with a WARC header"
    end = head.find(b"\r\n\r\n")
    if end < 0:
        return "WARC header not terminated"
    length = None
    for line in head[:end].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip()) if value.strip().isdigit() else None
    if length is None:
        return "WARC header lacks a valid Content-Length"
    if total != end + 4 + length + 4 or tail != b"\r\n\r\n":
        return "record length does not match its Content-Length"
    return ""


def scan_gzip_warc(fh: BinaryIO) -> _Scan:
    """Walk a ``.warc.gz`` member by member (CRC and length checked by zlib), streaming."""
    fh.seek(0, os.SEEK_END)
    size = fh.tell()
    fh.seek(0)
    records = good_end = 0
    pos = 0  # file offset of the current member's start
    pending = b""
    while pos < size:
        d = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
        head = b""
        tail = b""
        total = 0
        fed = 0
        buf = pending
        pending = b""
        while not d.eof:
            if not buf:
                buf = fh.read(_CHUNK)
                if not buf:
                    return _Scan(records, good_end, size, True, "unfinished gzip member")
            try:
                out = d.decompress(buf)
            except zlib.error as exc:
                return _Scan(records, good_end, size, False, f"bad gzip data at {pos}: {exc}")
            fed += len(buf)
            buf = b""
            if len(head) < _CHUNK:
                head += out[: _CHUNK - len(head)]
            tail = (tail + out)[-4:]
            total += len(out)
        pending = d.unused_data
        problem = _check_record(head, total, tail)
        if problem:
            return _Scan(records, good_end, size, False, f"record at {pos}: {problem}")
        pos += fed - len(pending)
        records += 1
        good_end = pos
    return _Scan(records, good_end, size, False, "")


def _try_lock(fh: BinaryIO) -> bool:
    if fcntl is None:  # pragma: no cover
        return True
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def recover_open_files(directory: str | os.PathLike[str]) -> list[RecoveryResult]:
    """Repair every ``*.warc.gz.open`` a crash left in ``directory``.

    Complete files are renamed; a file whose last gzip member is unfinished (a SIGKILL while
    writing) is truncated to its last whole record and renamed; a file damaged anywhere else
    is renamed ``….warc.gz.corrupt`` untouched, for a human. Files locked by a running writer
    are left alone, so a second crawl on the same directory cannot damage the first's.
    """
    results: list[RecoveryResult] = []
    for path in sorted(Path(directory).glob(f"*{WARC_SUFFIX}{OPEN_SUFFIX}")):
        results.append(_recover_one(path))
    return results


def _recover_one(path: Path) -> RecoveryResult:
    final = path.with_name(path.name.removesuffix(OPEN_SUFFIX))
    with path.open("r+b") as fh:
        if not _try_lock(fh):
            return RecoveryResult(path, path, RecoveryAction.IN_USE, 0, 0, 0, "locked")
        scan = scan_gzip_warc(fh)
        dropped = scan.size - scan.good_end
        if scan.error and not scan.truncated_tail:
            target = final.with_name(final.name + QUARANTINE_SUFFIX)
            path.rename(target)
            return RecoveryResult(
                path, target, RecoveryAction.QUARANTINED, scan.records, scan.size, 0, scan.error
            )
        if scan.records == 0:
            path.unlink()
            return RecoveryResult(
                path, path, RecoveryAction.REMOVED, 0, 0, scan.size, scan.error or "empty"
            )
        action = RecoveryAction.RENAMED
        if dropped:
            fh.truncate(scan.good_end)
            action = RecoveryAction.TRUNCATED
        fh.flush()
        os.fsync(fh.fileno())
    if final.exists():  # never overwrite: names are random-suffixed, so this is a surprise
        target = final.with_name(final.name + QUARANTINE_SUFFIX)
        path.rename(target)
        return RecoveryResult(
            path, target, RecoveryAction.QUARANTINED, scan.records, scan.good_end, dropped,
            f"{final.name} already exists",
        )  # fmt: skip
    path.rename(final)
    return RecoveryResult(path, final, action, scan.records, scan.good_end, dropped, scan.error)
