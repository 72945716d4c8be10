"""Child-process entry point for one crawl run: `python -m crawler.run --options -` (JSON on stdin).

The protocol (options in, events out, exit codes) is crawler.protocol. The child counts what
its items say (`RunTally`), judges the outcome there (`protocol.judge`), sends it as the
`Finished` event and exits with the matching `ExitCode`. Its log (stderr, one record per line)
holds one line per failed item; Scrapy's own chatter is kept to warnings and errors.
"""

from __future__ import annotations

import argparse
import gc
import logging
import sys
from typing import Any

from crawler.protocol import (
    CrawlOptions,
    Event,
    ExitCode,
    Finished,
    ItemFailed,
    ListPageOk,
    RunStatus,
    Tally,
    describe_failures,
    finished_event,
    judge,
)

logger = logging.getLogger("crawler.run")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.run", description=__doc__)
    parser.add_argument(
        "--options", required=True, help="CrawlOptions as JSON, or - to read them from standard input"
    )
    args = parser.parse_args(argv)
    from crawler import progress

    try:
        # Options carry the database URL: the parent sends them on stdin, never on the command
        # line, which every user of the machine can read.
        options = CrawlOptions.from_json(sys.stdin.read() if args.options == "-" else args.options)
    except ValueError as exc:
        reason = f"bad crawl options: {_options_problem(exc)}"
        print(f"crawler.run: {reason}", file=sys.stderr)
        progress.emit(Finished(status="failed", exit_code=ExitCode.BAD_OPTIONS, reason=reason))
        return ExitCode.BAD_OPTIONS
    _structured_logs(options)
    tally = RunTally()
    try:
        finished = _crawl(options, tally)
    except Exception as exc:
        logger.exception("the crawl crashed")
        reason = f"the crawl crashed: {type(exc).__name__}: {_first_line(exc)}"
        finished = finished_event(tally, "failed", ExitCode.CRASHED, reason)
    level = logging.INFO if finished.status == "succeeded" else logging.WARNING
    summary = describe_failures(finished.failed, finished.items, finished.failed_by_kind)
    logger.log(level, f"{options.target} {finished.status}: {summary}" + (
        f"; {finished.reason}" if finished.reason else ""
    ))
    progress.emit(finished)
    return finished.exit_code


def _crawl(options: CrawlOptions, tally: RunTally) -> Finished:
    from crawler import progress
    from crawler.redact import install_log_redaction

    # Before Scrapy logs anything: request URLs may carry API keys (serviceKey=…).
    install_log_redaction()

    # Scrapy is imported only here, in the child, so the service never loads it.
    from scrapy import signals
    from scrapy.crawler import AsyncCrawlerProcess

    from crawler.drift import profile_from_stats
    from crawler.scrapy_settings import scrapy_settings
    from crawler.spiders import spider_class

    process = AsyncCrawlerProcess(scrapy_settings(options))
    crawler = process.create_crawler(spider_class(options.source))
    _quiet_scrapy_debug()
    crawler.signals.connect(tally.item_scraped, signal=signals.item_scraped)
    crawler.signals.connect(tally.item_error, signal=signals.item_error)
    crawler.signals.connect(freeze_startup_objects, signal=signals.spider_opened)
    stop_listening = progress.listen(tally.on_event)
    logger.info(f"crawl {options.target} {options.since}..{options.until} from {options.base_url}")
    try:
        process.crawl(
            crawler,
            section=options.section,
            since=options.since,
            until=options.until,
            base_url=options.base_url,
            progress_events=True,
        )
        process.start()
    finally:
        stop_listening()
    assert crawler.stats is not None
    stats = crawler.stats
    if storage_error := stats.get_value("briefing/storage_error"):
        return finished_event(tally, "failed", ExitCode.STORAGE, f"database error: {storage_error}")
    if refused := stats.get_value("briefing/refused"):
        return finished_event(tally, "failed", ExitCode.REFUSED, str(refused))
    reason = stats.get_value("finish_reason")
    if reason != "finished":
        stopped = f"the crawl stopped before finishing ({reason})"
        return finished_event(tally, "interrupted", ExitCode.STOPPED, stopped)
    status, code, why = judge(tally, options.settings.failed_share_limit)
    profile = profile_from_stats(stats.get_stats()).to_json()  # the service judges drift on it
    return finished_event(tally, status, code, why).model_copy(update={"yield_profile": profile})


class RunTally(Tally):
    """The run's tally, fed by Scrapy's item signals and by the spiders' protocol events."""

    __slots__ = ("__weakref__",)  # Scrapy's signals hold their receivers weakly

    def item_scraped(self, item: Any) -> None:
        from crawler.items import FailedPage

        if isinstance(item, FailedPage):
            self.failed_item(item.url, item.stage, item.kind, item.reason)
        else:
            self.count_item()

    def item_error(self, item: Any, failure: Any) -> None:
        # A pipeline raised for this item: it was not stored.
        url = getattr(item, "url", None) or getattr(getattr(item, "article", None), "url", "?")
        self.failed_item(str(url), "store", "error", f"{failure.type.__name__}: {failure.value}")

    def failed_item(self, url: str, stage: str, kind: str, reason: str) -> None:
        from crawler import progress

        self.count_item(stage, kind, reason)
        # One line per failed item: the run log is where a user reads what went wrong.
        logger.warning(f"failed {stage} {kind} {url}: {reason}")
        progress.emit(ItemFailed(url=url, stage=stage, kind=kind, reason=reason))

    def on_event(self, event: Event) -> None:
        if isinstance(event, ListPageOk):
            self.list_pages_ok += 1
        elif isinstance(event, ItemFailed) and event.rejected:
            # Counted once as an item when scraped; now it counts as a failed one, too.
            self.failed_by_kind[event.kind] += 1
            logger.warning(f"failed {event.stage} {event.kind} {event.url}: {event.reason}")


def _quiet_scrapy_debug() -> None:
    """Scrapy's logging set-up (in AsyncCrawlerProcess) puts the root logger at NOTSET and its
    own at DEBUG: every response and every item then made a DEBUG record ("Crawled …",
    "Scraped from …" with the item's whole repr), which the redaction formatted and the crawl's
    handler (crawler.logs) then dropped. Only Scrapy's warnings and errors reach the run log,
    so only those are made; our own loggers stay at INFO, as add_crawl_handler set them."""
    logging.getLogger().setLevel(logging.INFO)
    logging.getLogger("scrapy").setLevel(logging.WARNING)


def freeze_startup_objects() -> None:
    """Move what start-up made (modules, Scrapy's components: some 150,000 objects) out of the
    garbage collector's sight: a full collection no longer walks them each time (about 0.3 ms of
    the reactor's thread per article). They live until the process ends anyway."""
    gc.collect()
    gc.freeze()


def _options_problem(exc: ValueError) -> str:
    """Which options are wrong, never their values (the options hold the database URL)."""
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'options'}: {e['msg']}" for e in exc.errors()[:5])
    return _first_line(exc)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:500]


def _structured_logs(options: CrawlOptions) -> None:
    """One line per record on stderr, as the service logs, each carrying the run id.

    Scrapy's own handler is off (LOG_ENABLED=False: it installs a NullHandler, and it would
    print multi-line settings and stats records); this one is added beside it.
    """
    from crawler.logs import add_crawl_handler

    add_crawl_handler(options.settings.log_format, options.run_id)


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["RunStatus", "RunTally", "main"]
