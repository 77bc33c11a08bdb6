"""What crawler processes send to the single writer in distributed mode, as JSON (never pickle:
a message from Redis must not be able to run code in the writer).

Kinds: ``start`` (a worker's run begins, with its sources), ``page`` (an extracted page; the raw
body stays in the worker's WARC files, the message carries the pointer), ``fetch`` (a discovery
document, a 304 or a gone page, for the crawl memory) and ``finish`` (the worker's fetch counts).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from .models import Extracted, ExtractedPage, FetchedPage, FetchRecord, PageKind


@dataclass(frozen=True, slots=True)
class Message:
    kind: str  # start, page, fetch, finish
    run_id: str
    sources: tuple[str, ...] = ()
    page: ExtractedPage | None = None
    fetch: FetchRecord | None = None
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # source -> counter -> n
    at: str = ""


def encode(message: Message) -> str:
    data: dict[str, Any] = {"kind": message.kind, "run_id": message.run_id, "at": message.at}
    if message.sources:
        data["sources"] = list(message.sources)
    if message.page is not None:
        page = replace(message.page.page, body=b"", parts=())
        parts = [
            asdict(replace(part, body=b"", parts=())) | {"body": None}
            for part in message.page.page.parts
        ]
        data["page"] = asdict(page) | {"body": None, "parts": parts}
        data["extracted"] = asdict(message.page.extracted)
    if message.fetch is not None:
        data["fetch"] = asdict(message.fetch)
    if message.counts:
        data["counts"] = message.counts
    return json.dumps(data, ensure_ascii=False)


def _page_fields(data: dict[str, Any]) -> dict[str, Any]:
    fields = dict(data, body=b"", parts=())
    fields["redirect_urls"] = tuple(fields.get("redirect_urls") or ())
    return fields


class BadMessage(ValueError):
    """A message the writer cannot use; it is logged and set aside, never half-applied."""


def decode(text: str | bytes) -> Message:
    try:
        data = json.loads(text)
        page = None
        if "page" in data:
            fields = _page_fields(data["page"])
            fields["parts"] = tuple(
                FetchedPage(**_page_fields(part)) for part in data["page"].get("parts") or ()
            )
            extracted = dict(data["extracted"], kind=PageKind(data["extracted"]["kind"]))
            page = ExtractedPage(FetchedPage(**fields), Extracted(**extracted))
        fetch = FetchRecord(**data["fetch"]) if "fetch" in data else None
        return Message(
            kind=data["kind"],
            run_id=data["run_id"],
            sources=tuple(data.get("sources", ())),
            page=page,
            fetch=fetch,
            counts={s: dict(c) for s, c in data.get("counts", {}).items()},
            at=data.get("at", ""),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise BadMessage(f"unusable message: {exc}") from exc
