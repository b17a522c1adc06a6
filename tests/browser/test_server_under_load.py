"""The real server (uvicorn, SQLite's single pooled connection) under many requests at once."""

from __future__ import annotations

import urllib.request
from concurrent.futures import ThreadPoolExecutor


def test_sixty_people_at_once_on_sqlite_all_get_their_page(base_url: str):
    # More requests in flight than the server has worker threads (40): if they waited for the
    # one database connection inside those threads, the request holding it could never finish
    # and every page would hang until the pool gave up after 30 seconds.
    def fetch(_: int) -> int:
        with urllib.request.urlopen(f"{base_url}/dev/sign-in", timeout=20) as response:
            response.read()
            return response.status

    with ThreadPoolExecutor(max_workers=60) as pool:
        statuses = list(pool.map(fetch, range(120)))
    assert statuses == [200] * 120
