"""Named failure kinds for crawling; one place maps them to stored crawl errors."""

from __future__ import annotations


class CrawlError(Exception):
    """A page could not be turned into an article; `kind` is stored with the crawl error."""

    kind = "error"

    def __init__(self, url: str, message: str) -> None:
        super().__init__(f"{message} ({url})")
        self.url = url
        self.message = message


class LayoutChanged(CrawlError):
    """The page no longer has the structure the parser knows (a required field is empty)."""

    kind = "layout_changed"

    def __init__(self, url: str, missing: str) -> None:
        super().__init__(url, f"layout changed: no {missing} found")
        self.missing = missing


class NotAnArticle(CrawlError):
    """The URL is not an article page the site parser handles."""

    kind = "not_an_article"
