"""The service ↔ crawl-child protocol, defined once; both sides import this module.

In:   `CrawlOptions` as JSON on the child's standard input (never argv: `ps` shows argv to
      every user, and the options carry the database URL). Every setting the child uses travels
      inside the options, under the name it has in `scheduler.settings.Settings`; the child reads
      no environment variable for configuration (only the data.go.kr key, a secret, comes from
      the environment; see crawler/spiders/korea_kr_api.py).
Out:  one event per line on standard output, `@briefing {json}`; any other line (a library
      printing to stdout) is ignored by `parse`. The last event is `Finished`: the run's
      outcome and its reason, which the parent stores as they are. The parent never reads the
      child's log to learn why a run failed.
Exit: one `ExitCode`; it says the same as `Finished.status`, for a child that could not send
      the event (a crash before the protocol was loaded, a signal).

Run outcomes (one definition, applied by the child in `judge`):
- `failed`:  the source could not be read at all (at least one list page or feed document
  failed and none succeeded: unreachable host, DNS, 404/500 list page, a feed that times out
  or is not a feed), or the share of failed items passed `failed_share_limit`, or the
  database failed, or the source refused the crawl (an API key). The reason says which.
- `succeeded`: everything else, including a run with a few failed items (they are stored as
  crawl errors and counted in `failed`). There is no separate "degraded" status: a partial
  failure under the limit is a success with a non-zero `failed` count, one over it a failure.
- `interrupted`: stopped before finishing (a signal, a close reason other than "finished").
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from enum import IntEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

PREFIX = "@briefing "
STAGES = ("list", "article", "attachment", "normalize", "store")
RunStatus = Literal["succeeded", "failed", "interrupted"]


class ExitCode(IntEnum):
    """The crawl child's exit codes; `briefing crawl` exits with the same numbers."""

    OK = 0  # finished; the run succeeded
    CRASHED = 1  # an unexpected error (Python's own code for an uncaught exception)
    BAD_OPTIONS = 2  # the options on stdin were not valid JSON options
    STOPPED = 3  # stopped early: a signal, or a close reason other than "finished"
    STORAGE = 4  # the database failed; the crawl stopped
    REFUSED = 5  # the source refused the whole crawl (e.g. an API key missing or rejected)
    SOURCE_FAILED = 6  # the source could not be read, or too many items failed (see `judge`)


# --- options in ------------------------------------------------------------------------------


class CrawlSettings(BaseModel):
    """Every setting the child uses, named as in scheduler.settings.Settings, with no defaults:
    Settings is the only place a default is written, and the parent sends every value."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    database_url: str
    profile: Path | None  # site profile TOML; None = the built-in default
    crawl_delay: float
    crawl_concurrency: int
    crawl_autothrottle: bool
    obey_robots: bool
    user_agent: str
    crawl_timeout: float
    crawl_retries: int
    crawl_retry_backoff: float  # seconds before the first retry; doubles each time
    crawl_batch_size: int  # items per storage transaction
    crawl_flush_seconds: float  # ... or this long, whichever comes first
    crawl_writer: Literal["auto", "process", "thread"]  # where the crawl renders and stores
    attachment_max_bytes: int  # press-release attachments (HWPX, PDF)
    failed_share_limit: float  # a run whose failed share of items passes this has failed
    # Networks the crawl may reach besides its own base URL's origin (crawler/outbound.py).
    allowed_private_networks: tuple[str, ...]
    log_format: Literal["keyvalue", "json"]
    # Article pages kept as WARC for `briefing reparse` (crawler/archiving.py).
    archive: bool
    archive_dir: Path | None
    archive_max_bytes: int
    archive_retention_days: int


class CrawlOptions(BaseModel):
    """What one crawl run needs to know: the target and window, and the settings."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str  # crawl target kind, e.g. "korea_kr"
    section: str  # e.g. "policy"; for feeds, the feed's name
    since: date
    until: date
    base_url: str  # where the kind fetches; for feeds, the feed's URL
    run_id: int | None  # None: a crawl with no run row (benchmarks)
    settings: CrawlSettings

    @property
    def target(self) -> str:
        return f"{self.source}:{self.section}"

    def to_json(self) -> str:
        return self.model_dump_json()

    @classmethod
    def from_json(cls, text: str) -> CrawlOptions:
        """The options in `text`; ValueError (pydantic's ValidationError) names what is wrong."""
        return cls.model_validate_json(text)


# --- events out ------------------------------------------------------------------------------


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Discovered(_Event):
    """The spider found `count` more items to fetch (the progress bar's total)."""

    event: Literal["discovered"] = "discovered"
    count: int


class ListPageOk(_Event):
    """A list page (or feed document) was read: the source answers."""

    event: Literal["list_page"] = "list_page"
    url: str


class ItemDone(_Event):
    """One item went through the pipeline (an article, a 304, or a failure)."""

    event: Literal["item"] = "item"
    ok: bool


class ItemFailed(_Event):
    """One page or entry failed; it is also stored as the run's crawl error."""

    event: Literal["item_failed"] = "item_failed"
    url: str
    stage: str
    kind: str
    reason: str
    # True when the spider delivered the item as an article and the pipeline then failed it
    # (wrong decoding, the renderer, the database): it was counted as an item already.
    rejected: bool = False


class Stored(_Event):
    """A batch was written."""

    event: Literal["stored"] = "stored"
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0


class Finished(_Event):
    """The run's outcome, the child's last event."""

    event: Literal["finished"] = "finished"
    status: RunStatus
    exit_code: ExitCode
    reason: str | None = None
    items: int = 0
    failed: int = 0
    list_pages_ok: int = 0
    list_pages_failed: int = 0
    failed_by_kind: dict[str, int] = Field(default_factory=dict)
    # What the run got from its source (crawler.drift.YieldProfile), for the drift alarm.
    yield_profile: dict[str, Any] | None = None


Event = Annotated[
    Discovered | ListPageOk | ItemDone | ItemFailed | Stored | Finished, Field(discriminator="event")
]
_EVENT: TypeAdapter[Event] = TypeAdapter(Event)
EVENT_TYPES: dict[str, type[_Event]] = {
    cls.model_fields["event"].default: cls
    for cls in (Discovered, ListPageOk, ItemDone, ItemFailed, Stored, Finished)
}


def encode(event: Event) -> str:
    """The line (without its newline) that carries `event`."""
    return PREFIX + event.model_dump_json()


def parse(line: str) -> Event | None:
    """The event on a child's stdout line, or None for any other line (never raises)."""
    if not line.startswith(PREFIX):
        return None
    try:
        data = json.loads(line[len(PREFIX) :])
        return _EVENT.validate_python(data)
    except (ValueError, ValidationError):
        return None


# --- the outcome -------------------------------------------------------------------------------


@dataclass(slots=True)
class Tally:
    """What a crawl child counted: the evidence `judge` decides on."""

    items: int = 0
    failed_by_kind: Counter[str] = field(default_factory=Counter)
    list_pages_ok: int = 0
    list_pages_failed: int = 0
    first_list_failure: str | None = None

    @property
    def failed(self) -> int:
        return sum(self.failed_by_kind.values())

    def count_item(self, stage: str | None = None, kind: str | None = None, reason: str = "") -> None:
        """One item; `kind` set when it failed."""
        self.items += 1
        if kind is None:
            return
        self.failed_by_kind[kind] += 1
        if stage == "list":
            self.list_pages_failed += 1
            self.first_list_failure = self.first_list_failure or reason


def describe_failures(failed: int, items: int, by_kind: dict[str, int]) -> str:
    """E.g. `3 of 40 items failed (2 http_500, 1 layout_changed)`."""
    kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(by_kind.items(), key=lambda kv: (-kv[1], kv[0])))
    return f"{failed} of {items} items failed" + (f" ({kinds})" if kinds else "")


def judge(tally: Tally, failed_share_limit: float) -> tuple[RunStatus, ExitCode, str | None]:
    """The outcome of a crawl that finished normally (see the module docstring)."""
    if tally.list_pages_failed and not tally.list_pages_ok:
        why = tally.first_list_failure or "no list page could be read"
        return "failed", ExitCode.SOURCE_FAILED, f"could not read the source: {why}"
    if tally.items and tally.failed / tally.items > failed_share_limit:
        share = describe_failures(tally.failed, tally.items, dict(tally.failed_by_kind))
        return "failed", ExitCode.SOURCE_FAILED, f"{share}: more than {failed_share_limit:.0%}"
    return "succeeded", ExitCode.OK, None


def finished_event(tally: Tally, status: RunStatus, code: ExitCode, reason: str | None) -> Finished:
    return Finished(
        status=status,
        exit_code=code,
        reason=reason,
        items=tally.items,
        failed=tally.failed,
        list_pages_ok=tally.list_pages_ok,
        list_pages_failed=tally.list_pages_failed,
        failed_by_kind=dict(tally.failed_by_kind),
    )


def exit_outcome(
    returncode: int, stop_requested: bool, finished: Finished | None
) -> tuple[RunStatus, str | None]:
    """(status, reason) of a child that exited with `returncode` after sending `finished`.

    The child's own `Finished` event decides; the exit code alone speaks for a child that could
    not send one (killed, crashed before its protocol was loaded).
    """
    if returncode < 0 or returncode == ExitCode.STOPPED:
        if stop_requested:
            return "interrupted", "stopped on request"
        if returncode < 0:
            import signal

            return "failed", f"crawl process killed by signal {signal.Signals(-returncode).name}"
    if finished is not None:
        if finished.status == "succeeded" and returncode != ExitCode.OK:
            return "failed", f"crawl process exited with code {returncode} after reporting success"
        return finished.status, finished.reason
    try:
        code = ExitCode(returncode)
    except ValueError:
        return "failed", f"crawl process exited with unknown code {returncode}; see the run log"
    if code is ExitCode.OK:
        return "succeeded", None
    if code is ExitCode.STOPPED:
        return "interrupted", "the crawl stopped before finishing (signal or close reason)"
    return "failed", f"crawl process exited with code {returncode} ({code.name.lower()}); see the run log"
