"""Pages of one paginated list (pipelines.urlkind.list_key, other_pages_of_list): what lets the
spider read a long list to its end while DEPTH_LIMIT still bounds everything else."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipelines.urlkind import list_key, loops_back, other_pages_of_list

SAME_LIST = [
    ("https://news.example/", "https://news.example/page/2/"),
    ("https://news.example/page/2/", "https://news.example/page/3/"),
    ("https://news.example/page/7/", "https://news.example/page/3"),
    ("https://news.example/business", "https://news.example/business?page=2"),
    ("https://news.example/business?page=2", "https://news.example/business?page=5"),
    ("https://news.example/tag/trade/", "https://news.example/tag/trade/page/2/"),
    ("https://news.example/search?q=exports", "https://news.example/search?page=2&q=exports"),
    ("https://news.example/archive?start=0", "https://news.example/archive?start=20"),
    ("https://news.example/blog/", "https://news.example/blog/?paged=2"),
]
NOT_SAME_LIST = [
    ("https://news.example/business?page=2", "https://news.example/business?page=2"),
    ("https://news.example/business", "https://news.example/markets?page=2"),
    ("https://news.example/", "https://other.example/page/2/"),
    ("https://news.example/search?q=a", "https://news.example/search?q=b&page=2"),
    ("https://news.example/calendar/2024/01", "https://news.example/calendar/2024/02"),
    ("https://news.example/business", "https://news.example/business/story-about-exports"),
    ("https://news.example/2024/05/story?page=1", "https://news.example/2024/05/other?page=2"),
    ("https://news.example/business", "https://news.example/business"),
]


@pytest.mark.parametrize(("url", "candidate"), SAME_LIST)
def test_other_pages_of_the_same_list(url: str, candidate: str) -> None:
    assert other_pages_of_list(url, [candidate]) == [candidate]
    assert list_key(url) == list_key(candidate)


@pytest.mark.parametrize(("url", "candidate"), NOT_SAME_LIST)
def test_not_another_page_of_the_same_list(url: str, candidate: str) -> None:
    assert other_pages_of_list(url, [candidate]) == []


_segment = st.from_regex(r"\A[a-z]{1,10}\Z")


@given(
    st.lists(_segment, max_size=3),
    st.integers(1, 10_000),
    st.integers(1, 10_000),
    st.sampled_from(["path", "page", "paged"]),
)
def test_any_two_numbered_pages_of_a_list_are_one_list(
    segments: list[str], here: int, there: int, style: str
) -> None:
    base = "https://news.example/" + "".join(f"{s}/" for s in segments)

    def page(n: int) -> str:
        return f"{base}page/{n}/" if style == "path" else f"{base}?{style}={n}"

    assert list_key(page(here)) == list_key(page(there)) == list_key(base)
    assert other_pages_of_list(page(here), [page(there)]) == (
        [page(there)] if here != there else []
    )


@given(st.text(), st.text())
def test_never_raises_on_text(url: str, candidate: str) -> None:
    assert other_pages_of_list(url, [candidate]) in ([], [candidate])
    assert isinstance(list_key(url), str)


@given(st.lists(st.sampled_from(["news", "world", "2024", "story-slug", "x"]), max_size=12))
def test_a_path_loops_back_when_a_word_segment_comes_three_times(segments: list[str]) -> None:
    url = "https://e.example/" + "/".join(segments)
    words = [s for s in segments if not s.isdigit()]
    assert loops_back(url) == any(words.count(w) >= 3 for w in words)


@given(st.text(max_size=80))
def test_loops_back_never_raises(text: str) -> None:
    assert loops_back(text) in (True, False)


def test_a_path_longer_than_any_sites_loops_back() -> None:
    assert loops_back("https://e.example/" + "/".join(f"s{n}" for n in range(25)))
    assert not loops_back("https://e.example/" + "/".join(f"s{n}" for n in range(24)))
