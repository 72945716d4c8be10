"""Request and response models of the HTTP API (they shape the OpenAPI document)."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.config import JsonDict

from storage import CrawlRun

RunStatus = Literal["queued", "running", "succeeded", "failed", "interrupted"]
DATE_TIME: JsonDict = {"format": "date-time"}
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_day(value: object) -> object:
    # pydantic would also read numbers as Unix times (`until=0` is 1970-01-01): only YYYY-MM-DD.
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DAY.fullmatch(value)):
        return value
    raise ValueError("expected a day as YYYY-MM-DD")


IsoDay = Annotated[date, BeforeValidator(_iso_day)]


class ImageOut(BaseModel):
    url: str
    caption: str


class AttachmentOut(BaseModel):
    name: str
    url: str
    extension: str


class ArticleOut(BaseModel):
    """An article with the same fields as `briefing articles list --format json`."""

    id: int
    source: str
    external_id: str
    url: str
    section: str
    title: str
    subtitle: str
    # Strings, not datetimes, so the text is exactly the CLI's (isoformat with its offset).
    published_at: str = Field(json_schema_extra=DATE_TIME)
    ministry: str | None
    rep_code: str | None
    tags: list[str]
    license: str | None
    license_text_only: bool
    contact: str | None
    images: list[ImageOut]
    attachments: list[AttachmentOut]
    body_html: str
    revisions: int = Field(description="How many revisions of the article are stored (1 = never changed).")
    updated_at: str = Field(json_schema_extra=DATE_TIME)


class ArticlesOut(BaseModel):
    items: list[ArticleOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class RunCounts(BaseModel):
    seen: int
    new: int
    updated: int
    unchanged: int
    failed: int


class RunOut(BaseModel):
    id: int
    source: str
    status: RunStatus
    trigger: str
    since: str | None
    until: str | None
    created_at: str = Field(json_schema_extra=DATE_TIME)
    started_at: str | None = Field(json_schema_extra=DATE_TIME)
    finished_at: str | None = Field(json_schema_extra=DATE_TIME)
    exit_code: int | None
    reason: str | None
    counts: RunCounts
    drift: str | None = Field(
        default=None, description="Why the run looked like a changed site (the drift alarm); null: normal."
    )


def run_out(run: CrawlRun) -> RunOut:
    return RunOut.model_validate(run.to_json())


class RunsOut(BaseModel):
    items: list[RunOut]


class FailedItemOut(BaseModel):
    """One page or entry of a run that could not be crawled or stored."""

    url: str
    stage: str | None = Field(
        description="Where it failed: list, article, attachment, normalize or store; "
        "null for errors recorded before stages were stored."
    )
    kind: str = Field(description="A named failure kind, e.g. http_404, timeout, layout_changed.")
    reason: str
    at: str = Field(json_schema_extra=DATE_TIME)


class RunDetailOut(RunOut):
    failed_items: list[FailedItemOut] = Field(description="The run's failed items, oldest first.")


class CrawlRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"source": "korea_kr:policy", "since": "2026-11-20", "until": "2026-11-22"}]
        },
    )

    source: str = Field(
        min_length=1, max_length=100, description="As in the CLI: `korea_kr` or `korea_kr:<section>`."
    )
    since: IsoDay | None = Field(None, description="First day (KST); default: the service's default window.")
    until: IsoDay | None = Field(None, description="Last day (KST), inclusive; default: today.")


class RunAccepted(BaseModel):
    run_id: int
    source: str
    status: RunStatus


class ErrorOut(BaseModel):
    detail: str
    errors: list[dict[str, Any]] | None = None


class ConflictOut(BaseModel):
    detail: str
    run_id: int = Field(description="The run already crawling this source.")


class SourceHealth(BaseModel):
    last_run: RunOut | None
    next_run_at: str | None = Field(json_schema_extra=DATE_TIME)
    state: str | None = Field(None, description="ok, error, drift or dead; null before the first check.")
    state_reason: str | None = Field(None, description="Why the state is not ok.")


class HealthOut(BaseModel):
    status: Literal["ok", "degraded"]
    database: bool
    scheduler: bool
    active_runs: dict[str, int] = Field(description="Source -> id of the run in progress.")
    sources: dict[str, SourceHealth]
    problems: list[str] = Field(
        default_factory=list, description="What is wrong, one line each (empty when status is ok)."
    )
