"""The drift alarm in the running service: the replica changes its layout between scheduled runs.

A normal run, then the site redesigns its article pages: the next scheduled run puts the source
in state `drift` with the evidence (the run, `sources list`, `/healthz` 503, `/metrics`); the
site comes back and the next run clears it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from domain.article import KST
from tests.crawl_helpers import briefing, briefing_env
from tests.replica.fixture import Replica
from tests.test_service_e2e import Service, wait_for

pytestmark = pytest.mark.slow
ARTICLES = 20
SOURCE = "korea_kr:policy"


@pytest.fixture
def site() -> Iterator[Replica]:
    today = datetime.now(KST).date()
    with Replica.start(articles=ARTICLES, start=today - timedelta(days=2), days=3) as replica:
        yield replica


def finished_after(service: Service, run_id: int) -> dict[str, Any] | None:
    """The first scheduled run after `run_id` that has finished, if any."""
    done = [r for r in service.runs() if r["id"] > run_id and r["status"] not in ("queued", "running")]
    return min(done, key=lambda r: r["id"]) if done else None


def test_drift_is_raised_and_cleared_between_scheduled_runs(
    site: Replica, db_url: str, tmp_path: Path
) -> None:
    env = briefing_env(
        db_url, tmp_path / "data", site.url,
        BRIEFING_SCHEDULES=json.dumps({SOURCE: {"minutes": 0.05, "jitter_seconds": 0}}),
        BRIEFING_SCHEDULE_WINDOW_DAYS="3", BRIEFING_OBEY_ROBOTS="false",
        BRIEFING_SOURCES_FILE=str(tmp_path / "none.toml"),
    )  # fmt: skip
    service = Service(env)
    try:
        normal = wait_for(
            "a normal scheduled run", lambda: finished_after(service, 0), timeout=60, service=service
        )
        assert normal["status"] == "succeeded" and normal["drift"] is None, normal
        assert normal["counts"]["new"] == ARTICLES
        assert service.http.get("/healthz").status_code == 200

        site.redesign(True)  # every article page now in a design no layout knows
        # The run that was under way may have seen either design: judge the one after it.
        current = max(r["id"] for r in service.runs())
        drifted = wait_for(
            "a run after the redesign", lambda: finished_after(service, current), timeout=60, service=service
        )
        assert drifted["drift"] is not None, drifted
        assert f"{ARTICLES} of {ARTICLES} pages matched no known layout" in drifted["drift"]
        detail = briefing("runs", str(drifted["id"]), env=env)
        assert f"drift: {ARTICLES} of {ARTICLES} pages matched no known layout" in detail.stdout, (
            detail.stdout
        )

        health = service.http.get("/healthz")
        assert health.status_code == 503
        body = health.json()
        assert body["sources"][SOURCE]["state"] == "drift"
        assert any(
            p.startswith(f"source {SOURCE} is in state drift: ") and "no known layout" in p
            for p in body["problems"]
        ), body["problems"]
        metrics = service.http.get("/metrics").text
        assert f'briefing_source_state{{source="{SOURCE}",state="drift"}} 1' in metrics
        listed = json.loads(briefing("sources", "list", "--format", "json", env=env).stdout)
        assert [(s["name"], s["state"]) for s in listed] == [(SOURCE, "drift")], listed

        site.redesign(False)  # the site is back
        current = max(r["id"] for r in service.runs())
        cleared = wait_for(
            "a run after the site came back",
            lambda: finished_after(service, current),
            timeout=60,
            service=service,
        )
        assert cleared["status"] == "succeeded" and cleared["drift"] is None, cleared
        health = service.http.get("/healthz")
        assert health.status_code == 200, health.text
        assert health.json()["sources"][SOURCE]["state"] == "ok"
        assert f'briefing_source_state{{source="{SOURCE}",state="ok"}} 1' in service.http.get("/metrics").text
        code, _ = service.terminate(timeout=10)
        assert code == 0, service.stderr()
    finally:
        service.stop()
