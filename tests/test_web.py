"""The web pages over a seeded database (SQLite and PostgreSQL), without a browser.

What a browser cannot easily show: the access rules (sign-in, CSRF, loopback), the preview's
sanitizing, error pages, and that the package ships its templates and static files.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, datetime
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

import storage
from crawler.posts.render import PostRenderer
from domain.article import KST
from scheduler.app import create_app
from scheduler.crawls import CrawlTarget
from scheduler.manager import AlreadyRunning
from scheduler.settings import Settings
from scheduler.web.preview import preview, render_markdown, split_post
from scheduler.web.session import COOKIE
from storage import CrawlRun, Database
from tests.factories import make_article

REPO = Path(__file__).resolve().parents[1]
LOCAL = ("127.0.0.1", 50000)
REMOTE = ("203.0.113.7", 50000)
TOKEN = "s3cret-token"
TABLE = "<table><tr><th>구분</th><th>규모</th></tr><tr><td>청년</td><td>40만 원</td></tr></table>"


@dataclass
class FakeCrawls:
    db: Database
    busy: CrawlRun | None = None
    submitted: list[tuple[str, str]] = field(default_factory=list)

    @property
    def active_run_ids(self) -> dict[str, int]:
        return {self.busy.source: self.busy.id} if self.busy else {}

    async def submit(self, target: CrawlTarget, since: date, until: date, trigger: str) -> CrawlRun:
        if self.busy is not None:
            raise AlreadyRunning(self.busy)
        self.submitted.append((target.name, trigger))
        with self.db.session() as session:
            return storage.create_run(session=session, source=target.name, trigger=trigger)


@dataclass
class FakeSchedule:
    running: bool = True

    def next_run_times(self) -> dict[str, datetime | None]:
        return {"korea_kr:policy": datetime(2026, 11, 21, 9, 30, tzinfo=KST)}


@dataclass
class Web:
    db: Database
    crawls: FakeCrawls
    settings: Settings
    app: Any

    def client(self, peer: tuple[str, int] = LOCAL) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app, client=peer), base_url="http://briefing.test"
        )


def _web(db: Database, tmp_path: Path, token: str | None) -> Web:
    settings = Settings(
        database_url=db.url, data_dir=tmp_path, api_token=token, sources_file=tmp_path / "sources.toml"
    )
    crawls = FakeCrawls(db)
    return Web(db, crawls, settings, create_app(settings, db, crawls, FakeSchedule()))


@pytest.fixture
def web(db: Database, tmp_path: Path) -> Web:
    return _web(db, tmp_path, TOKEN)


@pytest_asyncio.fixture
async def client(web: Web) -> AsyncIterator[httpx.AsyncClient]:
    async with web.client() as c:
        yield c


def seed(db: Database, count: int = 25) -> list[int]:
    renderer = PostRenderer.from_path(None)
    articles = [
        make_article(
            n,
            title=f"자율제조 확산 {n}" if n % 5 == 0 else f"정책 기사 {n}",
            body_html=f"<p>기사 {n}의 본문입니다.</p>{TABLE if n == 5 else ''}",
            license_type=4 if n % 4 == 0 else 1,
        )
        for n in range(1, count + 1)
    ]
    with db.session() as session:
        return storage.upsert_articles(session=session, articles=articles, render_post=renderer.render).ids


def titles(html: str) -> list[str]:
    return re.findall(r'class="title" href="/web/articles/\d+">([^<]+)</a>', html)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has a form with a CSRF token"
    return found.group(1)


async def sign_in(client: httpx.AsyncClient, token: str = TOKEN) -> httpx.Response:
    page = await client.get("/web/signin")
    return await client.post(
        "/web/signin", data={"csrf": csrf_of(page.text), "token": token, "next": "/web/sources"}
    )


# --- the preview ------------------------------------------------------------------------------


def test_preview_renders_markdown_and_keeps_the_sanitizer_rules() -> None:
    post = (
        "---\ntitle: 제목\nfeature_text: >\n  ## 속보\n---\n\n"
        '<p onclick="x()">본문 <img src="https://www.korea.kr/a.jpg" alt="사진" onerror="alert(1)"></p>\n\n'
        "<script>alert(1)</script>\n\n"
        '<p><a href="javascript:alert(1)">링크</a> <iframe src="https://evil.example"></iframe></p>\n\n'
        "**굵게** 그리고 [원문](https://www.korea.kr/news)\n\n" + TABLE + "\n"
    )
    shown = preview(post)
    assert shown.front_matter["title"] == "제목"
    assert "<h2>속보</h2>" in shown.feature_html
    body = shown.body_html
    for banned in ("<script", "onclick", "onerror", "javascript:", "<iframe", "<img", "evil.example"):
        assert banned not in body
    assert '<a href="https://www.korea.kr/a.jpg" rel="nofollow noopener noreferrer">[이미지] 사진</a>' in body
    assert "<strong>굵게</strong>" in body
    assert '<a href="https://www.korea.kr/news" rel="nofollow noopener noreferrer">원문</a>' in body
    assert "<td>40만 원</td>" in body


def test_preview_of_a_post_without_front_matter_says_so() -> None:
    values, body, error = split_post("<p>본문만</p>\n")
    assert (values, error) == ({}, "the post has no front matter")
    assert render_markdown(body) == "<p>본문만</p>"
    assert split_post("---\n: [\n---\nbody")[2].startswith("the front matter is not valid YAML")


# --- articles --------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_articles_newest_first_with_the_count_and_cursor_pages(
    web: Web, client: httpx.AsyncClient
) -> None:
    seed(web.db)
    first = await client.get("/")
    assert first.status_code == 200
    assert titles(first.text)[:3] == ["자율제조 확산 25", "정책 기사 24", "정책 기사 23"]
    assert len(titles(first.text)) == 20
    assert re.search(r'id="found">\s*25건', first.text)
    next_url = re.search(r'href="([^"]+)" id="next"', first.text)
    assert next_url
    second = await client.get(next_url.group(1).replace("&amp;", "&"))
    assert titles(second.text) == [
        f"정책 기사 {n}" if n % 5 else f"자율제조 확산 {n}" for n in range(5, 0, -1)
    ]
    assert 'id="next"' not in second.text


@pytest.mark.asyncio
async def test_search_and_filters_use_the_api_search(web: Web, client: httpx.AsyncClient) -> None:
    seed(web.db)
    found = await client.get("/", params={"q": "자율제조"})
    assert titles(found.text) == [f"자율제조 확산 {n}" for n in (25, 20, 15, 10, 5)]
    assert re.search(r'id="found">\s*5건', found.text)
    api = (await client.get("/articles", params={"q": "자율제조"})).json()["items"]
    assert [a["title"] for a in api] == titles(found.text)
    two = await client.get("/", params={"q": "확산"})  # a two-character word
    assert titles(two.text) == titles(found.text)
    licence4 = await client.get("/", params={"license": "4"})
    assert titles(licence4.text) == [
        f"{'자율제조 확산' if n % 5 == 0 else '정책 기사'} {n}" for n in (24, 20, 16, 12, 8, 4)
    ]
    nothing = await client.get("/", params={"ministry": "없는부", "q": "자율제조"})
    assert titles(nothing.text) == [] and "조건에 맞는 기사가 없습니다" in nothing.text


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "params, message",
    [
        ({"since": "2026-13-01"}, "since: 날짜는 YYYY-MM-DD"),
        ({"since": "2026-11-22", "until": "2026-11-20"}, "since 2026-11-22 is after until 2026-11-20"),
        ({"license": "9"}, "license: 1~4"),
        ({"cursor": "not-a-cursor"}, "invalid cursor"),
        ({"q": "가" * 201}, "q: 200자 이내"),
    ],
)
async def test_bad_filters_are_one_clear_line(
    client: httpx.AsyncClient, params: dict[str, str], message: str
) -> None:
    response = await client.get("/", params=params)
    assert response.status_code == 422
    assert message in response.text


@pytest.mark.asyncio
async def test_article_page_shows_fields_revisions_and_the_post(web: Web, client: httpx.AsyncClient) -> None:
    ids = seed(web.db)
    changed = make_article(5, title="자율제조 확산 5 (수정)", body_html=f"<p>고친 본문.</p>{TABLE}")
    with web.db.session() as session:
        storage.upsert_articles(
            session=session, articles=[changed], render_post=PostRenderer.from_path(None).render
        )
    page = await client.get(f"/web/articles/{ids[4]}")
    assert page.status_code == 200
    html = page.text
    assert '<h1 class="article-title">자율제조 확산 5 (수정)</h1>' in html
    assert "수정 이력 (2)" in html and "바뀐 항목: 본문, 제목" in html
    assert "<td>40만 원</td>" in html and "공공누리 제1유형" in html
    assert 'id="feature-text"' in html
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    download = await client.get(f"/web/articles/{ids[4]}.md")
    assert download.status_code == 200 and download.text.startswith("---\ntitle: ")
    assert download.headers["content-disposition"].startswith("attachment; filename*=UTF-8''2026-11-20-")
    assert (await client.get("/web/articles/999999")).status_code == 404


@pytest.mark.asyncio
async def test_an_article_without_a_stored_post_is_previewed_with_the_profile(
    web: Web, client: httpx.AsyncClient
) -> None:
    with web.db.session() as session:
        [article_id] = storage.upsert_articles(session=session, articles=[make_article(1)]).ids
    page = await client.get(f"/web/articles/{article_id}")
    assert "저장된 글이 아직 없어" in page.text
    assert "기사 1의 본문입니다." in page.text
    assert (await client.get(f"/web/articles/{article_id}.md")).text.startswith("---\n")


def test_count_matching_uses_the_search_and_stops_at_the_cap(db: Database) -> None:
    seed(db)
    with db.session() as session:
        everything = storage.count_matching(session=session)
        found = storage.count_matching(session=session, where=storage.ArticleFilter(query="자율제조"))
        capped = storage.count_matching(session=session, cap=7)
        licence = storage.count_matching(session=session, where=storage.ArticleFilter(license_type=4))
    assert (everything, found, capped, licence) == (25, 5, 7, 6)


def test_revisions_name_the_fields_each_one_changed(db: Database) -> None:
    [article_id] = seed(db, 1)
    with db.session() as session:
        storage.upsert_articles(session=session, articles=[make_article(1, title="새 제목")])
        storage.upsert_articles(session=session, articles=[make_article(1, title="새 제목", tags=("예산",))])
        revisions = storage.list_revisions(session=session, article_id=article_id)
    assert [(r.number, r.changed) for r in revisions] == [
        (1, ()),
        (2, ("title",)),
        (3, ("tags",)),
    ]


@pytest.mark.asyncio
async def test_stored_text_is_escaped_on_every_page(web: Web, client: httpx.AsyncClient) -> None:
    hostile = make_article(1, title='<script>alert("t")</script>제목', ministry="<b>부</b>")
    with web.db.session() as session:
        [article_id] = storage.upsert_articles(session=session, articles=[hostile]).ids
    for path in ("/", f"/web/articles/{article_id}"):
        html = (await client.get(path)).text
        assert "<script>alert" not in html and "&lt;script&gt;alert" in html
        assert "<b>부</b>" not in html


# --- sign-in and actions ---------------------------------------------------------------------


@pytest.mark.asyncio
async def test_sign_in_sets_a_signed_http_only_cookie(client: httpx.AsyncClient) -> None:
    wrong = await sign_in(client, "wrong")
    assert wrong.status_code == 401 and "토큰이 맞지 않습니다" in wrong.text
    right = await sign_in(client)
    assert right.status_code == 303 and right.headers["location"] == "/web/sources"
    cookie = right.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    sources = await client.get("/web/sources")
    assert "지금 수집" in sources.text and "로그아웃" in sources.text


@pytest.mark.asyncio
async def test_crawl_now_needs_sign_in_and_a_csrf_token(web: Web, client: httpx.AsyncClient) -> None:
    page = await client.get("/web/sources")
    assert "지금 수집</button>" not in page.text
    token = csrf_of((await client.get("/web/signin")).text)
    anonymous = await client.post("/web/sources/crawl", data={"csrf": token, "source": "korea_kr:policy"})
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/web/signin")
    await sign_in(client)
    page = await client.get("/web/sources")
    forged = await client.post("/web/sources/crawl", data={"csrf": token, "source": "korea_kr:policy"})
    assert forged.status_code == 403, "the CSRF token from before sign-in no longer works"
    started = await client.post(
        "/web/sources/crawl", data={"csrf": csrf_of(page.text), "source": "korea_kr:policy"}
    )
    assert started.status_code == 303
    run_id = int(started.headers["location"].rsplit("/", 1)[1])
    assert web.crawls.submitted == [("korea_kr:policy", "web")]
    run_page = await client.get(started.headers["location"])
    assert f"수집 #{run_id}" in run_page.text
    assert '<meta http-equiv="refresh" content="2">' in run_page.text  # queued: it refreshes itself
    with web.db.session() as session:
        web.crawls.busy = storage.get_run(session=session, run_id=run_id)
    busy = await client.post(
        "/web/sources/crawl", data={"csrf": csrf_of(page.text), "source": "korea_kr:policy"}
    )
    assert busy.headers["location"] == f"/web/runs/{run_id}?busy=1"
    unknown = await client.post("/web/sources/crawl", data={"csrf": csrf_of(page.text), "source": "nope"})
    assert unknown.status_code == 422 and "출처를 알 수 없습니다" in unknown.text


@pytest.mark.asyncio
async def test_a_tampered_cookie_is_not_signed_in(web: Web) -> None:
    async with web.client() as client:
        await sign_in(client)
        value = client.cookies[COOKIE]
    async with web.client() as other:
        other.cookies.set(COOKIE, value[:-2] + ("AA" if not value.endswith("AA") else "BB"))
        page = await other.get("/web/sources")
        assert "로그아웃" not in page.text and "지금 수집</button>" not in page.text


@pytest.mark.asyncio
async def test_sign_in_returns_only_to_a_local_path(client: httpx.AsyncClient) -> None:
    page = await client.get("/web/signin")
    response = await client.post(
        "/web/signin", data={"csrf": csrf_of(page.text), "token": TOKEN, "next": "//evil.example/x"}
    )
    assert response.headers["location"] == "/web/sources"


@pytest.mark.asyncio
async def test_without_a_token_actions_are_allowed_from_loopback_only(db: Database, tmp_path: Path) -> None:
    web = _web(db, tmp_path, None)
    async with web.client(LOCAL) as local:
        page = await local.get("/web/sources")
        assert "지금 수집</button>" in page.text and "로컬 모드" in page.text
        ok = await local.post(
            "/web/sources/crawl", data={"csrf": csrf_of(page.text), "source": "korea_kr:policy"}
        )
        assert ok.status_code == 303
    async with web.client(REMOTE) as remote:
        page = await remote.get("/web/sources")
        assert "지금 수집</button>" not in page.text
        csrf = re.search(r'<meta name="csrf-token" content="([^"]+)">', page.text).group(1)  # type: ignore[union-attr]
        refused = await remote.post("/web/sources/crawl", data={"csrf": csrf, "source": "korea_kr:policy"})
        assert refused.status_code == 403
    assert len(web.crawls.submitted) == 1


# --- sources and runs ------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_sources_show_state_schedule_and_last_run(web: Web, client: httpx.AsyncClient) -> None:
    with web.db.session() as session:
        run = storage.create_run(session=session, source="korea_kr:policy", trigger="scheduled")
        storage.add_counts(session=session, run_id=run.id, seen=7, new=3, failed=1)
        storage.finish_run(session=session, run_id=run.id, status="succeeded")
        storage.record_check(
            session=session,
            name="korea_kr:policy",
            kind="korea_kr",
            url=None,
            status="error",
            error="list pages answer 200 but yield no items",
        )
    html = (await client.get("/web/sources")).text
    assert "korea_kr:policy" in html and "오류" in html
    assert "list pages answer 200 but yield no items" in html
    assert "30분마다" in html and "2026-11-21 09:30" in html
    assert f"#{run.id}</a>" in html and "확인 7 · 새 글 3" in html


@pytest.mark.asyncio
async def test_runs_and_a_runs_failed_items(web: Web, client: httpx.AsyncClient) -> None:
    with web.db.session() as session:
        run = storage.create_run(session=session, source="korea_kr:policy", trigger="api")
        storage.record_errors(
            session=session,
            run_id=run.id,
            errors=[("https://www.korea.kr/news/policyNewsView.do?newsId=1", "http_404", "HTTP 404")],
        )
        storage.finish_run(session=session, run_id=run.id, status="failed", reason="list page: HTTP 503")
    runs = (await client.get("/web/runs")).text
    assert f'id="run-{run.id}"' in runs and "실패" in runs and "list page: HTTP 503" in runs
    assert 'http-equiv="refresh"' not in runs  # nothing is running
    page = (await client.get(f"/web/runs/{run.id}")).text
    assert "newsId=1" in page and "http_404" in page and "HTTP 404" in page
    assert (await client.get("/web/runs/424242")).status_code == 404


# --- /docs offline and the package data ------------------------------------------------------


@pytest.mark.asyncio
async def test_docs_load_nothing_from_another_host(client: httpx.AsyncClient) -> None:
    docs = await client.get("/docs")
    assert docs.status_code == 200
    urls = re.findall(r'(?:src|href)="([^"]+)"|url: *["\']([^"\']+)["\']', docs.text)
    assert urls and all(not (u or v).startswith(("http:", "https:", "//")) for u, v in urls)
    assert '"validatorUrl": null' in docs.text
    for asset in ("swagger-ui/swagger-ui-bundle.js", "swagger-ui/swagger-ui.css", "style.css", "favicon.svg"):
        assert (await client.get(f"/web/static/{asset}")).status_code == 200
    assert (await client.get("/redoc")).status_code == 404  # it would load from a CDN


def test_every_template_and_static_file_is_package_data() -> None:
    """A non-editable install ships only what pyproject's package-data globs name."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    globs = config["tool"]["setuptools"]["package-data"]["scheduler.web"]
    web = REPO / "scheduler" / "web"
    files = [p.relative_to(web).as_posix() for p in web.rglob("*") if p.is_file() and p.suffix != ".pyc"]
    data = [f for f in files if f.startswith(("templates/", "static/"))]
    assert data, "templates and static files exist"
    missing = [f for f in data if not any(fnmatch(f, g) and f.count("/") == g.count("/") for g in globs)]
    assert missing == []
