"""`reparse` over an archive of fixture pages: new articles, unchanged on a second pass, and after a
parser change a revision only for the article whose content changed; press releases keep their
stored body (attachments are not archived)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from crawler.archive import ArchivedPage, WarcArchive
from crawler.posts.render import PostRenderer
from crawler.reparse import newest_pages, reparse
from crawler.sites import korea_kr
from storage import Database, count_revisions, find_article, upsert_articles

FIXTURES = Path(__file__).parent / "fixtures" / "korea_kr"
T0 = datetime(2026, 7, 13, 3, 0, tzinfo=UTC)
PAGES = ("policy_news", "policy_news_kogl4", "briefing_contract", "press_release_viewer", "unknown_layout")


def archived(name: str, when: datetime = T0, html: str | None = None) -> ArchivedPage:
    case = json.loads((FIXTURES / f"{name}.expected.json").read_text(encoding="utf-8"))
    body = html if html is not None else (FIXTURES / f"{name}.html").read_text(encoding="utf-8")
    return ArchivedPage(
        source=f"korea_kr:{case['section']}", url=case["url"], canonical_url=case["url"],
        section=case["section"], fetched_at=when, status=200, body=body.encode(),
        headers=(("Content-Type", "text/html; charset=utf-8"),),
    )


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    with WarcArchive(tmp_path / "archive") as warc:
        for name in PAGES:
            warc.write(archived(name))
    return tmp_path / "archive"


def render(article):  # type: ignore[no-untyped-def]
    return PostRenderer.from_path(None).render(article)


def test_reparse_stores_then_changes_nothing(db: Database, archive: Path) -> None:
    first = reparse(db=db, archive_dir=str(archive), render=render)
    assert first.pages == 5
    # The press release's body is in its viewer (not archived) and it was never stored.
    assert (first.new, first.updated, first.skipped) == (3, 0, 1)
    assert [kind.split(":")[0] for _, kind in first.failed] == ["layout"]
    again = reparse(db=db, archive_dir=str(archive), render=render)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 3)


def test_a_parser_change_revises_only_the_articles_it_changes(
    db: Database, archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reparse(db=db, archive_dir=str(archive), render=render)
    with db.session(read_only=True) as session:
        before = {s: find_article(session=session, source="korea_kr", external_id=s) for s in ("148950001",)}
    stored = before["148950001"]
    assert stored is not None and stored.revision_count == 1
    # The fix: a paragraph of this article is now recognised as boilerplate.
    first_paragraph = "산업통상자원부는 12일 서울에서 ‘AI 자율제조 얼라이언스’ 출범식을 열었다."
    monkeypatch.setattr(korea_kr, "BOILERPLATE", korea_kr.BOILERPLATE | {first_paragraph})
    result = reparse(db=db, archive_dir=str(archive), render=render)
    assert (result.new, result.updated, result.unchanged) == (0, 1, 2)
    with db.session(read_only=True) as session:
        after = find_article(session=session, source="korea_kr", external_id="148950001")
        assert after is not None and after.revision_count == 2
        assert first_paragraph not in after.article.body_html
        assert after.post_text is not None and first_paragraph not in after.post_text
        assert count_revisions(session=session) == 3 + 1


def test_a_press_release_keeps_its_stored_body(db: Database, archive: Path) -> None:
    page = korea_kr.parse_article(
        (FIXTURES / "press_release_viewer.html").read_text(encoding="utf-8"),
        archived("press_release_viewer").canonical_url, section="press",
    )
    crawled = page.with_changes(body_html="<p>뷰어에서 읽은 본문</p>", body_source="viewer")
    with db.session() as session:
        upsert_articles(session=session, articles=[crawled])
    result = reparse(db=db, archive_dir=str(archive), render=render, sources=["korea_kr:press"])
    assert (result.pages, result.kept_body, result.skipped, result.unchanged) == (1, 1, 0, 1)
    with db.session(read_only=True) as session:
        stored = find_article(session=session, source="korea_kr", external_id=crawled.external_id)
    assert stored is not None and stored.article.body_source == "viewer"


def test_the_newest_copy_of_a_page_is_the_one_reparsed(tmp_path: Path) -> None:
    with WarcArchive(tmp_path) as warc:
        warc.write(archived("policy_news", T0, html="<p>old</p>"))
        warc.write(archived("policy_news", T0 + timedelta(days=1)))
        warc.write(archived("policy_news_kogl4", T0))
    pages = list(newest_pages(str(tmp_path), sources=(), since=None, until=None))
    assert [(p.canonical_url[-9:], p.fetched_at.day) for p in pages] == [("148950001", 14), ("148960004", 13)]
    window = list(newest_pages(str(tmp_path), sources=(), since=None, until=date(2026, 7, 13)))
    assert [p.body for p in window][0] == b"<p>old</p>"
