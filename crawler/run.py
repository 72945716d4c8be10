"""Child-process entry point for one crawl run: `python -m crawler.run --options -` (JSON on stdin).

Exit codes: 0 finished, 3 stopped early (signal or close reason other than "finished"),
4 the database failed, 5 the source refused the crawl (its log says why), 2 bad options;
anything else is a crash.
"""

from __future__ import annotations

import argparse
import sys

EXIT_OK, EXIT_BAD_OPTIONS, EXIT_STOPPED, EXIT_STORAGE = 0, 2, 3, 4
EXIT_REFUSED = 5  # the source refused the whole crawl (e.g. an API key missing or rejected)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.run", description=__doc__)
    parser.add_argument(
        "--options", required=True, help="CrawlOptions as JSON, or - to read them from standard input"
    )
    args = parser.parse_args(argv)

    from crawler.options import CrawlOptions

    try:
        # Options carry the database URL (and may carry keys): the parent sends them on stdin,
        # never on the command line, which every user of the machine can read.
        options = CrawlOptions.from_json(sys.stdin.read() if args.options == "-" else args.options)
    except (ValueError, TypeError, KeyError) as exc:
        print(f"crawler.run: bad options: {exc}", file=sys.stderr)
        return EXIT_BAD_OPTIONS

    from crawler.redact import install_log_redaction

    # Before Scrapy logs anything: request URLs may carry API keys (serviceKey=…).
    install_log_redaction()

    # Scrapy is imported only here, in the child, so the service never loads it.
    from scrapy.crawler import AsyncCrawlerProcess

    from crawler.scrapy_settings import scrapy_settings
    from crawler.spiders import spider_class

    _structured_logs(options.run_id)
    process = AsyncCrawlerProcess(scrapy_settings(options))
    crawler = process.create_crawler(spider_class(options.source))
    process.crawl(
        crawler,
        section=options.section,
        since=options.since,
        until=options.until,
        base_url=options.base_url,
        progress_events=options.progress,
    )
    process.start()
    assert crawler.stats is not None
    if crawler.stats.get_value("briefing/storage_error"):
        return EXIT_STORAGE
    if crawler.stats.get_value("briefing/refused"):
        return EXIT_REFUSED
    reason = crawler.stats.get_value("finish_reason")
    return EXIT_OK if reason == "finished" else EXIT_STOPPED


def _structured_logs(run_id: int | None) -> None:
    """One line per record on stderr, as the service logs, each carrying the run id.

    Scrapy's own handler is off (LOG_ENABLED=False: it installs a NullHandler, and it would
    print multi-line settings and stats records); this one is added beside it.
    """
    import logging
    import os

    from crawler.logs import JsonFormatter, KeyValueFormatter

    def add_run_id(record: logging.LogRecord) -> bool:
        record.run_id = run_id
        return True

    as_json = os.environ.get("BRIEFING_LOG_FORMAT") == "json"
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if as_json else KeyValueFormatter())
    handler.addFilter(add_run_id)
    handler.setLevel(logging.INFO)
    logging.getLogger().addHandler(handler)


if __name__ == "__main__":
    sys.exit(main())
