"""Drift: a run's yield profile, and the pure judgement of whether it departs from recent runs.

A layout change at the source does not make a crawl fail: list pages still answer 200, and a
run "succeeds" with nothing, or with articles missing their date. The crawl child therefore
counts what it got (`YieldProfile`, built from its Scrapy stats by `profile_from_stats`) and
sends it to the service, which keeps the recent profiles per source and asks `judge` whether
this run looks like them. The judgement is a pure function so that its rules are a table test.

The rules (each one yields a line of evidence; any line means `drift`):
- list pages answered 200 but held no items (and no "no results" marker said the window is
  empty), or the source had items in recent runs and the list pages now hold far fewer;
- a field (title, date, body, ministry) is present on a much smaller share of the articles
  than in recent runs, or title/date/body on fewer than half of them at all;
- the pages matched no known layout (item errors of kind `layout`), or the run's main layout
  is one recent runs never saw while the layouts they saw are gone;
- the share of failed items is much higher than in recent runs.
A run with too few items to judge shares (fewer than `MIN_ITEMS`) is judged only on its list,
and field shares only over the articles parsed (a 304 is unchanged, not parsed again).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from statistics import median
from typing import Any, Protocol

FIELDS = ("title", "date", "body", "ministry")
REQUIRED_FIELDS = ("title", "date", "body")  # an article without one of these is never normal
STAT = "briefing/yield/"  # Scrapy stats keys the spider and the pipeline count under
LAYOUT_ERROR_KINDS = frozenset({"layout", "layout_changed"})

MIN_ITEMS = 3  # fewer articles+failures than this: shares say nothing
RECENT_RUNS = 5  # how many earlier profiles the service passes to judge
SHARE_DROP = 0.3  # a field share this much below the recent median is drift
REQUIRED_SHARE_FLOOR = 0.5  # title/date/body on fewer than half the articles is drift, history or not
FAILED_SHARE_RISE = 0.3  # a failed share this much above the recent median is drift
LIST_YIELD_RATIO = 0.2  # items per list page below a fifth of the recent median is drift


@dataclass(frozen=True, slots=True)
class YieldProfile:
    """What one run got from its source."""

    list_pages: int = 0  # list pages (or feed documents) that answered and parsed
    list_items: int = 0  # items those pages listed
    empty_lists: int = 0  # list pages that said the window is empty (a "no results" marker)
    articles: int = 0  # articles parsed from their pages
    fields: Mapping[str, int] = field(default_factory=dict)  # articles with each of FIELDS
    layouts: Mapping[str, int] = field(default_factory=dict)  # layout name -> articles it parsed
    not_modified: int = 0  # items the site answered 304 for: unchanged, not parsed again
    failed: int = 0  # items that failed (fetch, parse, store)
    layout_errors: int = 0  # of those, pages of no known layout or a layout missing a field

    @property
    def items(self) -> int:
        return self.articles + self.not_modified + self.failed

    @property
    def items_per_list_page(self) -> float:
        return self.list_items / self.list_pages if self.list_pages else 0.0

    def share(self, name: str) -> float:
        return self.fields.get(name, 0) / self.articles if self.articles else 0.0

    @property
    def failed_share(self) -> float:
        return self.failed / self.items if self.items else 0.0

    @property
    def main_layout(self) -> str | None:
        return max(sorted(self.layouts), key=lambda n: self.layouts[n]) if self.layouts else None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["fields"], data["layouts"] = dict(self.fields), dict(self.layouts)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> YieldProfile:
        """A stored profile; unknown keys (a newer version's) are ignored."""
        ints = {k: int(data.get(k, 0) or 0) for k in
                ("list_pages", "list_items", "empty_lists", "articles", "not_modified", "failed",
                 "layout_errors")}
        return cls(
            **ints,
            fields={str(k): int(v) for k, v in dict(data.get("fields") or {}).items()},
            layouts={str(k): int(v) for k, v in dict(data.get("layouts") or {}).items()},
        )


@dataclass(frozen=True, slots=True)
class Verdict:
    drift: bool
    evidence: tuple[str, ...] = ()

    @property
    def reason(self) -> str | None:
        return "; ".join(self.evidence) or None


def profile_from_stats(stats: Mapping[str, Any]) -> YieldProfile:
    """The profile in a crawl's Scrapy stats (keys under `briefing/yield/`)."""

    def count(key: str) -> int:
        value = stats.get(STAT + key, 0)
        return int(value) if isinstance(value, int | float) else 0

    def prefixed(prefix: str) -> dict[str, int]:
        start = STAT + prefix
        return {k[len(start):]: int(v) for k, v in stats.items() if k.startswith(start) and v}

    return YieldProfile(
        list_pages=count("list_pages"),
        list_items=count("list_items"),
        empty_lists=count("empty_lists"),
        articles=count("articles"),
        fields={name: count(f"field/{name}") for name in FIELDS},
        layouts=prefixed("layout/"),
        not_modified=count("not_modified"),
        failed=count("failed"),
        layout_errors=count("layout_errors"),
    )


def _pct(value: float) -> str:
    return f"{value:.0%}"


def _list_evidence(run: YieldProfile, recent: Sequence[YieldProfile]) -> list[str]:
    if not run.list_pages:
        return []  # nothing answered: that is a failed run (an error), not drift
    if run.list_items == 0 and run.empty_lists < run.list_pages:
        return [f"{run.list_pages} list page(s) answered but listed no items"]
    # Only over several pages: a pager continues only after a full page, so the last (partial)
    # page of a window weighs at most half; one page of a short window says nothing.
    listed = [p.items_per_list_page for p in recent if p.list_pages >= 2]
    if listed and run.list_pages >= 2 and run.items_per_list_page < LIST_YIELD_RATIO * median(listed):
        return [
            f"{run.items_per_list_page:.1f} items per list page (recent runs: {median(listed):.1f})"
        ]
    return []


def _field_evidence(run: YieldProfile, recent: Sequence[YieldProfile]) -> list[str]:
    if run.articles < MIN_ITEMS:
        return []  # the pages failed instead: the layout and failure rules speak for them
    out = []
    for name in FIELDS:
        now = run.share(name)
        before = [p.share(name) for p in recent if p.articles >= MIN_ITEMS]
        if before and now < median(before) - SHARE_DROP:
            out.append(f"{name} on {_pct(now)} of articles (recent runs: {_pct(median(before))})")
        elif name in REQUIRED_FIELDS and run.articles and now < REQUIRED_SHARE_FLOOR:
            out.append(f"{name} on {_pct(now)} of articles")
    return out


def _layout_evidence(run: YieldProfile, recent: Sequence[YieldProfile]) -> list[str]:
    out = []
    if run.layout_errors and run.layout_errors / run.items > SHARE_DROP:
        out.append(f"{run.layout_errors} of {run.items} pages matched no known layout")
    seen = {name for p in recent for name in p.layouts}
    main = run.main_layout
    if seen and main is not None and main not in seen and not seen & set(run.layouts):
        out.append(f"layout {main} replaces {', '.join(sorted(seen))} of recent runs")
    return out


def _failed_evidence(run: YieldProfile, recent: Sequence[YieldProfile]) -> list[str]:
    before = [p.failed_share for p in recent if p.items >= MIN_ITEMS]
    baseline = median(before) if before else 0.0
    if run.failed and run.failed_share > baseline + FAILED_SHARE_RISE:
        return [f"{run.failed} of {run.items} items failed, {_pct(run.failed_share)} "
                f"(recent runs: {_pct(baseline)})"]
    return []


def judge(recent: Sequence[YieldProfile], run: YieldProfile) -> Verdict:
    """Does `run` look like the `recent` runs of its source (newest first or any order)?"""
    evidence = _list_evidence(run, recent)
    if run.items >= MIN_ITEMS:
        for rule in (_field_evidence, _layout_evidence, _failed_evidence):
            evidence += rule(run, recent)
    return Verdict(bool(evidence), tuple(evidence))


# --- counting, in the crawl child (Scrapy stats: plain numbers, nothing of Scrapy imported) ------


class Stats(Protocol):
    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None: ...


def count_list(stats: Stats | None, *, items: int, says_empty: bool) -> None:
    """A list page (or feed document) that answered and parsed, and how many items it listed."""
    if stats is None:
        return
    stats.inc_value(STAT + "list_pages")
    stats.inc_value(STAT + "list_items", items)
    if says_empty and not items:
        stats.inc_value(STAT + "empty_lists")


def count_item(stats: Stats | None, item: object) -> None:
    """One item as the pipeline receives it: an article (its fields and layout), a 304, a failure."""
    from crawler.items import FailedPage, NotModified, ParsedArticle

    if stats is None:
        return
    if isinstance(item, ParsedArticle):
        article = item.article
        stats.inc_value(STAT + "articles")
        present = {"title": article.title, "date": article.published_at, "body": article.body_html.strip(),
                   "ministry": article.ministry}
        for name, value in present.items():
            if value:
                stats.inc_value(f"{STAT}field/{name}")
        if article.layout:
            stats.inc_value(f"{STAT}layout/{article.layout}")
    elif isinstance(item, NotModified):
        stats.inc_value(STAT + "not_modified")
    elif isinstance(item, FailedPage) and item.stage != "list":
        stats.inc_value(STAT + "failed")
        if item.kind in LAYOUT_ERROR_KINDS:
            stats.inc_value(STAT + "layout_errors")


def stats_of(component: object) -> Stats | None:
    """The Scrapy stats of a spider or pipeline; None for one built without a crawler (tests)."""
    return getattr(getattr(component, "crawler", None), "stats", None)
