"""How the dataclasses that travel between processes are pickled.

Every page crosses two process boundaries (crawl process → extraction worker → crawl process →
writer) as pickled dataclasses. A slotted dataclass pickles through ``__getstate__`` and
``__setstate__`` methods that call ``dataclasses.fields()`` for every object, which cost more
than the copying itself: a quarter of a page's round trip, in a profile of the crawl process
(docs/performance.md). ``constructor_pickle`` pickles the object as its class and its field
values instead, and unpickles it by calling the class, as the code that made it did.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any, TypeVar

T = TypeVar("T")


def constructor_pickle(cls: type[T]) -> type[T]:
    """Class decorator (above ``@dataclass``): pickle as ``cls(*field values)``. Every field must
    be an ``__init__`` argument, in field order, which is a dataclass's default."""
    names = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]
    if any(not f.init or f.kw_only for f in fields(cls)):  # type: ignore[arg-type]
        raise TypeError(f"{cls.__name__}: every field must be a positional __init__ argument")

    def __reduce__(self: Any) -> tuple[type[T], tuple[Any, ...]]:
        return cls, tuple(getattr(self, name) for name in names)

    cls.__reduce__ = __reduce__  # type: ignore[assignment,method-assign]
    return cls
