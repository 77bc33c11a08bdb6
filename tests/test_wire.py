import pickle
from dataclasses import dataclass, field

import pytest

from bench.synthetic_site import article_html
from pipelines.models import FetchedPage, Source
from pipelines.store import Outcome, StoreResult
from pipelines.wire import constructor_pickle
from pipelines.workers import PageAnalyser


def test_a_page_analysis_survives_the_round_trip_whole():
    # the worker's answer for a real page: fields, facts, entities, relevance, signature, links
    source = Source(id="s", url="http://127.0.0.1:1/", country="PK")
    page = FetchedPage(url="http://127.0.0.1:1/news/7/story-7", source_id="s",
                       body=article_html(7).encode())  # fmt: skip
    analysis = PageAnalyser().analyse(page, source, 100)
    assert analysis.derived is not None and analysis.links and analysis.extracted.body
    copy = pickle.loads(pickle.dumps(analysis, pickle.HIGHEST_PROTOCOL))
    assert copy.extracted == analysis.extracted
    assert copy.links == analysis.links
    assert copy.derived.facts == analysis.derived.facts
    assert copy.derived.entities == analysis.derived.entities
    assert copy.derived.relevance == analysis.derived.relevance
    signature, back = analysis.derived.signature, copy.derived.signature
    assert (back.minhash.hashvalues == signature.minhash.hashvalues).all()
    assert (back.salient == signature.salient).all()
    assert pickle.loads(pickle.dumps(page)) == page
    result = StoreResult(Outcome.NEW, "a1")
    assert pickle.loads(pickle.dumps(result)) == result


def test_the_pickle_names_the_class_and_its_values_only():
    # no per-object state dict: unpickling calls the class, as the code that made it did
    result = StoreResult(Outcome.UPDATED, "a2")
    assert result.__reduce__() == (StoreResult, (Outcome.UPDATED, "a2"))


def test_classes_whose_fields_are_not_all_positional_are_refused():
    with pytest.raises(TypeError):

        @constructor_pickle
        @dataclass
        class Hidden:
            a: int
            b: list[int] = field(init=False, default_factory=list)

    with pytest.raises(TypeError):

        @constructor_pickle
        @dataclass(kw_only=True)
        class KeywordOnly:
            a: int
