"""Conditional re-fetches: stored ETag/Last-Modified go back to the site; a 304 is seen and unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from scrapy.http import HtmlResponse, Request

import storage
from crawler.items import FailedPage, NotModified
from crawler.posts.render import PostRenderer
from crawler.sites.korea_kr_urls import ListItem
from crawler.spiders.korea_kr import KoreaKrSpider
from crawler.writer import Batch, BatchWriter
from storage import Database
from storage.validators import HttpValidators, load_validators, mark_not_modified, save_validators
from tests.crawl_helpers import briefing, briefing_env
from tests.factories import make_article
from tests.replica.fixture import Replica

SINCE, UNTIL = "2026-11-18", "2026-11-19"
VIEW = "https://www.korea.kr/news/policyNewsView.do?newsId="


# --- storage -------------------------------------------------------------------------------------


def test_validators_round_trip_and_not_modified_touches_only_last_seen(db: Database) -> None:
    articles = [make_article(n) for n in range(1, 4)]
    with db.session() as session:
        storage.upsert_articles(session=session, articles=articles)
        saved = save_validators(
            session=session,
            source="korea_kr",
            validators={
                articles[0].external_id: HttpValidators('"abc"', "Sat, 21 Nov 2026 01:00:00 GMT"),
                articles[1].external_id: HttpValidators(None, "Sat, 21 Nov 2026 02:00:00 GMT"),
                "999999999": HttpValidators('"nobody"'),
            },
        )
    assert saved == 2
    ids = [a.external_id for a in articles] + ["999999999"]
    with db.session() as session:
        found = load_validators(session=session, source="korea_kr", external_ids=ids)
        assert load_validators(session=session, source="feed:none", external_ids=ids) == {}
    assert found == {
        articles[0].external_id: HttpValidators('"abc"', "Sat, 21 Nov 2026 01:00:00 GMT"),
        articles[1].external_id: HttpValidators(None, "Sat, 21 Nov 2026 02:00:00 GMT"),
    }  # the third has none, the fourth does not exist
    with db.session() as session:
        before = {s.article.external_id: s for s in storage.iter_articles(session=session)}
    later = datetime(2030, 1, 1, tzinfo=UTC)
    with db.session() as session:
        assert mark_not_modified(session=session, source="korea_kr", external_ids=ids[:2], now=later) == 2
    with db.session() as session:
        after = {s.article.external_id: s for s in storage.iter_articles(session=session)}
    for external_id in ids[:2]:
        assert after[external_id].last_seen_at == later
        assert after[external_id].updated_at == before[external_id].updated_at
        assert after[external_id].content_hash == before[external_id].content_hash
    assert after[ids[2]].last_seen_at == before[ids[2]].last_seen_at


def test_many_ids_are_looked_up_in_chunks(db: Database) -> None:
    articles = [make_article(n) for n in range(1, 1201)]
    with db.session() as session:
        storage.upsert_articles(session=session, articles=articles)
        save_validators(
            session=session,
            source="korea_kr",
            validators={a.external_id: HttpValidators(f'"{a.external_id}"') for a in articles},
        )
    with db.session() as session:
        found = load_validators(
            session=session, source="korea_kr", external_ids=[a.external_id for a in articles]
        )
    assert len(found) == 1200 and found["148900700"] == HttpValidators('"148900700"')


def test_pipeline_counts_a_304_as_seen_and_unchanged(db_url: str) -> None:
    db = Database(db_url)
    try:
        with db.session() as session:
            storage.upsert_articles(session=session, articles=[make_article(1)])
            run = storage.create_run(session=session, source="korea_kr:policy")
        writer = BatchWriter(db_url, run.id, PostRenderer.from_path(None))
        fresh = make_article(2)
        writer.write(
            Batch(
                articles=[fresh],
                failures=[FailedPage(VIEW + "148900003", "http_500", "HTTP 500 after retries")],
                not_modified=[NotModified("korea_kr", "148900001", VIEW + "148900001")],
                validators={("korea_kr", fresh.external_id): HttpValidators('"two"', None)},
            )
        )
        writer.close()
        with db.session() as session:
            counted = storage.get_run(session=session, run_id=run.id)
            stored = load_validators(
                session=session, source="korea_kr", external_ids=["148900001", "148900002"]
            )
        assert counted is not None
        assert (counted.seen, counted.new, counted.updated, counted.unchanged, counted.failed) == (
            3,
            1,
            0,
            1,
            1,
        )
        assert stored == {"148900002": HttpValidators('"two"', None)}
    finally:
        db.dispose()


# --- the spider ----------------------------------------------------------------------------------


def spider(section: str = "policy") -> KoreaKrSpider:
    return KoreaKrSpider(section=section, since=date(2026, 11, 18), until=date(2026, 11, 19))


def list_item(news_id: str = "148900001") -> ListItem:
    return ListItem(VIEW + news_id, news_id, "제목", date(2026, 11, 18), "국방부", "")


def test_known_pages_are_requested_conditionally() -> None:
    request = spider()._article_request(list_item(), HttpValidators('"abc"', "Sat, 21 Nov 2026 01:00:00 GMT"))
    assert request.headers.get("If-None-Match") == b'"abc"'
    assert request.headers.get("If-Modified-Since") == b"Sat, 21 Nov 2026 01:00:00 GMT"
    assert 304 in request.meta["handle_httpstatus_list"]
    plain = spider()._article_request(list_item(), None)
    assert "If-None-Match" not in plain.headers and "If-Modified-Since" not in plain.headers


def test_a_304_yields_not_modified_without_parsing() -> None:
    item = list_item()
    response = HtmlResponse(url=VIEW + "148900001", status=304, body=b"", request=Request(VIEW + "148900001"))
    out = list(spider().parse_article(response, VIEW + "148900001", item))
    assert out == [NotModified("korea_kr", "148900001", VIEW + "148900001")]


@pytest.mark.asyncio
async def test_fact_checks_are_never_conditional() -> None:
    # Their body is the list row's text, which the view page's validators do not cover.
    fact = spider("fact")
    fact.database_url = "sqlite:////nonexistent/never-opened.db"
    assert await fact._stored_validators(["148500071"]) == {}


# --- end to end ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_site() -> Iterator[Replica]:
    with Replica.start(articles=16, days=2, press=4, briefings=0, facts=0) as replica:
        yield replica


@pytest.fixture
def site(small_site: Replica) -> Replica:
    small_site.reset()
    return small_site


def crawl(site: Replica, db_url: str, tmp_path: Path, section: str = "policy") -> str:
    result = briefing(
        "crawl",
        f"korea_kr:{section}",
        "--since",
        SINCE,
        "--until",
        UNTIL,
        env=briefing_env(db_url, tmp_path, site.url),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def views(site: Replica, path: str = "/news/policyNewsView.do") -> list[dict[str, Any]]:
    return [r for r in site.requests() if r["path"] == path]


@pytest.mark.slow
def test_recrawl_sends_validators_and_counts_304s_as_unchanged(
    site: Replica, db_url: str, tmp_path: Path
) -> None:
    truth = {t["news_id"]: t for t in site.truth()}
    assert "seen 16, new 16" in crawl(site, db_url, tmp_path)
    db = Database(db_url)
    with db.session() as session:
        stored = load_validators(session=session, source="korea_kr", external_ids=list(truth))
    db.dispose()
    assert {k: v.etag for k, v in stored.items()} == {k: t["etag"] for k, t in truth.items()}
    site.clear_requests()
    again = crawl(site, db_url, tmp_path)
    assert "seen 16, new 0, updated 0, unchanged 16, failed 0" in again, again
    second = views(site)
    assert len(second) == 16 and {r["status"] for r in second} == {304}
    for r in second:
        news_id = r["query"].split("newsId=")[1]
        assert r["headers"]["If-None-Match"] == truth[news_id]["etag"]
        assert r["headers"]["If-Modified-Since"]
    edited = next(iter(truth))
    changed = site.mutate(edited, body_append="<p>정정 보도문입니다.</p>")
    site.clear_requests()
    third = crawl(site, db_url, tmp_path)
    assert "seen 16, new 0, updated 1, unchanged 15, failed 0" in third, third
    assert sorted(r["status"] for r in views(site)) == [200] + [304] * 15
    db = Database(db_url)
    with db.session() as session:
        assert (
            load_validators(session=session, source="korea_kr", external_ids=[edited])[edited].etag
            == (changed["etag"])
        )
        assert storage.count_revisions(session=session) == 17
    db.dispose()


@pytest.mark.slow
def test_an_unchanged_press_release_fetches_no_viewer_or_attachment(
    site: Replica, db_url: str, tmp_path: Path
) -> None:
    crawl(site, db_url, tmp_path, "press")
    site.clear_requests()
    out = crawl(site, db_url, tmp_path, "press")
    assert "new 0, updated 0, unchanged 4, failed 0" in out, out
    assert {r["status"] for r in views(site, "/briefing/pressReleaseView.do")} == {304}
    assert not [r for r in site.requests() if r["path"].startswith(("/docViewer/", "/common/download.do"))]
