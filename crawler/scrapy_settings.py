"""Scrapy settings for one crawl, built from CrawlOptions (plain values only: Scrapy deep-copies them)."""

from __future__ import annotations

import os
from typing import Any

from crawler.protocol import CrawlOptions

CONCURRENT_ITEMS = 4


def scrapy_settings(options: CrawlOptions) -> dict[str, Any]:
    o = options.settings
    return {
        "BOT_NAME": "briefing",
        "USER_AGENT": o.user_agent,
        "ROBOTSTXT_OBEY": o.obey_robots,
        "DOWNLOAD_DELAY": o.crawl_delay,
        "DOWNLOAD_DELAY_JITTER": 0,  # exactly one request per `download_delay`
        "CONCURRENT_REQUESTS": max(o.crawl_concurrency, 1),
        "CONCURRENT_REQUESTS_PER_DOMAIN": max(o.crawl_concurrency, 1),
        # How many of one response's outputs go through the item pipeline at once. Scrapy starts
        # that many worker tasks for every response (100 by default: 0.4-0.5 ms a response, for
        # an article page that yields one item); ours yield one item, or a few requests.
        "CONCURRENT_ITEMS": CONCURRENT_ITEMS,
        "AUTOTHROTTLE_ENABLED": o.crawl_autothrottle,
        "AUTOTHROTTLE_START_DELAY": max(o.crawl_delay, 0.1),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
        "DOWNLOAD_TIMEOUT": o.crawl_timeout,
        # Pages are well under 1 MiB; nothing the crawler fetches may grow without bound.
        "DOWNLOAD_MAXSIZE": 32 * 1024 * 1024,
        # Press-release attachments (HWPX, PDF): a smaller cap, and a hard deadline per download.
        "BRIEFING_ATTACHMENT_MAXSIZE": o.attachment_max_bytes,
        "BRIEFING_ATTACHMENT_TIMEOUT": o.crawl_timeout,
        "RETRY_ENABLED": o.crawl_retries > 0,
        "RETRY_TIMES": o.crawl_retries,
        "RETRY_HTTP_CODES": [429, 500, 502, 503, 504, 522, 524, 408],
        "BRIEFING_RETRY_BACKOFF": o.crawl_retry_backoff,
        "DOWNLOADER_MIDDLEWARES": {
            # First of all (robots.txt is 100): every request, redirect and robots.txt fetch
            # passes the outbound-request policy before anything else sees it.
            "crawler.middleware.OutboundMiddleware": 50,
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
            "crawler.middleware.BackoffRetryMiddleware": 550,
            "crawler.archiving.ArchiveMiddleware": 585,  # after decompression (590)
        },
        "BRIEFING_TARGET": options.target,
        "BRIEFING_ARCHIVE_DIR": str(o.archive_dir) if o.archive and o.archive_dir else "",
        "BRIEFING_ARCHIVE_MAX_BYTES": o.archive_max_bytes,
        "BRIEFING_ARCHIVE_RETENTION_DAYS": o.archive_retention_days,
        # The policy's origins and networks; its resolver checks every address at connect time.
        "BRIEFING_ALLOWED_ORIGINS": [options.base_url],
        "BRIEFING_ALLOWED_NETWORKS": list(o.allowed_private_networks),
        "TWISTED_DNS_RESOLVER": "crawler.middleware.OutboundResolver",
        # http and https only: local files, data: URIs, S3 and FTP are never fetched.
        "DOWNLOAD_HANDLERS": {"file": None, "data": None, "s3": None, "ftp": None},
        "ITEM_PIPELINES": {"crawler.pipeline.StoragePipeline": 300},
        "BRIEFING_DATABASE_URL": o.database_url,
        "BRIEFING_RUN_ID": options.run_id or 0,
        "BRIEFING_PROFILE_PATH": str(o.profile) if o.profile else None,
        "BRIEFING_BATCH_SIZE": o.crawl_batch_size,
        "BRIEFING_FLUSH_SECONDS": o.crawl_flush_seconds,
        "BRIEFING_PROGRESS": True,
        "BRIEFING_WRITER": writer_kind(o.crawl_writer),
        # A writer process parses the article pages that need nothing more from the site
        # (crawler.pages): off the reactor's thread, on the writer's core.
        "BRIEFING_PARSE_IN_WRITER": writer_kind(o.crawl_writer) == "process",
        "BRIEFING_LOG_FORMAT": o.log_format,
        "COOKIES_ENABLED": True,
        # Scrapy's own handler prints multi-line records; crawler.run installs a one-line one.
        "LOG_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        # A developer lint that re-reads and parses a generator callback's source on every
        # response (its cache is keyed by bound methods, which die at once): 3.5% of a crawl.
        "WARN_ON_GENERATOR_RETURN_VALUE": False,
        # Scrapy 2.19 otherwise opens an HTTP control port in every crawl child.
        "REMOTE_CONTROL_ENABLED": False,
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
        "FEED_EXPORT_ENCODING": "utf-8",
    }


def writer_kind(setting: str) -> str:
    """Where the crawl's writer runs: "auto" puts rendering and storing in a process of their
    own wherever a second core can run it beside the reactor (crawler/writer.py)."""
    if setting != "auto":
        return setting
    return "process" if len(os.sched_getaffinity(0)) > 1 else "thread"
