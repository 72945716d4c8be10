"""Map download failures to the named kinds stored with crawl errors."""

from __future__ import annotations

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.defer import CancelledError
from twisted.internet.error import ConnectionRefusedError, DNSLookupError, TCPTimedOutError, TimeoutError
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed

from crawler.middleware import OutboundRefused


def failure_kind(failure: Failure) -> tuple[str, str]:
    """(kind, reason) for a failed request, e.g. ("http_500", "HTTP 500 after retries")."""
    exc = failure.value
    if isinstance(exc, OutboundRefused):
        return exc.kind, exc.reason
    if isinstance(exc, HttpError):
        status = exc.response.status
        return f"http_{status}", f"HTTP {status} after retries"
    if isinstance(exc, TimeoutError | TCPTimedOutError | DownloadTimeoutError):
        return "timeout", f"timed out: {exc}"
    # Scrapy 2.19 wraps Twisted's errors in its own (CannotResolveHostError, Download…Error).
    if isinstance(exc, DNSLookupError | CannotResolveHostError):
        text = str(exc)  # Scrapy's own message already starts "DNS lookup failed"
        return "dns", text if text.lower().startswith("dns lookup failed") else f"DNS lookup failed: {text}"
    if isinstance(exc, ConnectionRefusedError | DownloadConnectionRefusedError):
        return "connection", f"connection refused: {exc}"
    if isinstance(exc, DownloadCancelledError | CancelledError):
        # Scrapy cancels a download that grows past its download_maxsize.
        request = getattr(failure, "request", None)
        limit = request.meta.get("download_maxsize") if request is not None else None
        return "too_large", f"download cancelled: larger than {limit or 'DOWNLOAD_MAXSIZE'} bytes ({exc})"
    if isinstance(exc, ResponseFailed | ResponseDataLossError):
        return "truncated", "the response was cut short (connection closed before the body ended)"
    if isinstance(exc, DownloadFailedError):
        return "connection", f"download failed: {exc}"
    return "error", f"{type(exc).__name__}: {exc}"
