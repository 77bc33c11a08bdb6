"""The archive's one timestamp format: ISO 8601, UTC, whole seconds, "+00:00" offset.

One format matters because timestamps are compared as strings in SQL ("Z" and "+00:00" do not
sort together).
"""

from __future__ import annotations

from datetime import UTC, datetime


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def to_iso_utc(value: str) -> str:
    """Normalise an ISO 8601 timestamp (e.g. a WARC-Date ending in "Z") to the archive's format.

    A value that does not parse is returned unchanged; a naive one is taken as UTC.
    """
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).isoformat(timespec="seconds")
