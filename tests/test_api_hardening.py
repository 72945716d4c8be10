"""API hardening (issue 13.5): the token is checked before the body is read, bodies are limited,
short tokens refuse to start, links ignore the Host header, empty searches and database outages
get clear answers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import feedparser
import httpx
import pytest

from scheduler.app import create_app
from scheduler.settings import TOKEN_MIN_LENGTH, Settings
from storage import Database
from storage.db import EngineOptions
from tests.factories import make_article
from tests.test_api import REMOTE, FakeCrawls, FakeSchedule, make_client, seed

TOKEN = "0123456789abcdef-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def app_for(db: Database, tmp_path: Path, **settings: Any) -> Any:
    options = {"database_url": db.url, "data_dir": tmp_path, "api_token": TOKEN} | settings
    return create_app(Settings(**options), db, FakeCrawls(db), FakeSchedule())


class Watched:
    """A request body that records how much of it the server asked for."""

    def __init__(self, chunks: int, size: int = 16 * 1024) -> None:
        self.chunks, self.size, self.sent = chunks, size, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(self.chunks):
            self.sent += self.size
            yield b"{" * self.size


# --- authentication before the body ---------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong-token-0123456789"}])
async def test_the_token_is_checked_before_any_byte_of_the_body_is_read(
    db: Database, tmp_path: Path, headers: dict[str, str]
) -> None:
    body = Watched(chunks=64)
    async with make_client(app_for(db, tmp_path), REMOTE) as client:
        response = await client.post(
            "/crawls", content=body, headers=headers | {"content-type": "application/json"}
        )
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert body.sent == 0  # the app answered without pulling a single chunk


@pytest.mark.asyncio
async def test_malformed_json_without_a_token_is_401_and_with_it_422(db: Database, tmp_path: Path) -> None:
    crawls = FakeCrawls(db)
    app = create_app(
        Settings(database_url=db.url, data_dir=tmp_path, api_token=TOKEN), db, crawls, FakeSchedule()
    )
    json_type = {"content-type": "application/json"}
    async with make_client(app, REMOTE) as client:
        anonymous = await client.post("/crawls", content=b"{not json", headers=json_type)
        assert anonymous.status_code == 401
        signed = await client.post("/crawls", content=b"{not json", headers=json_type | AUTH)
        assert signed.status_code == 422
        assert signed.json()["detail"] == "body.1: JSON decode error"
        empty = await client.post("/crawls", content=b"", headers=json_type | AUTH)
        assert (empty.status_code, empty.json()["detail"]) == (422, "body: Field required")
        not_json = await client.post("/crawls", content=b"source=korea_kr", headers=AUTH | {
            "content-type": "application/x-www-form-urlencoded"})  # fmt: skip
        assert not_json.status_code == 422
        assert "Content-Type: application/json" in not_json.json()["detail"]
    assert crawls.submitted == []


# --- body size ------------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize("headers, status", [(AUTH, 413), ({}, 401)])
async def test_a_declared_body_over_the_limit_is_refused_before_it_is_read(
    db: Database, tmp_path: Path, headers: dict[str, str], status: int
) -> None:
    body = Watched(chunks=8, size=1024)  # 8 KiB, declared below
    async with make_client(app_for(db, tmp_path, max_body_bytes=4096)) as client:
        response = await client.post("/crawls", content=body, headers=headers | {"content-length": "8192"})
    assert response.status_code == status  # the token first: a stranger learns nothing of limits
    if status == 413:
        assert "BRIEFING_MAX_BODY_BYTES" in response.json()["detail"]
    assert body.sent == 0


@pytest.mark.asyncio
async def test_a_streamed_body_is_cut_at_the_limit_with_413(db: Database, tmp_path: Path) -> None:
    # No Content-Length (chunked): counted while it arrives, refused once past the limit.
    body = Watched(chunks=64, size=1024)
    crawls = FakeCrawls(db)
    settings = Settings(database_url=db.url, data_dir=tmp_path, api_token=TOKEN, max_body_bytes=4096)
    async with make_client(create_app(settings, db, crawls, FakeSchedule())) as client:
        response = await client.post(
            "/crawls", content=body, headers=AUTH | {"content-type": "application/json"}
        )
    assert response.status_code == 413
    assert response.json() == {"detail": "request body larger than 4096 bytes (BRIEFING_MAX_BODY_BYTES)"}
    assert body.sent <= 5 * 1024  # it stopped reading at the first chunk past the limit
    assert crawls.submitted == []


@pytest.mark.asyncio
async def test_a_body_within_the_limit_is_served(db: Database, tmp_path: Path) -> None:
    async with make_client(app_for(db, tmp_path, max_body_bytes=64)) as client:
        small = await client.post("/crawls", json={"source": "korea_kr"}, headers=AUTH)
        assert small.status_code == 202
        padded = await client.post("/crawls", json={"source": "korea_kr" + " " * 64}, headers=AUTH)
        assert padded.status_code == 413


def test_the_body_limit_is_a_setting_with_a_safe_default() -> None:
    assert Settings().max_body_bytes == 64 * 1024
    assert Settings(max_body_bytes="1000").max_body_bytes == 1000  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_body_bytes"):
        Settings(max_body_bytes=0)


# --- tokens ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    [
        " ",
        "\t \n",
        "short",
        "e2e-token",
        "x" * (TOKEN_MIN_LENGTH - 1),
        "  " + "y" * (TOKEN_MIN_LENGTH - 1) + "  ",
    ],
)
@pytest.mark.parametrize("host", ["127.0.0.1", "0.0.0.0"])
def test_short_or_blank_tokens_are_refused_at_start(token: str, host: str) -> None:
    error = Settings(api_token=token, host=host).bind_error()
    assert error is not None
    assert error.startswith("BRIEFING_API_TOKEN is too short")
    assert f"use at least {TOKEN_MIN_LENGTH}" in error


def test_a_long_token_or_none_on_loopback_may_start() -> None:
    assert Settings(api_token="z" * TOKEN_MIN_LENGTH, host="0.0.0.0").bind_error() is None
    assert Settings(api_token=None, host="127.0.0.1").bind_error() is None
    assert Settings(api_token="", host="127.0.0.1").bind_error() is None  # empty: no token
    assert "set BRIEFING_API_TOKEN" in (Settings(api_token="", host="0.0.0.0").bind_error() or "")


def test_the_service_refuses_a_blank_token_with_one_line(tmp_path: Path) -> None:
    from tests.crawl_helpers import briefing, briefing_env

    env = briefing_env(
        f"sqlite:///{tmp_path / 'b.db'}", tmp_path, "http://127.0.0.1:9", BRIEFING_API_TOKEN=" "
    )
    result = briefing("run", "--host", "0.0.0.0", "--port", "0", env=env, timeout=60)
    assert result.returncode == 2
    assert "BRIEFING_API_TOKEN is too short (0 characters" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""


@pytest.mark.asyncio
async def test_a_token_with_surrounding_spaces_is_compared_without_them(db: Database, tmp_path: Path) -> None:
    async with make_client(app_for(db, tmp_path, api_token=f"  {TOKEN}\n"), REMOTE) as client:
        assert (await client.post("/crawls", json={"source": "korea_kr"}, headers=AUTH)).status_code == 202


# --- links from configuration, not from the request -----------------------------------------


@pytest.mark.asyncio
async def test_feed_links_ignore_the_host_header(db: Database, tmp_path: Path) -> None:
    seed(db, [make_article(1)])
    app = app_for(db, tmp_path, public_url="https://news.example.org/")
    async with make_client(app) as client:
        response = await client.get(
            "/feed.xml", params={"q": "정책", "limit": 5}, headers={"Host": "evil.example"}
        )
    assert b"evil.example" not in response.content
    parsed = feedparser.parse(response.content)
    assert parsed.feed.id == "https://news.example.org/feed.xml?q=%EC%A0%95%EC%B1%85&limit=5"
    assert parsed.feed.links[0].href == parsed.feed.id
    assert parsed.feed.links[0].rel == "self"


@pytest.mark.asyncio
async def test_without_a_public_url_links_use_the_bind_address(db: Database, tmp_path: Path) -> None:
    async with make_client(app_for(db, tmp_path, host="127.0.0.1", port=8090)) as client:
        parsed = feedparser.parse((await client.get("/feed.xml", headers={"Host": "evil.example"})).content)
    assert parsed.feed.id == "http://127.0.0.1:8090/feed.xml"
    bound = create_app(
        Settings(database_url=db.url, data_dir=tmp_path), db, FakeCrawls(db), FakeSchedule(),
        bound_url="http://127.0.0.1:41234",
    )  # fmt: skip
    async with make_client(bound) as client:
        parsed = feedparser.parse((await client.get("/feed.xml", headers={"Host": "evil.example"})).content)
    assert parsed.feed.id == "http://127.0.0.1:41234/feed.xml"


def test_the_public_url_must_be_a_web_address() -> None:
    with pytest.raises(ValueError, match="BRIEFING_PUBLIC_URL must start with http:// or https://"):
        Settings(public_url="news.example.org")
    assert Settings(public_url="https://news.example.org/b/").public_url == "https://news.example.org/b"


# --- searches -------------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize("path", ["/articles", "/feed.xml"])
@pytest.mark.parametrize("q", ["%", "*", '"', "%%", "* ?", "'--", "  "])
async def test_a_query_with_nothing_to_search_for_is_422(
    db: Database, tmp_path: Path, path: str, q: str
) -> None:
    seed(db, [make_article(1)])
    async with make_client(app_for(db, tmp_path)) as client:
        response = await client.get(path, params={"q": q})
    assert response.status_code == 422
    assert response.json()["detail"] == "q: needs at least one letter or digit to search for"


@pytest.mark.asyncio
async def test_punctuation_around_words_still_searches(db: Database, tmp_path: Path) -> None:
    seed(db, [make_article(1, title="정부예산안 발표"), make_article(2)])
    async with make_client(app_for(db, tmp_path)) as client:
        found = (await client.get("/articles", params={"q": '"예산"'})).json()["items"]
        everything = (await client.get("/articles", params={"q": ""})).json()["items"]
    assert [a["title"] for a in found] == ["정부예산안 발표"]
    assert len(everything) == 2  # an empty q is no filter, as before


# --- database outage ------------------------------------------------------------------------

DOWN_URLS = {
    "sqlite": "sqlite:///{tmp}/a-folder",  # a folder where the file should be: cannot be opened
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:9/briefing",  # nothing listens
}
ENDPOINTS = [
    ("GET", "/articles"),
    ("GET", "/articles?q=정책"),
    ("GET", "/articles/1"),
    ("GET", "/articles/1.md"),
    ("GET", "/feed.xml"),
    ("GET", "/crawls"),
    ("GET", "/crawls/1"),
    ("POST", "/crawls"),
    ("GET", "/metrics"),
]


@pytest.mark.asyncio
@pytest.mark.parametrize("backend", list(DOWN_URLS))
async def test_every_endpoint_answers_503_json_while_the_database_is_down(
    tmp_path: Path, backend: str
) -> None:
    (tmp_path / "a-folder").mkdir()
    url = DOWN_URLS[backend].format(tmp=tmp_path)
    db = Database(url, create=False, options=EngineOptions(connect_timeout=2))
    settings = Settings(database_url=db.url, data_dir=tmp_path, api_token=TOKEN)
    app = create_app(settings, db, FakeCrawls(db), FakeSchedule())
    try:
        async with make_client(app) as client:
            for method, path in ENDPOINTS:
                body = {"json": {"source": "korea_kr"}} if method == "POST" else {}
                response = await client.request(method, path, headers=AUTH, **body)
                assert response.status_code == 503, (path, response.text)
                assert response.json() == {"detail": "the database is unavailable; try again later"}, path
                assert response.headers["retry-after"] == "30"
            health = await client.get("/healthz")
            assert health.status_code == 503
            assert health.json()["database"] is False
            assert health.json()["problems"] == ["the database is unreachable"]
    finally:
        db.dispose()


@pytest.mark.asyncio
async def test_a_query_bug_is_still_a_500_not_an_outage(
    db: Database, tmp_path: Path, monkeypatch: Any
) -> None:
    from sqlalchemy.exc import ProgrammingError

    from scheduler.api import articles

    def broken(**_: Any) -> None:
        raise ProgrammingError("SELECT nonsense", {}, Exception("syntax error"))

    monkeypatch.setattr(articles, "list_articles", broken)
    app = app_for(db, tmp_path)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await client.get("/articles")).status_code == 500
