"""The service's CLI side: `articles search`, `crawl --via` and `run`'s refusal of unsafe binds."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

import storage
from domain.article import KST
from scheduler.cli import app
from storage import Database
from tests.factories import make_article

runner = CliRunner()


@pytest.fixture
def seeded(db: Database) -> Database:
    with db.session() as session:
        storage.upsert_articles(
            session=session,
            articles=[
                make_article(1, title="자율제조를 위한 [지원] 확대", ministry="산업통상자원부"),
                make_article(2, title="정부예산안 발표", ministry="기획재정부"),
                make_article(
                    3,
                    title="내년 예산 집행 계획",
                    ministry="기획재정부",
                    published_at=datetime(2026, 11, 25, 9, 0, tzinfo=KST),
                ),
            ],
        )
    return db


def search(db: Database, *args: str) -> Any:
    return runner.invoke(app, ["articles", "search", *args], env={"BRIEFING_DATABASE_URL": db.url})


def test_search_json_is_the_article_json(seeded: Database) -> None:
    result = search(seeded, "예산", "--format", "json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert [a["title"] for a in found] == ["내년 예산 집행 계획", "정부예산안 발표"]
    with seeded.session() as session:
        assert found[0] == storage.get_article(session=session, article_id=found[0]["id"]).to_json()  # type: ignore[union-attr]


def test_search_filters_by_ministry_and_days(seeded: Database) -> None:
    result = search(seeded, "예산", "--ministry", "기획재정부", "--until", "2026-11-24", "--format", "json")
    assert [a["title"] for a in json.loads(result.stdout)] == ["정부예산안 발표"]
    result = search(seeded, "예산", "--since", "2026-11-25", "--format", "json")
    assert [a["title"] for a in json.loads(result.stdout)] == ["내년 예산 집행 계획"]


def test_search_markdown_list_escapes_link_text(seeded: Database) -> None:
    result = search(seeded, "자율제조", "--format", "md")
    assert result.exit_code == 0
    assert result.stdout == (
        "- 2026-11-20 10:00 KST [자율제조를 위한 \\[지원\\] 확대]"
        "(https://www.korea.kr/news/policyNewsView.do?newsId=148900001) — 산업통상자원부\n"
    )


def test_search_table(seeded: Database) -> None:
    result = search(seeded, "정부예산")
    assert result.exit_code == 0
    assert "정부예산안 발표" in result.stdout and "내년 예산" not in result.stdout


def test_search_rejects_a_bad_day(seeded: Database) -> None:
    result = search(seeded, "예산", "--since", "yesterday")
    assert (result.exit_code, result.output) == (
        2, "briefing: --since yesterday: not a day (expected YYYY-MM-DD, e.g. 2026-11-20)\n")
    result = search(seeded, "예산", "--since", "2026-13-01")
    assert (result.exit_code, result.output) == (
        2, "briefing: --since 2026-13-01: not a day (month must be in 1..12; "
           "expected YYYY-MM-DD, e.g. 2026-11-20)\n")


def test_run_refuses_a_public_address_without_a_token(tmp_path: Any) -> None:
    result = runner.invoke(
        app, ["run", "--host", "0.0.0.0"], env={"BRIEFING_API_TOKEN": "", "BRIEFING_DATA_DIR": str(tmp_path)}
    )
    assert result.exit_code == 2
    assert "refusing to listen on 0.0.0.0: set BRIEFING_API_TOKEN" in result.output


class FakePost:
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status, self.body = status, body
        self.calls: list[tuple[str, dict[str, Any], dict[str, str]]] = []

    def __call__(
        self, url: str, *, json: dict[str, Any], headers: dict[str, str], timeout: float
    ) -> httpx.Response:
        self.calls.append((url, json, headers))
        return httpx.Response(self.status, json=self.body)


@pytest.mark.parametrize(
    "status, body, code, message",
    [
        (
            202,
            {"run_id": 7, "source": "korea_kr:policy", "status": "queued"},
            0,
            "run 7 started (korea_kr:policy)",
        ),
        (409, {"detail": "busy", "run_id": 5}, 1, "korea_kr:policy is already being crawled: run 5"),
        (401, {"detail": "send Authorization"}, 1, "set BRIEFING_API_TOKEN"),
        (422, {"detail": "since 2026-11-22 is after until 2026-11-20"}, 1, "answered 422: since 2026-11-22"),
    ],
)
def test_crawl_via_posts_to_the_service(
    monkeypatch: pytest.MonkeyPatch, status: int, body: dict[str, Any], code: int, message: str
) -> None:
    post = FakePost(status, body)
    monkeypatch.setattr(httpx, "post", post)
    result = runner.invoke(
        app,
        ["crawl", "korea_kr", "--since", "2026-11-20", "--via", "http://127.0.0.1:8080/"],
        env={"BRIEFING_API_TOKEN": "tok"},
    )
    assert result.exit_code == code, result.output
    assert message in result.output
    assert post.calls == [
        (
            "http://127.0.0.1:8080/crawls",
            {"source": "korea_kr:policy", "since": "2026-11-20"},
            {"Authorization": "Bearer tok"},
        )
    ]


def test_crawl_via_an_unreachable_service(monkeypatch: pytest.MonkeyPatch) -> None:
    result = runner.invoke(
        app, ["crawl", "korea_kr", "--via", "http://127.0.0.1:9"], env={"BRIEFING_API_TOKEN": ""}
    )
    assert result.exit_code == 1
    assert "cannot reach the service at http://127.0.0.1:9" in result.output
