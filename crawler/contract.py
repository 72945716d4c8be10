"""The source contract `briefing check` probes: what one list page and one item must look like.

A probe (crawler/probe.py) fetches the newest list page of a source and its first item, and
records what it saw in a `ProbeResult`; `violations` says, purely, which terms of the contract
that breaks. Terms: the list page answers (200) and lists items, with no id twice; the item
answers and parses, with a layout the parser knows (a `layout` failure otherwise), a title, a
date and a body; the date is neither in the future nor years old.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

# The probe child's one line of output: this prefix, then the ProbeResult as JSON.
PROBE_PREFIX = "@briefing-probe "
MAX_AGE = timedelta(days=2 * 365)  # "the newest item" older than this: the list is stale or wrong
FUTURE_SLACK = timedelta(days=1)  # clocks and time zones: a day ahead is still today somewhere


@dataclass(frozen=True, slots=True)
class ProbeResult:
    target: str  # e.g. "korea_kr:policy"
    list_pages: int = 0  # list pages that answered and parsed
    list_items: int = 0
    duplicate_ids: tuple[str, ...] = ()
    list_errors: tuple[str, ...] = ()  # "kind: reason" of list pages that failed
    item_url: str | None = None  # the item probed (None: the probe got none)
    item_error: str | None = None  # "kind: reason" when the item failed
    title: str = ""
    published_at: datetime | None = None
    body_chars: int = 0
    layout: str | None = None  # the parser's layout name (None for sources without layouts)
    layout_required: bool = False  # the source's parser names a layout for every page it reads
    notes: tuple[str, ...] = field(default_factory=tuple)  # e.g. why the probe stopped

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["published_at"] = self.published_at.isoformat() if self.published_at else None
        for key in ("duplicate_ids", "list_errors", "notes"):
            data[key] = list(data[key])
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ProbeResult:
        values = dict(data)
        stamp = values.get("published_at")
        values["published_at"] = datetime.fromisoformat(stamp) if stamp else None
        for key in ("duplicate_ids", "list_errors", "notes"):
            values[key] = tuple(values.get(key) or ())
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in values.items() if k in known})


def violations(result: ProbeResult, *, now: datetime) -> list[str]:
    """The terms of the contract `result` breaks, one line each; [] when it holds."""
    out = []
    if not result.list_pages:
        out.append("list: " + (result.list_errors[0] if result.list_errors else "no list page answered"))
        return out
    if not result.list_items:
        out.append("list: the newest list page answered but listed no items")
    if result.duplicate_ids:
        shown = ", ".join(result.duplicate_ids[:3])
        out.append(f"list: {len(result.duplicate_ids)} id(s) listed twice ({shown})")
    if result.item_error is not None:
        out.append(f"item: {result.item_error}" + (f" ({result.item_url})" if result.item_url else ""))
        return out
    if result.item_url is None:
        if result.list_items:
            out.append("item: no item could be fetched")
        return out
    missing = [name for name, ok in (("title", result.title), ("date", result.published_at),
                                     ("body", result.body_chars)) if not ok]
    if missing:
        out.append(f"item: no {', '.join(missing)} ({result.item_url})")
    if result.layout_required and not result.layout:
        out.append(f"item: no known layout ({result.item_url})")
    if result.published_at is not None:
        if result.published_at > now + FUTURE_SLACK:
            out.append(f"item: dated in the future, {result.published_at:%Y-%m-%d %H:%M}")
        elif result.published_at < now - MAX_AGE:
            out.append(f"item: the newest item is dated {result.published_at:%Y-%m-%d}, years old")
    return out


def summary(result: ProbeResult) -> str:
    """What a probe that kept the contract saw, for the `ok` line."""
    parts = [f"{result.list_items} item(s) listed"]
    if result.published_at is not None:
        parts.append(f"newest {result.published_at:%Y-%m-%d}")
    if result.layout:
        parts.append(f"layout {result.layout}")
    return ", ".join(parts)
