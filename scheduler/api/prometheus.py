"""Prometheus text exposition (format 0.0.4) of crawl runs and stored articles."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from storage.stats import SourceRunStats
from storage.types import RUN_STATUSES

MEDIA_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(**labels: str) -> str:
    return "{" + ",".join(f'{k}="{_label(v)}"' for k, v in labels.items()) + "}"


def _family(name: str, kind: str, help_: str, samples: Iterable[tuple[str, float]]) -> list[str]:
    lines = [f"# HELP {name} {help_}", f"# TYPE {name} {kind}"]
    lines += [f"{name}{labels} {value}" for labels, value in samples]
    return lines


def render(
    runs: Iterable[SourceRunStats],
    articles: Mapping[str, int],
    *,
    active: Mapping[str, int],
    scheduler_running: bool,
    states: Mapping[str, str] | None = None,
) -> str:
    """All metrics as one text document."""
    runs = list(runs)
    lines: list[str] = []
    lines += _family(
        "briefing_runs",
        "gauge",
        "Crawl runs recorded, by source and status.",
        (
            (_labels(source=r.source, status=status), r.runs_by_status.get(status, 0))
            for r in runs
            for status in RUN_STATUSES
        ),
    )
    lines += _family(
        "briefing_run_failures",
        "gauge",
        "Crawl runs that ended failed, by source.",
        ((_labels(source=r.source), r.runs_by_status.get("failed", 0)) for r in runs),
    )
    lines += _family(
        "briefing_failed_pages",
        "gauge",
        "Pages crawls could not fetch or parse, by source.",
        ((_labels(source=r.source), r.failed_pages) for r in runs),
    )
    lines += _family(
        "briefing_last_success_timestamp_seconds",
        "gauge",
        "Unix time the last successful crawl of a source finished.",
        ((_labels(source=r.source), r.last_success_at.timestamp()) for r in runs if r.last_success_at),
    )
    lines += _family(
        "briefing_articles",
        "gauge",
        "Articles stored, by site.",
        ((_labels(source=name), count) for name, count in articles.items()),
    )
    lines += _family(
        "briefing_crawls_active",
        "gauge",
        "Crawl children this service is running, by source.",
        ((_labels(source=name), 1) for name in active),
    )
    lines += _family(
        "briefing_source_state",
        "gauge",
        "1 for the state each source is in (ok, error, drift, dead): drift = its pages changed.",
        ((_labels(source=name, state=state), 1) for name, state in sorted((states or {}).items())),
    )
    lines += _family(
        "briefing_scheduler_running",
        "gauge",
        "1 while the crawl schedule is running.",
        [("", 1 if scheduler_running else 0)],
    )
    return "\n".join(lines) + "\n"
