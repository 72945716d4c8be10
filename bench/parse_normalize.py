"""Figure 1: parse + normalize of korea.kr article pages in memory, on one core, against its peers.

Two page sets from the test replica's generator (seed 1): the replica's pages as it serves
them (7.8 KiB on average, almost no chrome) and the same articles inside a korea.kr-sized site
chrome (bench/korea_pages.py: 65–68 KiB, header, menus, sidebar and footer around the
article). On each set, in the same round, one after another:

* briefing: `crawler.sites.korea_kr.parse_article` (every field) then the normalizer
  (`crawler.posts.render.PostRenderer`: sanitized body, front matter, the whole post);
* briefing's parse alone;
* a bare parse: lxml parses the page and four precompiled CSS selectors take the title, the
  date, the ministry and the body (serialized): the least any parser of this page must do;
* `trafilatura.extract(html, url=url)` with its defaults (main text only).

The process is pinned to one CPU; BENCH_ROUNDS rounds; rates and ratios are medians over the
rounds (every ratio taken inside one round), with the spread; per-page p95 from all rounds.
Environment: BENCH_PAGES (2000), BENCH_ROUNDS (5).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from bench.common import REPLICA_START, env_int, finish, median, percentile, say

PAGES = 2000
ROUNDS = 5
DAYS = 20
TARGET_RATE, TARGET_RATIO = 400, 10.0
TARGET_BARE = 0.8  # parse + normalize at 80 % of a bare parse (issue 17 asks ≥ 50 %)


def pin_to_one_cpu() -> int:
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return cpu


def bare_parser() -> Callable[[str, str], bool]:
    """lxml + four precompiled selectors: title, date, ministry, body (serialized)."""
    import lxml.html
    from lxml.cssselect import CSSSelector

    title = CSSSelector("div.view_title h1")
    date = CSSSelector("div.article_head div.info span")
    ministry = CSSSelector("a.gotosite")
    body = CSSSelector("div.article_body div.view_cont")

    def parse(html: str, url: str) -> bool:
        root = lxml.html.document_fromstring(html, base_url=url)
        found = [title(root), date(root), ministry(root), body(root)]
        if not all(found):
            return False
        _ = (found[0][0].text_content(), found[1][0].text_content(), found[2][0].text)
        return bool(lxml.html.tostring(found[3][0], encoding="unicode"))

    return parse


def timed_pages(work: Callable[[str, str], object], corpus: list[tuple[str, str]],
                per_page: list[float]) -> float:
    """Pages per second over `corpus`; per-page milliseconds appended to `per_page`."""
    clock = time.perf_counter
    started = clock()
    for url, html in corpus:
        t = clock()
        if not work(url, html):
            raise SystemExit(f"no result for {url}")
        per_page.append((clock() - t) * 1000)
    return len(corpus) / (clock() - started)


def main() -> None:
    import trafilatura

    from bench.korea_pages import pages
    from crawler.posts.render import PostRenderer
    from crawler.sites.korea_kr import parse_article

    count = env_int("BENCH_PAGES", PAGES)
    rounds = env_int("BENCH_ROUNDS", ROUNDS)
    cpu = pin_to_one_cpu()
    built = pages(count, start_day=REPLICA_START, days=DAYS)
    sets = {"replica": [(u, plain) for u, plain, _ in built],
            "korea.kr-sized": [(u, full) for u, _, full in built]}
    differ = [u for u, plain, full in built if parse_article(plain, u) != parse_article(full, u)]
    if differ:
        raise SystemExit(f"the chrome changed what the parser reads on {len(differ)} pages, e.g. {differ[0]}")
    renderer = PostRenderer.from_path(None)
    bare = bare_parser()
    sides: dict[str, Callable[[str, str], object]] = {
        "parse+normalize": lambda url, html: renderer.render(parse_article(html, url))[0],
        "parse only": lambda url, html: parse_article(html, url).title,
        "bare parse": lambda url, html: bare(html, url),
        "trafilatura": lambda url, html: trafilatura.extract(html, url=url),
    }
    say(f"parse_normalize: {count} pages per set, pinned to CPU {cpu}, {rounds} round(s); load average "
        + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    summary = []
    for name, corpus in sets.items():
        size = sum(len(html.encode()) for _, html in corpus) / len(corpus)
        for url, html in corpus[:30]:  # imports, caches, lazily built selectors
            for work in sides.values():
                work(url, html)
        rates: dict[str, list[float]] = {side: [] for side in sides}
        per_page: dict[str, list[float]] = {side: [] for side in sides}
        for n in range(1, rounds + 1):
            for side, work in sides.items():
                rates[side].append(timed_pages(work, corpus, per_page[side]))
            say(f"  {name} round {n}: " + ", ".join(f"{s} {r[-1]:.0f}/s" for s, r in rates.items()))

        def per_round(side: str, peer: str, rates: dict[str, list[float]] = rates) -> list[float]:
            return [a / b for a, b in zip(rates[side], rates[peer], strict=True)]

        ratios = {
            "vs trafilatura": per_round("parse+normalize", "trafilatura"),
            "parse only vs trafilatura": per_round("parse only", "trafilatura"),
            "vs bare parse": per_round("parse+normalize", "bare parse"),
            "parse only vs bare parse": per_round("parse only", "bare parse"),
        }
        say(f"  {name} pages (mean {size / 1024:.1f} KiB): " + "; ".join(
            f"{s} median {median(r):.0f}/s, per page p50 {median(per_page[s]):.2f} ms p95 "
            f"{percentile(per_page[s], 95):.2f} ms" for s, r in rates.items()))
        say(f"  {name} ratios (median over rounds, min–max): " + "; ".join(
            f"{label} {median(v):.2f}x ({min(v):.2f}–{max(v):.2f})" for label, v in ratios.items()))
        rate, to_peer, to_bare = median(rates["parse+normalize"]), median(ratios["vs trafilatura"]), \
            median(ratios["vs bare parse"])
        say(f"  {name}: parse+normalize {rate:.0f}/s (target {TARGET_RATE}/s: "
            f"{'met' if rate >= TARGET_RATE else 'missed'}); {to_peer:.2f}x trafilatura (target "
            f"{TARGET_RATIO:g}x: {'met' if to_peer >= TARGET_RATIO else 'missed'}); {to_bare:.0%} of a bare "
            f"parse (target {TARGET_BARE:.0%}: {'met' if to_bare >= TARGET_BARE else 'missed'})")
        summary.append((name, rate, to_peer, to_bare))
    say("load average at the end: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    _, rate, to_peer, to_bare = summary[-1]
    finish("parse_normalize", rate, "articles/s",
           f"korea.kr-sized pages: {to_peer:.2f}x trafilatura, {to_bare:.0%} of a bare parse; replica pages: "
           f"{summary[0][1]:.0f}/s, {summary[0][2]:.2f}x trafilatura, {summary[0][3]:.0%} of a bare parse")


if __name__ == "__main__":
    main()
