import tomllib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipelines.models import Source
from pipelines.scope import SourceScope
from pipelines.sources import SourcesError, load_sources, parse_sources, select

ROOT_SOURCES = __import__("pathlib").Path(__file__).parent.parent / "sources.toml"


def test_minimal_source_needs_only_id_and_url():
    config = parse_sources({"source": [{"id": "a", "url": "https://a.example/"}]})
    assert config.sources[0] == Source(id="a", url="https://a.example/")
    assert config.allow_private_networks is False


def test_default_sources_file_is_valid():
    config = load_sources(ROOT_SOURCES)
    assert len(config.sources) >= 5
    assert any(s.country == "PK" for s in config.sources)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"source": [{"url": "https://a/"}]}, "field 'id'"),
        ({"source": [{"id": "a"}]}, "source #1 ('a'): field 'url' is required"),
        ({"source": [{"id": "a", "url": "ftp://a/"}]}, "field 'url' must be an http(s) URL"),
        ({"source": [{"id": "a", "url": "https://a/", "allow": ["("]}]}, "field 'allow'"),
        ({"source": [{"id": "a", "url": "https://a/", "feeds": [3]}]}, "field 'feeds'"),
        ({"source": [{"id": "a", "url": "https://a/", "colour": "red"}]}, "unknown field 'colour'"),
        (
            {"source": [{"id": "a", "url": "https://a/"}, {"id": "a", "url": "https://b/"}]},
            "source #2 ('a'): field 'id' is used twice",
        ),
        ({"allow_private_networks": "yes", "source": []}, "allow_private_networks"),
        ({}, "no sources"),
    ],
)
def test_bad_input_names_source_and_field(data, message):
    with pytest.raises(SourcesError, match=__import__("re").escape(message)):
        parse_sources(data)


def test_bad_toml_and_missing_file(tmp_path):
    bad = tmp_path / "s.toml"
    bad.write_text("[[source]\nid=", encoding="utf-8")
    with pytest.raises(SourcesError, match="not valid TOML"):
        load_sources(bad)
    with pytest.raises(SourcesError, match="not found"):
        load_sources(tmp_path / "missing.toml")


def test_select_unknown_id():
    config = parse_sources({"source": [{"id": "a", "url": "https://a/"}]})
    with pytest.raises(SourcesError, match="unknown source id 'b'"):
        select(config, ["b"])


@given(
    st.dictionaries(
        st.sampled_from(["id", "url", "allow", "feeds", "name", "x"]),
        st.one_of(st.text(max_size=10), st.integers(), st.lists(st.text(max_size=5))),
    )
)
def test_validator_rejects_or_accepts_without_crashing(raw):
    try:
        parse_sources({"source": [raw]})
    except SourcesError as exc:
        assert "source #1" in str(exc) and "field" in str(exc)


def test_scope_by_host_port_and_path():
    shared = SourceScope.of(
        Source(id="b", url="http://127.0.0.1:9000/b/", allow=(r"^http://127\.0\.0\.1:9000/b/",))
    )
    assert shared.contains("http://127.0.0.1:9000/b/news/x")
    assert not shared.contains("http://127.0.0.1:9000/a/news/x")
    assert not shared.contains("http://127.0.0.1:9001/b/news/x")
    site = SourceScope.of(Source(id="s", url="https://www.example.com/", deny=("/video/",)))
    assert site.contains("https://example.com/news/1")
    assert site.contains("https://m.example.com/news/1")
    assert not site.contains("https://example.com/video/1")
    assert not site.contains("https://other.com/news/1")


def test_toml_round_trip_of_example_file_parses():
    assert tomllib.loads(ROOT_SOURCES.read_text(encoding="utf-8"))["source"]
