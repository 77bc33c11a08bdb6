"""Adapters from extract_page to the shared benchmark evaluators (/work/shared/bench).

    cd /work/shared/bench/extraction && python evaluate.py --data dev \
        --extractor /work/main/bench/adapters.py:body
    cd /work/shared/bench/metadata && python evaluate.py --data dev \
        --extractor /work/main/bench/adapters.py:metadata
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipelines.extract import extract_page  # after the sys.path line above


def body(html: str, url: str) -> str:
    return extract_page(html, url).body


def metadata(html: str, url: str) -> dict[str, Any]:
    e = extract_page(html, url)
    # The benchmark's ground truth (fundus parsers) lists agency bylines as authors ("dpa"),
    # while extract_page keeps them apart in ``agencies``: both are the byline here.
    byline = e.authors + e.agencies
    return {
        "title": e.title or None,
        "authors": byline or None,
        "date_published": e.published_at or None,
    }
