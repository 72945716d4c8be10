"""The replica's truth: articles as the site publishes them, and the site that holds them."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
from html.parser import HTMLParser
from typing import TYPE_CHECKING, NamedTuple
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from .briefing_room import RoomItem

KST = ZoneInfo("Asia/Seoul")
WWW = "https://www.korea.kr"
# A list page with no dates shows this many days, ending on the site's last day.
DEFAULT_LIST_DAYS = 7


class ReplicaImage(NamedTuple):
    url: str  # absolute, on https://www.korea.kr (the page itself uses a relative src)
    caption: str  # the same text is the img alt and the visible caption after it


class ReplicaAttachment(NamedTuple):
    name: str
    url: str  # absolute, https://www.korea.kr/common/download.do?fileId=<n>&tblKey=GMN
    extension: str  # lower case, no dot


@dataclass(frozen=True)
class ReplicaArticle:
    """One policy-news article: what a correct crawler must extract from its page.

    `published_at` is aware (Asia/Seoul). The page shows only the date; the time of day comes
    from ld+json `datePublished`. When ld+json is missing or invalid (`ld_json` != "ok") the
    truth time is 00:00 KST of the page date, and `tags` and `author` are empty, since the
    page states them nowhere else.

    `body_paragraphs` are the texts of the body's prose `<p>` elements in order; image
    captions, table cells and the "문의 :" line are not among them (see `images`, `body_html`,
    `contact`). `body_html` is exactly what the page puts inside `div.view_cont`.
    """

    news_id: str
    section: str
    title: str
    subtitles: tuple[str, ...]
    published_at: datetime
    ministry: str
    rep_code: str
    tags: tuple[str, ...]
    license_type: int | None
    license_text_only: bool
    images: tuple[ReplicaImage, ...]
    attachments: tuple[ReplicaAttachment, ...]
    contact: str | None
    body_paragraphs: tuple[str, ...]
    body_html: str
    author: str | None
    # How the page and the lists present the article; chosen by the generator, read by renderers.
    ld_json: str = "ok"  # "ok" | "missing" | "invalid"
    og_suffix: bool = False  # og:title ends with " | 정책뉴스 | 대한민국 정책브리핑"
    link_style: str = "plain"  # how list pages link it: plain, mobile, admin, www2, jsession
    pinned: bool = False  # list pages show it a second time, 11 rows further down
    modified_at: datetime | None = None  # Last-Modified; None = published_at

    @property
    def canonical_url(self) -> str:
        return f"{WWW}/news/policyNewsView.do?newsId={self.news_id}"

    @property
    def day(self) -> date:
        return self.published_at.astimezone(KST).date()

    @property
    def last_modified(self) -> datetime:
        return self.modified_at or self.published_at

    def to_json(self) -> dict[str, object]:
        """The truth as JSON-ready data: ISO datetimes; tuples (images and attachments too) as lists."""
        data = dataclasses.asdict(self)
        data["images"] = [list(i) for i in self.images]  # [url, caption]
        data["attachments"] = [list(a) for a in self.attachments]  # [name, url, extension]
        data["published_at"] = self.published_at.isoformat()
        data["modified_at"] = self.last_modified.isoformat()
        data["canonical_url"] = self.canonical_url
        for key in ("subtitles", "tags", "body_paragraphs"):
            data[key] = list(data[key])
        return data

    def etag(self, *flags: str) -> str:
        """A strong validator over the article's own content (never the page chrome)."""
        blob = json.dumps([self.to_json(), sorted(flags)], ensure_ascii=False, sort_keys=True)
        return '"' + hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32] + '"'

    def with_changes(self, *, title: str | None = None, body_append: str | None = None,
                     subtitles: list[str] | None = None, now: datetime) -> ReplicaArticle:
        """A revised copy, as when the newsroom edits a published article."""
        changes: dict[str, object] = {}
        if title is not None:
            changes["title"] = title
        if subtitles is not None:
            changes["subtitles"] = tuple(subtitles)
        if body_append:
            changes["body_html"] = self.body_html + body_append
            changes["body_paragraphs"] = self.body_paragraphs + paragraph_texts(body_append)
        # Strictly later than before, so If-Modified-Since from an earlier fetch never matches.
        modified = max(now, self.last_modified + timedelta(seconds=1)).replace(microsecond=0)
        return dataclasses.replace(self, modified_at=modified, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Site:
    """All articles of one replica, oldest first, with the date range they span.

    `articles` are the policy news; the briefing room's sections live in `press`, `briefings`
    and `facts` (see briefing_room.py).
    """

    articles: tuple[ReplicaArticle, ...]
    start: date
    days: int
    seed: int
    press: tuple[RoomItem, ...] = ()
    briefings: tuple[RoomItem, ...] = ()
    facts: tuple[RoomItem, ...] = ()

    @property
    def last_day(self) -> date:
        return self.start + timedelta(days=self.days - 1)

    @property
    def default_window(self) -> tuple[date, date]:
        return self.last_day - timedelta(days=DEFAULT_LIST_DAYS - 1), self.last_day

    @cached_property
    def by_id(self) -> dict[str, ReplicaArticle]:
        return {a.news_id: a for a in self.articles}

    def get(self, news_id: str) -> ReplicaArticle | None:
        return self.by_id.get(news_id)

    def section_items(self, section: str) -> tuple[ReplicaArticle | RoomItem, ...]:
        items = {"policy": self.articles, "press": self.press, "briefing": self.briefings, "fact": self.facts}
        return items[section]  # type: ignore[return-value]

    @cached_property
    def room_by_id(self) -> dict[str, RoomItem]:
        return {i.news_id: i for i in (*self.press, *self.briefings, *self.facts)}

    def room_get(self, section: str, news_id: str) -> RoomItem | None:
        item = self.room_by_id.get(news_id)
        return item if item is not None and item.section == section else None

    def find(self, news_id: str) -> ReplicaArticle | RoomItem | None:
        """The article with this newsId in any section."""
        return self.by_id.get(news_id) or self.room_by_id.get(news_id)

    def articles_between(self, since: date, until: date,
                         section: str = "policy") -> list[ReplicaArticle | RoomItem]:
        """Articles whose KST date lies in [since, until], newest first as list pages show them."""
        found = [a for a in self.section_items(section) if since <= a.day <= until]
        # By newsId, which rises with the real publication time (the truth time of an article
        # without ld+json is midnight, which would misplace it within its day).
        return sorted(found, key=lambda a: int(a.news_id), reverse=True)

    def neighbours(self, news_id: str) -> tuple[ReplicaArticle | None, ReplicaArticle | None]:
        """The previous (older) and next (newer) article, for the page's 이전기사/다음기사 links."""
        ids = [a.news_id for a in self.articles]
        i = ids.index(news_id)
        older = self.articles[i - 1] if i > 0 else None
        newer = self.articles[i + 1] if i + 1 < len(ids) else None
        return older, newer

    def replace(self, article: ReplicaArticle | RoomItem) -> Site:
        field = {"policy": "articles", "press": "press", "briefing": "briefings",
                 "fact": "facts"}[article.section]
        items = tuple(article if a.news_id == article.news_id else a for a in getattr(self, field))
        return dataclasses.replace(self, **{field: items})  # type: ignore[arg-type]

    def find_attachment(self, file_id: str) -> ReplicaAttachment | None:
        url = download_url(file_id)
        return next((f for a in self.articles for f in a.attachments if f.url == url), None)

    def room_attachment(self, file_id: str) -> tuple[RoomItem, ReplicaAttachment] | None:
        """A press release's or fact-check's attachment and the item it belongs to."""
        url = download_url(file_id)
        owned = ((item, f) for item in self.room_by_id.values() for f in item.attachments)
        return next(((item, f) for item, f in owned if f.url == url), None)


def download_url(file_id: str | int) -> str:
    return f"{WWW}/common/download.do?fileId={file_id}&tblKey=GMN"


class _ParagraphText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self._current: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "p":
            self._current = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "p" and self._current is not None:
            text = " ".join("".join(self._current).split())
            if text:
                self.paragraphs.append(text)
            self._current = None

    def handle_data(self, data: str) -> None:
        if self._current is not None:
            self._current.append(data)


def paragraph_texts(html: str) -> tuple[str, ...]:
    """The plain text of each `<p>` in an HTML fragment (what a mutation adds to the truth)."""
    parser = _ParagraphText()
    parser.feed(html)
    parser.close()
    return tuple(parser.paragraphs)
