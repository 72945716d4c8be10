"""An Atom 1.0 document (RFC 4287) of stored articles, built with xml.etree."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from storage import StoredArticle

ATOM = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml"
DEFAULT_AUTHOR = "정책브리핑"

# Characters XML 1.0 cannot carry at all, even escaped; a stray one would make the feed unreadable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _text(value: str) -> str:
    return _NOT_XML.sub("", value)


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", {k: _text(v) for k, v in attrs.items()})
    if text is not None:
        element.text = _text(text)
    return element


def atom_feed(
    items: Sequence[StoredArticle], *, self_url: str, title: str, now: datetime | None = None
) -> bytes:
    """The feed as UTF-8 bytes; `self_url` is the feed's own address and its id."""
    feed = ET.Element(f"{{{ATOM}}}feed")
    _add(feed, "id", self_url)
    _add(feed, "title", title)
    newest = max((s.updated_at for s in items), default=now or datetime.now(UTC))
    _add(feed, "updated", _stamp(newest))
    _add(feed, "link", rel="self", type=MEDIA_TYPE, href=self_url)
    _add(feed, "generator", "briefing")
    for stored in items:
        feed.append(_entry(stored))
    ET.register_namespace("", ATOM)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _entry(stored: StoredArticle) -> ET.Element:
    article = stored.article
    entry = ET.Element(f"{{{ATOM}}}entry")
    # The canonical URL is stable across revisions, which is what an entry id must be.
    _add(entry, "id", article.url)
    _add(entry, "title", article.title)
    _add(entry, "link", rel="alternate", type="text/html", href=article.url)
    _add(entry, "published", _stamp(article.published_at))
    _add(entry, "updated", _stamp(max(stored.updated_at, article.published_at)))
    author = _add(entry, "author")
    _add(author, "name", article.ministry or DEFAULT_AUTHOR)
    _add(entry, "category", term=article.section)
    if article.subtitle:
        _add(entry, "summary", article.subtitle, type="text")
    _add(entry, "content", article.body_html, type="html")
    return entry
