"""Keep secrets (API service keys) out of URLs, log lines and stored crawl errors."""

from __future__ import annotations

import logging
import re
import threading
import traceback
from collections.abc import Callable
from urllib.parse import quote

MASK = "[redacted]"
MIN_SECRET = 6  # shorter "secrets" would mask ordinary words in every log line

# `serviceKey=…` in any case, in a URL query, a form body or free text; the value ends where a
# URL or a quoted string would end. data.go.kr keys are base64 (+ / =) or their %-encoded form.
_KEY_PARAM = re.compile(r"(?i)((?:service_?key|api_?key|authkey)=)(?:\[redacted\]|[^&\s\"'<>)\]]*)")

_secrets: set[str] = set()
_lock = threading.Lock()
_installed: Callable[..., logging.LogRecord] | None = None


def add_secret(value: str | None) -> None:
    """Mask `value` (and its %-encoded forms) wherever it appears, not only after `serviceKey=`."""
    if not value or len(value) < MIN_SECRET:
        return
    with _lock:
        _secrets.update({value, quote(value, safe=""), quote(value, safe="/")})


def redact(text: str) -> str:
    """`text` with every service-key parameter value and every registered secret masked."""
    if not text:
        return text
    text = _KEY_PARAM.sub(lambda m: m.group(1) + MASK, text)
    # Longest first: an encoded form may contain the raw value as a substring.
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def _redact_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a broken format string is logging's problem to report, not ours
        return
    cleaned = redact(message)
    if cleaned != message:
        record.msg, record.args = cleaned, None
    if record.exc_info and not record.exc_text:
        # Formatters reuse exc_text when it is set, so the traceback is masked once, here.
        record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


def install_log_redaction() -> None:
    """Mask secrets in every log record of this process, whichever handler writes it.

    A record factory rather than a handler filter: Scrapy replaces its root handler when a
    crawler starts, which would silently drop a filter installed before.
    """
    global _installed
    with _lock:
        if _installed is not None:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: object, **kwargs: object) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            _redact_record(record)
            return record

        logging.setLogRecordFactory(factory)
        _installed = previous


def uninstall_log_redaction() -> None:
    """Undo `install_log_redaction` (tests) and forget registered secrets."""
    global _installed
    with _lock:
        if _installed is not None:
            logging.setLogRecordFactory(_installed)
            _installed = None
        _secrets.clear()
