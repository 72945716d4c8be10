"""End to end: a hostile feed tries to turn the crawler against the machine it runs on.

Two local hosts: the feed the user subscribed to (configured on purpose, so allowed) and an
"internal service" on another port of 127.0.0.1 that nothing configured. Each entry of the feed
is one attack aimed at the internal service; the real `briefing crawl` child runs once over all
of them, and each test then checks one attack: the internal service saw no request for it, no
article was stored for it, and its entry is a failed item of the named kind.

The DNS-name attack needs a name that resolves to 127.0.0.1. `localhost` would not do (the policy
refuses it by name, before any lookup), so the child gets one made-up name through
tests/fakedns/sitecustomize.py, which changes libc's answer for that name and nothing else: the
middleware, the resolver and Twisted all run as they would against a real DNS server. A control
crawl with that name configured on purpose shows the name really reaches the local server.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import storage
from storage import Database
from tests.crawl_helpers import REPO, briefing, briefing_env
from tests.local_server import LocalServer
from tests.standins.hostile import SECRET, URL_PREFIX

pytestmark = pytest.mark.slow

FAKE_NAME = "rebind.test"  # resolves to 127.0.0.1 in the crawl child (tests/fakedns)


class Hostile(LocalServer):
    @classmethod
    def start(cls) -> Hostile:
        return cls.spawn("tests.standins.hostile", ["--port", "0"], prefix=URL_PREFIX)

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def requests(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/_control/requests"))

    def set_links(self, links: list[str]) -> None:
        self._call("POST", "/_control/links", {"links": links})

    def redirect(self, path: str, to: str) -> None:
        self._call("POST", "/_control/redirect", {"path": path, "to": to})


@dataclass(frozen=True)
class Outcome:
    errors: dict[str, storage.CrawlErrorRecord]  # by URL, every source's runs
    stored: dict[str, storage.StoredArticle]  # by URL
    victim: list[dict[str, Any]]  # requests the internal service saw
    feed: list[dict[str, Any]]  # requests the subscribed feed's host saw
    sources: dict[str, str]  # source name -> `crawl` output


DATA_PAYLOAD = "DATA-URI-PAYLOAD " * 40


def attacks(victim: int, feed: str) -> dict[str, tuple[str, str]]:
    """name -> (the entry's link, the failure kind it must end as)."""
    return {
        "file": ("file:///etc/passwd", "blocked_scheme"),
        "file-localhost": ("file://localhost/etc/passwd", "blocked_scheme"),
        "data": (f"data:text/html,<p>{DATA_PAYLOAD.strip().replace(' ', '%20')}</p>", "blocked_scheme"),
        "other-port": (f"http://127.0.0.1:{victim}/admin-other-port", "blocked_address"),
        "integer": (f"http://2130706433:{victim}/admin-integer", "blocked_address"),
        "hex": (f"http://0x7f.1:{victim}/admin-hex", "blocked_address"),
        "octal": (f"http://0177.0.0.1:{victim}/admin-octal", "blocked_address"),
        "unspecified": (f"http://0.0.0.0:{victim}/admin-unspecified", "blocked_address"),
        "localhost": (f"http://localhost:{victim}/admin-localhost", "blocked_address"),
        "redirect": (f"{feed}/go-inward", "blocked_address"),  # 302 to the internal service
        "dns-name": (f"http://{FAKE_NAME}:{victim}/admin-dns-name", "blocked_address"),
    }


@pytest.fixture(scope="module")
def hosts() -> Iterator[tuple[Hostile, Hostile]]:
    feed, victim = Hostile.start(), Hostile.start()
    try:
        yield feed, victim
    finally:
        feed.stop()
        victim.stop()


@pytest.fixture(scope="module")
def outcome(hosts: tuple[Hostile, Hostile], tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    feed, victim = hosts
    tmp = tmp_path_factory.mktemp("outbound")
    db_url = f"sqlite:///{tmp / 'briefing.db'}"
    sources = tmp / "sources.toml"
    sources.write_text(
        '[[source]]\nname = "korea_kr:policy"\nenabled = false\n\n'
        f'[[source]]\nname = "feed:hostile"\nurl = "{feed.url}/feed.xml"\n\n'
        f'[[source]]\nname = "feed:inward"\nurl = "{feed.url}/moved.xml"\n\n'
        f'[[source]]\nname = "feed:named"\nurl = "http://{FAKE_NAME}:{feed.port}/feed.xml"\n',
        encoding="utf-8",
    )
    env = briefing_env(
        db_url, tmp, "http://127.0.0.1:9", BRIEFING_SOURCES_FILE=str(sources), BRIEFING_CRAWL_RETRIES="0",
        PYTHONPATH=f"{REPO / 'tests' / 'fakedns'}{os.pathsep}{REPO}", FAKE_DNS_HOSTS=f"{FAKE_NAME}=127.0.0.1",
    )
    outputs = {}
    # Control: the made-up name, configured on purpose, reaches the local feed host and is crawled.
    feed.set_links([f"http://{FAKE_NAME}:{feed.port}/articles/named.html"])
    outputs["feed:named"] = crawl(env, "feed:named")
    # The attacks, plus one honest entry on the feed's own origin.
    links = [link for link, _ in attacks(victim.port, feed.url).values()]
    feed.set_links([*links, f"{feed.url}/articles/1.html"])
    feed.redirect("/go-inward", f"{victim.url}/admin-redirect")
    feed.redirect("/robots.txt", f"{victim.url}/robots.txt")  # robots.txt requests are checked too
    feed.redirect("/moved.xml", f"{victim.url}/feed.xml")  # a feed URL that redirects inward
    outputs["feed:hostile"] = crawl(env, "feed:hostile")
    outputs["feed:inward"] = crawl(env, "feed:inward")
    db = Database(db_url)
    try:
        with db.session() as session:
            errors = {e.url: e for run in storage.list_runs(session=session)
                      for e in storage.list_errors(session=session, run_id=run.id)}
            stored = {s.article.url: s for s in storage.iter_articles(session=session)}
    finally:
        db.dispose()
    return Outcome(errors, stored, victim.requests(), feed.requests(), outputs)


def crawl(env: dict[str, str], source: str) -> str:
    result = briefing("crawl", source, env=env)
    assert "Traceback" not in result.stderr, result.stderr
    return result.stdout + result.stderr


@pytest.mark.parametrize(
    "attack", ["file", "file-localhost", "data", "other-port", "integer", "hex", "octal", "unspecified",
               "localhost", "redirect", "dns-name"])
def test_each_attack_is_refused_unfetched_and_unstored(
    attack: str, outcome: Outcome, hosts: tuple[Hostile, Hostile]
) -> None:
    feed, victim = hosts
    link, kind = attacks(victim.port, feed.url)[attack]
    assert not [r for r in outcome.victim if r["path"].endswith(attack)], outcome.victim
    assert link not in outcome.stored
    # Nothing it would have fetched was stored under any URL: the internal page names its path.
    marker = {"file": "root:", "file-localhost": "root:", "data": "DATA-URI-PAYLOAD"}.get(attack, attack)
    assert not any(marker in s.article.body_html for s in outcome.stored.values())
    recorded = link.replace(":///", "://")  # the feed parser drops the empty host of file:///
    error = outcome.errors.get(recorded)
    assert error is not None, (recorded, sorted(outcome.errors), outcome.sources)
    assert error.kind == kind, error
    if kind == "blocked_address":  # says why and where, e.g. "127.0.0.1 is a loopback address: http://…"
        assert "is not a configured origin" in error.reason
        assert f":{victim.port} is not a configured origin" in error.reason


def test_the_internal_service_saw_no_request_at_all(outcome: Outcome) -> None:
    assert outcome.victim == []


def test_the_dns_name_is_refused_for_where_it_resolves(
    outcome: Outcome, hosts: tuple[Hostile, Hostile]
) -> None:
    _, victim = hosts
    error = outcome.errors[f"http://{FAKE_NAME}:{victim.port}/admin-dns-name"]
    assert f"{FAKE_NAME} resolves to 127.0.0.1, a loopback address" in error.reason


def test_a_feed_url_that_redirects_inward_fails_with_the_named_kind(
    outcome: Outcome, hosts: tuple[Hostile, Hostile]
) -> None:
    feed, victim = hosts
    error = outcome.errors[f"{feed.url}/moved.xml"]
    assert error.kind == "blocked_address" and error.reason.startswith("feed: 127.0.0.1 is a loopback")
    # The source's state carries the run's reason, which names the refusal.
    state = outcome.sources["feed:inward"]
    assert "feed:inward is error: could not read the source: " in state, state
    assert f"feed: 127.0.0.1 is a loopback address: {victim.url}" in state, state


def test_robots_txt_redirects_are_checked_too(outcome: Outcome) -> None:
    assert {"path": "/robots.txt", "host": outcome.feed[0]["host"]} in outcome.feed  # it was asked for
    assert not [r for r in outcome.victim if r["path"] == "/robots.txt"]


def test_the_configured_origin_still_crawls(outcome: Outcome, hosts: tuple[Hostile, Hostile]) -> None:
    feed, _ = hosts
    honest = outcome.stored[f"{feed.url}/articles/1.html"]
    assert honest.article.body_source == "extracted" and "항목" in honest.article.title
    assert f"{SECRET} /articles/1.html" in honest.article.body_html
    # The control crawl: the made-up name, configured as the feed's URL, was fetched and stored.
    assert f"http://{FAKE_NAME}:{feed.port}/articles/named.html" in outcome.stored
    assert {"path": "/articles/named.html", "host": f"{FAKE_NAME}:{feed.port}"} in outcome.feed


# --- what each layer really does, seen from inside a real Scrapy crawl (tests/outbound_probe.py) --


def probe(base_url: str, urls: list[str], *, without_middleware: bool = False) -> list[dict[str, Any]]:
    config = {"base_url": base_url, "urls": urls, "without_middleware": without_middleware}
    env = {**os.environ, "PYTHONPATH": f"{REPO / 'tests' / 'fakedns'}{os.pathsep}{REPO}",
           "FAKE_DNS_HOSTS": f"{FAKE_NAME}=127.0.0.1"}
    result = subprocess.run([sys.executable, "-m", "tests.outbound_probe", json.dumps(config)], cwd=REPO,
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_redirects_and_robots_txt_pass_through_the_middleware(hosts: tuple[Hostile, Hostile]) -> None:
    feed, victim = hosts
    feed.redirect("/probe-redirect", f"{victim.url}/admin-probe")
    feed.redirect("/robots.txt", f"{victim.url}/robots.txt")
    events = probe(feed.url, [f"{feed.url}/probe-redirect"])
    seen = [e["seen"] for e in events if "seen" in e]
    # robots.txt of the feed's host, its redirect, the page and its redirect: all judged.
    assert set(seen) == {f"{feed.url}/robots.txt", f"{victim.url}/robots.txt", f"{feed.url}/probe-redirect",
                         f"{victim.url}/admin-probe"}
    [failed] = [e for e in events if "failed" in e]
    assert (failed["failed"], failed["kind"]) == (f"{victim.url}/admin-probe", "blocked_address")
    assert victim.requests() == []


def test_the_resolver_alone_refuses_every_spelling_at_connect_time(hosts: tuple[Hostile, Hostile]) -> None:
    """Without the middleware, Twisted still hands every host (IP literals too) to the crawl's
    resolver, which refuses the answer: no connection is made (the item fails as a DNS error)."""
    _, victim = hosts
    urls = [f"http://{host}:{victim.port}/admin-connect" for host in
            ("127.0.0.1", "2130706433", "0x7f.1", "0.0.0.0", "localhost", FAKE_NAME)]
    events = probe("http://configured.test:8001", urls, without_middleware=True)
    assert not [e for e in events if "seen" in e or "ok" in e]
    failed = {e["failed"]: e["error"] for e in events if "failed" in e}
    assert failed == dict.fromkeys(urls, "CannotResolveHostError")
    assert victim.requests() == []


# --- what the user configured on purpose still works -----------------------------------------


def test_a_configured_local_site_crawls_normally(replica_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The korea.kr replica on 127.0.0.1 as the base URL: every page, attachment and robots.txt
    of that origin is fetched as before."""
    site = replica_factory(articles=6, start=date(2026, 11, 18), days=2)
    db_url = f"sqlite:///{tmp_path / 'replica.db'}"
    env = briefing_env(db_url, tmp_path, site.url)
    result = briefing("crawl", "korea_kr", "--section", "policy", "--since", "2026-11-18", "--until",
                      "2026-11-19", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "new 6," in result.stdout and "failed 0" in result.stdout, result.stdout
    assert "blocked_" not in result.stdout + result.stderr


def test_an_allowed_private_network_is_reached(tmp_path: Path) -> None:
    """BRIEFING_ALLOWED_PRIVATE_NETWORKS opens a network on purpose: the same inward link is fetched."""
    with Hostile.start() as feed, Hostile.start() as inside:
        feed.set_links([f"http://127.0.0.1:{inside.port}/wiki/page"])
        sources = tmp_path / "sources.toml"
        sources.write_text(f'[[source]]\nname = "feed:lan"\nurl = "{feed.url}/feed.xml"\n', encoding="utf-8")
        db_url = f"sqlite:///{tmp_path / 'lan.db'}"
        env = briefing_env(db_url, tmp_path, "http://127.0.0.1:9", BRIEFING_CRAWL_RETRIES="0",
                           BRIEFING_SOURCES_FILE=str(sources))
        refused = briefing("crawl", "feed:lan", env=env)
        assert "failed 1" in refused.stdout and "[blocked_address]" in refused.stderr, refused.stdout
        assert inside.requests() == []
        lan = {"BRIEFING_ALLOWED_PRIVATE_NETWORKS": '["127.0.0.0/8"]'}
        allowed = briefing("crawl", "feed:lan", env=env | lan)
        assert "new 1," in allowed.stdout and "failed 0" in allowed.stdout, allowed.stdout + allowed.stderr
        assert {"path": "/wiki/page", "host": f"127.0.0.1:{inside.port}"} in inside.requests()
