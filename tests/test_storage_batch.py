"""Storage: a batch is written as a batch, and answers exactly as its articles written one by one."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

import storage
import storage.articles
from domain.article import Article
from storage import ArticleFilter, Database, UpsertResult, list_articles, upsert_articles
from storage.models import ArticleAliasRow, ArticleRevisionRow, ArticleRow, SourceRow
from tests.factories import make_article
from tests.search_helpers import index_terms, text_terms
from tests.test_merge import LONG, api

OTHER_BODY = "<p>" + "해양수산부는 연안 어업인 지원 대책을 내놓았다. " * 12 + "</p>"
THIRD_BODY = "<p>" + "농림축산식품부는 쌀 수급 안정 대책을 발표했다. " * 12 + "</p>"
REFUSED = "148900007"


def stored_first() -> list[Article]:
    return [make_article(1), make_article(2), api(subtitles=())]


def mixed_batch() -> list[Article]:
    """Unchanged, updated, new, a duplicate of a stored article, a new article and its duplicate
    in the same batch, the same id twice, and one article the database refuses."""
    return [
        make_article(1),  # unchanged
        make_article(2, body_html="<p>바뀐 본문</p>"),  # updated
        make_article(3),  # new
        api(external_id="156780099", subtitles=("새 부제",)),  # a duplicate of a stored one: updated
        make_article(5, body_html=OTHER_BODY, subtitles=()),  # new
        make_article(10, body_html=THIRD_BODY, subtitles=()),  # new
        copy_of_5(),  # its duplicate in the same batch: updated
        make_article(11, body_html=THIRD_BODY, title=make_article(10).title),  # 10 inserted by now: updated
        make_article(7),  # refused
        make_article(3, title="나중 사본"),  # the same id again: the last copy wins
        make_article(8, body_html=f"<p>{LONG}</p>", title="다른 제목"),  # same body, other title: new
    ]


def long(n: int, **changes: object) -> Article:
    """Article n with a body long enough to have a body hash to look up."""
    return make_article(n, body_html=f"<p>{n}번째 기사. {LONG}</p>", **changes)


def copy_of_5() -> Article:
    return make_article(6, body_html=OTHER_BODY, title=make_article(5).title, subtitles=("새 부제",))


def on(source: str, articles: list[Article]) -> list[Article]:
    return [a.with_changes(source=source) for a in articles]


def refuse_one(monkeypatch: pytest.MonkeyPatch) -> None:
    row_values = storage.articles._row_values

    def refuse(article, digest, data, **kwargs):  # type: ignore[no-untyped-def]
        values = row_values(article, digest, data, **kwargs)
        if article.external_id == REFUSED:
            values["title"] = None  # NOT NULL
        return values

    monkeypatch.setattr(storage.articles, "_row_values", refuse)


def write(db: Database, articles: list[Article]) -> UpsertResult:
    with db.session() as session:
        return upsert_articles(session=session, articles=articles)


def answer(db: Database, result: UpsertResult) -> dict[str, Any]:
    """The result with article ids as external ids and the source left out (it differs)."""
    with db.session() as session:
        names = {i: e for i, e in session.execute(select(ArticleRow.id, ArticleRow.external_id))}
    return {
        "counts": (result.new, result.updated, result.unchanged),
        "ids": [names[i] for i in result.ids],
        "posts": [(names[p.id], p.status, p.article.with_changes(source="-")) for p in result.posts],
        "failed": [(f.external_id, f.url, f.reason.split(":")[0]) for f in result.failed],
    }


def state(db: Database, source: str) -> dict[str, Any]:
    """What a source's articles look like in the database, the source left out."""
    with db.session() as session:
        sid = session.scalar(select(SourceRow.id).where(SourceRow.name == source))
        rows = session.scalars(select(ArticleRow).where(ArticleRow.source_id == sid)).all()
        names = {r.id: r.external_id for r in rows}

        def plain(data: dict[str, Any]) -> dict[str, Any]:
            return {k: v for k, v in data.items() if k != "source"}

        revisions = session.scalars(
            select(ArticleRevisionRow).where(ArticleRevisionRow.article_id.in_(names))
        ).all()
        aliases = session.scalars(select(ArticleAliasRow).where(ArticleAliasRow.source_id == sid)).all()
        found = {
            query: [
                s.article.external_id
                for s in list_articles(session=session, where=ArticleFilter(query=query, source=source)).items
            ]
            for query in ("부제", "본문", "연안 어업인", "나중 사본", "주거", "기사")
        }
        grams = None
        if session.get_bind().dialect.name == "sqlite":
            # The contentless 2-gram index holds exactly the terms of the texts stored now.
            grams = index_terms(session.connection())
            assert grams == text_terms(session.connection())
        return {
            "rows": sorted(
                (r.external_id, r.revision_count, r.search_text, r.body_hash, r.dedupe_key, plain(r.data))
                for r in rows
            ),
            "revisions": sorted((names[r.article_id], r.number, str(plain(r.data))) for r in revisions),
            "aliases": sorted((a.external_id, names[a.article_id]) for a in aliases),
            "search": found,
            "grams": grams,
        }


@pytest.mark.parametrize("refused", [False, True], ids=["all-stored", "one-refused"])
def test_a_mixed_batch_answers_as_its_articles_one_by_one(
    db: Database, monkeypatch: pytest.MonkeyPatch, refused: bool
) -> None:
    # Without a refusal the batch path answers; with one, the batch is retried article by
    # article, and the refused one alone is lost.
    if refused:
        refuse_one(monkeypatch)
    write(db, on("batch", stored_first()))
    batched = write(db, on("batch", mixed_batch()))
    for article in on("single", stored_first()):
        write(db, [article])
    single = UpsertResult()
    batch = on("single", mixed_batch())
    for article in list({a.external_id: a for a in batch}.values()):  # the batch's own dedupe
        single.add(write(db, [article]))
    assert answer(db, batched) == answer(db, single)
    assert answer(db, batched)["counts"] == ((4, 4, 1) if refused else (5, 4, 1))
    assert [f[0] for f in answer(db, batched)["failed"]] == ([REFUSED] if refused else [])
    assert state(db, "batch") == state(db, "single")


def test_a_new_article_and_its_duplicate_in_one_batch_are_one_row_with_two_revisions(db: Database) -> None:
    first, copy = make_article(5, body_html=OTHER_BODY, subtitles=()), copy_of_5()
    result = write(db, [first, copy])
    assert (result.new, result.updated, result.unchanged) == (1, 1, 0)
    assert result.ids[0] == result.ids[1]
    assert [p.status for p in result.posts] == ["new", "updated"]
    with db.session() as session:
        assert storage.count_articles(session=session) == 1
        assert storage.count_revisions(session=session, article_id=result.ids[0]) == 2
        page = list_articles(session=session, where=ArticleFilter(query="새 부제"))
    assert [s.article.external_id for s in page.items] == [first.external_id]
    assert page.items[0].article.aliases == (copy.external_id,)


def test_a_batch_looks_up_its_duplicates_once_per_source(db: Database) -> None:
    from sqlalchemy import event

    write(db, [long(n) for n in range(1, 4)])
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        result = write(db, [long(n) for n in range(1, 41)])
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert (result.new, result.unchanged) == (37, 3)
    inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT INTO ARTICLES ")]
    lookups = [s for s in statements if "body_hash IN" in s or "body_hash = ANY" in s]
    assert len(inserts) == 1 and len(lookups) == 1


def test_a_batch_hashes_each_new_article_once(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """The body hash and title key feed the duplicate look-up, the duplicate check and the new
    row: computed once per article, not once for each (body_hash is a sha256 of the whole
    normalized body)."""
    write(db, [long(n) for n in range(1, 4)])
    hashed: list[str] = []
    keyed: list[str] = []
    body_hash, dedupe_key = storage.articles.body_hash, storage.articles.dedupe_key

    def counted_hash(article: Article) -> str | None:
        hashed.append(article.external_id)
        return body_hash(article)

    def counted_key(article: Article) -> str | None:
        keyed.append(article.external_id)
        return dedupe_key(article)

    monkeypatch.setattr(storage.articles, "body_hash", counted_hash)
    monkeypatch.setattr(storage.articles, "dedupe_key", counted_key)
    result = write(db, [long(n) for n in range(1, 41)])
    assert (result.new, result.unchanged) == (37, 3)
    new_ids = [long(n).external_id for n in range(4, 41)]
    assert hashed == new_ids and keyed == new_ids


def _select_plans(db: Database, action: Callable[[], object]) -> list[str]:
    """SQLite's query plan of each SELECT that `action` runs on `db` (executemany left out), in
    order, each as its lines joined by " | "."""
    from sqlalchemy import event

    statements: list[tuple[str, Any]] = []

    def seen(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT") and not executemany:
            statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        action()
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    with db.engine.connect() as conn:
        return [
            " | ".join(row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters))
            for statement, parameters in statements
        ]


def test_a_batch_reads_articles_only_through_the_indexes_of_what_it_looks_up(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """On a SQLite file without statistics (the service never runs ANALYZE), no look-up of the
    writer walks the articles table or every article of a source: the duplicate look-up once
    did, through `source_id = ?`, and cost over a third of the store's time at 20,000 articles."""
    db = Database(f"sqlite:///{tmp_path}/plain.db")
    try:
        write(db, [long(n) for n in range(1, 30)])
        with db.engine.connect() as conn:
            stats = "SELECT name FROM sqlite_master WHERE name LIKE 'sqlite_stat%'"
            assert conn.exec_driver_sql(stats).all() == []
        # stored, changed, new, and a new id for a stored body: every look-up runs
        changes = [long(1), long(2, title="바뀐 제목"), long(40), long(3, external_id="999")]
        plans = _select_plans(db, lambda: write(db, changes))
        on_articles = [p for p in plans if " articles " in f"{p} "]
        assert any("ix_articles_body_hash" in p for p in on_articles), plans
        for plan in on_articles:
            assert "SCAN articles" not in plan, plan
            assert "(source_id=?)" not in plan, plan
    finally:
        db.dispose()


@pytest.mark.parametrize("by", ["source", "ministry"])
def test_a_page_of_one_source_or_ministry_reads_its_newest_rows_in_index_order(tmp_path, by: str) -> None:  # type: ignore[no-untyped-def]
    """On a SQLite file without statistics, a page filtered by source or ministry walks an index
    in date order and stops at the page: no sort of every row that passes the filter (a page of
    one source at 20,000 articles took 28 ms that way, 1.8 ms from the index)."""
    db = Database(f"sqlite:///{tmp_path}/plain.db")
    try:
        write(db, [make_article(n) for n in range(1, 30)])
        where = ArticleFilter(**{by: "korea_kr" if by == "source" else "산업통상자원부"})
        pages = []

        def list_page() -> None:
            with db.session() as session:
                pages.append(list_articles(session=session, where=where, limit=5))

        plan = _select_plans(db, list_page)[0]
        newest = [make_article(n).external_id for n in range(29, 24, -1)]
        assert [a.article.external_id for a in pages[0].items] == newest
        assert f"ix_articles_{by}_published" in plan, plan
        assert "TEMP B-TREE" not in plan, plan
    finally:
        db.dispose()


def test_validators_and_posts_of_a_batch_are_one_statement_each(db: Database) -> None:
    """The crawl writer stores a batch's validators and posts with one UPDATE each (an ORM
    update per article cost it 0.4 ms an article), and every row still gets its own values."""
    from sqlalchemy import event

    from storage.validators import HttpValidators, load_validators, save_validators

    articles = [make_article(n) for n in range(1, 6)]
    ids = write(db, articles).ids
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        with db.session() as session:
            saved = save_validators(
                session=session,
                source="korea_kr",
                validators={a.external_id: HttpValidators(f'"e{n}"') for n, a in enumerate(articles)}
                | {"unknown": HttpValidators('"x"')},
            )
            posts = {i: (f"post {n}", f"h{n}") for n, i in enumerate(ids)} | {ids[2]: None}
            written = storage.articles.store_posts(session=session, posts=posts)
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert (saved, written) == (5, 5)
    updates = [s for s in statements if s.lstrip().upper().startswith("UPDATE ARTICLES")]
    assert len(updates) == 2, updates
    external_ids = [a.external_id for a in articles]
    with db.session() as session:
        stored = load_validators(session=session, source="korea_kr", external_ids=external_ids)
        posted = select(ArticleRow.id, ArticleRow.post_hash).where(ArticleRow.id.in_(ids))
        rows = dict(session.execute(posted).all())
    assert {k: v.etag for k, v in stored.items()} == {e: f'"e{n}"' for n, e in enumerate(external_ids)}
    assert rows == {i: (None if n == 2 else f"h{n}") for n, i in enumerate(ids)}


def test_an_article_another_writer_inserted_first_is_merged_into_theirs(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    insert_new = storage.articles._insert_new
    raced_once: list[bool] = []

    def raced(session, sid, pending):  # type: ignore[no-untyped-def]
        # The other writer stores article 2 (a different title) just before our insert.
        if not raced_once:
            raced_once.append(True)
            with db.session() as other:
                upsert_articles(session=other, articles=[make_article(2, title="먼저 온 글")])
        return insert_new(session, sid, pending)

    if db.dialect == "sqlite":
        pytest.skip("SQLite takes the write lock at BEGIN: no other writer can come between")
    write(db, [make_article(9)])  # the source row exists: the other writer need not wait for ours
    monkeypatch.setattr(storage.articles, "_insert_new", raced)
    result = write(db, [make_article(1), make_article(2), make_article(3)])
    assert (result.new, result.updated, result.unchanged) == (2, 1, 0)
    assert [p.status for p in result.posts] == ["new", "updated", "new"]
    with db.session() as session:
        assert storage.count_articles(session=session) == 4
        assert storage.count_revisions(session=session) == 5


BODIES = [OTHER_BODY, THIRD_BODY, f"<p>{LONG}</p>", "<p>짧은 본문</p>"]
TITLES = ["연안 어업인 지원 대책 발표", "쌀 수급 안정 대책 발표", make_article(5).title]


def random_article(rng: random.Random) -> Article:
    n = rng.randint(1, 12)
    return make_article(
        n,
        body_html=rng.choice(BODIES),
        title=rng.choice(TITLES),
        subtitles=rng.choice([(), ("부제 가",), ("부제 나",)]),
        published_at=make_article(1).published_at,
    )


@pytest.mark.parametrize("seed", range(40))  # 4, 19 and 32 caught a lost in-batch duplicate
def test_random_batches_answer_as_their_articles_one_by_one(db: Database, seed: int) -> None:
    rng = random.Random(seed)
    first = [random_article(rng) for _ in range(rng.randint(0, 4))]
    batch = [random_article(rng) for _ in range(rng.randint(2, 16))]
    if first:
        write(db, on("batch", first))
        write(db, on("single", first))
    batched = write(db, on("batch", batch))
    single = UpsertResult()
    for article in list({a.external_id: a for a in on("single", batch)}.values()):
        single.add(write(db, [article]))
    assert answer(db, batched) == answer(db, single)
    assert state(db, "batch") == state(db, "single")
