"""Crawl plumbing as pure units: options, Scrapy settings, back-off, failure kinds, run outcomes."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectionRefusedError, TimeoutError
from twisted.python.failure import Failure

from crawler import progress
from crawler.middleware import backoff_delay
from crawler.options import CrawlOptions
from crawler.scrapy_settings import scrapy_settings
from crawler.spiders.failures import failure_kind
from scheduler.crawls import default_window, outcome, parse_target


def options(**changes: object) -> CrawlOptions:
    base = CrawlOptions(
        source="korea_kr",
        section="policy",
        since=date(2026, 11, 1),
        until=date(2026, 11, 3),
        database_url="sqlite://",
    )
    return CrawlOptions(**{**{f: getattr(base, f) for f in base.__slots__}, **changes})  # type: ignore[arg-type]


def test_options_round_trip_and_reject_unknown_keys() -> None:
    opts = options(run_id=7, base_url="http://127.0.0.1:9")
    assert CrawlOptions.from_json(opts.to_json()) == opts
    with pytest.raises(ValueError, match="unknown crawl options"):
        CrawlOptions.from_json(opts.to_json()[:-1] + ', "surprise": 1}')


def test_default_settings_are_polite() -> None:
    s = scrapy_settings(options())
    assert s["ROBOTSTXT_OBEY"] is True
    assert s["DOWNLOAD_DELAY"] >= 1.0 and s["CONCURRENT_REQUESTS_PER_DOMAIN"] == 1
    assert s["AUTOTHROTTLE_ENABLED"] is True
    assert "briefing" in s["USER_AGENT"]
    assert {429, 500, 502, 503, 504} <= set(s["RETRY_HTTP_CODES"]) and s["RETRY_TIMES"] >= 2
    assert 0 < s["DOWNLOAD_TIMEOUT"] <= 60
    assert s["TELNETCONSOLE_ENABLED"] is False and s["REMOTE_CONTROL_ENABLED"] is False  # no open ports
    assert "crawler.middleware.BackoffRetryMiddleware" in s["DOWNLOADER_MIDDLEWARES"]
    # Scrapy deep-copies settings: only plain values may go in.
    import copy

    copy.deepcopy(s)


@pytest.mark.parametrize(
    ("attempt", "base", "retry_after", "expected"),
    [
        (1, 2.0, None, 2.0),
        (2, 2.0, None, 4.0),
        (3, 2.0, None, 8.0),
        (10, 2.0, None, 60.0),
        (1, 2.0, "7", 7.0),
        (1, 2.0, "999", 60.0),
        (2, 2.0, "Wed, 21 Oct 2026 07:28:00 GMT", 4.0),
    ],
)
def test_backoff_delay(attempt: int, base: float, retry_after: str | None, expected: float) -> None:
    assert backoff_delay(attempt, base, retry_after) == expected


def _failure(exc: Exception) -> Failure:
    try:
        raise exc
    except Exception:
        return Failure()


def test_failure_kinds() -> None:
    request = Request("https://www.korea.kr/x")
    response = HtmlResponse("https://www.korea.kr/x", status=503, request=request, body=b"")
    assert failure_kind(_failure(HttpError(response)))[0] == "http_503"
    assert failure_kind(_failure(TimeoutError()))[0] == "timeout"
    assert failure_kind(_failure(ConnectionRefusedError()))[0] == "connection"
    assert failure_kind(_failure(RuntimeError("boom"))) == ("error", "RuntimeError: boom")


@pytest.mark.parametrize(
    ("code", "asked", "status"),
    [
        (0, False, "succeeded"),
        (3, True, "interrupted"),
        (-15, True, "interrupted"),
        (3, False, "interrupted"),
        (4, False, "failed"),
        (-9, False, "failed"),
        (1, False, "failed"),
    ],
)
def test_outcome_from_exit_code(code: int, asked: bool, status: str) -> None:
    assert outcome(code, asked, "tail")[0] == status


def test_killed_child_reason_names_the_signal() -> None:
    assert "SIGKILL" in (outcome(-9, False, "")[1] or "")


def test_targets_and_default_window() -> None:
    assert parse_target("korea_kr").name == "korea_kr:policy"
    assert parse_target("korea_kr:policy").name == parse_target("korea_kr", "policy").name
    with pytest.raises(ValueError, match="disagree"):
        parse_target("korea_kr:policy", "press")
    # 15:30 UTC on the 23rd is already 00:30 on the 24th in Seoul
    since, until = default_window(3, now=datetime(2026, 11, 23, 15, 30, tzinfo=UTC))
    assert (since, until) == (date(2026, 11, 22), date(2026, 11, 24))


def test_progress_events_round_trip() -> None:
    import io

    stream = io.StringIO()
    progress.emit("stored", stream=stream, new=2)
    assert progress.parse(stream.getvalue().strip()) == {"event": "stored", "new": 2}
    assert progress.parse("2026-11-24 INFO: not an event") is None


def test_the_child_gets_its_options_on_stdin_not_argv(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import asyncio
    import sys

    import scheduler.crawls as crawls
    from scheduler.settings import Settings
    from storage import Database, create_run

    secret_url = f"sqlite:///{tmp_path / 'x.db'}?secret=hunter2"
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    with db.session() as session:
        run = create_run(session=session, source="korea_kr:policy")
    seen_argv: list[str] = []
    real_exec = asyncio.create_subprocess_exec

    async def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen_argv.extend(str(a) for a in args)
        # stands in for the crawl child: copies what it reads on stdin to its log, succeeds
        return await real_exec(
            sys.executable, "-c", "import sys; sys.stderr.write(sys.stdin.read())", **kwargs
        )

    monkeypatch.setattr(crawls.asyncio, "create_subprocess_exec", spy)
    settings = Settings(database_url=secret_url, data_dir=tmp_path)
    opts = options(database_url=secret_url, run_id=run.id)
    finished = asyncio.run(crawls.execute_run(db=db, settings=settings, run=run, options=opts))
    db.dispose()
    assert finished.status == "succeeded"
    assert "--options" in seen_argv and not any("hunter2" in arg for arg in seen_argv)
    assert "hunter2" in (tmp_path / "logs" / f"run-{run.id}.log").read_text()


def test_the_failure_reason_is_the_last_error_records_message(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from scheduler.crawls import _tail

    log = tmp_path / "run-1.log"
    log.write_text(
        'ts=2026-11-24T10:00:00 level=info logger=scrapy.core.engine msg="Spider opened" run_id=1\n'
        "ts=2026-11-24T10:00:01 level=error logger=crawler.spiders.data_go_kr "
        'msg="the API refused the crawl: no key" run_id=1\n'
        'ts=2026-11-24T10:00:02 level=info logger=scrapy.statscollectors msg="Dumping Scrapy stats:\\n'
        "{'log_count/ERROR': 1}\" run_id=1\n"
        '{"ts": "2026-11-24T10:00:03", "level": "error", "logger": "x", "msg": "a JSON record"}\n',
        encoding="utf-8",
    )
    assert _tail(log) == "the API refused the crawl: no key | a JSON record"
    log.write_text("Traceback (most recent call last):\nImportError: no module named x\n", encoding="utf-8")
    assert _tail(log) == "Traceback (most recent call last): | ImportError: no module named x"
