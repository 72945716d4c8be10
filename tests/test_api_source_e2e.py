"""End to end: `briefing crawl korea_kr_api:…` against the data.go.kr stand-in (and the korea.kr replica)."""

from __future__ import annotations

import html
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from sqlalchemy import select

import storage
from storage import Database
from storage.models import Base
from tests.crawl_helpers import briefing, briefing_env, stored_articles
from tests.standins.data_go_kr_fixture import data_go_kr_factory  # noqa: F401 - a fixture

pytestmark = pytest.mark.slow

START = date(2026, 11, 18)
SINCE, UNTIL = "2026-11-18", "2026-11-22"
# Distinctive, so any leak is found by a plain search; "+", "/" and "=" test both key forms.
KEY = "Lk7+Qz3wLeakCanary/Vb9=="
KEY_FORMS = (KEY, "Lk7%2BQz3wLeakCanary%2FVb9%3D%3D", "LeakCanary")


def crawl(env: dict[str, str], target: str):  # type: ignore[no-untyped-def]
    return briefing("crawl", target, "--since", SINCE, "--until", UNTIL, env=env)


def every_stored_value(db_url: str) -> str:
    """Every row of every table, as text: what a leak search must cover."""
    db = Database(db_url)
    try:
        with db.session() as session:
            return "\n".join(
                repr(tuple(row))
                for table in Base.metadata.sorted_tables
                for row in session.execute(select(table))
            )
    finally:
        db.dispose()


def test_api_and_html_crawls_of_one_news_id_are_one_article(
    replica_factory,  # type: ignore[no-untyped-def]
    data_go_kr_factory,  # noqa: F811
    db_url: str,
    tmp_path: Path,
) -> None:
    site = replica_factory(articles=20, start=START, days=5)
    api = data_go_kr_factory(key=KEY, articles=20, start=START, days=5)
    env = briefing_env(
        db_url, tmp_path, site.url, BRIEFING_DATA_GO_KR_BASE_URL=api.url, BRIEFING_DATA_GO_KR_KEY=KEY
    )

    outputs = [crawl(env, target) for target in ("korea_kr_api:policy", "korea_kr:policy")]
    outputs += [crawl(env, target) for target in ("korea_kr_api:policy", "korea_kr:policy")]
    for result in outputs:
        assert result.returncode == 0, result.stdout + result.stderr
    summaries = [r.stdout.strip().splitlines()[-1] for r in outputs]
    assert "new 20, updated 0, unchanged 0" in summaries[0]
    assert "new 0, updated 20, unchanged 0" in summaries[1]  # the pages bring their metadata
    assert "new 0, updated 0, unchanged 20" in summaries[2], "an API re-crawl adds no revision"
    assert "new 0, updated 0, unchanged 20" in summaries[3]

    truth = {t["news_id"]: t for t in site.truth()}
    stored = stored_articles(db_url)
    assert set(stored) == set(truth)
    for news_id, expected in truth.items():
        got = stored[news_id]
        assert got.revision_count == 2
        a = got.article
        assert (a.source, a.body_source, a.url) == ("korea_kr", "api", expected["canonical_url"])
        assert (a.title, list(a.subtitles)) == (expected["title"], expected["subtitles"])
        assert (a.rep_code, list(a.tags), a.contact) == (
            expected["rep_code"],
            expected["tags"],
            expected["contact"],
        )
        assert a.published_at == datetime.fromisoformat(expected["published_at"])
        assert (a.license_type, a.license_text_only) == (
            expected["license_type"],
            expected["license_text_only"],
        )
        body = html.unescape(a.body_html)  # the API's markup escapes quotes; the text is the same
        for paragraph in expected["body_paragraphs"]:
            assert paragraph in body


def test_the_key_never_reaches_logs_errors_or_the_database(
    data_go_kr_factory,  # noqa: F811
    db_url: str,
    tmp_path: Path,
) -> None:
    api = data_go_kr_factory(key=KEY, faults={"20261121": "status:500"})
    env = briefing_env(
        db_url,
        tmp_path,
        "http://127.0.0.1:9",
        BRIEFING_DATA_GO_KR_BASE_URL=api.url,
        BRIEFING_DATA_GO_KR_KEY=KEY,
    )
    result = crawl(env, "korea_kr_api:press")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "succeeded: seen 11, new 9, updated 0, unchanged 1, failed 1" in result.stdout

    # The API was asked for windows of at most 3 days, with the key in its encoded form.
    served = api.requests()
    windows = {(q["startDate"][0], q["endDate"][0]) for q in (parse_qs(r["query"]) for r in served)}
    assert windows == {("20261118", "20261120"), ("20261121", "20261122")}
    assert all(parse_qs(r["query"])["serviceKey"] == [KEY] for r in served)

    # The failed window is recorded with its URL, the key masked.
    db = Database(db_url)
    try:
        with db.session() as session:
            run = storage.list_runs(session=session, limit=1)[0]
            (error,) = storage.list_errors(session=session, run_id=run.id)
            twin = storage.find_article(session=session, source="korea_kr", external_id="156780445")
            original = storage.find_article(session=session, source="korea_kr", external_id="156780000")
    finally:
        db.dispose()
    assert error.kind == "http_500" and "startDate=20261121" in error.url
    assert "serviceKey=[redacted]" in error.url
    # The release posted twice is one article under both ids; the near-miss stays apart.
    assert twin is not None and original is not None and twin.id == original.id
    assert set(twin.article.aliases) | {twin.article.external_id} == {"156780000", "156780445"}
    assert len(stored_articles(db_url)) == 9

    log = (tmp_path / "logs" / f"run-{run.id}.log").read_text(encoding="utf-8")
    assert "Gave up retrying" in log and "serviceKey=[redacted]" in log  # the URL is logged, masked
    places = {
        "run log": log,
        "CLI output": result.stdout + result.stderr,
        "database rows": every_stored_value(db_url),
    }
    if db_url.startswith("sqlite:///"):
        db_file = Path(db_url.removeprefix("sqlite:///"))
        for path in db_file.parent.glob(db_file.name + "*"):
            places[path.name] = path.read_bytes().decode("utf-8", "replace")
    for where, text in places.items():
        for form in KEY_FORMS:
            assert form not in text, f"the key ({form}) leaked into the {where}"


@pytest.mark.parametrize(
    ("key", "says"),
    [
        ("", "no service key: set BRIEFING_DATA_GO_KR_KEY"),
        ("Wr0ng+LeakCanary/Key==", "service key not registered: check BRIEFING_DATA_GO_KR_KEY"),
    ],
)
def test_a_missing_or_refused_key_fails_the_run_and_says_what_to_do(
    data_go_kr_factory,  # noqa: F811
    tmp_path: Path,
    key: str,
    says: str,
) -> None:
    api = data_go_kr_factory(key=KEY, press=2, articles=1, days=1)
    db_url = f"sqlite:///{tmp_path / 'b.db'}"
    extra = {"BRIEFING_DATA_GO_KR_BASE_URL": api.url} | ({"BRIEFING_DATA_GO_KR_KEY": key} if key else {})
    env = briefing_env(db_url, tmp_path, "http://127.0.0.1:9", **extra)
    result = briefing(
        "crawl", "korea_kr_api:press", "--since", "2026-11-18", "--until", "2026-11-24", env=env
    )
    assert result.returncode == 1, result.stdout + result.stderr  # the CLI's "run failed"
    assert "korea_kr_api:press failed" in result.stdout
    assert says in result.stdout and says in result.stderr  # the run's reason and the recorded failure
    # A refused key stops the crawl at once: later windows are not asked for.
    assert len(api.requests()) == (0 if not key else 1)
    log = next((tmp_path / "logs").glob("run-*.log")).read_text(encoding="utf-8")
    for text in (log, result.stdout, result.stderr, every_stored_value(db_url)):
        assert "LeakCanary" not in text


def test_the_key_and_base_url_may_come_from_a_dotenv_file(
    data_go_kr_factory,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Settings read .env, the child does not: the parent hands the key over in its environment."""
    api = data_go_kr_factory(key=KEY, press=3, articles=1, days=1)
    work = tmp_path / "work"
    work.mkdir()
    (work / ".env").write_text(f"BRIEFING_DATA_GO_KR_KEY={KEY}\nBRIEFING_DATA_GO_KR_BASE_URL={api.url}\n")
    env = briefing_env(f"sqlite:///{tmp_path / 'b.db'}", tmp_path, "http://127.0.0.1:9")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "scheduler",
            "crawl",
            "korea_kr_api:press",
            "--since",
            SINCE,
            "--until",
            SINCE,
        ],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "new 4, updated 0, unchanged 1, failed 0" in result.stdout  # 3 releases, a copy, a near-miss
