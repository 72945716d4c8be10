"""Notifications: a local receiver checks the webhook signature; retries; an Apprise JSON destination."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from scheduler.notify import (
    EVENT_HEADER,
    SIGNATURE_HEADER,
    Destination,
    Entry,
    Filters,
    Notifier,
    NotifyError,
    load_destinations,
    verify,
)

SECRET = "test-secret"


@dataclass
class Received:
    failures_left: int = 0
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[tuple[str, Received]]:
    state = Received()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.requests.append(({k: v for k, v in self.headers.items()}, body))
            if self.path.endswith("/apprise"):
                status = 200  # Apprise's JSON POST: unsigned
            elif state.failures_left > 0:
                state.failures_left -= 1
                status = 503
            else:
                # the receiver's side of the contract: recompute over the raw body
                status = 200 if verify(SECRET, body, self.headers.get(SIGNATURE_HEADER, "")) else 401
            state.statuses.append(status)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", state
    finally:
        server.shutdown()
        server.server_close()


ENTRIES = [
    Entry("korea_kr:policy", "1", "2027년 예산안 확정", "https://www.korea.kr/1", ministry="기획재정부"),
    Entry("korea_kr:press", "2", "청년 월세 지원", "https://www.korea.kr/2", ministry="국토교통부",
          change="updated"),
]


def notifier(*destinations: Destination, sleeps: list[float] | None = None) -> Notifier:
    slept = sleeps if sleeps is not None else []
    return Notifier(destinations, attempts=4, backoff=0.5, sleep=slept.append)


def test_webhook_is_signed_over_the_body_and_verified(receiver: tuple[str, Received]) -> None:
    url, state = receiver
    sent = notifier(Destination("webhook", url, SECRET)).new_articles(ENTRIES)
    assert [d.ok for d in sent] == [True]
    assert state.statuses == [200]
    headers, body = state.requests[0]
    assert headers[EVENT_HEADER] == "new_articles"
    payload = json.loads(body)
    assert payload["event_type"] == "new_articles"
    assert [e["external_id"] for e in payload["entries"]] == ["1", "2"]
    assert payload["entries"][1]["change"] == "updated"


def test_a_wrong_secret_is_refused_by_the_receiver(receiver: tuple[str, Received]) -> None:
    url, state = receiver
    sent = notifier(Destination("webhook", url, "not-the-secret")).new_articles(ENTRIES[:1])
    assert state.statuses[0] == 401
    assert not any(d.ok for d in sent)


def test_receiver_failing_twice_then_succeeding_gets_it_with_back_off(
    receiver: tuple[str, Received], caplog: pytest.LogCaptureFixture
) -> None:
    url, state = receiver
    state.failures_left = 2
    sleeps: list[float] = []
    caplog.set_level(logging.INFO, logger="scheduler.notify")
    sent = notifier(Destination("webhook", url, SECRET), sleeps=sleeps).source_state(
        "korea_kr:policy", "drift", "ok", "the list page changed"
    )
    assert [(d.attempt, d.ok, d.detail) for d in sent] == [(1, False, "HTTP 503"), (2, False, "HTTP 503"),
                                                          (3, True, "HTTP 200")]
    assert sleeps == [0.5, 1.0]
    assert json.loads(state.requests[-1][1])["state"] == "drift"
    # each delivery attempt is logged
    assert len([r for r in caplog.records if "source_state" in r.getMessage()]) == 3


def test_unreachable_destination_gives_up_after_its_attempts() -> None:
    sent = notifier(Destination("webhook", "http://127.0.0.1:9/hook", SECRET)).new_articles(ENTRIES)
    assert len(sent) == 4 and not any(d.ok for d in sent)


def test_credentials_in_urls_are_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="scheduler.notify")
    notifier(Destination("webhook", "http://user:hunter2@127.0.0.1:9/hook", SECRET)).new_articles(ENTRIES)
    assert "hunter2" not in caplog.text
    assert "http://***@127.0.0.1:9/hook" in caplog.text


def test_filters_pick_entries_per_destination(receiver: tuple[str, Received]) -> None:
    url, state = receiver
    by_ministry = Destination("webhook", url, SECRET, filters=Filters(ministries=("국토교통부",)))
    by_keyword = Destination("webhook", url, SECRET, filters=Filters(keywords=("예산",)))
    by_source = Destination("webhook", url, SECRET, filters=Filters(sources=("korea_kr:press",)))
    nobody = Destination("webhook", url, SECRET, filters=Filters(keywords=("없는 낱말",)))
    notifier(by_ministry, by_keyword, by_source, nobody).new_articles(ENTRIES)
    got = [[e["external_id"] for e in json.loads(body)["entries"]] for _, body in state.requests]
    assert got == [["2"], ["1"], ["2"]]


def test_events_a_destination_did_not_ask_for_are_not_sent(receiver: tuple[str, Received]) -> None:
    url, state = receiver
    only_new = Destination("webhook", url, SECRET, events=("new_articles",))
    notifier(only_new).source_state("korea_kr:policy", "error", "ok", "HTTP 500")
    assert state.requests == []


def test_apprise_json_destination_posts_to_a_local_server(receiver: tuple[str, Received]) -> None:
    pytest.importorskip("apprise")
    url, state = receiver
    apprise_url = url.replace("http://", "json://").replace("/hook", "/apprise")
    sent = notifier(Destination("apprise", apprise_url, filters=Filters(keywords=("월세",)))).new_articles(
        ENTRIES
    )
    assert [(d.attempt, d.ok) for d in sent] == [(1, True)]
    assert len(state.requests) == 1, "Apprise never reached the local server"
    payload = json.loads(state.requests[0][1])
    assert "1 new or updated article" in payload["title"]
    assert "청년 월세 지원" in payload["message"] and "예산안" not in payload["message"]


def test_notify_table_is_read_and_checked(tmp_path: Path) -> None:
    profile = tmp_path / "blog.toml"
    profile.write_text(
        '[[notify.webhooks]]\nurl = "https://hooks.example/x"\nsecret = "${S}"\n'
        '[[notify.apprise]]\nurl = "json://127.0.0.1:1"\nministries = ["기획재정부"]\n'
        'events = ["source_state"]\n'
    )
    webhook, apprise_dest = load_destinations(profile)
    assert (webhook.kind, webhook.secret) == ("webhook", "${S}")
    assert apprise_dest.filters.ministries == ("기획재정부",) and apprise_dest.events == ("source_state",)
    profile.write_text('[[notify.webhooks]]\nurl = "https://hooks.example/x"\n')
    with pytest.raises(NotifyError, match="secret is required"):
        load_destinations(profile)
    profile.write_text('[[notify.apprise]]\nurl = "json://x"\nevents = ["everything"]\n')
    with pytest.raises(NotifyError, match="unknown event"):
        load_destinations(profile)
