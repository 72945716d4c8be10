"""Scrapy settings for one crawl, built from CrawlOptions (plain values only: Scrapy deep-copies them)."""

from __future__ import annotations

from typing import Any

from crawler.options import CrawlOptions


def scrapy_settings(options: CrawlOptions) -> dict[str, Any]:
    return {
        "BOT_NAME": "briefing",
        "USER_AGENT": options.user_agent,
        "ROBOTSTXT_OBEY": options.obey_robots,
        "DOWNLOAD_DELAY": options.download_delay,
        "DOWNLOAD_DELAY_JITTER": 0,  # exactly one request per `download_delay`
        "CONCURRENT_REQUESTS": max(options.concurrency, 1),
        "CONCURRENT_REQUESTS_PER_DOMAIN": max(options.concurrency, 1),
        "AUTOTHROTTLE_ENABLED": options.autothrottle,
        "AUTOTHROTTLE_START_DELAY": max(options.download_delay, 0.1),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
        "DOWNLOAD_TIMEOUT": options.timeout,
        # Pages are well under 1 MiB; nothing the crawler fetches may grow without bound.
        "DOWNLOAD_MAXSIZE": 32 * 1024 * 1024,
        # Press-release attachments (HWPX, PDF): a smaller cap, and a hard deadline per download.
        "BRIEFING_ATTACHMENT_MAXSIZE": 20 * 1024 * 1024,
        "BRIEFING_ATTACHMENT_TIMEOUT": options.timeout,
        "RETRY_ENABLED": options.retries > 0,
        "RETRY_TIMES": options.retries,
        "RETRY_HTTP_CODES": [429, 500, 502, 503, 504, 522, 524, 408],
        "BRIEFING_RETRY_BACKOFF": options.retry_backoff,
        "DOWNLOADER_MIDDLEWARES": {
            # First of all (robots.txt is 100): every request, redirect and robots.txt fetch
            # passes the outbound-request policy before anything else sees it.
            "crawler.middleware.OutboundMiddleware": 50,
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
            "crawler.middleware.BackoffRetryMiddleware": 550,
            "crawler.archiving.ArchiveMiddleware": 585,  # after decompression (590)
        },
        "BRIEFING_TARGET": options.target,
        "BRIEFING_ARCHIVE_DIR": options.archive_dir or "",
        "BRIEFING_ARCHIVE_MAX_BYTES": options.archive_max_bytes,
        "BRIEFING_ARCHIVE_RETENTION_DAYS": options.archive_retention_days,
        # The policy's origins and networks; its resolver checks every address at connect time.
        "BRIEFING_ALLOWED_ORIGINS": [options.base_url],
        "BRIEFING_ALLOWED_NETWORKS": list(options.allowed_private_networks),
        "TWISTED_DNS_RESOLVER": "crawler.middleware.OutboundResolver",
        # http and https only: local files, data: URIs, S3 and FTP are never fetched.
        "DOWNLOAD_HANDLERS": {"file": None, "data": None, "s3": None, "ftp": None},
        "ITEM_PIPELINES": {"crawler.pipeline.StoragePipeline": 300},
        "BRIEFING_DATABASE_URL": options.database_url,
        "BRIEFING_RUN_ID": options.run_id or 0,
        "BRIEFING_PROFILE_PATH": options.profile_path,
        "BRIEFING_BATCH_SIZE": options.batch_size,
        "BRIEFING_FLUSH_SECONDS": options.flush_seconds,
        "BRIEFING_PROGRESS": options.progress,
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
