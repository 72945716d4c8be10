"""Article pages parsed by the crawl's writer (crawler/pages.py): the same article, the same failures."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request

import crawler.pages
import storage
from crawler.items import FailedPage, ParsedArticle
from crawler.pages import FetchedPage, parse_page
from crawler.sites import korea_kr
from crawler.spiders.korea_kr import KoreaKrSpider
from crawler.writer import Batch, Written, start_writer
from storage import Database

FIXTURES = Path(__file__).parent / "fixtures" / "korea_kr"
GOOD = "https://www.korea.kr/news/policyNewsView.do?newsId=148900001"
NO_TITLE = "https://www.korea.kr/news/policyNewsView.do?newsId=148950099"


def page(name: str, url: str, *, encoding: str = "utf-8", **changes: object) -> FetchedPage:
    html = (FIXTURES / f"{name}.html").read_text(encoding="utf-8")
    fields: dict[str, object] = {"etag": '"e1"', "last_modified": None, "ministry": None, "presenter": None}
    fields.update(changes)
    return FetchedPage("korea_kr", url, html.encode(encoding), encoding, "policy", **fields)  # type: ignore[arg-type]


def response(name: str, url: str, *, encoding: str = "utf-8") -> HtmlResponse:
    html = (FIXTURES / f"{name}.html").read_text(encoding="utf-8")
    return HtmlResponse(url, body=html.encode(encoding), encoding=encoding, request=Request(url),
                        headers={"ETag": '"e1"'})


@pytest.mark.parametrize("encoding", ["utf-8", "cp949"])
def test_the_writer_reads_the_page_the_crawl_decoded(encoding: str) -> None:
    fetched = page("policy_news", GOOD, encoding=encoding)
    assert fetched.text == response("policy_news", GOOD, encoding=encoding).text
    parsed = parse_page(fetched)
    assert parsed == ParsedArticle(korea_kr.parse_article(fetched.text, GOOD, section="policy"), '"e1"', None)


def test_a_page_the_parser_refuses_is_the_failure_the_spider_yields() -> None:
    assert parse_page(page("no_title", NO_TITLE)) == FailedPage(
        NO_TITLE, "layout_changed", "layout changed: no title found (page of layout www-2026)"
    )


def test_a_parser_bug_is_that_page_s_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_: FetchedPage) -> object:
        raise KeyError("surprise")

    monkeypatch.setitem(crawler.pages.PARSERS, "korea_kr", broken)
    failed = parse_page(page("policy_news", GOOD))
    assert isinstance(failed, FailedPage) and (failed.url, failed.kind) == (GOOD, "error")
    assert failed.reason == "the page could not be parsed: KeyError: 'surprise'"


def test_list_fields_fill_what_the_page_lacks() -> None:
    parsed = parse_page(page("policy_news", GOOD, ministry="행정안전부"))
    assert isinstance(parsed, ParsedArticle)
    alone = korea_kr.parse_article(page("policy_news", GOOD).text, GOOD, section="policy")
    assert parsed.article.ministry == (alone.ministry or "행정안전부")


def spider(*, section: str, parse_in_writer: bool) -> KoreaKrSpider:
    s = KoreaKrSpider(section=section, since=date(2026, 11, 1), until=date(2026, 11, 2))
    s.parse_in_writer = parse_in_writer
    return s


def test_the_spider_hands_over_only_pages_that_need_nothing_more() -> None:
    handed = list(spider(section="policy", parse_in_writer=True).parse_article(
        response("policy_news", GOOD), GOOD))
    assert handed == [page("policy_news", GOOD)]
    parsed = list(spider(section="policy", parse_in_writer=False).parse_article(
        response("policy_news", GOOD), GOOD))
    assert parsed == [parse_page(page("policy_news", GOOD))]
    # A press release's body comes from further requests: its page is parsed where they are made.
    press_url = "https://www.korea.kr/briefing/pressReleaseView.do?newsId=156000001"
    press = list(spider(section="press", parse_in_writer=True).parse_article(
        response("press_release_inline", press_url), press_url))
    assert press and not any(isinstance(out, FetchedPage) for out in press)


@pytest.mark.parametrize("kind", ["process", "thread"])
def test_the_writer_parses_stores_and_fails_pages_item_by_item(db_url: str, kind: str) -> None:
    db = Database(db_url)
    try:
        with db.session() as session:
            run = storage.create_run(session=session, source="korea_kr:policy")
        writer = start_writer(kind, database_url=db_url, run_id=run.id, profile_path=None)  # type: ignore[arg-type]

        batch = Batch(pages=[page("policy_news", GOOD), page("no_title", NO_TITLE)])

        async def go() -> Written:
            try:
                return await writer.write(batch)
            finally:
                writer.close()

        written = asyncio.run(go())
        assert (written.new, written.failed) == (1, 1)
        assert written.rejected == [parse_page(page("no_title", NO_TITLE))]
        counts = written.yield_counts
        assert (counts["briefing/yield/articles"], counts["briefing/yield/failed"],
                counts["briefing/yield/layout_errors"], counts["briefing/yield/field/title"]) == (1, 1, 1, 1)
        with db.session(read_only=True) as session:
            stored = [s.article.url for s in storage.iter_articles(session=session)]
            errors = [(e.url, e.kind, e.stage) for e in storage.list_errors(session=session, run_id=run.id)]
            counted = storage.get_run(session=session, run_id=run.id)
            validators = storage.validators.load_validators(
                session=session, source="korea_kr", external_ids=["148900001", "148950099"])
    finally:
        db.dispose()
    assert stored == [GOOD]
    assert errors == [(NO_TITLE, "layout_changed", "article")]
    assert counted is not None and (counted.seen, counted.new, counted.failed) == (2, 1, 1)
    assert set(validators) == {"148900001"}  # the failed page's validators are not kept
