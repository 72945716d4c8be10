"""What spiders yield: a parsed article, an unchanged one (304), a page that failed with its reason,
a note on an item kept despite a failure, and what a crawl learnt about its source."""

from __future__ import annotations

from dataclasses import dataclass

from domain.article import Article


@dataclass(frozen=True, slots=True)
class ParsedArticle:
    article: Article
    # The article page's HTTP validators, stored for the next crawl's conditional request.
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class NotModified:
    """The site answered 304 to a conditional request: the stored article is current."""

    source: str
    external_id: str
    url: str


@dataclass(frozen=True, slots=True)
class FailedPage:
    url: str
    kind: str  # a named failure kind: layout_changed, http_500, timeout, ...
    reason: str
    # Where in the crawl it failed: "list" (a list page or feed document), "article" (an article
    # page or feed entry), "attachment", "normalize", "store". A run whose every list page failed
    # could not reach its source at all.
    stage: str = "article"


@dataclass(frozen=True, slots=True)
class ItemNote:
    """Something went wrong for an item that is still stored (e.g. a feed entry whose linked page
    failed keeps the feed's own text): recorded with the run's errors, not counted as failed."""

    url: str
    kind: str
    reason: str
    stage: str = "article"


@dataclass(frozen=True, slots=True)
class SourceCheck:
    """What a crawl learnt about its source (a feed): stored by the pipeline when the crawl
    finishes with its items stored, so a crawl killed half-way never leaves validators that
    would hide unstored entries."""

    source: str
    kind: str  # the source kind, e.g. "feed"
    url: str
    status: str  # ok, dead, error
    error: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False  # a 304: the stored validators stay
