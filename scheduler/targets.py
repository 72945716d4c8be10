"""Naming a crawl target: `korea_kr`, `korea_kr:policy`, `feed:<name>` (from the sources file).

Apart from scheduler.crawls so that running a crawl never needs the sources file: the
modules that name targets (CLI, API, schedule) import this one.
"""

from __future__ import annotations

from crawler.registry import SOURCE_KINDS
from scheduler.crawls import CrawlTarget
from scheduler.settings import Settings
from scheduler.sources import find_feed


def parse_target(text: str, section: str | None = None, *, settings: Settings | None = None) -> CrawlTarget:
    """`korea_kr`, `korea_kr:policy` or `korea_kr` + section; ValueError names what is known.

    `feed:<name>` names a feed of the sources file (`settings.sources_file`; without settings,
    the one the environment names).
    """
    kind, _, inline = text.partition(":")
    if kind == "feed":
        if section and inline and section != inline:
            raise ValueError(f"source {text!r} and --section {section!r} disagree")
        if not (inline or section):
            raise ValueError("name the feed: feed:<name> (see `briefing sources list`)")
        feed = find_feed(settings or Settings(), inline or section or "")
        return CrawlTarget(kind, feed.section, feed.url)
    if kind not in SOURCE_KINDS:
        raise ValueError(f"unknown source {kind!r}; known sources: {', '.join(sorted(SOURCE_KINDS))}")
    sections = SOURCE_KINDS[kind].sections
    if inline and section and inline != section:
        raise ValueError(f"source {text!r} and --section {section!r} disagree")
    chosen = inline or section or sections[0]
    if chosen not in sections:
        raise ValueError(
            f"unknown section {chosen!r} for {kind}; known sections: {', '.join(sections)}"
        )
    return CrawlTarget(kind, chosen)
