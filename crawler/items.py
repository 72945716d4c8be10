"""What spiders yield: a parsed article, or a page that failed with its reason."""

from __future__ import annotations

from dataclasses import dataclass

from crawler.article import Article


@dataclass(frozen=True, slots=True)
class ParsedArticle:
    article: Article


@dataclass(frozen=True, slots=True)
class FailedPage:
    url: str
    kind: str  # a named failure kind: layout_changed, http_500, timeout, ...
    reason: str
