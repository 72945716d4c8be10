"""Plain dataclasses that storage returns; ORM rows never leave `storage/`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from domain.article import Article

RUN_STATUSES = ("queued", "running", "succeeded", "failed", "interrupted")


@dataclass(frozen=True, slots=True)
class StoredArticle:
    id: int
    source: str
    article: Article
    content_hash: str
    revision_count: int
    post_text: str | None
    post_hash: str | None
    first_seen_at: datetime
    last_seen_at: datetime
    updated_at: datetime

    def to_json(self) -> dict[str, object]:
        """The article fields the CLI's JSON and the HTTP API share."""
        a = self.article
        return {
            "id": self.id,
            "source": self.source,
            "external_id": a.external_id,
            "url": a.url,
            "section": a.section,
            "title": a.title,
            "subtitle": a.subtitle,
            "published_at": a.published_at.isoformat(),
            "ministry": a.ministry,
            "rep_code": a.rep_code,
            "tags": list(a.tags),
            "license": a.license,
            "license_text_only": a.license_text_only,
            "contact": a.contact,
            "images": [{"url": i.url, "caption": i.caption} for i in a.images],
            "attachments": [{"name": t.name, "url": t.url, "extension": t.extension} for t in a.attachments],
            "body_html": a.body_html,
            "revisions": self.revision_count,
            "updated_at": self.updated_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class PostWanted:
    """A stored article whose post must be (re)rendered: it is new or changed, or has no post."""

    id: int
    article: Article  # as stored (merged), the one to render
    status: str  # what the upsert counted it as: "new", "updated" or "unchanged"


@dataclass(frozen=True, slots=True)
class FailedItem:
    """An article of a batch that the database refused; the rest of the batch is stored."""

    source: str
    external_id: str
    url: str
    reason: str


@dataclass(slots=True)
class UpsertResult:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    ids: list[int] = field(default_factory=list)
    posts: list[PostWanted] = field(default_factory=list)
    failed: list[FailedItem] = field(default_factory=list)

    def add(self, other: UpsertResult) -> None:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.ids.extend(other.ids)
        self.posts.extend(other.posts)
        self.failed.extend(other.failed)


@dataclass(frozen=True, slots=True)
class CrawlRun:
    id: int
    source: str
    status: str
    trigger: str
    since: str | None
    until: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    pid: int | None
    exit_code: int | None
    reason: str | None
    seen: int
    new: int
    updated: int
    unchanged: int
    failed: int

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "source": self.source,
            "status": self.status,
            "trigger": self.trigger,
            "since": self.since,
            "until": self.until,
            "created_at": self.created_at.isoformat(),
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "exit_code": self.exit_code,
            "reason": self.reason,
            "counts": {
                "seen": self.seen,
                "new": self.new,
                "updated": self.updated,
                "unchanged": self.unchanged,
                "failed": self.failed,
            },
        }

    def summary(self) -> str:
        return (
            f"run {self.id} {self.source} {self.status}: seen {self.seen}, new {self.new}, "
            f"updated {self.updated}, unchanged {self.unchanged}, failed {self.failed}"
            + (f" ({self.reason})" if self.reason and self.status != "succeeded" else "")
        )


@dataclass(frozen=True, slots=True)
class CrawlErrorRecord:
    run_id: int
    url: str
    kind: str
    reason: str
    created_at: datetime
    stage: str = "article"  # list, article, attachment, normalize, store


@dataclass(frozen=True, slots=True)
class ArticlePage:
    items: list[StoredArticle]
    next_cursor: str | None
