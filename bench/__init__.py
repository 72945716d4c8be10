"""Benchmarks: one script per figure of docs/benchmarks.md; `python -m bench` runs them all.

Each figure runs alone too (`python -m bench.parse_normalize` …) and ends with one line
`name: value unit (comparison)`. Benchmarks never fail for being slow.
"""

FIGURES = {
    "parse_normalize": "1. parse + normalize vs trafilatura",
    "crawl_e2e": "2. end-to-end crawl vs bare Scrapy",
    "recrawl": "3. incremental re-crawl vs first crawl",
    "search_latency": "4. search latency at 100,000 articles",
    "bulk_store": "5. bulk store",
    "service_memory": "6. service memory over 100 scheduled crawls",
    "backfill": "7. press-release backfill at 0.3 s per request vs a public korea.kr backfill",
}
