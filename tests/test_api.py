"""The HTTP API over a seeded database (SQLite and PostgreSQL), with a fake crawl manager."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import feedparser
import httpx
import pytest
import pytest_asyncio

import storage
from domain.article import KST, Article
from scheduler.app import create_app
from scheduler.crawls import CrawlTarget
from scheduler.manager import AlreadyRunning, ShuttingDown
from scheduler.settings import Settings
from storage import CrawlRun, Database
from tests.factories import make_article

LOCAL = ("127.0.0.1", 50000)
REMOTE = ("203.0.113.7", 50000)
PUBLIC = "https://news.example.org/briefing"
TOKEN = "s3cr3t-token-0123456789"


@dataclass
class FakeCrawls:
    """Records submissions; creates real run rows so /crawls/{id} can find them."""

    db: Database
    busy: CrawlRun | None = None
    stopping: bool = False
    submitted: list[tuple[str, date, date, str]] = field(default_factory=list)

    @property
    def active_run_ids(self) -> dict[str, int]:
        return {self.busy.source: self.busy.id} if self.busy else {}

    async def submit(self, target: CrawlTarget, since: date, until: date, trigger: str) -> CrawlRun:
        if self.stopping:
            raise ShuttingDown("the service is shutting down")
        if self.busy is not None:
            raise AlreadyRunning(self.busy)
        self.submitted.append((target.name, since, until, trigger))
        try:
            with self.db.session() as session:
                return storage.create_run(
                    session=session, source=target.name, trigger=trigger, since=str(since), until=str(until)
                )
        except storage.SourceBusy as busy:  # as the real manager does
            raise AlreadyRunning(busy.run) from None


@dataclass
class FakeSchedule:
    running: bool = True
    next_runs: dict[str, datetime | None] = field(
        default_factory=lambda: {"korea_kr:policy": datetime(2026, 11, 21, 9, 30, tzinfo=KST)}
    )

    def next_run_times(self) -> dict[str, datetime | None]:
        return self.next_runs


def seed(db: Database, articles: Sequence[Article], *, post: bool = False) -> list[int]:
    def render(article: Article) -> tuple[str, str]:
        return f"---\ntitle: {article.title}\n---\n\n{article.body_html}\n", "h" + article.external_id

    with db.session() as session:
        result = storage.upsert_articles(
            session=session, articles=articles, render_post=render if post else None
        )
    return result.ids


@dataclass
class Api:
    client: httpx.AsyncClient
    crawls: FakeCrawls
    schedule: FakeSchedule
    settings: Settings

    async def get(self, path: str, **params: Any) -> httpx.Response:
        return await self.client.get(path, params=params)


def make_client(app: Any, client: tuple[str, int] = LOCAL) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=client), base_url="http://briefing.test"
    )


@pytest_asyncio.fixture
async def api(db: Database, tmp_path: Any) -> AsyncIterator[Api]:
    settings = Settings(database_url=db.url, data_dir=tmp_path, api_token=None, public_url=PUBLIC)
    crawls, schedule = FakeCrawls(db), FakeSchedule()
    async with make_client(create_app(settings, db, crawls, schedule)) as client:
        yield Api(client, crawls, schedule, settings)


# --- articles -------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_articles_are_the_cli_json_newest_first(api: Api) -> None:
    seed(api.crawls.db, [make_article(n) for n in range(1, 4)])
    response = await api.get("/articles")
    assert response.status_code == 200
    body = response.json()
    with api.crawls.db.session() as session:
        expected = [s.to_json() for s in storage.list_articles(session=session).items]
    assert body == {"items": expected, "next_cursor": None}
    assert [item["title"] for item in body["items"]] == ["정책 기사 3", "정책 기사 2", "정책 기사 1"]


@pytest.mark.asyncio
async def test_cursor_pagination_visits_every_article_once(api: Api) -> None:
    seed(api.crawls.db, [make_article(n) for n in range(1, 26)])
    seen: list[int] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 10} | ({"cursor": cursor} if cursor else {})
        body = (await api.get("/articles", **params)).json()
        seen += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert len(seen) == len(set(seen)) == 25


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "params, message",
    [
        ({"limit": 101}, "query.limit: Input should be less than or equal to 100"),
        ({"limit": 0}, "query.limit"),
        ({"cursor": "not-a-cursor"}, "invalid cursor: pass the next_cursor value from a previous page"),
        # Decodes fine but was never handed out: a naive time.
        (
            {"cursor": base64.urlsafe_b64encode(b"2026-11-20T09:00:00|5").decode()},
            "invalid cursor",
        ),
        ({"since": "2026-13-01"}, "query.since"),
        ({"since": "2026-11-22", "until": "2026-11-21"}, "since 2026-11-22 is after until 2026-11-21"),
        ({"since": "0001-01-01"}, "since: must be a day between 1900-01-01 and 9999-12-30"),
        ({"q": "a\x00b"}, "q: must not contain NUL characters"),
    ],
)
async def test_bad_parameters_get_422_with_a_clear_message(
    api: Api, params: dict[str, Any], message: str
) -> None:
    response = await api.get("/articles", **params)
    assert response.status_code == 422
    assert message in response.json()["detail"]


@pytest.mark.asyncio
async def test_search_finds_korean_words_inside_longer_words_and_two_character_queries(api: Api) -> None:
    seed(
        api.crawls.db,
        [
            make_article(1, title="자율제조를 통해 제조 혁신", body_html="<p>공장 자동화</p>"),
            make_article(2, title="내년 정부예산안 발표", body_html="<p>재정 운용</p>"),
            make_article(3, title="독도 관련 브리핑", body_html="<p>영토 정책</p>"),
        ],
    )

    async def titles(q: str) -> list[str]:
        return [item["title"] for item in (await api.get("/articles", q=q)).json()["items"]]

    assert await titles("자율제조") == ["자율제조를 통해 제조 혁신"]
    assert await titles("예산") == ["내년 정부예산안 발표"]
    assert await titles("독도") == ["독도 관련 브리핑"]
    assert await titles("없는단어") == []


@pytest.mark.asyncio
async def test_filters_ministry_category_source_and_kst_days(api: Api) -> None:
    seed(
        api.crawls.db,
        [
            make_article(1, published_at=datetime(2026, 11, 20, 23, 30, tzinfo=KST), ministry="기획재정부"),
            make_article(2, published_at=datetime(2026, 11, 21, 0, 10, tzinfo=KST), section="press"),
            make_article(3, published_at=datetime(2026, 11, 19, 8, 0, tzinfo=KST)),
        ],
    )

    async def ids(**params: Any) -> list[str]:
        return [item["external_id"] for item in (await api.get("/articles", **params)).json()["items"]]

    # until is inclusive and counted in Korean days: 23:30 KST on the 20th is 14:30 UTC.
    assert await ids(since="2026-11-20", until="2026-11-20") == ["148900001"]
    assert await ids(since="2026-11-21") == ["148900002"]
    assert await ids(ministry="기획재정부") == ["148900001"]
    assert await ids(category="press") == ["148900002"]
    assert await ids(source="korea_kr") == ["148900002", "148900001", "148900003"]
    assert await ids(source="elsewhere") == []


@pytest.mark.asyncio
async def test_one_article_with_revisions_and_its_markdown_post(api: Api) -> None:
    (first,) = seed(api.crawls.db, [make_article(1)], post=True)
    seed(api.crawls.db, [make_article(1, body_html="<p>고친 본문</p>")], post=True)
    (no_post,) = seed(api.crawls.db, [make_article(2)])

    response = await api.get(f"/articles/{first}")
    assert response.status_code == 200
    assert response.json()["revisions"] == 2
    assert response.json()["body_html"] == "<p>고친 본문</p>"

    markdown = await api.get(f"/articles/{first}.md")
    assert markdown.status_code == 200
    assert markdown.headers["content-type"] == "text/markdown; charset=utf-8"
    assert markdown.text == "---\ntitle: 정책 기사 1\n---\n\n<p>고친 본문</p>\n"

    missing_post = await api.get(f"/articles/{no_post}.md")
    assert missing_post.status_code == 404
    assert missing_post.json()["detail"] == f"article {no_post} has no rendered post yet"


@pytest.mark.asyncio
@pytest.mark.parametrize("path", ["/articles/999999", "/articles/999999.md", "/crawls/999999"])
async def test_unknown_ids_are_404(api: Api, path: str) -> None:
    response = await api.get(path)
    assert response.status_code == 404
    assert "999999" in response.json()["detail"]


@pytest.mark.asyncio
@pytest.mark.parametrize("path", ["/articles/abc", "/articles/0", "/crawls/99999999999999999999"])
async def test_malformed_ids_are_422(api: Api, path: str) -> None:
    assert (await api.get(path)).status_code == 422


# --- feed -----------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_feed_is_valid_atom_with_the_latest_articles(api: Api) -> None:
    seed(
        api.crawls.db,
        [
            make_article(1),
            make_article(2, title='<예산> & "재정"', subtitles=("부제 하나", "부제 둘"), ministry=None),
            make_article(3, body_html="<p>제어문자\x01가 섞인 본문 &amp; 표</p>", ministry="국토교통부"),
        ],
    )
    response = await api.get("/feed.xml", limit=2)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.id == f"{PUBLIC}/feed.xml?limit=2"
    entries = parsed.entries
    assert [e.title for e in entries] == ["정책 기사 3", '<예산> & "재정"']
    third, second = entries
    assert third.id == third.link == make_article(3).url
    assert third.author == "국토교통부"
    assert third.content[0].type == "text/html"
    assert third.content[0].value == "<p>제어문자가 섞인 본문 &amp; 표</p>"
    assert second.summary == "부제 하나\n부제 둘"
    assert second.author == "정책브리핑"
    published = make_article(3).published_at.astimezone(UTC)
    assert third.published == published.isoformat().replace("+00:00", "Z")
    assert third.tags[0].term == "policy"


@pytest.mark.asyncio
async def test_feed_takes_the_article_filters(api: Api) -> None:
    seed(api.crawls.db, [make_article(1, title="정부예산안"), make_article(2)])
    parsed = feedparser.parse((await api.get("/feed.xml", q="예산")).content)
    assert [e.title for e in parsed.entries] == ["정부예산안"]
    assert (await api.get("/feed.xml", limit=500)).status_code == 422


@pytest.mark.asyncio
async def test_empty_feed_is_still_valid_atom(api: Api) -> None:
    parsed = feedparser.parse((await api.get("/feed.xml")).content)
    assert not parsed.bozo
    assert parsed.entries == []


# --- crawls ---------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_post_crawls_starts_a_run_and_returns_its_id(api: Api) -> None:
    response = await api.client.post(
        "/crawls", json={"source": "korea_kr", "since": "2026-11-18", "until": "2026-11-20"}
    )
    assert response.status_code == 202
    run_id = response.json()["run_id"]
    assert response.json() == {"run_id": run_id, "source": "korea_kr:policy", "status": "queued"}
    assert response.headers["location"] == f"/crawls/{run_id}"
    assert api.crawls.submitted == [("korea_kr:policy", date(2026, 11, 18), date(2026, 11, 20), "api")]

    run = (await api.get(f"/crawls/{run_id}")).json()
    assert run["status"] == "queued"
    assert run["counts"] == {"seen": 0, "new": 0, "updated": 0, "unchanged": 0, "failed": 0}
    listed = (await api.get("/crawls", source="korea_kr:policy")).json()["items"]
    assert [r["id"] for r in listed] == [run_id]


@pytest.mark.asyncio
async def test_post_crawls_without_dates_uses_the_default_window(api: Api) -> None:
    assert (await api.client.post("/crawls", json={"source": "korea_kr:policy"})).status_code == 202
    (_, since, until, _) = api.crawls.submitted[0]
    assert (until - since).days == api.settings.default_window_days - 1


@pytest.mark.asyncio
async def test_post_crawls_during_a_run_is_409_with_the_running_id(api: Api) -> None:
    first = (await api.client.post("/crawls", json={"source": "korea_kr"})).json()["run_id"]
    with api.crawls.db.session() as session:
        api.crawls.busy = storage.get_run(session=session, run_id=first)
    response = await api.client.post("/crawls", json={"source": "korea_kr:policy"})
    assert response.status_code == 409
    assert response.json() == {
        "detail": f"korea_kr:policy is already being crawled by run {first}",
        "run_id": first,
    }


@pytest.mark.asyncio
async def test_post_crawls_while_stopping_is_503(api: Api) -> None:
    api.crawls.stopping = True
    response = await api.client.post("/crawls", json={"source": "korea_kr"})
    assert response.status_code == 503


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "body, message",
    [
        (
            {"source": "nowhere"},
            "source: unknown source 'nowhere'; known sources: feed, korea_kr, korea_kr_api",
        ),
        ({"source": "korea_kr:sports"}, "unknown section 'sports' for korea_kr"),
        ({"source": "korea_kr", "since": "2026-11-22", "until": "2026-11-20"}, "since 2026-11-22 is after"),
        ({"source": "korea_kr", "since": "yesterday"}, "body.since"),
        ({"source": "korea_kr", "extra": 1}, "body.extra: Extra inputs are not permitted"),
        ({}, "body.source: Field required"),
    ],
)
async def test_post_crawls_validates_its_body(api: Api, body: dict[str, Any], message: str) -> None:
    response = await api.client.post("/crawls", json=body)
    assert response.status_code == 422
    assert message in response.json()["detail"]
    assert api.crawls.submitted == []


@pytest.mark.asyncio
async def test_a_run_lists_its_failed_items_with_url_stage_and_reason(api: Api) -> None:
    with api.crawls.db.session() as session:
        run = storage.create_run(session=session, source="korea_kr:policy", trigger="scheduled")
        storage.record_errors(
            session=session,
            run_id=run.id,
            errors=[
                ("https://www.korea.kr/list?page=1", "http_500", "list page answered 500", "list"),
                ("https://www.korea.kr/view?id=9", "layout_changed", "no title <h1> in <script>x</script>"),
            ],
        )
        storage.finish_run(session=session, run_id=run.id, status="failed", reason="no list page answered")
        other = storage.create_run(session=session, source="korea_kr:press")
    body = (await api.get(f"/crawls/{run.id}")).json()
    assert body["status"] == "failed" and body["reason"] == "no list page answered"
    failed = [{k: v for k, v in item.items() if k != "at"} for item in body["failed_items"]]
    assert failed == [
        {"url": "https://www.korea.kr/list?page=1", "stage": "list", "kind": "http_500",
         "reason": "list page answered 500"},
        {"url": "https://www.korea.kr/view?id=9", "stage": "article", "kind": "layout_changed",
         "reason": "no title in"},
    ]  # fmt: skip
    assert all(item["at"] for item in body["failed_items"])
    assert (await api.get(f"/crawls/{other.id}")).json()["failed_items"] == []
    listed = (await api.get("/crawls")).json()["items"]
    assert all("failed_items" not in item for item in listed)  # only the one run's page has them


def test_a_stored_stage_is_shown() -> None:
    from scheduler.api.crawls import failed_item

    @dataclass
    class WithStage:  # an error record as storage keeps it
        url: str = "https://www.korea.kr/att.hwpx"
        kind: str = "too_large"
        reason: str = "attachment over 20 MiB"
        created_at: datetime = datetime(2026, 11, 20, tzinfo=UTC)
        stage: str = "attachment"

    shown = failed_item(WithStage())  # type: ignore[arg-type]
    assert (shown.stage, shown.kind, shown.reason) == ("attachment", "too_large", "attachment over 20 MiB")


# --- access ---------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_without_token_only_loopback_callers_may_trigger(api: Api) -> None:
    app = api.client._transport.app  # type: ignore[attr-defined]
    async with make_client(app, REMOTE) as remote:
        refused = await remote.post("/crawls", json={"source": "korea_kr"})
        assert refused.status_code == 403
        assert "BRIEFING_API_TOKEN" in refused.json()["detail"]
        assert (await remote.get("/articles")).status_code == 200  # reads stay open
    assert api.crawls.submitted == []


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "headers, allowed",
    [
        ({}, False),
        ({"Authorization": "Bearer wrong"}, False),
        ({"Authorization": "Basic czNjcjN0"}, False),
        ({"Authorization": f"Bearer {TOKEN[:-1]}"}, False),
        ({"Authorization": f"Bearer {TOKEN}"}, True),
    ],
)
async def test_with_token_every_caller_needs_it(
    db: Database, tmp_path: Any, headers: dict[str, str], allowed: bool
) -> None:
    settings = Settings(database_url=db.url, data_dir=tmp_path, api_token=TOKEN)
    crawls = FakeCrawls(db)
    async with make_client(create_app(settings, db, crawls, FakeSchedule()), REMOTE) as client:
        response = await client.post("/crawls", json={"source": "korea_kr"}, headers=headers)
        if allowed:
            assert response.status_code == 202
        else:
            assert response.status_code == 401
            assert response.headers["www-authenticate"] == "Bearer"
            assert crawls.submitted == []
        assert (await client.get("/crawls")).status_code == 200


# --- health and metrics ---------------------------------------------------------------------


@pytest.mark.asyncio
async def test_healthz_reports_database_scheduler_and_last_runs(api: Api) -> None:
    with api.crawls.db.session() as session:
        run = storage.create_run(session=session, source="korea_kr:policy", trigger="scheduled")
        storage.finish_run(session=session, run_id=run.id, status="succeeded", exit_code=0)
    body = (await api.get("/healthz")).json()
    assert body["status"] == "ok"
    assert body["database"] is True and body["scheduler"] is True
    source = body["sources"]["korea_kr:policy"]
    assert source["last_run"]["id"] == run.id
    assert source["last_run"]["status"] == "succeeded"
    assert source["next_run_at"] == "2026-11-21T09:30:00+09:00"


@pytest.mark.asyncio
async def test_healthz_is_503_when_the_scheduler_is_not_running(api: Api) -> None:
    api.schedule.running = False
    response = await api.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "degraded"
    assert response.json()["scheduler"] is False


def fail_source(db: Database, name: str, status: str, reason: str | None) -> None:
    """What a failed run leaves behind: the run failed and the source's state set to `status`."""
    with db.session() as session:
        run = storage.create_run(session=session, source=name, trigger="scheduled")
        storage.finish_run(session=session, run_id=run.id, status="failed", exit_code=1, reason=reason)
        storage.record_check(
            session=session, name=name, kind="korea_kr", url=None, status=status, error=reason
        )


@pytest.mark.asyncio
async def test_healthz_is_503_naming_an_enabled_source_in_error(api: Api) -> None:
    fail_source(
        api.crawls.db, "korea_kr:policy", "error", "could not reach https://www.korea.kr: DNS failure"
    )
    response = await api.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["database"] is True and body["scheduler"] is True
    assert body["problems"] == [
        "source korea_kr:policy is in state error: could not reach https://www.korea.kr: DNS failure"
    ]
    source = body["sources"]["korea_kr:policy"]
    assert source["state"] == "error"
    assert source["state_reason"] == "could not reach https://www.korea.kr: DNS failure"
    assert source["last_run"]["status"] == "failed"

    # A later run that succeeds sets the state back to ok: healthy again.
    with api.crawls.db.session() as session:
        storage.record_check(session=session, name="korea_kr:policy", kind="korea_kr", url=None, status="ok")
    healthy = await api.get("/healthz")
    assert healthy.status_code == 200
    assert healthy.json()["problems"] == []
    assert healthy.json()["sources"]["korea_kr:policy"]["state"] == "ok"


@pytest.mark.asyncio
async def test_healthz_ignores_failing_sources_that_are_not_enabled(api: Api) -> None:
    fail_source(api.crawls.db, "feed:retired", "dead", "feed answered 404")
    response = await api.get("/healthz")
    assert response.status_code == 200
    assert response.json()["sources"]["feed:retired"]["state"] == "dead"  # shown, not alarming
    api.schedule.next_runs["feed:retired"] = None  # enabled again
    alarmed = await api.get("/healthz")
    assert alarmed.status_code == 503
    assert alarmed.json()["problems"] == ["source feed:retired is in state dead: feed answered 404"]


@pytest.mark.asyncio
async def test_healthz_reads_a_site_wide_state_and_cleans_the_reason(api: Api) -> None:
    fail_source(api.crawls.db, "korea_kr", "error", "<b>list pages</b> changed\x1b")
    body = (await api.get("/healthz")).json()
    assert body["problems"] == ["source korea_kr:policy is in state error: list pages changed"]


@pytest.mark.asyncio
async def test_metrics_in_prometheus_text(api: Api) -> None:
    seed(api.crawls.db, [make_article(1), make_article(2)])
    finished = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)
    with api.crawls.db.session() as session:
        for status in ("succeeded", "failed", "failed"):
            run = storage.create_run(session=session, source="korea_kr:policy")
            storage.add_counts(session=session, run_id=run.id, seen=3, failed=1)
            storage.finish_run(session=session, run_id=run.id, status=status, now=finished)
    response = await api.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    lines = set(response.text.splitlines())
    assert {
        "# TYPE briefing_runs gauge",
        'briefing_runs{source="korea_kr:policy",status="succeeded"} 1',
        'briefing_runs{source="korea_kr:policy",status="failed"} 2',
        'briefing_runs{source="korea_kr:policy",status="running"} 0',
        'briefing_run_failures{source="korea_kr:policy"} 2',
        'briefing_failed_pages{source="korea_kr:policy"} 3',
        f'briefing_last_success_timestamp_seconds{{source="korea_kr:policy"}} {finished.timestamp()}',
        'briefing_articles{source="korea_kr"} 2',
        "briefing_scheduler_running 1",
    } <= lines


@pytest.mark.asyncio
async def test_openapi_documents_every_endpoint(api: Api) -> None:
    paths = set((await api.get("/openapi.json")).json()["paths"])
    assert paths == {
        "/crawls",
        "/crawls/{run_id}",
        "/articles",
        "/articles/{article_id}",
        "/articles/{article_id}.md",
        "/feed.xml",
        "/healthz",
        "/metrics",
    }
    assert (await api.get("/docs")).status_code == 200
