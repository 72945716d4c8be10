"""Storage: merged channels, duplicate content stored once with its aliases, and the near misses."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

import storage
from domain.article import Article
from storage import Database, UpsertResult, find_article, get_article, upsert_articles
from storage.models import ArticleAliasRow, ArticleRow
from tests.test_merge import LONG, api, page


def store(db: Database, *articles: Article) -> UpsertResult:
    with db.session() as session:
        return upsert_articles(session=session, articles=list(articles))


def counts(result: UpsertResult) -> tuple[int, int, int]:
    return result.new, result.updated, result.unchanged


def stored(db: Database, external_id: str, source: str = "korea_kr") -> storage.StoredArticle:
    with db.session() as session:
        found = find_article(session=session, source=source, external_id=external_id)
    assert found is not None, f"no article for {external_id}"
    return found


def aliases(db: Database) -> list[tuple[str, int]]:
    with db.session() as session:
        return [(r.external_id, r.article_id) for r in session.scalars(select(ArticleAliasRow))]


def twin(n: int = 99, **changes: object) -> Article:
    """The same release posted again under another newsId."""
    news_id = f"1567800{n:02d}"
    return api(
        external_id=news_id, url=f"https://www.korea.kr/briefing/pressReleaseView.do?newsId={news_id}"
    ).with_changes(**changes)


# --- two channels, one newsId ---------------------------------------------------------------


def test_api_then_page_then_api_is_one_article_with_one_new_revision(db: Database) -> None:
    assert counts(store(db, api())) == (1, 0, 0)
    assert counts(store(db, page())) == (0, 1, 0)  # the page brings its metadata: a revision
    assert counts(store(db, api())) == (0, 0, 1)
    assert counts(store(db, page())) == (0, 0, 1)
    found = stored(db, api().external_id)
    assert found.revision_count == 2
    assert (found.article.body_source, found.article.title, found.article.rep_code) == (
        "api",
        page().title,
        page().rep_code,
    )
    with db.session() as session:
        assert storage.count_articles(session=session) == 1
        assert storage.count_revisions(session=session) == 2
        row = session.scalars(select(ArticleRow)).one()
        # The row's columns follow the merged article, so lists, search and posts see it.
        assert (row.title, row.body_html, row.rep_code) == (page().title, api().body_html, page().rep_code)


def test_a_render_follows_the_merged_article(db: Database) -> None:
    rendered: list[Article] = []

    def render(article: Article) -> tuple[str, str]:
        rendered.append(article)
        return article.title, str(len(rendered))

    with db.session() as session:
        upsert_articles(session=session, articles=[page()], render_post=render)
        upsert_articles(session=session, articles=[api()], render_post=render)
        upsert_articles(session=session, articles=[page()], render_post=render)  # unchanged: no render
    assert [a.body_source for a in rendered] == ["page", "api"]
    assert rendered[-1].title == page().title


def test_a_page_only_article_still_takes_every_edit_of_its_page(db: Database) -> None:
    store(db, page())
    assert counts(store(db, page(subtitles=(), tags=("다른",)))) == (0, 1, 0)
    article = stored(db, page().external_id).article
    assert (article.subtitles, article.tags) == ((), ("다른",))


# --- duplicate content ----------------------------------------------------------------------


def test_a_release_under_a_second_id_is_stored_once_with_both_ids(db: Database) -> None:
    assert counts(store(db, api())) == (1, 0, 0)
    result = store(db, twin())
    assert counts(result) == (0, 0, 1), "an alias hit is never new"
    first = stored(db, api().external_id)
    assert result.ids == [first.id]
    assert first.article.aliases == (twin().external_id,)
    assert stored(db, twin().external_id).id == first.id  # found by its alias
    assert aliases(db) == [(twin().external_id, first.id)]
    with db.session() as session:
        assert storage.count_articles(session=session) == 1
        assert get_article(session=session, article_id=first.id) == first


def test_a_duplicate_in_the_same_batch_is_caught_too(db: Database) -> None:
    result = store(db, api(), twin())
    assert counts(result) == (1, 0, 1) and result.ids[0] == result.ids[1]


def test_a_duplicate_that_brings_something_new_updates_the_article(db: Database) -> None:
    store(db, api(subtitles=()))
    assert counts(store(db, twin(subtitles=("새 부제",)))) == (0, 1, 0)
    assert stored(db, api().external_id).article.subtitles == ("새 부제",)


def test_later_crawls_of_the_alias_go_through_the_alias_table_even_when_the_text_changed(
    db: Database,
) -> None:
    store(db, api(), twin())
    # The copy's body is edited: neither key matches any more, but the id is a known alias.
    changed = twin(body_html="<p>완전히 바뀐 짧은 본문</p>", title="바뀐 제목")
    assert counts(store(db, changed)) == (0, 0, 1)  # the original leads; the copy only fills gaps
    with db.session() as session:
        assert storage.count_articles(session=session) == 1


def test_the_title_date_ministry_key_merges_a_copy_with_a_slightly_different_body(db: Database) -> None:
    store(db, api())
    copy = twin(body_html=f"<p>{LONG}</p><p>붙임 자료를 참고하기 바랍니다.</p>")
    assert counts(store(db, copy)) == (0, 0, 1)
    assert stored(db, copy.external_id).article.external_id == api().external_id


GENERIC = "[국토교통부] 정례 브리핑"
SHELL = "<p>첨부 파일을 참고하세요.</p>"


@pytest.mark.parametrize(
    ("first", "near_miss"),
    [
        # Same title, day and ministry; a different long text: two briefings under one name.
        (api(), twin(body_html="<p>" + "교육부는 새 학기 늘봄학교 운영 계획을 안내했다. " * 10 + "</p>")),
        # The same long text a month later: a recurring notice, not the same release.
        (api(), twin(published_at=api().published_at + timedelta(days=30))),
        # Identical short bodies under different titles prove nothing.
        (api(body_html=SHELL), twin(title="다른 보도자료의 제목입니다", body_html=SHELL)),
        # A generic short title on the same day and a short body.
        (api(title=GENERIC, body_html="<p>영상 참조</p>"), twin(title=GENERIC, body_html="<p>영상 참조</p>")),
        # Same title and day, another ministry.
        (api(body_html=SHELL), twin(ministry="교육부", body_html=SHELL)),
    ],
)
def test_near_misses_are_two_articles(db: Database, first: Article, near_miss: Article) -> None:
    store(db, first)
    assert counts(store(db, near_miss)) == (1, 0, 0)
    assert aliases(db) == []
    with db.session() as session:
        assert storage.count_articles(session=session) == 2


def test_duplicates_are_only_looked_for_within_one_source(db: Database) -> None:
    store(db, api())
    assert counts(store(db, twin(source="feed:other"))) == (1, 0, 0)


def test_find_article_knows_nothing_of_unknown_ids_or_sources(db: Database) -> None:
    store(db, api(), twin())
    with db.session() as session:
        assert find_article(session=session, source="korea_kr", external_id="1") is None
        assert find_article(session=session, source="feed:x", external_id=twin().external_id) is None


def test_feed_entries_sharing_a_long_generic_body_stay_apart(db: Database) -> None:
    """Different guids and titles under one blurb ("read more"): no evidence, no merge (12.3)."""
    blurb = "<p>" + "이 기사의 전문은 누리집에서 읽을 수 있습니다. 더 보기를 누르세요. " * 12 + "</p>"
    entries = [
        api(source="feed:blurbs", external_id=f"guid-{n}", url=f"https://e.com/{n}",
            title=f"서로 다른 제목 {n}호", body_html=blurb, body_source="feed", ministry=None)
        for n in range(5)
    ]
    assert counts(store(db, *entries)) == (5, 0, 0)
    assert counts(store(db, *entries)) == (0, 0, 5)
    assert aliases(db) == []
    # The same entry under a second guid (same body, same title) is still one article.
    again = entries[0].with_changes(external_id="guid-0-again")
    assert counts(store(db, again)) == (0, 0, 1)
    assert aliases(db) != []
