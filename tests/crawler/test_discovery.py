import gzip

from hypothesis import given
from hypothesis import strategies as st

from crawler.discovery import (
    MAX_UNZIPPED,
    feed_links,
    gunzipped,
    parse_feed,
    parse_sitemap,
    robots_sitemaps,
)

BASE = "http://127.0.0.1:8000/"


def test_robots_sitemap_lines():
    body = (
        b"User-agent: *\nDisallow: /private/\nSitemap: /sitemap.xml\nsitemap: http://x.test/s.xml\n"
    )
    assert robots_sitemaps(body, BASE) == [
        "http://127.0.0.1:8000/sitemap.xml",
        "http://x.test/s.xml",
    ]


def test_sitemap_index_and_news_dates():
    index = (
        b'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<sitemap><loc>/a.xml</loc><lastmod>2024-03-01</lastmod></sitemap></sitemapindex>"
    )
    parsed = parse_sitemap(index, BASE)
    assert parsed.is_index and parsed.entries[0].url == BASE + "a.xml"
    urlset = (
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        b'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url><loc>/n/1</loc>'
        b"<news:news><news:publication_date>2024-03-14T10:30:00+05:00</news:publication_date>"
        b"<news:title>T</news:title></news:news></url></urlset>"
    )
    entry = parse_sitemap(urlset, BASE).entries[0]
    assert entry.published == "2024-03-14T10:30:00+05:00" and entry.title == "T"


def test_rss_and_atom():
    rss = (
        b"<rss version='2.0'><channel><item><title>A</title><link>/a</link>"
        b"<pubDate>Thu, 14 Mar 2024 10:30:00 +0500</pubDate></item></channel></rss>"
    )
    (item,) = parse_feed(rss, BASE)
    assert item.url == BASE + "a" and item.published.startswith("Thu")
    atom = (
        b"<feed xmlns='http://www.w3.org/2005/Atom'><entry><title>B</title>"
        b"<link rel='alternate' href='http://127.0.0.1:8000/b'/><published>2024-01-01T00:00:00Z"
        b"</published></entry></feed>"
    )
    assert parse_feed(atom, BASE)[0].url == BASE + "b"
    assert parse_feed(b"<html><body>no</body></html>", BASE) is None


def test_entity_bomb_and_external_entity_expand_to_nothing(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    xxe = (
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>http://a/&x;</loc>'
        "</url></urlset>"
    ).encode()
    parsed = parse_sitemap(xxe, BASE)
    assert parsed is None or all("TOPSECRET" not in e.url for e in parsed.entries)
    lol = (
        '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
        + "".join(
            f'<!ENTITY {c} "&{p};&{p};&{p};&{p};&{p};&{p};&{p};&{p};&{p};&{p};">'
            for p, c in zip("abcdefgh", "bcdefghi", strict=True)
        )
        + "]><rss><channel><item><link>&i;</link></item></channel></rss>"
    )
    entries = parse_feed(lol.encode(), BASE)
    assert entries is None or all(len(e.url) < 10_000 for e in entries)


def test_feed_links_from_head():
    links = [
        ("alternate", "application/rss+xml", "/feed/"),
        ("alternate", "text/html", "/other"),
        ("stylesheet", "text/css", "/s.css"),
    ]
    assert feed_links(links, BASE) == [BASE + "feed/"]


@given(st.binary(max_size=2000))
def test_parsers_never_raise(body):
    parse_sitemap(body, BASE)
    parse_feed(body, BASE)
    robots_sitemaps(body, BASE)


def test_dupefilter_keys_on_identity_but_lets_same_identity_redirects_through():
    from scrapy import Request

    from crawler.dupefilter import IdentityDupeFilter

    df = IdentityDupeFilter()
    assert not df.request_seen(Request("http://h.test/a?utm_source=x"))
    assert df.request_seen(Request("https://www.h.test/a/?print=1"))
    hop = Request("https://h.test/a", meta={"broadsheet_hops": ["http://h.test/a"]})
    assert not df.request_seen(hop)
    assert df.request_seen(hop)
    # discovery documents are per source
    assert not df.request_seen(
        Request("http://h.test/s.xml", meta={"role": "sitemap", "source": "x"})
    )
    assert not df.request_seen(
        Request("http://h.test/s.xml", meta={"role": "sitemap", "source": "y"})
    )


def test_a_gzipped_sitemap_file_is_read():
    urlset = (
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>/news/2024/05/story</loc></url></urlset>"
    )
    parsed = parse_sitemap(gzip.compress(urlset), BASE)
    assert parsed is not None and parsed.entries[0].url == BASE + "news/2024/05/story"


def test_a_gzip_bomb_or_a_damaged_gzip_is_no_sitemap():
    # 60 MB of zeros gzip to about 60 KB; inflating stops just past the protocol's 50 MB
    bomb = gzip.compress(b"<urlset>" + b"\0" * (MAX_UNZIPPED + 10 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < 200_000
    assert gunzipped(bomb) is None and parse_sitemap(bomb, BASE) is None
    assert gunzipped(b"\x1f\x8b\x08\x00broken") is None


@given(st.binary(max_size=2000))
def test_gunzipped_undoes_gzip_and_leaves_other_bodies_alone(data):
    assert gunzipped(gzip.compress(data)) == data
    if not data.startswith(b"\x1f\x8b"):
        assert gunzipped(data) == data
