"""bench/list_coverage.py's site: real files served behind a paginated list, nothing else."""

from __future__ import annotations

import gzip
import threading
import urllib.error
import urllib.request

import pytest

from bench.list_coverage import ListSite, load_pages


def test_the_site_lists_every_page_once_through_rel_next(tmp_path):
    for n in range(5):
        data = f"<html><body><p>page {n}</p></body></html>".encode()
        if n % 2:
            (tmp_path / f"p{n}.html.gz").write_bytes(gzip.compress(data))
        else:
            (tmp_path / f"p{n}.html").write_bytes(data)
    (tmp_path / "notes.txt").write_text("not a page")
    pages = load_pages([tmp_path])
    assert list(pages) == [f"p{n}" for n in range(5)]
    site = ListSite(pages, per_page=2)
    thread = threading.Thread(target=site.serve_forever, daemon=True)
    thread.start()
    try:

        def get(path: str) -> str:
            with urllib.request.urlopen(site.base_url + path.lstrip("/"), timeout=5) as r:
                return r.read().decode()

        listed, path = [], "/"
        while path:
            html = get(path)
            listed += [p for p in pages if f'href="/news/{p}"' in html]
            path = html.split('rel="next" href="')[1].split('"')[0] if "rel=" in html else ""
        assert listed == list(pages)
        assert "page 3" in get("/news/p3")  # served decompressed
        with pytest.raises(urllib.error.HTTPError):
            get("/page/9/")
    finally:
        site.shutdown()
        site.server_close()
