"""The bundled demo outlets: content ground truth, served pages, traps, HTTP details, editions."""

from __future__ import annotations

import html
import json
import re
import tomllib
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from urllib.robotparser import RobotFileParser

import pytest

from demo_sites import catalog
from demo_sites.server import DemoServer

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
ATOM = "{http://www.w3.org/2005/Atom}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def fetch(
    url: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with _OPENER.open(req, timeout=5) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def text(url: str) -> str:
    status, _, body = fetch(url)
    assert status == 200, url
    return body.decode("utf-8")


@pytest.fixture(scope="module")
def server() -> Iterator[DemoServer]:
    with DemoServer(port=0) as srv:
        yield srv


@pytest.fixture(scope="module")
def shared() -> Iterator[DemoServer]:
    with DemoServer(port=0, shared_host=True) as srv:
        yield srv


@pytest.fixture(scope="module")
def outlets() -> list[catalog.Outlet]:
    return catalog.outlets()


# -- ground truth --------------------------------------------------------------------------------


def test_catalog_size_and_shape(outlets: list[catalog.Outlet]) -> None:
    assert len(outlets) >= 3
    articles = catalog.all_articles()
    assert len(articles) >= 60
    assert {o.date_style for o in outlets} == {"json-ld", "meta", "text"}
    for a in articles:
        assert 4 <= len(a.paragraphs) <= 9, a.slug
        assert 130 <= len(a.body.split()) <= 600, a.slug
        assert re.search(r"[+-]\d\d:\d\d$", a.published_at), a.slug
        assert a.tags and a.section and a.title
        assert len(a.authors) <= 3
    for o in outlets:
        paths = [a.path for a in o.articles()]
        assert len(paths) == len(set(paths))
    assert any(not a.authors and a.byline for a in articles)  # staff / agency bylines


def test_republished_and_wire_copies(outlets: list[catalog.Outlet]) -> None:
    by_key = {(a.outlet_id, a.path): a for a in catalog.all_articles()}
    copies = [a for a in by_key.values() if a.republished_from]
    assert len(copies) == 1
    copy = copies[0]
    original = by_key[copy.republished_from]
    assert copy.outlet_id != original.outlet_id
    assert copy.paragraphs == original.paragraphs and copy.title != original.title
    wire = [a for a in by_key.values() if a.byline == "SAN News Service"]
    assert len({a.outlet_id for a in wire}) == 2 and wire[0].paragraphs != wire[1].paragraphs


def test_numbers_for_fact_extraction() -> None:
    corpus = " ".join(a.body + " " + a.title for a in catalog.all_articles())
    for needle in (
        "$3.2 billion",
        "Rs 2.1tr",
        "FY18-19",
        "FY2023-24",
        "Q3 2024",
        "14 start-ups",
        "23 percent",
    ):
        assert needle in corpus, needle


# -- served pages --------------------------------------------------------------------------------


def test_robots_and_sitemaps(server: DemoServer, outlets: list[catalog.Outlet]) -> None:
    for o in outlets:
        base = server.base_urls[o.id]
        robots = text(base + "/robots.txt")
        assert "Disallow: " in robots
        sitemap_urls = re.findall(r"^Sitemap: (\S+)$", robots, re.MULTILINE)
        assert sitemap_urls == [base + o.paths.sitemap]
        parser = RobotFileParser()
        parser.parse(robots.splitlines())
        assert not parser.can_fetch("broadsheet", base + o.traps.disallowed)
        assert parser.can_fetch("broadsheet", base + o.articles()[0].path)

        locs: set[str] = set()
        root = ET.fromstring(fetch(sitemap_urls[0])[2])
        if root.tag == SM + "sitemapindex":
            children = [e.findtext(SM + "loc") for e in root.iter(SM + "sitemap")]
            assert len(children) == 2 and all(e.findtext(SM + "lastmod") for e in root)
            news = 0
            for child in children:
                status, headers, body = fetch(child)
                assert status == 200 and "Last-Modified" in headers
                news += b"xmlns:news=" in body and b"<news:publication_date>" in body
                locs |= {e.text or "" for e in ET.fromstring(body).iter(SM + "loc")}
            assert news == 1
        else:
            assert all(u.findtext(SM + "lastmod") for u in root.iter(SM + "url"))
            locs = {e.text or "" for e in root.iter(SM + "loc")}
        assert {a.url(base) for a in o.articles()} <= locs
    assert outlets[0].paths.child_sitemaps  # outlet A uses an index


def test_every_article_is_served_with_its_headline(
    server: DemoServer, outlets: list[catalog.Outlet]
) -> None:
    for o in outlets:
        for a in o.articles():
            url = a.url(server.base_urls[o.id])
            page = text(url)
            h1 = re.search(r"<h1[^>]*>(.*?)</h1>", page, re.DOTALL)
            assert h1 and html.unescape(h1.group(1)).strip() == a.title, url
            assert f'<link rel="canonical" href="{url}"' in page
            assert f"<title>{html.escape(a.title)}" in page
            if a.path == o.traps.paged:  # served in two pages (test_a_long_read_in_two_pages)
                page += text(url + "?page=2")
            for para in a.paragraphs:
                assert html.escape(para) in page
            printed = text(url + "?print=1")
            assert f'<link rel="canonical" href="{url}"' in printed
            assert all(html.escape(p) in printed for p in a.paragraphs)


def test_a_long_read_in_two_pages(server: DemoServer, outlets: list[catalog.Outlet]) -> None:
    paged = [(o, a) for o in outlets for a in o.articles() if a.path == o.traps.paged]
    assert len(paged) == 1
    outlet, article = paged[0]
    url = article.url(server.base_urls[outlet.id])
    first, second = text(url), text(url + "?page=2")
    half = (len(article.paragraphs) + 1) // 2
    assert all(html.escape(p) in first for p in article.paragraphs[:half])
    assert not any(html.escape(p) in first for p in article.paragraphs[half:])
    assert all(html.escape(p) in second for p in article.paragraphs[half:])
    assert re.search(rf'<link rel="next" href="[^"]*{re.escape(article.path)}\?page=2">', first)
    assert f'<link rel="canonical" href="{url}"' in second


def test_date_styles_per_outlet(server: DemoServer, outlets: list[catalog.Outlet]) -> None:
    styles = {o.id: o.date_style for o in outlets}
    assert styles == {"indus": "json-ld", "margalla": "meta", "ravi": "text"}
    for o in outlets:
        for a in o.articles()[:6]:
            page = text(a.url(server.base_urls[o.id]))
            assert "<time" not in page
            has_ld = "application/ld+json" in page
            has_meta = "article:published_time" in page
            if o.date_style == "json-ld":
                assert has_ld and not has_meta
                block = re.search(
                    r'<script type="application/ld\+json">(.*?)</script>', page, re.DOTALL
                )
                data = json.loads(block.group(1))
                assert data["@type"] == "NewsArticle"
                assert data["datePublished"] == a.published_at
                assert [p["name"] for p in data["author"] if p["@type"] == "Person"] == list(
                    a.authors
                )
            elif o.date_style == "meta":
                assert has_meta and not has_ld
                assert (
                    f'<meta property="article:published_time" content="{a.published_at}">' in page
                )
            else:
                assert not has_ld and not has_meta and "modified_time" not in page
                assert "Published: " in page and " PKT" in page


def test_traps(server: DemoServer, outlets: list[catalog.Outlet]) -> None:
    for o in outlets:
        base, traps = server.base_urls[o.id], o.traps
        home = text(base + "/")
        status, headers, _ = fetch(base + traps.redirect_from)
        assert status == 301 and headers["Location"] == base + traps.redirect_to
        assert fetch(base + traps.missing)[0] == 404
        status, headers, body = fetch(base + traps.pdf)
        assert status == 200 and headers["Content-Type"] == "application/pdf"
        assert body.startswith(b"%PDF-") and body.rstrip().endswith(b"%%EOF")
        for path in (
            traps.redirect_from,
            traps.missing,
            traps.pdf,
            traps.disallowed,
            traps.slash_variant,
            traps.fragment_link,
        ):
            assert path in home, (o.id, path)
        assert home.count("utm_source=") == len(traps.utm_links)
        assert 'rel="alternate" type="application/' in home
        for path in traps.utm_links:
            page = text(f"{base}{path}?utm_source=newsletter&utm_medium=email")
            assert f'<link rel="canonical" href="{base}{path}"' in page
        canonical = (
            traps.slash_variant.rstrip("/")
            if traps.slash_variant.endswith("/")
            else traps.slash_variant + "/"
        )
        assert f'href="{base}{canonical}"' in text(base + traps.slash_variant)
        assert fetch(base + traps.disallowed)[0] == 200  # served, but robots forbids it
    ravi = outlets[2]
    a = ravi.articles()[0]
    amp = text(server.base_urls["ravi"] + a.amp_path)
    assert (
        "<html amp" in amp
        and f'<link rel="canonical" href="{a.url(server.base_urls["ravi"])}"' in amp
    )


def test_non_article_pages(server: DemoServer, outlets: list[catalog.Outlet]) -> None:
    for o in outlets:
        base = server.base_urls[o.id]
        paths = catalog.non_article_paths(o)
        assert {
            "home",
            "section",
            "tag",
            "about",
            "contact",
            "pdf",
            "missing",
            "disallowed",
        } <= set(paths)
        for kind in ("home", "section", "tag", "author", "about", "contact"):
            for path in paths[kind]:
                assert fetch(base + path)[0] == 200, (o.id, path)
        paged = [p for p in paths["section"] if "page" in p]
        assert paged, o.id
        listing = text(base + paged[0])
        assert (
            "<h1" in listing and listing.count("<p>") < 4 and "application/ld+json" not in listing
        )
    styles = {
        ("?page=" in p)
        for o in outlets
        for p in catalog.non_article_paths(o)["section"]
        if "page" in p
    }
    assert styles == {True, False}  # both pagination styles are exercised


def test_feeds(server: DemoServer, outlets: list[catalog.Outlet]) -> None:
    kinds = set()
    for o in outlets:
        base = server.base_urls[o.id]
        status, headers, body = fetch(base + o.paths.feed)
        assert status == 200 and "charset=utf-8" in headers["Content-Type"]
        root = ET.fromstring(body)
        if root.tag == "rss":
            kinds.add("rss")
            links = [i.findtext("link") for i in root.iter("item")]
        else:
            kinds.add("atom")
            links = [e.find(ATOM + "link").get("href") for e in root.iter(ATOM + "entry")]
        assert links[0] == o.articles()[0].url(base)
        assert set(links) <= {a.url(base) for a in o.articles()}
    assert kinds == {"rss", "atom"}


def test_conditional_get_and_head(server: DemoServer, outlets: list[catalog.Outlet]) -> None:
    o = outlets[0]
    base = server.base_urls[o.id]
    for path in (o.articles()[0].path, o.paths.feed, o.paths.sitemap):
        status, headers, body = fetch(base + path)
        assert status == 200 and headers["ETag"] and headers["Last-Modified"]
        assert headers["Content-Type"].endswith("charset=utf-8")
        status, _, body = fetch(base + path, {"If-None-Match": headers["ETag"]})
        assert status == 304 and body == b""
        assert fetch(base + path, {"If-Modified-Since": headers["Last-Modified"]})[0] == 304
        assert fetch(base + path, {"If-None-Match": '"stale"'})[0] == 200
    status, headers, body = fetch(base + "/", method="HEAD")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) > 1000
    assert ("HEAD", "/", 200) in server.requests


def test_shared_host_mode(shared: DemoServer, outlets: list[catalog.Outlet]) -> None:
    root = shared.root_url
    robots = text(root + "/robots.txt")
    for o in outlets:
        base = shared.base_urls[o.id]
        assert base == f"{root}/{o.id}"
        for rule in o.disallow:
            assert f"Disallow: /{o.id}{rule}" in robots
        assert f"Sitemap: {base}{o.paths.sitemap}" in robots
        a = o.articles()[-1]
        page = text(a.url(base))
        assert f'<link rel="canonical" href="{a.url(base)}"' in page
        home = text(base + "/")
        links = re.findall(r'href="([^"#]+)"', home)
        own = [u for u in links if u.startswith(("/", root))]
        assert len(own) > 20 and all(u.startswith((f"/{o.id}/", base + "/")) for u in own), o.id
        assert fetch(base + o.traps.redirect_from)[1]["Location"] == base + o.traps.redirect_to
        sitemap = fetch(base + o.paths.sitemap)[2].decode()
        assert f"<loc>{base}/" in sitemap
    assert shared.requests_for("ravi")[-1][1] == "/sitemap.xml"
    parser = RobotFileParser()
    parser.parse(robots.splitlines())
    assert not parser.can_fetch(
        "broadsheet", shared.base_urls["indus"] + outlets[0].traps.disallowed
    )


def test_sources_toml(shared: DemoServer, server: DemoServer, tmp_path: Path) -> None:
    data = tomllib.loads(catalog.write_sources_toml(shared, tmp_path / "s.toml").read_text())
    assert data["allow_private_networks"] is True
    assert [s["id"] for s in data["source"]] == ["indus", "margalla", "ravi"]
    for source in data["source"]:
        assert set(source) == {"id", "url", "allow"}
        assert re.match(source["allow"][0], source["url"] + "2024/x")
        assert not re.match(source["allow"][0], shared.root_url + "/other/")
    own = tomllib.loads(catalog.sources_toml(server.base_urls))
    assert all(set(s) == {"id", "url"} for s in own["source"])


def test_edition_two_corrects_and_adds() -> None:
    one = {(a.outlet_id, a.slug): a for a in catalog.all_articles(1)}
    two = {(a.outlet_id, a.slug): a for a in catalog.all_articles(2)}
    added = [two[k] for k in two.keys() - one.keys()]
    changed = [k for k in one if one[k] != two[k]]
    assert len(added) == 1 and len(changed) == 1 and not one.keys() - two.keys()
    new, old_key = added[0], changed[0]
    fixed, before = two[old_key], one[old_key]
    assert fixed.title != before.title and fixed.updated_at > before.modified_at
    assert "$350 million" in fixed.body and "$530 million" in before.body.split("Correction")[0]
    with DemoServer() as srv:
        base_new, base_fix = srv.base_urls[new.outlet_id], srv.base_urls[fixed.outlet_id]
        assert fetch(new.url(base_new))[0] == 404
        etag = fetch(fixed.url(base_fix))[1]["ETag"]
        srv.set_edition(2)
        assert srv.edition == 2
        assert new.path in text(base_new + "/")
        outlet = catalog.get_outlet(new.outlet_id)
        assert new.url(base_new) in text(base_new + outlet.paths.feed)
        assert new.url(base_new) in text(base_new + outlet.paths.sitemap)
        page = text(new.url(base_new))
        assert html.escape(new.title) in page
        status, headers, body = fetch(fixed.url(base_fix), {"If-None-Match": etag})
        assert status == 200 and headers["ETag"] != etag
        assert html.escape(fixed.title) in body.decode() and "$350 million" in body.decode()
        srv.set_edition(1)
        assert fetch(new.url(base_new))[0] == 404
