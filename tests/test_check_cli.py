"""`briefing check` against the replica: exit 0 on the normal site, 1 once its layout drifted."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from domain.article import KST
from tests.crawl_helpers import briefing, briefing_env
from tests.replica.fixture import Replica
from tests.standins.feeds_fixture import feed_standin, feed_standin_server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site() -> Iterator[Replica]:
    today = datetime.now(KST).date()
    with Replica.start(
        articles=8, start=today - timedelta(days=3), days=3, press=3, briefings=2, facts=2
    ) as replica:
        yield replica


def test_check_passes_on_the_normal_site_and_fails_once_it_drifted(site: Replica, tmp_path: Path) -> None:
    site.reset()
    env = briefing_env(
        f"sqlite:///{tmp_path / 'b.db'}",
        tmp_path / "data",
        site.url,
        BRIEFING_OBEY_ROBOTS="false",
        BRIEFING_SOURCES_FILE=str(tmp_path / "none.toml"),
    )
    ok = briefing("check", "korea_kr:policy", "korea_kr:press", env=env)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    lines = ok.stdout.splitlines()
    assert [line.split()[:2] for line in lines] == [["korea_kr:policy", "ok"], ["korea_kr:press", "ok"]]
    assert "layout www-2026" in lines[0] and "8 item(s) listed" in lines[0]
    # Nothing was stored: a probe is not a crawl.
    assert not (tmp_path / "b.db").exists() or "articles" not in briefing("articles", "list", env=env).stdout

    site.redesign(True)
    drifted = briefing("check", "korea_kr:policy", "korea_kr:press", env=env)
    assert drifted.returncode == 1, drifted.stdout + drifted.stderr
    for line in drifted.stdout.splitlines():
        assert line.split()[1] == "FAIL" and "item: layout: the page matches none of the" in line, line


def test_check_without_sources_probes_the_enabled_ones(site: Replica, tmp_path: Path) -> None:
    site.reset()
    env = briefing_env(
        f"sqlite:///{tmp_path / 'b.db'}",
        tmp_path / "data",
        site.url,
        BRIEFING_OBEY_ROBOTS="false",
        BRIEFING_SOURCES_FILE=str(tmp_path / "none.toml"),
    )  # the default: korea_kr:policy
    done = briefing("check", env=env)
    assert done.returncode == 0 and done.stdout.startswith("korea_kr:policy  ok"), done.stdout + done.stderr


def test_an_unreachable_source_fails_with_its_reason(tmp_path: Path) -> None:
    env = briefing_env(
        f"sqlite:///{tmp_path / 'b.db'}",
        tmp_path / "data",
        "http://127.0.0.1:9",
        BRIEFING_OBEY_ROBOTS="false",
        BRIEFING_CRAWL_RETRIES="0",
    )
    done = briefing("check", "korea_kr:policy", env=env)
    assert done.returncode == 1
    assert done.stdout.startswith("korea_kr:policy  FAIL  list: ") and "refused" in done.stdout.lower(), (
        done.stdout
    )


def test_an_unknown_source_is_a_usage_error(tmp_path: Path) -> None:
    env = briefing_env(f"sqlite:///{tmp_path / 'b.db'}", tmp_path / "data", "http://127.0.0.1:9")
    done = briefing("check", "nowhere:policy", env=env)
    assert done.returncode == 2 and done.stderr.startswith("briefing: unknown source 'nowhere'"), done.stderr


def test_check_probes_feeds(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    from tests.test_feed_crawl import make_env

    standin = request.getfixturevalue("feed_standin")
    env = make_env(f"sqlite:///{tmp_path / 'b.db'}", tmp_path, standin)
    done = briefing("check", "feed:korea", "feed:teasers", "feed:gone", "feed:poisoned", env=env)
    lines = {line.split()[0]: line for line in done.stdout.splitlines()}
    assert done.returncode == 1, done.stdout + done.stderr
    assert lines["feed:korea"].split()[1] == "ok", lines
    assert lines["feed:teasers"].split()[1] == "ok", lines  # the body from the entry's page
    assert lines["feed:gone"].split()[1] == "FAIL" and "list: " in lines["feed:gone"], lines
