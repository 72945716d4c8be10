"""GET /feed.xml: the latest articles as an Atom 1.0 feed (RFC 4287), written with xml.etree.

The feed's id and self link start with the configured public URL (BRIEFING_PUBLIC_URL), never with
the request's Host header, which any client can set. Every string goes through `scheduler.safe`:
titles and names as plain text, the content as the posts' sanitized HTML, links as http(s) URLs only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlencode
from xml.etree import ElementTree as ET

from fastapi import APIRouter, Query, Request, Response

from scheduler.api.deps import FilterDep, PartsDep
from scheduler.safe import plain_text_lines, safe_html, safe_text, safe_url
from storage import StoredArticle, list_articles

ATOM = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml"
DEFAULT_AUTHOR = "정책브리핑"
FEED_TITLE = "briefing: 정책브리핑"
# The parameters that shape the feed, in the order its id spells them.
FEED_PARAMS = ("q", "source", "ministry", "category", "since", "until", "limit")

router = APIRouter(tags=["articles"])


@router.get(
    "/feed.xml",
    response_class=Response,
    responses={200: {"content": {MEDIA_TYPE: {}}, "description": "Atom 1.0 feed."}},
)
def feed_xml(
    request: Request,
    parts: PartsDep,
    where: FilterDep,
    limit: Annotated[int, Query(ge=1, le=100, description="Entries, newest first.")] = 50,
) -> Response:
    """The latest articles as an Atom feed; filters as for /articles."""
    with parts.db.session(read_only=True) as session:
        page = list_articles(session=session, where=where, limit=limit)
    body = atom_feed(page.items, self_url=feed_url(parts.public_url, request), title=FEED_TITLE)
    return Response(body, media_type=MEDIA_TYPE)


def feed_url(public_url: str, request: Request) -> str:
    """This feed's address: the public base, the path, and only the parameters that shape it."""
    given = [(name, request.query_params[name]) for name in FEED_PARAMS if name in request.query_params]
    return f"{public_url}/feed.xml" + (f"?{urlencode(given)}" if given else "")


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
    """The feed as UTF-8 bytes; `self_url` is the feed's own address and its id.

    `self_url` must come from configuration (BRIEFING_PUBLIC_URL), never from a request's Host.
    """
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
    link = safe_url(article.url)
    # The canonical URL is stable across revisions, which is what an entry id must be; an entry
    # whose URL is not a web address still needs a stable, valid id.
    _add(entry, "id", link or f"urn:briefing:article:{stored.id}")
    _add(entry, "title", safe_text(article.title) or "")
    if link:
        _add(entry, "link", rel="alternate", type="text/html", href=link)
    _add(entry, "published", _stamp(article.published_at))
    _add(entry, "updated", _stamp(max(stored.updated_at, article.published_at)))
    author = _add(entry, "author")
    _add(author, "name", safe_text(article.ministry) or DEFAULT_AUTHOR)
    term = safe_text(article.section)
    if term:
        _add(entry, "category", term=term)
    summary = plain_text_lines(article.subtitle)
    if summary:
        _add(entry, "summary", summary, type="text")
    _add(entry, "content", safe_html(article.body_html), type="html")
    return entry
