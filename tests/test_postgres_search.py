"""Korean search on PostgreSQL: the GIN index of 2-grams and characters, and the adaptive plan.

Both routes (the newest-first walk and the index route) must find exactly what SQLite's FTS5
finds (tests/test_storage.py::test_korean_search runs the same cases on both backends).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

import storage
from storage import ArticleFilter, Database, search
from storage.grams import grams
from storage.models import ArticleRow
from tests.conftest import postgres_url
from tests.factories import make_article

CASES = [
    ("자율제조", {1}),  # inside a longer word (자율제조를)
    ("예산", {2}),  # 2 characters: the 2-gram index
    ("AI", {1}),
    ("ai", {1}),
    ("늘", {2}),  # 1 character: the character index
    ("자율제조 AI", {1}),
    ("없는말", set()),
    ('"예산" OR *', {2}),  # syntax in input is literal text
    ("도입한다", {1}),
    ("산을", {2}),  # a 2-gram spanning no word boundary
    ("정부예", set()),  # not across a space (정부 예산)
    ("50%", set()),  # LIKE wildcards are literal
    ("a_b", {3}),
    ("ab", set()),  # `_` is not a wildcard either
]


@pytest.fixture
def pg(pg_schema_url: str) -> Iterator[Database]:
    database = Database(pg_schema_url)
    with database.session() as session:
        storage.upsert_articles(
            session=session,
            articles=[
                make_article(
                    1, title="AI 제조 혁신", body_html="<p>기업들이 자율제조를 도입한다.</p>", subtitles=()
                ),
                make_article(
                    2,
                    title="내년 정부",
                    body_html="<p>정부 예산을 늘린다. OR</p>",
                    subtitles=(),
                    ministry="기재부",
                ),
                make_article(3, title="코드 a_b", body_html="<p>밑줄</p>", subtitles=(), tags=()),
            ],
        )
    yield database
    database.dispose()


def found(db: Database, query: str) -> set[int]:
    with db.session() as session:
        page = storage.list_articles(session=session, where=ArticleFilter(query=query))
    return {int(s.article.external_id) - 148900000 for s in page.items}


@pytest.mark.parametrize(("query", "expected"), CASES)
@pytest.mark.parametrize("route", ["walk", "index"])
def test_both_routes_find_what_sqlite_finds(
    pg: Database,
    route: str,
    query: str,
    expected: set[int],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    if route == "index":
        monkeypatch.setattr(search, "FAST_SCAN_MS", 0)
    with caplog.at_level(logging.DEBUG, logger="storage.search"):
        assert found(pg, query) == expected
    assert "newest-first walk" in caplog.text if route == "walk" else "index route" in caplog.text


def _plan(db: Database, query: str) -> str:
    """EXPLAIN of the index route's statement for `query`, under the route's planner settings."""

    def build(match: Any) -> Any:
        return select(ArticleRow.id).where(*match).order_by(ArticleRow.published_at.desc()).limit(21)

    stmt = search._pg_candidates_first(search.query_words(query), build)
    with db.engine.connect() as conn:
        for name, value in search._PG_ROUTE.items():
            conn.execute(text("SELECT set_config(:name, :value, false)"), {"name": name, "value": value})
        compiled = stmt.compile(dialect=conn.dialect)
        rows = conn.exec_driver_sql("EXPLAIN " + str(compiled), compiled.params).scalars().all()
        conn.rollback()
    return "\n".join(rows)


@pytest.mark.parametrize(
    ("query", "index"),
    [
        ("자율제조", "ix_article_terms_grams"),  # its 2-grams, rechecked
        ("예산", "ix_article_terms_grams"),
        ("AI", "ix_article_terms_grams"),
        ("늘", "ix_article_terms_grams"),  # a 1-character term
    ],
)
def test_the_index_route_uses_the_gin_indexes(pg: Database, query: str, index: str) -> None:
    plan = _plan(pg, query)
    assert index in plan
    # The candidates are sorted before any articles row is read: a sort above the join would
    # read the row of every candidate.
    assert plan.index("Sort") > plan.index("Nested Loop")


def _fill(db: Database, rows: int) -> None:
    """`rows` articles mentioning 공통어, newest first by id, plus the fixture's three."""
    with db.session() as session:
        source_id = session.scalar(text("SELECT id FROM sources"))
        session.execute(
            text(
                "INSERT INTO articles (source_id, external_id, url, section, title, subtitle, published_at,"
                " tags, license_text_only, body_html, search_text, data, content_hash, revision_count,"
                " first_seen_at, last_seen_at, updated_at) "
                "SELECT :source, 'filler-' || i, 'u', 'policy', 't', '', now() - i * interval '1 second',"
                " '[]', false, '', '공통어 채우는 글 번호 ' || i, '{}', 'h', 1, now(), now(), now() "
                "FROM generate_series(1, :rows) AS i"
            ),
            {"source": source_id, "rows": rows},
        )
        # The writer's terms (storage.grams), as upsert_articles would have stored them.
        rows = session.execute(
            text(
                "SELECT id, published_at, search_text FROM articles "
                "WHERE id NOT IN (SELECT article_id FROM article_terms)"
            )
        ).all()
        session.execute(
            text("INSERT INTO article_terms (article_id, published_at, grams) VALUES (:id, :at, :grams)"),
            [{"id": id_, "at": at, "grams": grams(text_)} for id_, at, text_ in rows],
        )
        session.execute(text("ANALYZE articles"))
        session.execute(text("ANALYZE article_terms"))


def _ids(db: Database, query: str) -> list[int]:
    def build(match: Any) -> Any:
        return select(ArticleRow.id).where(*match).order_by(ArticleRow.published_at.desc()).limit(21)

    with db.session() as session:
        return [row[0] for row in search.find(session, query, build)]


def test_a_rare_word_times_out_the_walk_and_takes_the_index_route(
    pg: Database, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _fill(pg, 30_000)
    monkeypatch.setattr(search, "FAST_SCAN_MS", 1)  # the walk through 30,000 rows cannot make it
    with caplog.at_level(logging.DEBUG, logger="storage.search"):
        assert len(_ids(pg, "자율제조")) == 1
    assert "index route" in caplog.text


def test_a_frequent_word_is_found_by_the_walk(
    pg: Database, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _fill(pg, 30_000)
    monkeypatch.setattr(search, "FAST_SCAN_MS", 500)  # a busy test machine still makes it
    with caplog.at_level(logging.DEBUG, logger="storage.search"):
        assert len(_ids(pg, "공통어")) == 21
    assert "newest-first walk" in caplog.text


def test_a_search_leaves_the_session_settings_as_they_were(pg: Database) -> None:
    with pg.session() as session:
        before = session.execute(text("SHOW statement_timeout")).scalar()
        storage.list_articles(session=session, where=ArticleFilter(query="자율제조"))
        assert session.execute(text("SHOW statement_timeout")).scalar() == before
        assert session.execute(text("SHOW enable_seqscan")).scalar() == "on"
        assert session.execute(text("SHOW enable_indexscan")).scalar() == "on"


def test_the_index_route_finds_korean_words_under_lc_ctype_c(monkeypatch: pytest.MonkeyPatch) -> None:
    # Until migration 0006 PostgreSQL cut words with `\W+`, which sees no letter in Hangul under
    # LC_CTYPE C: the index held no Korean 2-gram and this route found nothing.
    base = postgres_url()
    if base is None:
        pytest.skip("TEST_DATABASE_URL not set")
    name = f"briefing_c_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(
            text(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'")
        )
    try:
        db = Database(make_url(base).set(database=name).render_as_string(hide_password=False))
        try:
            with db.session() as session:
                storage.upsert_articles(
                    session=session,
                    articles=[
                        make_article(
                            1, title="AI 제조 혁신", body_html="<p>기업들이 자율제조를 도입한다.</p>"
                        ),
                        make_article(2, title="내년 정부", body_html="<p>정부 예산을 늘린다.</p>"),
                    ],
                )
            monkeypatch.setattr(search, "FAST_SCAN_MS", 0)  # the index route only
            assert found(db, "자율제조") == {1}
            assert found(db, "예산") == {2}
            assert found(db, "늘") == {2}
        finally:
            db.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
        admin.dispose()


def _terms(db: Database) -> dict[str, tuple[Any, str]]:
    """article_terms by the article's external id: (publication time, terms)."""
    with db.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT a.external_id, t.published_at, t.grams, a.published_at, a.search_text "
                "FROM article_terms t JOIN articles a ON a.id = t.article_id"
            )
        ).all()
    for row in rows:  # the writer keeps them equal to the article's own
        assert (row[1], row[2]) == (row[3], grams(row[4]))
    return {row[0]: (row[1], row[2]) for row in rows}


def test_the_writer_keeps_each_articles_terms_and_date_in_article_terms(
    pg: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "FAST_SCAN_MS", 0)  # the index route sorts by article_terms' dates
    assert set(_terms(pg)) == {make_article(n).external_id for n in (1, 2, 3)}
    assert [s.article.external_id for s in _page(pg, "정부")] == [make_article(2).external_id]
    # A revision moves article 1 after article 4 and gives it the word: the index route must
    # order by the new date and find the new text.
    with pg.session() as session:
        storage.upsert_articles(session=session, articles=[make_article(4, body_html="<p>정부 발표</p>")])
        storage.upsert_articles(
            session=session,
            articles=[
                make_article(
                    1,
                    body_html="<p>정부가 자율제조를 도입한다.</p>",
                    subtitles=(),
                    published_at=make_article(4).published_at + timedelta(hours=1),
                )
            ],
        )
    terms = _terms(pg)
    assert terms[make_article(1).external_id][0] == make_article(4).published_at + timedelta(hours=1)
    assert [int(s.article.external_id) - 148900000 for s in _page(pg, "정부")] == [1, 4, 2]
    with pg.session() as session:  # a deleted article takes its terms with it
        gone = make_article(4).external_id
        session.execute(text("DELETE FROM articles WHERE external_id = :id"), {"id": gone})
    assert make_article(4).external_id not in _terms(pg)
    assert [int(s.article.external_id) - 148900000 for s in _page(pg, "정부")] == [1, 2]


def _page(db: Database, query: str) -> list[storage.StoredArticle]:
    with db.session() as session:
        return storage.list_articles(session=session, where=ArticleFilter(query=query)).items
