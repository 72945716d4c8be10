"""Spider registry: crawl target kind -> spider class (imported lazily: Scrapy is heavy)."""

from __future__ import annotations

from importlib import import_module
from typing import Any

SPIDERS = {
    "korea_kr": "crawler.spiders.korea_kr:KoreaKrSpider",
    "korea_kr_api": "crawler.spiders.korea_kr_api:KoreaKrApiSpider",
    "feed": "crawler.spiders.feed:FeedSpider",
}


def spider_class(kind: str) -> Any:
    try:
        module, _, name = SPIDERS[kind].partition(":")
    except KeyError:
        raise ValueError(f"unknown source kind {kind!r}; known: {sorted(SPIDERS)}") from None
    return getattr(import_module(module), name)
