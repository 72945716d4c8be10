"""The test replica serving korea.kr-sized article pages: `python -m bench.chrome_replica ARGS`.

Takes the replica's own arguments (tests/replica/__main__.py) and serves the same site, with
every policy-news article page wrapped in bench/korea_pages.py's site chrome (65–68 KiB
instead of 7.8 KiB), so the crawl figures fetch and parse pages the size and shape of
korea.kr's. The replica itself is not changed: its route's page function is wrapped here.
"""

from __future__ import annotations

import sys
from typing import Any

from bench.korea_pages import with_chrome
from tests.replica import __main__ as replica_main
from tests.replica import routes

_plain_page = routes.article_page


def _chrome_page(site: Any, article: Any, *, hit: int, **flags: bool) -> str:
    page = _plain_page(site, article, hit=hit, **flags)
    return with_chrome(page, hit)


if __name__ == "__main__":
    routes.article_page = _chrome_page  # type: ignore[assignment]
    replica_main.main(sys.argv[1:])
