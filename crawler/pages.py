"""Article pages parsed by the crawl's writer, off the reactor's thread.

With the writer in a process of its own (crawler/writer.py), parsing an article page on the
reactor's thread was a third of the crawl child's work, and the child's one thread was what
the crawl waited for. A spider may therefore hand the page itself (`FetchedPage`) to the
pipeline when the article needs nothing more from the site (no follow-up request depends on
what the page says); the writer parses it with the parser named by `site`, then treats the
article like one the spider parsed. A page the parser refuses is that item's failure, with its
URL, kind and reason, exactly as the spider would have yielded it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from crawler.errors import CrawlError
from crawler.items import FailedPage, ParsedArticle
from domain.article import Article


@dataclass(frozen=True, slots=True)
class FetchedPage:
    """An article page as fetched, for the writer to parse."""

    site: str  # which parser: a key of PARSERS
    url: str  # the canonical article URL
    body: bytes
    encoding: str  # the body's encoding as the crawl decoded it
    section: str
    etag: str | None = None
    last_modified: str | None = None
    # What the article's list row said, for fields the page may lack.
    ministry: str | None = None
    presenter: str | None = None

    @property
    def text(self) -> str:
        """The body decoded as Scrapy's `TextResponse.text` decodes it."""
        from w3lib.encoding import html_to_unicode

        return html_to_unicode(f"charset={self.encoding}", self.body)[1]


def _korea_kr(page: FetchedPage) -> Article:
    from crawler.sites import korea_kr

    article = korea_kr.parse_article(page.text, page.url, section=page.section)
    return with_list_fields(article, page.ministry, page.presenter)


def with_list_fields(article: Article, ministry: str | None, presenter: str | None) -> Article:
    """Fields a korea.kr view page may lack but its list row states (briefings: ministry, presenter)."""
    from crawler.sites import korea_kr
    from crawler.sites.korea_kr_press import with_speaker

    if not article.ministry and ministry:
        article = article.with_changes(ministry=ministry)
    if article.section in korea_kr.BRIEFING_SECTIONS and not article.speaker:
        article = with_speaker(article, presenter)
    return article


PARSERS: dict[str, Callable[[FetchedPage], Article]] = {"korea_kr": _korea_kr}


def parse_page(page: FetchedPage) -> ParsedArticle | FailedPage:
    """The page's article, or the failure the spider would have yielded for it."""
    try:
        article = PARSERS[page.site](page)
    except CrawlError as exc:
        return FailedPage(page.url, exc.kind, exc.message)
    except Exception as exc:  # a parser bug: this page's failure, not the batch's
        reason = f"the page could not be parsed: {type(exc).__name__}: {exc}".splitlines()[0][:500]
        return FailedPage(page.url, CrawlError.kind, reason)
    return ParsedArticle(article, page.etag, page.last_modified)


def yield_counts(items: list[ParsedArticle | FailedPage]) -> Counter[str]:
    """The drift counters (crawler.drift) these items add to the crawl's Scrapy stats."""
    from crawler.drift import count_item

    counts: Counter[str] = Counter()
    stats = _CounterStats(counts)
    for item in items:
        count_item(stats, item)
    return counts


class _CounterStats:
    def __init__(self, counts: Counter[str]) -> None:
        self.counts = counts

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None:
        self.counts[key] += count
