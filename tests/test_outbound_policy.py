"""The outbound-request policy as a table (url -> allowed or refused, with its kind and reason),
plus its two Scrapy parts (middleware, resolver) driven directly.

End-to-end attacks against local servers are in tests/test_outbound_crawl.py.
"""

from __future__ import annotations

import asyncio
import ipaddress
from datetime import date
from pathlib import Path

import pytest
from scrapy.http import Request
from scrapy.settings import Settings
from twisted.internet import defer
from twisted.internet.error import DNSLookupError
from twisted.python.failure import Failure
from typer.testing import CliRunner

import crawler.middleware
from crawler.middleware import (
    BlockedAnswer,
    OutboundMiddleware,
    OutboundRefused,
    OutboundResolver,
    outbound_policy,
)
from crawler.outbound import (
    BLOCKED_ADDRESS,
    BLOCKED_SCHEME,
    BLOCKED_URL,
    BadHost,
    Origin,
    Policy,
    address_problem,
    parse_ipv4,
    scheme_refusal,
)
from crawler.protocol import CrawlOptions
from crawler.scrapy_settings import scrapy_settings
from crawler.spiders.failures import failure_kind

FEED = "http://127.0.0.1:8001/feed.xml"
POLICY = Policy.build([FEED, "https://www.korea.kr"], ["10.20.0.0/16"])


@pytest.mark.parametrize(
    ("url", "kind", "reason"),
    [
        # Only http and https.
        ("file:///etc/passwd", BLOCKED_SCHEME, "not file:"),
        ("file://localhost/etc/passwd", BLOCKED_SCHEME, "not file:"),
        ("data:text/html,<p>hi</p>", BLOCKED_SCHEME, "not data:"),
        ("ftp://127.0.0.1/x", BLOCKED_SCHEME, "not ftp:"),
        ("s3://bucket/key", BLOCKED_SCHEME, "not s3:"),
        ("gopher://127.0.0.1:6379/_INFO", BLOCKED_SCHEME, "not gopher:"),
        ("javascript:alert(1)", BLOCKED_SCHEME, "not javascript:"),
        ("//127.0.0.1/x", BLOCKED_SCHEME, "without a scheme"),
        # Loopback in every spelling.
        ("http://127.0.0.1/admin", BLOCKED_ADDRESS, "127.0.0.1 is a loopback address"),
        ("http://127.0.0.1:5432/", BLOCKED_ADDRESS, "127.0.0.1 is a loopback address"),
        ("http://127.0.0.1:8002/", BLOCKED_ADDRESS,
         "http://127.0.0.1:8002 is not a configured origin (configured: http://127.0.0.1:8001, https://www.korea.kr)"),
        ("https://127.0.0.1:8001/feed.xml", BLOCKED_ADDRESS, "loopback"),  # another scheme: another origin
        ("http://2130706433/", BLOCKED_ADDRESS, "127.0.0.1 is a loopback"),
        ("http://0x7f000001/", BLOCKED_ADDRESS, "127.0.0.1 is a loopback"),
        ("http://0x7f.1/", BLOCKED_ADDRESS, "127.0.0.1 is a loopback"),
        ("http://0177.0.0.1/", BLOCKED_ADDRESS, "127.0.0.1 is a loopback"),
        ("http://0177.1/", BLOCKED_ADDRESS, "127.0.0.1 is a loopback"),
        ("http://127.1/", BLOCKED_ADDRESS, "127.0.0.1 is a loopback"),
        ("http://127.0.1/", BLOCKED_ADDRESS, "127.0.0.1 is a loopback"),
        ("http://127.0.0.1./", BLOCKED_ADDRESS, "127.0.0.1 is a loopback"),
        ("http://127.255.255.254/", BLOCKED_ADDRESS, "loopback"),
        ("http://[::1]/", BLOCKED_ADDRESS, "::1 is a loopback"),
        ("http://[::ffff:127.0.0.1]/", BLOCKED_ADDRESS, "127.0.0.1 is a loopback"),  # IPv4-mapped
        ("http://[::ffff:7f00:1]:5432/", BLOCKED_ADDRESS, "127.0.0.1 is a loopback"),
        ("http://[64:ff9b::7f00:1]/", BLOCKED_ADDRESS, "127.0.0.1 inside an IPv6"),
        ("http://[2002:7f00:1::]/", BLOCKED_ADDRESS, "127.0.0.1 inside an IPv6"),
        ("http://localhost/", BLOCKED_ADDRESS, "localhost names this machine"),
        ("http://LOCALHOST.:8001/", BLOCKED_ADDRESS, "localhost names this machine"),
        ("http://admin.localhost/", BLOCKED_ADDRESS, "admin.localhost names this machine"),
        ("http://ip6-localhost/", BLOCKED_ADDRESS, "names this machine"),
        # Unspecified, private, link-local, multicast, reserved and other non-public ranges.
        ("http://0.0.0.0/", BLOCKED_ADDRESS, "0.0.0.0 is an unspecified address"),
        ("http://0/", BLOCKED_ADDRESS, "0.0.0.0 is an unspecified address"),
        ("http://[::]/", BLOCKED_ADDRESS, ":: is an unspecified address"),
        ("http://0.1.2.3/", BLOCKED_ADDRESS, "private"),  # "this network"
        ("http://10.0.0.1/", BLOCKED_ADDRESS, "10.0.0.1 is a private address"),
        ("http://172.16.5.4/", BLOCKED_ADDRESS, "private"),
        ("http://192.168.1.1/", BLOCKED_ADDRESS, "private"),
        ("http://0xc0a80101/", BLOCKED_ADDRESS, "192.168.1.1 is a private address"),
        ("http://[fd00::1]/", BLOCKED_ADDRESS, "private"),
        ("http://169.254.169.254/latest/meta-data/", BLOCKED_ADDRESS, "link-local"),
        ("http://[fe80::1]/", BLOCKED_ADDRESS, "link-local"),
        ("http://224.0.0.1/", BLOCKED_ADDRESS, "multicast"),
        ("http://[ff02::1]/", BLOCKED_ADDRESS, "multicast"),
        ("http://240.0.0.1/", BLOCKED_ADDRESS, "reserved"),
        ("http://255.255.255.255/", BLOCKED_ADDRESS, "255.255.255.255 is a"),
        ("http://100.64.0.1/", BLOCKED_ADDRESS, "not a public address"),
        ("http://192.0.2.1/", BLOCKED_ADDRESS, "private"),  # documentation range
        # Hosts that are no host: refused before any parser can read them another way.
        ("http://999.1.1.1/", BLOCKED_URL, "not an IPv4 address"),
        ("http://1.2.3.4.5/", BLOCKED_URL, "not an IPv4 address"),
        ("http://0128.0.0.1/", BLOCKED_URL, "not an octal number"),
        ("http://%31%32%37.0.0.1/", BLOCKED_URL, "not a host name"),
        ("http:///etc/passwd", BLOCKED_URL, "no host"),
        ("http://127.0.0.1:99999/", BLOCKED_URL, "not a valid URL"),
        ("http://[::1/", BLOCKED_URL, "not a valid URL"),
    ],
)
def test_refused(url: str, kind: str, reason: str) -> None:
    verdict = POLICY.check_url(url)
    assert verdict.refusal is not None, url
    assert verdict.refusal.kind == kind
    assert reason in verdict.refusal.reason
    assert not verdict.lookup


@pytest.mark.parametrize(
    ("url", "lookup"),
    [
        ("http://127.0.0.1:8001/feed.xml", False),  # the configured feed
        ("http://127.0.0.1:8001/articles/1.html", False),  # its own origin, any path
        ("HTTP://127.0.0.1:8001/", False),
        ("http://2130706433:8001/x", False),  # the same origin, spelled another way
        ("http://[::ffff:127.0.0.1]:8001/x", False),  # and another
        ("https://www.korea.kr/briefing/policyNewsView.do?newsId=1", False),
        ("https://WWW.KOREA.KR./x", False),
        ("http://10.20.3.4/", False),  # inside BRIEFING_ALLOWED_PRIVATE_NETWORKS
        ("http://10.20.3.4:5432/", False),  # the whole network is allowed, every port
        ("http://93.184.216.34/", False),  # a public address
        ("http://[2606:2800:220:1:248:1893:25c8:1946]/", False),
        ("http://www.korea.kr/x", True),  # a configured host under another scheme: DNS decides
        ("https://example.com/a", True),
        ("https://xn--3e0b707e.kr/", True),
        ("https://한국.kr/", True),
        ("https://under_score.example/", True),
    ],
)
def test_allowed(url: str, lookup: bool) -> None:
    verdict = POLICY.check_url(url)
    assert verdict.refusal is None, verdict.refusal
    assert verdict.lookup is lookup


def test_nothing_configured_refuses_every_local_origin() -> None:
    policy = Policy.build()
    assert policy.check_url(FEED).refused
    assert not policy.check_url("https://example.org/").refused


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("2130706433", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0X7F.0X0.0X0.0X1", "127.0.0.1"),
        ("0177.0.0.01", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("10.1.65535", "10.1.255.255"),
        ("0", "0.0.0.0"),
        ("0x", "0.0.0.0"),
        ("1.2.3.4.", "1.2.3.4"),
    ],
)
def test_every_ipv4_spelling_inet_aton_accepts(host: str, address: str) -> None:
    assert parse_ipv4(host) == ipaddress.IPv4Address(address)


@pytest.mark.parametrize("host", ["example.com", "1.2.3.example", "a1", "0x7g.1", "1..2", ""])
def test_names_are_not_addresses(host: str) -> None:
    assert parse_ipv4(host) is None


@pytest.mark.parametrize("host", ["256.1.1.1", "1.256.1.1", "1.2.65536", "4294967296", "1.2.3.4.5"])
def test_numbers_out_of_range_are_bad_hosts(host: str) -> None:
    with pytest.raises(BadHost):
        parse_ipv4(host)


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("8.8.8.8", None),
        ("2001:4860:4860::8888", None),
        ("127.0.0.1", "a loopback address"),
        ("::ffff:10.0.0.1", "a private address (10.0.0.1 inside an IPv6 address)"),
        ("::ffff:8.8.8.8", None),
        ("fe80::1", "a link-local address"),
        ("198.18.0.1", "a private address"),
    ],
)
def test_address_problem(address: str, problem: str | None) -> None:
    assert address_problem(ipaddress.ip_address(address)) == problem


def test_origin_is_scheme_host_and_default_port() -> None:
    assert Policy.build(["https://Example.ORG/feed"]).origins == {Origin("https", "example.org", 443)}
    assert Policy.build(["http://[::1]:8080"]).origins == {Origin("http", "::1", 8080)}
    with pytest.raises(ValueError, match="only http and https"):
        Policy.build(["file:///etc/passwd"])
    with pytest.raises(ValueError, match="BRIEFING_ALLOWED_PRIVATE_NETWORKS"):
        Policy.build([], ["10.0.0.0/33"])


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://www.korea.kr/rss/policy.xml", None),
        ("http://127.0.0.1:8001/feed.xml", None),  # configured on purpose: a local feed is fine
        ("file:///etc/passwd", "only http and https URLs are fetched, not file:"),
        ("data:application/rss+xml,<rss/>", "not data:"),
        ("ftp://example.org/feed.xml", "not ftp:"),
        ("http://", "no host"),
        ("http://exa mple.org/", "not a host name"),
    ],
)
def test_configured_urls_pass_the_scheme_and_host_checks(url: str, problem: str | None) -> None:
    refusal = scheme_refusal(url)
    if problem is None:
        assert refusal is None
    else:
        assert refusal is not None and problem in refusal.reason


# --- the resolver: every answer is checked at connect time ------------------------------


class Answers:
    """Stands in for DNS (ThreadedResolver.getHostByName) with fixed answers."""

    def __init__(self, answers: dict[str, str]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    def lookup(self, name: str) -> defer.Deferred[str]:
        self.asked.append(name)
        if name not in self.answers:
            return defer.fail(DNSLookupError(name))
        return defer.succeed(self.answers[name])


def resolve_now(resolver: OutboundResolver, name: str) -> str | Failure:
    results: list[str | Failure] = []
    resolver.getHostByName(name).addBoth(results.append)
    return results[0]


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> Answers:
    from twisted.internet.base import ThreadedResolver

    fake = Answers({
        "rebind.test": "127.0.0.1",
        "intranet.test": "10.1.2.3",
        "lab.test": "10.20.0.7",
        "public.test": "93.184.216.34",
        "feeds.test": "127.0.0.1",
        "127.0.0.1": "127.0.0.1",
        "2130706433": "127.0.0.1",
    })
    monkeypatch.setattr(ThreadedResolver, "getHostByName", lambda _self, name, timeout=(): fake.lookup(name))
    return fake


def make_resolver(policy: Policy) -> OutboundResolver:
    return OutboundResolver(reactor=None, cache_size=0, timeout=5, policy=policy)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "allowed"),
    [
        ("public.test", True),
        ("rebind.test", False),  # a DNS name that resolves to 127.0.0.1
        ("intranet.test", False),
        ("2130706433", False),  # Twisted hands IP literals to the resolver too
        ("127.0.0.1", False),
        ("lab.test", True),  # inside the allowed network
        ("feeds.test", True),  # the host of a configured origin
    ],
)
def test_resolver_refuses_private_answers_at_connect_time(answers: Answers, name: str, allowed: bool) -> None:
    policy = Policy.build(["http://feeds.test:8001/feed.xml"], ["10.20.0.0/16"])
    result = resolve_now(make_resolver(policy), name)
    if allowed:
        assert result == answers.answers[name]
    else:
        assert isinstance(result, Failure) and result.check(BlockedAnswer)
        assert isinstance(result.value, DNSLookupError)  # Twisted then never connects
        assert "resolves to" in result.value.reason


def test_resolver_checks_every_answer_even_from_its_cache(answers: Answers) -> None:
    resolver = OutboundResolver(reactor=None, cache_size=100, timeout=5, policy=Policy.build())  # type: ignore[arg-type]
    assert isinstance(resolve_now(resolver, "rebind.test"), Failure)
    assert isinstance(resolve_now(resolver, "rebind.test"), Failure)


# --- the middleware ----------------------------------------------------------------------


def run_middleware(policy: Policy, url: str) -> OutboundRefused | None:
    middleware = OutboundMiddleware(policy)
    try:
        asyncio.run(middleware.process_request(Request(url)))
    except OutboundRefused as exc:
        return exc
    return None


def test_middleware_refuses_before_sending_with_the_named_kind() -> None:
    refused = run_middleware(POLICY, "http://127.0.0.1:5432/")
    assert refused is not None and refused.kind == BLOCKED_ADDRESS
    assert failure_kind(Failure(refused)) == (BLOCKED_ADDRESS, refused.reason)
    refused = run_middleware(POLICY, "file:///etc/passwd")
    assert refused is not None and failure_kind(Failure(refused))[0] == BLOCKED_SCHEME
    assert run_middleware(POLICY, FEED) is None


def test_middleware_judges_a_name_by_the_address_it_resolves_to(
    answers: Answers, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = Policy.build(["http://feeds.test:8001/"], ["10.20.0.0/16"])
    resolver = make_resolver(policy)
    monkeypatch.setattr(crawler.middleware, "resolve", resolver.getHostByName)
    refused = run_middleware(policy, "http://rebind.test/admin")
    assert refused is not None and refused.kind == BLOCKED_ADDRESS
    assert "rebind.test resolves to 127.0.0.1, a loopback address" in refused.reason
    # A configured host on another port: its private answer is not enough.
    refused = run_middleware(policy, "http://feeds.test:5432/")
    assert refused is not None and "feeds.test resolves to 127.0.0.1" in refused.reason
    answers.asked.clear()
    assert run_middleware(policy, "http://feeds.test:8001/x") is None
    assert answers.asked == []  # a configured origin is not looked up here (the resolver still checks it)
    assert run_middleware(policy, "http://public.test/") is None
    assert run_middleware(policy, "http://lab.test/") is None
    assert run_middleware(policy, "http://unknown.test/") is None  # the download reports the DNS error


def test_scrapy_settings_wire_the_policy() -> None:
    from scheduler.crawls import CrawlTarget, crawl_options
    from scheduler.settings import Settings as BriefingSettings

    briefing = BriefingSettings(_env_file=None, allowed_private_networks=["10.20.0.0/16"])  # type: ignore[call-arg]
    day = date(2026, 1, 1)
    options = crawl_options(briefing, CrawlTarget("feed", "x", FEED), day, day, None)
    settings = scrapy_settings(options)
    middlewares = settings["DOWNLOADER_MIDDLEWARES"]
    # Before robots.txt (100) and everything else Scrapy ships (the lowest is 100).
    assert middlewares["crawler.middleware.OutboundMiddleware"] < 100
    assert settings["TWISTED_DNS_RESOLVER"] == "crawler.middleware.OutboundResolver"
    assert all(settings["DOWNLOAD_HANDLERS"][s] is None for s in ("file", "data", "s3", "ftp"))
    policy = outbound_policy(Settings(settings))
    assert policy.origins == {Origin("http", "127.0.0.1", 8001)}
    assert policy.networks == (ipaddress.ip_network("10.20.0.0/16"),)
    assert CrawlOptions.from_json(options.to_json()) == options


# --- `briefing sources add` checks a feed URL with the same policy --------------------------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file:///etc/passwd", "'file:///etc/passwd' is not an http(s) URL"),
        ("data:application/rss+xml,<rss/>", "is not an http(s) URL"),
        ("ftp://example.org/feed.xml", "'ftp://example.org/feed.xml' is not an http(s) URL"),
        ("http://exa%20mple.org/feed", "is unusable: 'exa%20mple.org' is not a host name"),
        ("http://999.0.0.1/feed", "is unusable: '999.0.0.1' is not an IPv4 address"),
    ],
)
def test_sources_add_refuses_what_the_crawler_would_not_fetch(tmp_path: Path, url: str, message: str) -> None:
    from scheduler.cli import app

    env = {"BRIEFING_DATABASE_URL": f"sqlite:///{tmp_path / 'b.db'}", "BRIEFING_DATA_DIR": str(tmp_path),
           "BRIEFING_SOURCES_FILE": str(tmp_path / "sources.toml"), "COLUMNS": "300"}
    result = CliRunner().invoke(app, ["sources", "add", "x", "--url", url], env=env)
    assert result.exit_code == 2
    assert message in result.output and len(result.output.strip().splitlines()) == 1, result.output
    assert not (tmp_path / "sources.toml").exists()
    # A local feed, configured on purpose, is fine: the crawler then allows that origin.
    ok = CliRunner().invoke(app, ["sources", "add", "x", "--url", "http://127.0.0.1:8001/feed.xml"], env=env)
    assert ok.exit_code == 0, ok.output


def test_the_allowed_networks_setting_reaches_the_crawl_options() -> None:
    from scheduler.crawls import CrawlTarget, crawl_options
    from scheduler.settings import Settings

    settings = Settings(_env_file=None, allowed_private_networks=["10.20.0.0/16", "fd00::/8"])  # type: ignore[call-arg]
    options = crawl_options(settings, CrawlTarget("feed", "x", FEED), date(2026, 1, 1), date(2026, 1, 1), 1)
    assert options.settings.allowed_private_networks == ("10.20.0.0/16", "fd00::/8")
    assert CrawlOptions.from_json(options.to_json()) == options
    with pytest.raises(ValueError, match="allowed_private_networks"):
        Settings(_env_file=None, allowed_private_networks=["10.0.0.0/33"])  # type: ignore[call-arg]
