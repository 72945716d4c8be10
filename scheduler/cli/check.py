"""`briefing check [SOURCE…]`: a live contract probe of each source; non-zero exit on any failure."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from scheduler.cli.core import ExitCode, app, load_settings, usage_error

PROBE_WINDOW_DAYS = 30  # the newest list page: the last month's items, newest first
UNPROBED_KINDS = {"korea_kr_api": "no probe for the data.go.kr API (its crawl runs report its failures)"}


@app.command("check")
def check(
    sources: Annotated[
        list[str] | None,
        typer.Argument(help="Sources to probe, e.g. korea_kr:press feed:mofa (default: every enabled one)."),
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds each probe may take.", min=1)] = 120.0,
) -> None:
    """Probe each source live: its newest list page and one item, against the contract.

    The contract: the list page answers 200 and lists items, no id twice; the item answers and
    parses with a known layout, a title, a date and a body; its date is neither in the future
    nor years old. One line per source (`ok` or `FAIL` and why); exit 1 if any source fails.
    Requests go out like a crawl's (outbound policy, robots.txt, User-Agent, delays); nothing
    is stored. For cron: `briefing check || mail -s 'korea.kr changed' me`.

    Example: briefing check korea_kr:policy korea_kr:press
    """
    from crawler.contract import PROBE_PREFIX, ProbeResult, summary, violations
    from scheduler.crawls import child_environment, crawl_options, today_kst
    from scheduler.sources import load_sources
    from scheduler.targets import parse_target

    settings = load_settings()
    names = sources or [s.name for s in load_sources(settings.sources_file).enabled]
    try:
        targets = [parse_target(name, settings=settings) for name in names]
    except ValueError as exc:
        raise usage_error(str(exc)) from None
    until = today_kst()
    since = until - timedelta(days=PROBE_WINDOW_DAYS)
    failed = False
    width = max((len(t.name) for t in targets), default=0)
    for target in targets:
        if target.kind in UNPROBED_KINDS:
            typer.echo(f"{target.name:<{width}}  skip  {UNPROBED_KINDS[target.kind]}")
            continue
        options = crawl_options(settings, target, since, until, run_id=None)
        try:
            done = subprocess.run(
                [sys.executable, "-m", "crawler.probe", "--options", "-"],
                input=options.to_json(), capture_output=True, text=True, timeout=timeout,
                env=child_environment(settings),
            )
        except subprocess.TimeoutExpired:
            problems = [f"the probe took longer than {timeout:g} s"]
        else:
            line = next((x for x in done.stdout.splitlines() if x.startswith(PROBE_PREFIX)), None)
            if line is None:
                last = (done.stderr.strip().splitlines() or ["no output"])[-1]
                problems = [f"the probe failed (exit {done.returncode}): {last}"]
            else:
                result = ProbeResult.from_json(json.loads(line[len(PROBE_PREFIX):]))
                problems = violations(result, now=datetime.now(UTC))
        if problems:
            failed = True
            typer.echo(f"{target.name:<{width}}  FAIL  {'; '.join(problems)}")
        else:
            typer.echo(f"{target.name:<{width}}  ok    {summary(result)}")
    if failed:
        raise typer.Exit(int(ExitCode.FAILED))
