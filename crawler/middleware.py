"""Downloader middlewares and the crawl's DNS resolver.

- BackoffRetryMiddleware: Scrapy's retry policy with exponential back-off and Retry-After.
- OutboundMiddleware and OutboundResolver: the outbound-request policy (crawler.outbound),
  before each request and again at connect time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any, NoReturn

from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.resolver import CachingThreadedResolver
from scrapy.statscollectors import StatsCollector
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.response import response_status_message
from twisted.internet.base import ReactorBase
from twisted.internet.defer import Deferred
from twisted.internet.error import DNSLookupError

from crawler.outbound import BLOCKED_ADDRESS, Policy, Refusal

logger = logging.getLogger(__name__)

MAX_BACKOFF = 60.0


def backoff_delay(attempt: int, base: float, retry_after: str | None = None) -> float:
    """Seconds to wait before retry number `attempt` (1-based); Retry-After wins when sane."""
    if retry_after and retry_after.strip().isdigit():
        return min(float(retry_after.strip()), MAX_BACKOFF)
    return min(base * (2 ** (attempt - 1)), MAX_BACKOFF)


class BackoffRetryMiddleware(RetryMiddleware):
    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.base = settings.getfloat("BRIEFING_RETRY_BACKOFF", 2.0)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffRetryMiddleware:
        o = cls(crawler.settings)
        o.crawler = crawler
        return o

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response, spider: Any = None
    ) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        header = response.headers.get("Retry-After")
        await asyncio.sleep(
            backoff_delay(retry.meta.get("retry_times", 1), self.base, header.decode() if header else None)
        )
        return retry

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception, spider: Any = None
    ) -> Request | Response | None:
        if not isinstance(exception, self.exceptions_to_retry) or request.meta.get("dont_retry", False):
            return None
        retry = self._retry(request, exception)
        if retry is not None:
            await asyncio.sleep(backoff_delay(retry.meta.get("retry_times", 1), self.base))
        return retry


class OutboundRefused(IgnoreRequest):
    """The outbound-request policy (crawler.outbound) refused a request; it was never sent."""

    def __init__(self, url: str, refusal: Refusal) -> None:
        super().__init__(f"{refusal.kind}: {refusal.reason} ({url})")
        self.url = url
        self.kind = refusal.kind
        self.reason = refusal.reason


def outbound_policy(settings: Any) -> Policy:
    """The crawl's policy from its Scrapy settings (filled by crawler.scrapy_settings)."""
    return Policy.build(
        settings.getlist("BRIEFING_ALLOWED_ORIGINS"), settings.getlist("BRIEFING_ALLOWED_NETWORKS")
    )


class OutboundMiddleware:
    """Every request the crawl makes passes here first (redirects and robots.txt included).

    Scheme, literal addresses and origins are judged from the URL; a DNS name outside the
    configured origins is looked up (through the crawl's resolver, whose cache the connection
    then uses) and judged by its address. A refusal fails the request with OutboundRefused,
    which reaches the request's errback and becomes a failed item of its named kind.
    """

    def __init__(self, policy: Policy, stats: StatsCollector | None = None) -> None:
        self.policy = policy
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> OutboundMiddleware:
        return cls(outbound_policy(crawler.settings), crawler.stats)

    async def process_request(self, request: Request) -> None:
        verdict = self.policy.check_url(request.url)
        if verdict.refusal is not None:
            self._refuse(request, verdict.refusal)
        if verdict.lookup:
            assert verdict.origin is not None
            try:
                address = await maybe_deferred_to_future(resolve(verdict.origin.host))
            except BlockedAnswer as exc:
                self._refuse(request, self.policy.refusal_for_answer(verdict.origin, exc.address)
                             or Refusal(BLOCKED_ADDRESS, exc.reason))
            except DNSLookupError:
                return  # not ours to judge: the download fails as a DNS error, as it always did
            refusal = self.policy.refusal_for_answer(verdict.origin, address)
            if refusal is not None:
                self._refuse(request, refusal)

    def _refuse(self, request: Request, refusal: Refusal) -> NoReturn:
        logger.warning("refused %s: %s (%s)", request.url, refusal.reason, refusal.kind)
        if self.stats is not None:
            self.stats.inc_value(f"briefing/outbound/{refusal.kind}")
        raise OutboundRefused(request.url, refusal)


def resolve(host: str) -> Deferred[str]:
    """The address the crawl's resolver (OutboundResolver, installed by Scrapy) gives `host`."""
    from twisted.internet import reactor

    resolver = reactor.resolver  # type: ignore[attr-defined]
    return resolver.getHostByName(host)  # type: ignore[no-any-return]


class BlockedAnswer(DNSLookupError):
    """The resolver refused to hand out a non-public address for a host not configured on purpose.

    A DNSLookupError, so Twisted's connection code treats the host as unresolvable: no
    connection is ever attempted to the address.
    """

    def __init__(self, host: str, address: str, reason: str) -> None:
        super().__init__(reason)
        self.host = host
        self.address = address
        self.reason = reason


class OutboundResolver(CachingThreadedResolver):
    """Scrapy's caching resolver, refusing at connect time every answer the policy refuses.

    Every connection's host goes through it, IP literals included (Twisted's HostnameEndpoint
    resolves them too), so a DNS answer that changes between the middleware's check and the
    connection (rebinding) is refused here as well.
    """

    def __init__(self, reactor: ReactorBase, cache_size: int, timeout: float, policy: Policy) -> None:
        super().__init__(reactor, cache_size, timeout)
        self.policy = policy

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: ReactorBase) -> OutboundResolver:
        # Scrapy passes the crawler process here; only its settings are read.
        settings = crawler.settings
        cache_size = settings.getint("DNSCACHE_SIZE") if settings.getbool("DNSCACHE_ENABLED") else 0
        return cls(reactor, cache_size, settings.getfloat("DNS_TIMEOUT"), outbound_policy(settings))

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Deferred[str]:  # noqa: N802
        return super().getHostByName(name, timeout).addCallback(self._check, name)

    def _check(self, address: str, name: str) -> str:
        problem = self.policy.check_answer(name, address)
        if problem is not None:
            logger.warning("refused to connect to %s: %s", name, problem)
            raise BlockedAnswer(name, address, problem)
        return address
