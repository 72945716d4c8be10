"""End to end: a crawl of the replica archives its pages; with the replica stopped, a parser change
and `briefing reparse` revise only the articles whose content changed, sending no request."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crawler.archive import read_pages
from crawler.sites import korea_kr
from storage import Database, count_revisions, find_article
from tests.crawl_helpers import briefing, briefing_env
from tests.replica.fixture import Replica

pytestmark = pytest.mark.slow
START = date(2026, 11, 18)


def test_reparse_after_a_parser_change_with_the_site_gone(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    with Replica.start(articles=12, start=START, days=3, press=0, briefings=0, facts=0) as site:
        env = briefing_env(db_url, data, site.url, BRIEFING_OBEY_ROBOTS="false")
        done = briefing("crawl", "korea_kr:policy", "--since", "2026-11-18", "--until", "2026-11-20", env=env)
        assert done.returncode == 0, done.stderr
        truth = site.truth()
        served = len(site.requests())
    assert len(truth) == 12 and served > 12
    pages = list(read_pages(data / "archive"))
    assert sorted(p.canonical_url.rsplit("=", 1)[1] for p in pages) == sorted(t["news_id"] for t in truth)
    assert {p.source for p in pages} == {"korea_kr:policy"} and all(p.status == 200 for p in pages)

    # The site is gone (the replica stopped). The parser learns that one article's first
    # paragraph is boilerplate: that article alone changes.
    target = truth[3]
    first = re.sub(r"<[^>]+>", "", re.search(r"<p>(.*?)</p>", target["body_html"], re.S).group(1)).strip()  # type: ignore[union-attr]
    assert sum(first in t["body_html"] for t in truth) == 1
    monkeypatch.setattr(korea_kr, "BOILERPLATE", korea_kr.BOILERPLATE | {first})
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    from scheduler.cli import app

    result = CliRunner().invoke(app, ["reparse", "--source", "korea_kr"])
    assert result.exit_code == 0, result.output
    summary = "reparsed 12 archived page(s): 0 new, 1 changed (a revision each), 11 unchanged"
    assert result.output.startswith(summary)

    db = Database(db_url)
    try:
        with db.session(read_only=True) as session:
            changed = find_article(session=session, source="korea_kr", external_id=target["news_id"])
            assert changed is not None and changed.revision_count == 2
            assert first not in changed.article.body_html
            assert changed.post_text and first not in changed.post_text
            assert count_revisions(session=session) == 12 + 1
    finally:
        db.dispose()

    again = CliRunner().invoke(app, ["reparse"])
    assert again.exit_code == 0 and "0 new, 0 changed (a revision each), 12 unchanged" in again.output


def test_reparse_without_an_archive_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIEFING_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BRIEFING_DATABASE_URL", f"sqlite:///{tmp_path / 'b.db'}")
    from scheduler.cli import app

    result = CliRunner().invoke(app, ["reparse"])
    assert result.exit_code == 2
    assert f"no archive at {tmp_path / 'archive'}" in result.output
