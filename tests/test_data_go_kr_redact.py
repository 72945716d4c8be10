"""crawler.redact: service keys never reach a log line, a traceback or a stored URL."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from crawler import redact

KEY = "Zq9+Secret/KEY=="


@pytest.fixture(autouse=True)
def _clean() -> Iterator[None]:
    yield
    redact.uninstall_log_redaction()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://x/l?serviceKey=ab%2Bc&startDate=1", "https://x/l?serviceKey=[redacted]&startDate=1"),
        ("<GET https://x/l?a=1&ServiceKey=abc>", "<GET https://x/l?a=1&ServiceKey=[redacted]>"),
        ("'https://x/l?serviceKey=abc'", "'https://x/l?serviceKey=[redacted]'"),
        ("serviceKey=", "serviceKey=[redacted]"),
        ("https://x/l?serviceKey=[redacted]&a=1", "https://x/l?serviceKey=[redacted]&a=1"),  # idempotent
        ("no key here", "no key here"),
        ("", ""),
    ],
)
def test_service_key_parameters_are_masked(text: str, expected: str) -> None:
    assert redact.redact(text) == expected


def test_a_registered_secret_is_masked_anywhere_in_raw_and_encoded_forms() -> None:
    redact.add_secret(KEY)
    assert redact.redact(f"key {KEY} and Zq9%2BSecret%2FKEY%3D%3D") == "key [redacted] and [redacted]"
    redact.add_secret("abc")  # too short to be a secret: would mask ordinary words
    assert redact.redact("abc") == "abc"


def test_log_records_are_masked_whichever_handler_writes_them() -> None:
    redact.add_secret(KEY)
    redact.install_log_redaction()
    # A handler attached after installing, as Scrapy does when a crawler starts.
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    log = logging.getLogger("test.redact")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.error(
            "Gave up retrying <GET %s> (failed 4 times)", "https://api/l?serviceKey=Zq9%2BSecret%2FKEY%3D%3D"
        )
        try:
            raise RuntimeError(f"boom https://api/l?serviceKey={KEY}")
        except RuntimeError:
            log.exception("spider error for key %s", KEY)
    finally:
        log.removeHandler(handler)
    written = stream.getvalue()
    assert "Gave up retrying <GET https://api/l?serviceKey=[redacted]> (failed 4 times)" in written
    assert "spider error for key [redacted]" in written
    assert "RuntimeError: boom https://api/l?serviceKey=[redacted]" in written  # the traceback too
    assert "Zq9" not in written


def test_uninstall_restores_the_previous_record_factory() -> None:
    before = logging.getLogRecordFactory()
    redact.install_log_redaction()
    redact.install_log_redaction()  # twice is once
    assert logging.getLogRecordFactory() is not before
    redact.uninstall_log_redaction()
    assert logging.getLogRecordFactory() is before
