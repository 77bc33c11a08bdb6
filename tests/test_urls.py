from hypothesis import given
from hypothesis import strategies as st

from pipelines.urls import (
    article_id,
    canonicalize,
    identity_key,
    is_site_root,
    registrable_host,
    site_domain,
)


def test_tracking_parameters_and_fragments_are_removed():
    url = "https://Example.com/news/a-story?utm_source=x&utm_medium=y&id=7&fbclid=abc#comments"
    assert canonicalize(url) == "https://example.com/news/a-story?id=7"


def test_query_order_does_not_matter():
    assert canonicalize("http://e.com/p?b=2&a=1") == canonicalize("http://e.com/p?a=1&b=2")


def test_default_port_dropped_other_ports_kept():
    assert canonicalize("https://e.com:443/x") == "https://e.com/x"
    assert canonicalize("http://127.0.0.1:8001/x") == "http://127.0.0.1:8001/x"


def test_variants_share_one_identity():
    base = identity_key("https://www.example.com/2024/03/story")
    for variant in (
        "http://example.com/2024/03/story/",
        "https://m.example.com/2024/03/story",
        "https://example.com/2024/03/story?print=1",
        "https://example.com/2024/03/story/amp",
        "https://example.com/amp/2024/03/story",
        "https://example.com/2024/03/story?utm_campaign=z#top",
        "https://amp.example.com/2024/03/story?amp=1",
    ):
        assert identity_key(variant) == base, variant
    assert article_id("https://example.com/2024/03/story?utm_source=a") == article_id(
        "http://www.example.com/2024/03/story/"
    )


def test_a_first_page_named_by_its_parameter_is_the_page_itself():
    for first in ("page=1", "paged=1", "pg=1", "start=0", "offset=0"):
        assert identity_key(f"https://e.com/markets?{first}") == identity_key(
            "https://e.com/markets"
        )
    assert identity_key("https://e.com/story?page=1&id=7") == identity_key(
        "https://e.com/story?id=7"
    )
    assert identity_key("https://e.com/markets?page=2") != identity_key("https://e.com/markets")
    assert identity_key("https://e.com/markets?start=20") != identity_key("https://e.com/markets")
    assert identity_key("https://e.com/news?p=1") != identity_key("https://e.com/news")  # a post


def test_session_ids_and_cache_busters_are_no_part_of_the_identity():
    base = identity_key("https://e.com/news/story?id=7")
    for variant in (
        "https://e.com/news/story;jsessionid=0A1B2C3D4E5F?id=7",
        "https://e.com/news/story?id=7&PHPSESSID=9f8e7d6c5b4a3f2e1d0c",
        "https://e.com/news/story?sessionid=abc123&id=7",
        "https://e.com/news/story?id=7&sid=4f6b2c1e9a8d7c6b5a4f3e2d",
        "https://e.com/news/story?id=7&_=1712345678901",
        "https://e.com/news/story?cb=20240314&id=7",
    ):
        assert identity_key(variant) == base, variant
    asp = "https://e.com/(S(lit3py55t21z5v55vlm25s55))/story.aspx?id=7"
    assert identity_key(asp) == identity_key("https://e.com/story.aspx?id=7")
    # fetched as found: a server that keeps sessions in URLs may redirect a request without one
    assert canonicalize("https://e.com/news/story;jsessionid=0A1B2C3D4E5F?id=7") == (
        "https://e.com/news/story;jsessionid=0A1B2C3D4E5F?id=7"
    )
    assert canonicalize(asp) == asp


def test_comment_and_share_views_are_the_article():
    base = identity_key("https://e.com/2024/05/story/")
    for variant in (
        "https://e.com/2024/05/story/comment-page-2/",
        "https://e.com/2024/05/story/?replytocom=1234#respond",
        "https://e.com/2024/05/story/?share=twitter&nb=1",
        "https://e.com/2024/05/story/?share=jetpack-whatsapp",
        "https://e.com/2024/05/story/embed/",
        "https://e.com/2024/05/story/trackback/",
        "https://e.com/2024/05/story/print/",
    ):
        assert identity_key(variant) == base, variant
    # a section named so, and a share parameter that is no network, are pages of their own
    assert identity_key("https://e.com/print") != identity_key("https://e.com/")
    assert identity_key("https://e.com/embed/") != identity_key("https://e.com/")
    assert identity_key("https://e.com/deck?share=a1b2c3") != identity_key("https://e.com/deck")


def test_campaign_tags_and_whole_article_views_are_the_article():
    base = identity_key("https://e.com/2024/05/story")
    for variant in (
        "https://e.com/2024/05/story?xtor=RSS-3208",  # AT Internet (French publishers)
        "https://e.com/2024/05/story?WT.mc_id=tw",  # Webtrends
        "https://e.com/2024/05/story?CMP=share_btn_tw",
        "https://e.com/2024/05/story?partner=rss&emc=rss",
        "https://e.com/2024/05/story?guccounter=1&guce_referrer=aHR0cHM",
        "https://e.com/2024/05/story?icid=hp_top_story",
        "https://e.com/2024/05/story?from=rss",
        "https://e.com/2024/05/story?src=twitter",
        "https://e.com/2024/05/story?source=newsletter",
        "https://e.com/2024/05/story?mode=print",
        "https://e.com/2024/05/story?tmpl=component&print=1",  # Joomla's print view
        "https://e.com/2024/05/story?showall=1",
        "https://e.com/2024/05/story?view=all",
        "https://e.com/2024/05/story?page=all",
    ):
        assert identity_key(variant) == base, variant
    # campaign tags are not fetched; a view is (the server may need it)
    assert canonicalize("https://e.com/2024/05/story?xtor=RSS-3208&id=4") == (
        "https://e.com/2024/05/story?id=4"
    )
    assert canonicalize("https://e.com/s?showall=1") == "https://e.com/s?showall=1"


def test_a_channel_parameter_with_another_value_is_kept():
    for kept in ("from=home", "src=abc", "source=2", "via=archive"):
        assert identity_key(f"https://e.com/s?{kept}") != identity_key("https://e.com/s"), kept
    # WordPress names its feeds by a parameter: never folded away
    assert canonicalize("https://blog.e.com/?feed=rss2") == "https://blog.e.com/?feed=rss2"


def test_short_sids_and_worded_busters_are_kept():
    # "sid" names a story or a section on some sites; only a token is a session
    assert identity_key("https://e.com/news?sid=12") != identity_key("https://e.com/news?sid=13")
    assert identity_key("https://e.com/news?cb=sports") != identity_key("https://e.com/news")


def test_distinct_articles_keep_distinct_identities():
    assert identity_key("https://e.com/news?p=1") != identity_key("https://e.com/news?p=2")
    assert identity_key("https://e.com/list?page=2") != identity_key("https://e.com/list?page=3")
    assert identity_key("https://e.com/a") != identity_key("https://e.com/b")
    # A meaningful parameter that merely looks like "amp" stays.
    assert identity_key("https://e.com/x?amp=big") != identity_key("https://e.com/x")


def test_hosts_and_roots():
    assert registrable_host("https://www.dawn.com/news/1") == "dawn.com"
    assert is_site_root("https://e.com/")
    assert is_site_root("https://e.com")
    assert not is_site_root("https://e.com/?p=1")
    assert not is_site_root("https://e.com/a")


urls = st.one_of(
    st.text(max_size=80),
    st.builds(
        lambda scheme, host, path, query: f"{scheme}://{host}/{path}?{query}",
        st.sampled_from(["http", "https", "HTTP", "ftp"]),
        st.from_regex(r"[A-Za-z0-9.\-]{1,20}(:[0-9]{1,6})?", fullmatch=True),
        st.text(max_size=30),
        st.text(max_size=30),
    ),
)


@given(urls)
def test_canonicalize_is_idempotent_and_never_raises(url):
    once = canonicalize(url)
    assert canonicalize(once) == once


@given(urls)
def test_identity_is_stable_under_canonicalization(url):
    assert identity_key(canonicalize(url)) == identity_key(url)
    assert len(article_id(url)) == 16


def test_site_domain_groups_a_sites_hosts():
    assert site_domain("https://sitemaps.example.com/a.xml") == "example.com"
    assert site_domain("https://www.example.com/") == "example.com"
    assert site_domain("https://news.bbc.co.uk/") == site_domain("https://www.bbc.co.uk/")
    assert site_domain("https://www.bbc.co.uk/") != site_domain("https://www.itv.co.uk/")
    assert site_domain("http://127.0.0.1:8080/") == "127.0.0.1"
    assert site_domain("https://origin.test/") != site_domain("http://127.0.0.1/")
