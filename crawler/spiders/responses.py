"""Small readers of Scrapy responses that every spider shares."""

from __future__ import annotations

from scrapy.http import Response


def header(response: Response, name: str) -> str | None:
    """A response header as text (HTTP headers are Latin-1), None when absent or blank."""
    value = response.headers.get(name)
    return value.decode("latin-1").strip() or None if value else None
