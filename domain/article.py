"""The typed article every parser returns and every later stage consumes."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

KST = ZoneInfo("Asia/Seoul")


@dataclass(frozen=True, slots=True)
class Image:
    url: str  # absolute
    caption: str = ""  # visible caption, or the alt text when there is none


@dataclass(frozen=True, slots=True)
class Attachment:
    name: str
    url: str  # absolute
    extension: str  # lower case, no dot ("hwpx", "pdf"); "" when unknown
    file_id: str | None = None  # korea.kr's fileId: one attachment per fileId
    viewer_url: str | None = None  # its HTML viewer (바로보기), never fetched as the file


@dataclass(frozen=True, slots=True)
class Article:
    """One article as the source publishes it, before any rendering.

    `published_at` is timezone-aware (Asia/Seoul for korea.kr). `body_html` is the article's
    own body only (page chrome removed by the parser), not yet sanitized for output.
    """

    source: str  # site key, e.g. "korea_kr"; articles are unique per (source, external_id)
    external_id: str  # e.g. the korea.kr newsId
    url: str  # canonical URL
    section: str  # e.g. "policy", "press"
    title: str
    published_at: datetime
    body_html: str
    subtitles: tuple[str, ...] = ()
    ministry: str | None = None
    rep_code: str | None = None
    tags: tuple[str, ...] = ()
    images: tuple[Image, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    license_type: int | None = None  # KOGL type 1..4; None when the page states none
    license_text_only: bool = False  # the licence covers the text only (photos excluded)
    contact: str | None = None  # "문의" line, without its label
    author: str | None = None
    speaker: str | None = None  # briefings: who speaks
    embargo_until: datetime | None = None
    aliases: tuple[str, ...] = field(default=())  # other external ids of the same document
    # Where body_html came from: "page" (the article page), "api" (data.go.kr DataContents),
    # "viewer" (document viewer pages), "hwpx", "hwp", "pdf", "list" (a list page's full text),
    # "feed" (a feed entry), "extracted" (trafilatura), "summary" (a feed entry's teaser, kept
    # when its page could not be fetched). Storage keeps the better body when two
    # channels disagree (see BODY_SOURCE_RANK).
    body_source: str = "page"
    # The named, dated layout of the site parser that read the page (e.g. "press-admin2-2025");
    # None where no site parser was involved (feeds, the API).
    layout: str | None = None

    @property
    def subtitle(self) -> str:
        return "\n".join(self.subtitles)

    @property
    def license(self) -> str | None:
        return f"KOGL-{self.license_type}" if self.license_type else None

    def with_changes(self, **changes: object) -> Article:
        return replace(self, **changes)  # type: ignore[arg-type]


# Higher wins when two crawls of one article bring bodies from different channels.
BODY_SOURCE_RANK = {
    "api": 60,
    "page": 50,
    "viewer": 40,
    "hwpx": 30,
    "hwp": 25,
    "pdf": 20,
    "list": 15,
    "feed": 10,
    "extracted": 5,
    "summary": 3,  # below "extracted": the page's text replaces the teaser once it is fetched
}

_ARTICLE_FIELDS = tuple(f.name for f in fields(Article))
_RECORD_FIELDS = {cls: tuple(f.name for f in fields(cls)) for cls in (Image, Attachment)}

# Fields that are bookkeeping rather than content: a change in them is not a new revision.
_NOT_CONTENT = frozenset({"aliases", "layout"})
_NOT_ATTACHMENT_CONTENT = frozenset({"file_id", "viewer_url"})


def content_dict(article: Article) -> dict[str, object]:
    """The article as plain JSON-ready data (datetimes as ISO strings).

    What `dataclasses.asdict` gives, then datetimes as strings, without its deep copy of every
    value (the fields are immutable: strings, numbers, tuples): the writer builds this for every
    stored article, and asdict cost 0.09 ms of it.
    """
    data: dict[str, object] = {}
    for name in _ARTICLE_FIELDS:
        value = getattr(article, name)
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, tuple) and value and not isinstance(value[0], str):
            value = tuple(_record(v) for v in value)  # images, attachments
        data[name] = value
    return data


def _record(value: Image | Attachment) -> dict[str, object]:
    return {name: getattr(value, name) for name in _RECORD_FIELDS[type(value)]}


def content_hash(article: Article, data: dict[str, object] | None = None) -> str:
    """A stable hash of the article's own content; equal hashes mean no new revision.

    `data`: the article's content_dict, when the caller has it already."""
    whole = content_dict(article) if data is None else data
    data = {k: v for k, v in whole.items() if k not in _NOT_CONTENT}
    # Where a file is found again (its fileId, its viewer page) is not what the file says: leaving
    # these out keeps hashes stored before they existed equal, so an upgrade adds no revisions.
    data["attachments"] = [
        {k: v for k, v in _record(a).items() if k not in _NOT_ATTACHMENT_CONTENT} for a in article.attachments
    ]
    blob = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def article_from_dict(data: dict[str, Any]) -> Article:
    """Inverse of `content_dict`, used to rebuild an Article from a stored snapshot."""
    d = dict(data)
    for key in ("published_at", "embargo_until"):
        if isinstance(d.get(key), str):
            d[key] = datetime.fromisoformat(d[key])
    d["images"] = tuple(Image(**i) for i in d.get("images") or ())
    d["attachments"] = tuple(Attachment(**a) for a in d.get("attachments") or ())
    for key in ("subtitles", "tags", "aliases"):
        d[key] = tuple(d.get(key) or ())
    return Article(**d)
