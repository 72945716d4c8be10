"""Figure 1: parse + normalize of 2,000 korea.kr article pages in memory, on one core, against trafilatura.

Pages come from the test replica's generator (tests/replica, seed 1), rendered in memory as the
replica serves them. briefing: `crawler.sites.korea_kr.parse_article` (every field) then the
normalizer (`crawler.posts.render.PostRenderer`: sanitized body, front matter, the whole post).
Peer: `trafilatura.extract(html, url=url)` with its defaults (main text only). Both run in
this process pinned to one CPU, alternating for BENCH_ROUNDS rounds; each side's best round
counts. Environment: BENCH_PAGES (2000), BENCH_ROUNDS (2).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from bench.common import REPLICA_START, env_int, finish, say

PAGES = 2000
ROUNDS = 2
DAYS = 20
TARGET_RATE, TARGET_RATIO = 400, 5.0


def pages(count: int) -> list[tuple[str, str]]:
    """(url, html) of `count` replica article pages, as the replica would serve them."""
    from tests.replica.generator import build_site
    from tests.replica.pages import article_page

    site = build_site(articles=count, start=REPLICA_START, days=DAYS, seed=1)
    return [(a.canonical_url, article_page(site, a, hit=i)) for i, a in enumerate(site.articles)]


def pin_to_one_cpu() -> int:
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return cpu


def best_rate(work: Callable[[], int], count: int, rounds: list[float]) -> None:
    started = time.perf_counter()
    done = work()
    seconds = time.perf_counter() - started
    if done != count:
        raise SystemExit(f"only {done} of {count} pages were handled")
    rounds.append(count / seconds)


def main() -> None:
    import trafilatura

    from crawler.posts.render import PostRenderer
    from crawler.sites.korea_kr import parse_article

    count = env_int("BENCH_PAGES", PAGES)
    rounds = env_int("BENCH_ROUNDS", ROUNDS)
    cpu = pin_to_one_cpu()
    corpus = pages(count)
    size = sum(len(html.encode()) for _, html in corpus) / len(corpus)
    say(f"parse_normalize: {count} replica pages (mean {size / 1024:.1f} KiB), pinned to CPU {cpu}, "
        f"{rounds} round(s)")
    renderer = PostRenderer.from_path(None)

    def ours() -> int:
        return sum(1 for url, html in corpus if renderer.render(parse_article(html, url))[0])

    def parse_only() -> int:
        return sum(1 for url, html in corpus if parse_article(html, url).title)

    def theirs() -> int:
        return sum(1 for url, html in corpus if trafilatura.extract(html, url=url))

    for url, html in corpus[:30]:  # imports, caches, lazily built selectors
        renderer.render(parse_article(html, url))
        trafilatura.extract(html, url=url)
    ours_rates: list[float] = []
    parse_rates: list[float] = []
    their_rates: list[float] = []
    for n in range(1, rounds + 1):
        best_rate(ours, count, ours_rates)
        best_rate(parse_only, count, parse_rates)
        best_rate(theirs, count, their_rates)
        say(f"  round {n}: parse+normalize {ours_rates[-1]:.0f}/s, parse only {parse_rates[-1]:.0f}/s, "
            f"trafilatura.extract {their_rates[-1]:.0f}/s")
    rate, parse_rate, peer = max(ours_rates), max(parse_rates), max(their_rates)
    ratio, parse_ratio = rate / peer, parse_rate / peer
    say(f"parse+normalize {rate:.0f} articles/s ({1000 / rate:.2f} ms each; target {TARGET_RATE}/s: "
        f"{'met' if rate >= TARGET_RATE else 'missed'}); {ratio:.2f}x trafilatura.extract at "
        f"{peer:.0f} pages/s (target {TARGET_RATIO:g}x: {'met' if ratio >= TARGET_RATIO else 'missed'}); "
        f"parse alone {parse_rate:.0f}/s = {parse_ratio:.2f}x trafilatura")
    finish("parse_normalize", rate, "articles/s",
           f"{ratio:.2f}x trafilatura.extract at {peer:.0f} pages/s; parse alone {parse_ratio:.2f}x")


if __name__ == "__main__":
    main()
