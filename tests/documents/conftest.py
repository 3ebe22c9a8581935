from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def parser_pool():
    """Warm isolated workers, as production uses them (shorter time limit to keep the suite quick)."""
    from documents.isolation import ParserPool

    pool = ParserPool(2, time_limit=6, memory_limit=1 << 30)
    yield pool
    pool.close()
