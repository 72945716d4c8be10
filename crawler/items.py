"""What spiders yield: a parsed article, an unchanged one (304), or a page that failed with its reason."""

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
