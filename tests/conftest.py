"""Fixtures shared by several test modules."""

from tests.datasette_support import ds  # noqa: F401 - a fixture: modules using it define db_path
from tests.redis_support import redis_url  # noqa: F401 - a fixture: a real redis-server
