"""Crawl plumbing as pure units: options, Scrapy settings, back-off, failure kinds, run outcomes."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectionRefusedError, TimeoutError
from twisted.python.failure import Failure

from crawler import progress
from crawler.middleware import backoff_delay
from crawler.protocol import (
    CrawlOptions,
    CrawlSettings,
    Discovered,
    ExitCode,
    Finished,
    ItemDone,
    ItemFailed,
    ListPageOk,
    Stored,
    Tally,
    describe_failures,
    exit_outcome,
    judge,
    parse,
)
from crawler.scrapy_settings import scrapy_settings
from crawler.spiders.failures import failure_kind
from scheduler.crawls import CrawlTarget, crawl_options, default_window
from scheduler.settings import Settings
from scheduler.targets import parse_target


def options(**changes: object) -> CrawlOptions:
    """Options as the parent builds them, from Settings (the only place defaults are written)."""
    settings = Settings.model_validate({"BRIEFING_DATABASE_URL": "sqlite://", **changes})
    return crawl_options(settings, CrawlTarget("korea_kr", "policy"), date(2026, 11, 1), date(2026, 11, 3), 7)


def test_options_round_trip_and_reject_unknown_keys() -> None:
    opts = options(korea_kr_base_url="http://127.0.0.1:9")
    assert CrawlOptions.from_json(opts.to_json()) == opts
    assert opts.base_url == "http://127.0.0.1:9" and opts.run_id == 7
    with pytest.raises(ValueError, match="surprise"):
        CrawlOptions.from_json(opts.to_json()[:-1] + ', "surprise": 1}')
    missing = json.loads(opts.to_json())
    del missing["settings"]["crawl_delay"]
    with pytest.raises(ValueError, match="crawl_delay"):  # no defaults in the options: every value is sent
        CrawlOptions.from_json(json.dumps(missing))


def test_every_crawl_setting_has_one_name_from_settings_to_child() -> None:
    opts = options(crawl_delay=0.25, crawl_retries=1, attachment_max_bytes=1234, log_format="json",
                   failed_share_limit=0.2)
    assert set(CrawlSettings.model_fields) <= set(Settings.model_fields)
    assert (opts.settings.crawl_delay, opts.settings.crawl_retries) == (0.25, 1)
    s = scrapy_settings(opts)
    assert (s["DOWNLOAD_DELAY"], s["RETRY_TIMES"], s["BRIEFING_ATTACHMENT_MAXSIZE"]) == (0.25, 1, 1234)
    assert opts.settings.log_format == "json" and opts.settings.failed_share_limit == 0.2
    defaults = Settings()
    assert defaults.attachment_max_bytes == 20 * 1024 * 1024 and defaults.failed_share_limit == 0.5
    assert defaults.backfill_max_failed_days == 3


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


def test_the_child_makes_no_scrapy_debug_records() -> None:
    """Scrapy's set-up enables DEBUG everywhere; a record per response and per item (the item's
    whole repr, formatted by the redaction) was made only to be dropped by the crawl's handler."""
    import logging

    from crawler.run import _quiet_scrapy_debug

    root, scrapy_logger = logging.getLogger(), logging.getLogger("scrapy")
    saved = (root.level, scrapy_logger.level)
    try:
        root.setLevel(logging.NOTSET)  # what AsyncCrawlerProcess's configure_logging leaves
        scrapy_logger.setLevel(logging.DEBUG)
        _quiet_scrapy_debug()
        assert not logging.getLogger("scrapy.core.scraper").isEnabledFor(logging.INFO)
        assert logging.getLogger("scrapy.core.scraper").isEnabledFor(logging.WARNING)
        assert logging.getLogger("crawler.run").isEnabledFor(logging.INFO)
        assert not logging.getLogger("crawler.run").isEnabledFor(logging.DEBUG)
    finally:
        root.setLevel(saved[0])
        scrapy_logger.setLevel(saved[1])


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


def test_a_dns_failure_says_so_once() -> None:
    from twisted.internet.error import DNSLookupError

    # Twisted's message already starts with "DNS lookup failed"; it was said twice in run reasons.
    kind, reason = failure_kind(_failure(DNSLookupError("no results for hostname lookup: www.korea.kr.")))
    assert kind == "dns"
    assert reason.lower().count("dns lookup failed") == 1, reason


@pytest.mark.parametrize(
    ("code", "asked", "status"),
    [
        (0, False, "succeeded"),
        (3, True, "interrupted"),
        (-15, True, "interrupted"),
        (3, False, "interrupted"),
        (4, False, "failed"),
        (5, False, "failed"),
        (6, False, "failed"),
        (-9, False, "failed"),
        (1, False, "failed"),
        (2, False, "failed"),
        (77, False, "failed"),
    ],
)
def test_outcome_from_exit_code_alone(code: int, asked: bool, status: str) -> None:
    assert exit_outcome(code, asked, None)[0] == status


def test_every_exit_code_is_mapped_and_the_cli_maps_it_onto_its_documented_codes() -> None:
    from scheduler.cli.core import ExitCode as CliExit
    from scheduler.cli.core import exit_code_of

    for code in ExitCode:
        status, reason = exit_outcome(code, False, None)
        assert status == ("succeeded" if code is ExitCode.OK else "interrupted" if code is ExitCode.STOPPED
                          else "failed")
        assert (reason is None) == (code is ExitCode.OK)
        if status == "failed":
            assert code.name.lower() in (reason or "")
            expected = CliExit.UNAVAILABLE if code is ExitCode.STORAGE else CliExit.FAILED
            assert exit_code_of(status, code) == expected
    assert exit_code_of("succeeded", 0) == CliExit.OK
    assert exit_code_of("failed", None) == CliExit.FAILED  # killed before it could say
    assert exit_code_of("interrupted", -15) == CliExit.INTERRUPTED


def test_the_childs_finished_event_gives_the_reason() -> None:
    said = Finished(status="failed", exit_code=ExitCode.SOURCE_FAILED, reason="could not read the source: x")
    assert exit_outcome(6, False, said) == ("failed", "could not read the source: x")
    # A success claimed with a failing exit code is not believed.
    ok = Finished(status="succeeded", exit_code=ExitCode.OK)
    assert exit_outcome(1, False, ok)[0] == "failed"
    assert exit_outcome(-15, True, said) == ("interrupted", "stopped on request")


def test_killed_child_reason_names_the_signal() -> None:
    assert "SIGKILL" in (exit_outcome(-9, False, None)[1] or "")


def test_targets_and_default_window() -> None:
    assert parse_target("korea_kr").name == "korea_kr:policy"
    assert parse_target("korea_kr:policy").name == parse_target("korea_kr", "policy").name
    with pytest.raises(ValueError, match="disagree"):
        parse_target("korea_kr:policy", "press")
    # 15:30 UTC on the 23rd is already 00:30 on the 24th in Seoul
    since, until = default_window(3, now=datetime(2026, 11, 23, 15, 30, tzinfo=UTC))
    assert (since, until) == (date(2026, 11, 22), date(2026, 11, 24))


def test_protocol_events_round_trip_and_other_lines_are_ignored() -> None:
    import io

    events = [
        Discovered(count=3),
        ListPageOk(url="http://x/list"),
        ItemDone(ok=False),
        ItemFailed(url="http://x/1", stage="article", kind="http_500", reason="HTTP 500 after retries"),
        Stored(new=2, failed=1),
        Finished(status="failed", exit_code=ExitCode.SOURCE_FAILED, reason="r", items=4, failed=3,
                 list_pages_failed=1, failed_by_kind={"connection": 3}),
    ]
    stream = io.StringIO()
    for event in events:
        progress.emit(event, stream=stream)
    progress.emit("stored", stream=stream, new=2)  # by name, as spiders and the pipeline do
    lines = stream.getvalue().splitlines()
    assert [parse(line) for line in lines] == [*events, Stored(new=2)]
    for other in ("2026-11-24 INFO: not an event", "", "@briefing not json", '@briefing {"event": "nope"}',
                  '@briefing {"event": "discovered"}', "@briefing [1, 2]", '{"event": "stored"}'):
        assert parse(other) is None, other
    # Fields a newer child adds are ignored by an older parent.
    assert parse('@briefing {"event": "item", "ok": true, "later": 1}') == ItemDone(ok=True)


@pytest.mark.parametrize(
    ("tally", "status", "says"),
    [
        (Tally(items=0), "succeeded", None),
        (Tally(items=1, failed_by_kind=Counter(connection=1), list_pages_failed=1,
               first_list_failure="list page: connection refused"),
         "failed", "could not read the source: list page"),
        (Tally(items=5, failed_by_kind=Counter(http_500=1), list_pages_ok=2, list_pages_failed=1),
         "succeeded", None),
        (Tally(items=10, failed_by_kind=Counter(http_500=4, layout_changed=2), list_pages_ok=1), "failed",
         "6 of 10 items failed (4 http_500, 2 layout_changed): more than 50%"),
        (Tally(items=10, failed_by_kind=Counter(http_500=5), list_pages_ok=1), "succeeded", None),
    ],
)
def test_judge(tally: Tally, status: str, says: str | None) -> None:
    got, code, reason = judge(tally, 0.5)
    assert got == status and (code == ExitCode.OK) == (status == "succeeded")
    assert (reason is None) if says is None else (says in (reason or ""))


def test_the_tally_counts_list_failures_from_items() -> None:
    tally = Tally()
    tally.count_item()
    tally.count_item("list", "http_404", "list page: HTTP 404")
    tally.count_item("article", "timeout", "timed out")
    assert (tally.items, tally.failed, tally.list_pages_failed) == (3, 2, 1)
    assert tally.first_list_failure == "list page: HTTP 404"
    assert describe_failures(3, 40, {"http_500": 2, "layout_changed": 1}) == (
        "3 of 40 items failed (2 http_500, 1 layout_changed)"
    )


def test_the_child_gets_its_options_on_stdin_not_argv(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import asyncio
    import sys

    import scheduler.crawls as crawls
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
    settings = Settings.model_validate({"BRIEFING_DATABASE_URL": secret_url, "data_dir": tmp_path})
    opts = crawl_options(settings, CrawlTarget("korea_kr", "policy"), date(2026, 11, 1), date(2026, 11, 1),
                         run.id)
    finished = asyncio.run(crawls.execute_run(db=db, settings=settings, run=run, options=opts))
    db.dispose()
    assert finished.status == "succeeded"
    assert "--options" in seen_argv and not any("hunter2" in arg for arg in seen_argv)
    assert "hunter2" in (tmp_path / "logs" / f"run-{run.id}.log").read_text()


def test_scrapy_s_wrapped_download_errors_have_their_kinds() -> None:
    from scrapy.exceptions import CannotResolveHostError, DownloadConnectionRefusedError

    assert failure_kind(_failure(DownloadConnectionRefusedError("refused")))[0] == "connection"
    assert failure_kind(_failure(CannotResolveHostError("no.such.host")))[0] == "dns"


def test_the_child_answers_bad_options_with_an_event_and_its_exit_code() -> None:
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "crawler.run", "--options", "-"], input='{"source": 1}',
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == ExitCode.BAD_OPTIONS
    events = [e for e in map(parse, result.stdout.splitlines()) if e is not None]
    assert len(events) == 1 and isinstance(events[0], Finished)
    assert events[0].status == "failed" and (events[0].reason or "").startswith("bad crawl options: source: ")
    assert "section: Field required" in (events[0].reason or "")


def test_a_run_s_source_state_follows_its_outcome(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from storage import Database, create_run, finish_run, get_source_state, record_check

    db = Database(f"sqlite:///{tmp_path / 's.db'}")

    def finish(source: str, status: str, reason: str | None = None) -> None:
        with db.session() as session:
            run = create_run(session=session, source=source)
            finish_run(session=session, run_id=run.id, status=status, reason=reason)

    def current(name: str) -> tuple[str, str | None]:
        with db.session() as session:
            state = get_source_state(session=session, name=name)
        assert state is not None
        return state.status, state.error

    try:
        finish("korea_kr:policy", "failed", "could not read the source: x")
        assert current("korea_kr:policy") == ("error", "could not read the source: x")
        finish("korea_kr:policy", "interrupted", "stopped on request")  # says nothing about the source
        assert current("korea_kr:policy") == ("error", "could not read the source: x")
        finish("korea_kr:policy", "succeeded")
        assert current("korea_kr:policy") == ("ok", None)
        with db.session() as session:  # a feed the spider found gone stays dead after a run
            record_check(session=session, name="feed:gone", kind="feed", url="http://x/", status="dead",
                         error="HTTP 404", etag='"v1"')
        finish("feed:gone", "succeeded")
        assert current("feed:gone") == ("dead", "HTTP 404")
        finish("feed:gone", "failed", "could not read the source: timed out")
        assert current("feed:gone")[0] == "error"
        with db.session() as session:
            kept = get_source_state(session=session, name="feed:gone")
        assert kept is not None and kept.etag == '"v1"'  # validators stay as the crawl left them
    finally:
        db.dispose()
