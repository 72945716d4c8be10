"""Storage: idempotent upserts with revisions, search, pagination and crawl runs."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import text

import storage
import storage.articles
import storage.runs
from storage import ArticleFilter, Database, search
from tests.factories import make_article


def upsert(db: Database, articles, **kw):  # type: ignore[no-untyped-def]
    with db.session() as session:
        return storage.upsert_articles(session=session, articles=articles, **kw)


def test_upsert_new_unchanged_updated_and_revisions(db: Database) -> None:
    first = upsert(db, [make_article(1), make_article(2)])
    assert (first.new, first.updated, first.unchanged) == (2, 0, 0)
    again = upsert(db, [make_article(1), make_article(2)])
    assert (again.new, again.updated, again.unchanged) == (0, 0, 2)
    changed = upsert(db, [make_article(1, body_html="<p>바뀐 본문</p>"), make_article(2)])
    assert (changed.new, changed.updated, changed.unchanged) == (0, 1, 1)
    with db.session() as session:
        assert storage.count_articles(session=session) == 2
        assert storage.count_revisions(session=session) == 3
        stored = storage.get_article(session=session, article_id=changed.ids[0])
    assert stored is not None
    assert stored.revision_count == 2
    assert stored.article.body_html == "<p>바뀐 본문</p>"


def test_aliases_are_not_content(db: Database) -> None:
    upsert(db, [make_article(1)])
    result = upsert(db, [make_article(1, aliases=("148999999",))])
    assert result.unchanged == 1


def test_duplicate_in_one_batch_is_stored_once(db: Database) -> None:
    result = upsert(db, [make_article(1), make_article(1, title="later copy")])
    assert result.new == 1
    with db.session() as session:
        page = storage.list_articles(session=session)
    assert [s.article.title for s in page.items] == ["later copy"]


def test_a_failing_batch_leaves_nothing_behind(db: Database) -> None:
    with pytest.raises(RuntimeError), db.session() as session:
        storage.upsert_articles(session=session, articles=[make_article(1), make_article(2)])
        raise RuntimeError("crash mid-batch")
    with db.session() as session:
        assert storage.count_articles(session=session) == 0
        assert storage.count_revisions(session=session) == 0


def test_post_rendered_only_for_new_or_changed(db: Database) -> None:
    calls: list[str] = []

    def render(article):  # type: ignore[no-untyped-def]
        calls.append(article.external_id)
        return f"post {article.title}", f"hash-{article.title}"

    upsert(db, [make_article(1)], render_post=render)
    upsert(db, [make_article(1)], render_post=render)
    upsert(db, [make_article(1, title="new title")], render_post=render)
    assert calls == ["148900001", "148900001"]
    with db.session() as session:
        stored = storage.list_articles(session=session).items[0]
    assert stored.post_text == "post new title"


def test_upsert_lists_the_posts_to_render_and_store_posts_keeps_them(db: Database) -> None:
    first = upsert(db, [make_article(1), make_article(2)])
    wanted = [(p.article.external_id, p.status) for p in first.posts]
    assert wanted == [("148900001", "new"), ("148900002", "new")]
    posts = {first.ids[0]: ("post", "h1"), first.ids[1]: None}
    with db.session() as session:
        written = storage.articles.store_posts(session=session, posts=posts)
    assert written == 2
    # Unchanged with a post: nothing to render; unchanged without one (its rendering failed): again.
    again = upsert(db, [make_article(1), make_article(2)])
    assert [(p.id, p.status) for p in again.posts] == [(first.ids[1], "unchanged")]
    changed = upsert(db, [make_article(1, title="고친 제목")])
    assert [(p.article.title, p.status) for p in changed.posts] == [("고친 제목", "updated")]


def test_a_refused_article_does_not_cost_the_rest_of_the_batch(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    row_values = storage.articles._row_values

    def refuse_second(article, digest, data, **kwargs):  # type: ignore[no-untyped-def]
        values = row_values(article, digest, data, **kwargs)
        if article.external_id == "148900002":
            values["title"] = None  # NOT NULL
        return values

    monkeypatch.setattr(storage.articles, "_row_values", refuse_second)
    result = upsert(db, [make_article(1), make_article(2), make_article(3)])
    assert (result.new, result.updated, result.unchanged) == (2, 0, 0)
    [failed] = result.failed
    assert (failed.external_id, failed.url) == ("148900002", make_article(2).url)
    assert failed.reason.startswith("IntegrityError")
    assert [p.article.external_id for p in result.posts] == ["148900001", "148900003"]
    with db.session() as session:
        assert storage.count_articles(session=session) == 2 and storage.count_revisions(session=session) == 2


def test_a_lost_database_is_no_item_s_fault(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.exc import OperationalError

    def lost(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OperationalError("INSERT", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(storage.articles, "_insert_new", lost)
    with pytest.raises(OperationalError):
        upsert(db, [make_article(1), make_article(2)])


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("자율제조", {1}),  # inside a longer word (자율제조를)
        ("예산", {2}),  # 2 characters
        ("AI", {1}),  # 2 latin characters, any case
        ("ai", {1}),
        ("늘", {2}),  # 1 character: a one-character term of the 2-gram index
        ("자율제조 AI", {1}),  # every word must match
        ("없는말", set()),
        ('"예산" OR *', {2}),  # FTS syntax in input is literal text
    ],
)
def test_korean_search(db: Database, query: str, expected: set[int]) -> None:
    upsert(
        db,
        [
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
        ],
    )
    with db.session() as session:
        page = storage.list_articles(session=session, where=ArticleFilter(query=query))
    assert {int(s.article.external_id) - 148900000 for s in page.items} == expected


def test_search_index_follows_updates(db: Database) -> None:
    upsert(db, [make_article(1, body_html="<p>예산 증액</p>")])
    upsert(db, [make_article(1, body_html="<p>인력 충원</p>")])
    with db.session() as session:
        assert storage.list_articles(session=session, where=ArticleFilter(query="예산")).items == []
        assert len(storage.list_articles(session=session, where=ArticleFilter(query="충원")).items) == 1


def test_cursor_pagination_newest_first(db: Database) -> None:
    upsert(db, [make_article(n) for n in range(1, 8)])
    seen: list[str] = []
    cursor = None
    with db.session() as session:
        while True:
            page = storage.list_articles(session=session, limit=3, cursor=cursor)
            seen.extend(s.article.external_id for s in page.items)
            cursor = page.next_cursor
            if cursor is None:
                break
    assert seen == [str(148900000 + n) for n in range(7, 0, -1)]


def test_bad_cursor_is_a_clear_error(db: Database) -> None:
    with db.session() as session, pytest.raises(ValueError, match="invalid cursor"):
        storage.list_articles(session=session, cursor="nonsense!")


def test_filters(db: Database) -> None:
    upsert(db, [make_article(1), make_article(2, ministry="국방부")])
    with db.session() as session:
        only = storage.list_articles(session=session, where=ArticleFilter(ministry="국방부")).items
        assert [s.article.ministry for s in only] == ["국방부"]
        assert storage.list_articles(session=session, where=ArticleFilter(source="other")).items == []


def test_run_lifecycle_and_orphans(db: Database) -> None:
    with db.session() as session:
        run = storage.create_run(
            session=session, source="korea_kr:policy", since="2026-11-20", until="2026-11-22"
        )
        storage.mark_running(session=session, run_id=run.id, pid=999999)
        storage.add_counts(session=session, run_id=run.id, seen=3, new=2, unchanged=1)
        storage.record_errors(
            session=session, run_id=run.id, errors=[("https://x/1", "http_500", "HTTP 500")]
        )
        assert storage.active_run(session=session, source="korea_kr:policy") is not None
    with db.session() as session:
        closed = storage.close_orphaned_runs(session=session, is_alive=lambda pid: False)
        assert closed == [run.id]
        got = storage.get_run(session=session, run_id=run.id)
        assert got is not None and got.status == "interrupted" and (got.seen, got.new) == (3, 2)
        assert [e.kind for e in storage.list_errors(session=session, run_id=run.id)] == ["http_500"]
        with pytest.raises(ValueError):
            storage.finish_run(session=session, run_id=run.id, status="running")


def test_sqlite_uses_wal(tmp_path) -> None:  # type: ignore[no-untyped-def]
    database = Database(f"sqlite:///{tmp_path / 'x.db'}")
    with database.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    database.dispose()


def test_one_active_run_per_source_is_enforced_by_the_database(db: Database) -> None:
    with db.session() as session:
        first = storage.create_run(session=session, source="korea_kr:policy")
        storage.create_run(session=session, source="korea_kr:press")  # other sources are free
    with db.session() as session, pytest.raises(storage.SourceBusy) as busy:
        storage.create_run(session=session, source="korea_kr:policy")
    assert busy.value.run.id == first.id
    with db.session() as session:
        storage.finish_run(session=session, run_id=first.id, status="succeeded")
        assert storage.create_run(session=session, source="korea_kr:policy").id != first.id


def test_orphans_are_judged_only_on_their_own_host_and_after_a_grace(db: Database) -> None:
    from datetime import timedelta

    with db.session() as session:
        elsewhere = storage.create_run(session=session, source="a")
        storage.mark_running(session=session, run_id=elsewhere.id, pid=1, host="other-host")
        fresh = storage.create_run(session=session, source="b")  # queued, no pid yet
        old = storage.create_run(
            session=session, source="c", now=storage.runs.utcnow() - timedelta(minutes=10)
        )
    with db.session() as session:
        closed = storage.close_orphaned_runs(session=session, is_alive=lambda pid: False, host="this-host")
    assert closed == [old.id]
    assert elsewhere.id not in closed and fresh.id not in closed


def test_sqlite_sends_a_word_with_few_candidates_past_the_walk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # 30 articles hold 공통 and one holds 희귀어; with a walk of 5 rows, 희귀어 (1 candidate, under
    # the bound of 3) must skip the walk and 공통 (30 candidates) must still take it.
    db = Database(f"sqlite:///{tmp_path / 'route.db'}")
    monkeypatch.setattr(search, "WALK_ROWS", {"sqlite": 5})
    monkeypatch.setattr(search, "INDEX_FIRST_BELOW", {"sqlite": 3})
    bodies = {n: f"<p>공통 {'희귀어' if n == 1 else '보통'}</p>" for n in range(1, 31)}
    upsert(db, [make_article(n, body_html=body) for n, body in bodies.items()])
    with db.session() as session, caplog.at_level(logging.DEBUG, logger="storage.search"):
        rare = storage.list_articles(session=session, where=ArticleFilter(query="희귀어")).items
        assert "index route (fewer than 3 candidates)" in caplog.text
        caplog.clear()
        common = storage.list_articles(session=session, where=ArticleFilter(query="공통"), limit=4).items
        assert "newest-first walk" in caplog.text
    assert [s.article.external_id for s in rare] == ["148900001"]
    assert [s.article.external_id for s in common] == [str(148900000 + n) for n in (30, 29, 28, 27)]
    db.dispose()
