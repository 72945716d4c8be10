"""Where in-process time goes, by pyinstrument: `python -m bench.profile_cpu parse|store [sqlite|postgresql]`.

Not a figure: the profiles behind figures 1 and 5 (docs/benchmarks.md). `parse` runs parse +
normalize over 2,000 korea.kr-sized pages (figure 1's work, bench/korea_pages.py); `store` runs
upsert_articles over 3,000 generated articles in batches of 200 (figure 5's work). Needs pyinstrument
(`pip install -e '.[bench]'`).
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
from collections.abc import Callable, Iterator

from bench.common import pg_schema, say


def parse_work() -> Callable[[], None]:
    from bench.common import REPLICA_START
    from bench.korea_pages import pages
    from bench.parse_normalize import DAYS
    from crawler.posts.render import PostRenderer
    from crawler.sites.korea_kr import parse_article

    corpus = [(url, full) for url, _, full in pages(2000, start_day=REPLICA_START, days=DAYS)]
    renderer = PostRenderer.from_path(None)

    def work() -> None:
        for url, html in corpus:
            renderer.render(parse_article(html, url))

    return work


@contextlib.contextmanager
def database(backend: str) -> Iterator[str]:
    if backend == "postgresql":
        with pg_schema() as url:
            yield url
    else:
        with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp:
            yield f"sqlite:///{tmp}/briefing.db"


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("parse", "store"):
        say("usage: python -m bench.profile_cpu parse|store [sqlite|postgresql]")
        return 2
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005)
    if argv[0] == "parse":
        work = parse_work()
        profiler.start()
        work()
        profiler.stop()
    else:
        from bench.corpus import corpus
        from storage import Database, upsert_articles

        articles = list(corpus().articles(3000))
        with database(argv[1] if len(argv) > 1 else "sqlite") as url:
            db = Database(url)
            profiler.start()
            for i in range(0, len(articles), 200):
                with db.session() as session:
                    upsert_articles(session=session, articles=articles[i:i + 200])
            profiler.stop()
            db.dispose()
    print(profiler.output_text(unicode=False, color=False, show_all=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
