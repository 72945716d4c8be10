"""Alembic migrations on SQLite and PostgreSQL: head, autogenerate in sync, down and up again,
concurrent first starts, a refusing service, pre-migration databases, and `briefing db`."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from alembic.command import downgrade, upgrade
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, inspect, text
from typer.testing import CliRunner, Result

import storage
from scheduler.cli import app
from storage import Database, migrate, search
from storage.db import describe_url, make_engine
from storage.grams import bigrams, grams
from storage.models import Base
from tests.crawl_helpers import REPO, briefing, briefing_env
from tests.factories import make_article
from tests.search_helpers import index_terms, text_terms

TABLES = {
    "sources",
    "articles",
    "article_aliases",
    "article_revisions",
    "crawl_runs",
    "crawl_errors",
    "backfills",
}


def test_head_constant_is_the_newest_migration() -> None:
    # storage.migrate.HEAD spares every process an Alembic import; it must follow the scripts.
    scripts = ScriptDirectory.from_config(migrate.alembic_config())
    assert scripts.get_current_head() == migrate.HEAD


def test_every_model_table_has_a_migration() -> None:
    assert set(Base.metadata.tables) == TABLES


def test_a_new_database_is_at_head_and_matches_the_models(db: Database) -> None:
    assert migrate.current(db.engine) == migrate.HEAD
    # What `alembic revision --autogenerate` would write: nothing.
    assert migrate.differences(db.engine) == []
    assert set(inspect(db.engine).get_table_names()) >= TABLES


def test_search_structures_are_made_by_the_migration(db: Database) -> None:
    with db.engine.connect() as conn:
        if db.dialect == "sqlite":
            names = set(inspect(conn).get_table_names())
            assert {"articles_fts", "articles_bigram"} <= names
            assert "articles_bigram_content" not in names  # contentless since 0004
        else:
            indexes = dict(
                conn.execute(
                    text(
                        "SELECT indexname, indexdef FROM pg_indexes "
                        "WHERE schemaname = current_schema() AND tablename = 'articles'"
                    )
                ).all()
            )
            assert "ix_articles_search_trgm" not in indexes  # since 0005
            assert not [d for d in indexes.values() if "gin_trgm_ops" in d]
            assert "ix_articles_search_grams" not in indexes  # moved by 0008 to article_terms
            terms_index = text(
                "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                "AND indexname = 'ix_article_terms_grams'"
            )
            assert "string_to_array(grams" in conn.execute(terms_index).scalar_one()
            assert "ix_articles_search_bigrams" not in indexes and "ix_articles_search_chars" not in indexes


def test_downgrade_to_nothing_and_up_again(db: Database) -> None:
    with db.engine.begin() as conn:
        downgrade(migrate.alembic_config(conn), "base")
    left = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
    assert left == set()
    assert migrate.current(db.engine) is None
    migrate.upgrade(db.engine)
    assert migrate.current(db.engine) == migrate.HEAD
    assert migrate.differences(db.engine) == []


def test_opening_an_up_to_date_database_only_reads_its_version(db: Database) -> None:
    statements: list[str] = []
    event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    migrate.ensure_schema(db.engine)
    assert 1 <= len(statements) <= 4, statements
    reads = [s for s in statements if s.strip().upper() != "BEGIN"]  # SQLite's deferred read transaction
    assert reads and all(s.lstrip().upper().startswith(("SELECT", "PRAGMA")) for s in reads), statements


def test_concurrent_first_opens_migrate_once(db_url: str) -> None:
    # Several processes (service, crawl child, CLI) may open a new database at the same moment.
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def open_it() -> None:
        try:
            barrier.wait()
            Database(db_url).dispose()
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    engine = make_engine(db_url)
    try:
        assert migrate.current(engine) == migrate.HEAD
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    finally:
        engine.dispose()


def test_without_auto_migrate_a_database_behind_is_refused(db_url: str) -> None:
    with pytest.raises(migrate.SchemaError, match=rf"needs {migrate.HEAD}: run `briefing db upgrade`"):
        Database(db_url, migrate=False)
    engine = make_engine(db_url)
    try:
        assert migrate.current(engine) is None  # nothing was created
    finally:
        engine.dispose()


def test_the_service_refuses_to_start_on_a_schema_behind_when_told_not_to_migrate(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from scheduler.service import ServiceError, open_storage
    from scheduler.settings import Settings

    monkeypatch.chdir(tmp_path)  # no .env of the repository
    monkeypatch.setenv("BRIEFING_DATABASE_URL", db_url)
    settings = Settings(data_dir=tmp_path, auto_migrate=False)
    assert settings.database_url == db_url
    with pytest.raises(ServiceError, match=r"schema is empty .* run `briefing db upgrade`"):
        open_storage(settings)
    open_storage(Settings(data_dir=tmp_path)).dispose()  # migrates
    open_storage(settings).dispose()  # at head: starts


def _from_create_all(tmp_path: Path, *statements: str) -> str:
    """A SQLite file as briefing made them before migrations: today's models by create_all,
    changed by `statements`, and 0001's two FTS5 tables. Returns its URL."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))
        conn.execute(
            text(
                "CREATE VIRTUAL TABLE articles_fts USING fts5(search_text, content='articles', "
                "content_rowid='id', tokenize='trigram')"
            )
        )
        conn.execute(text("CREATE VIRTUAL TABLE articles_bigram USING fts5(grams, tokenize='unicode61')"))
    engine.dispose()
    return url


def test_a_database_from_before_migrations_is_adopted(tmp_path: Path) -> None:
    # SQLite files made by briefing's create_all (plus its FTS tables) before migrations existed.
    url = _from_create_all(
        tmp_path, "INSERT INTO sources (name, kind, status, created_at) VALUES ('x', 'x', 'ok', '2026-01-01')"
    )
    db = Database(url)
    try:
        assert migrate.current(db.engine) == migrate.HEAD
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT name FROM sources")).scalars().all() == ["x"]  # data kept
        # Stamped at 0003, not head: its 2-gram table was 0001's, and 0004 rebuilt it.
        assert "articles_bigram_content" not in inspect(db.engine).get_table_names()
    finally:
        db.dispose()


def test_a_foreign_schema_without_history_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'odd.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE articles (id INTEGER PRIMARY KEY, title TEXT)"))
    engine.dispose()
    with pytest.raises(migrate.SchemaError, match="no migration history"):
        Database(url)


def _db_command(env: dict[str, str], *args: str) -> Result:

    return CliRunner().invoke(app, ["db", *args], env=env)


def test_briefing_db_commands(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env from the repository
    env = {"BRIEFING_DATABASE_URL": db_url}
    where = f"database {describe_url(db_url)}\n"
    behind = _db_command(env, "current")
    assert (behind.exit_code, behind.stdout) == (
        1,
        where + f"schema empty (head is {migrate.HEAD}: run `briefing db upgrade`)\n",
    )
    up = _db_command(env, "upgrade")
    assert (up.exit_code, up.stdout) == (0, where + f"schema at {migrate.HEAD} (was empty)\n"), up.output
    assert _db_command(env, "upgrade").stdout == where + f"schema at {migrate.HEAD} (already)\n"
    now = _db_command(env, "current")
    assert (now.exit_code, now.stdout) == (0, where + f"schema {migrate.HEAD} (head)\n")
    check = _db_command(env, "check")
    assert (check.exit_code, check.stdout) == (0, "the database matches the models\n")


def test_briefing_db_reports_an_unreachable_database(tmp_path: Path) -> None:
    # The real command line, once: exit code and message as a user sees them.
    env = briefing_env("postgresql://briefing@127.0.0.1:9/none", tmp_path, "http://127.0.0.1:9")
    result = briefing("db", "current", env=env)
    assert result.returncode == 3
    assert result.stderr.startswith(
        "briefing: cannot use the database postgresql+psycopg://briefing@127.0.0.1:9/none: "
    )
    assert result.stderr.endswith("; check BRIEFING_DATABASE_URL and that the database server is running\n")
    assert "Connection refused" in result.stderr or "connection failed" in result.stderr


def test_migrations_ship_inside_the_package() -> None:
    # Installed (non-editable) copies find their migrations through the package, not the cwd.
    from setuptools import find_packages

    assert migrate.MIGRATIONS == REPO / "storage" / "migrations"
    assert "storage.migrations.versions" in find_packages(str(REPO), include=["storage*"])
    pyproject = (REPO / "pyproject.toml").read_text()
    assert '"*.mako"' in pyproject  # script.py.mako is package data


def test_0002_gives_crawl_errors_stored_before_it_the_article_stage(db: Database) -> None:
    with db.engine.begin() as conn:
        downgrade(migrate.alembic_config(conn), "0001")
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO crawl_runs (source, status, trigger, seen, new, updated, unchanged, "
                "failed, created_at) VALUES ('korea_kr:policy', 'failed', 'manual', 1, 0, 0, 0, "
                "1, CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO crawl_errors (run_id, url, kind, reason, created_at) "
                "SELECT id, 'https://x/1', 'http_500', 'HTTP 500', CURRENT_TIMESTAMP "
                "FROM crawl_runs"
            )
        )
    migrate.upgrade(db.engine)
    assert migrate.current(db.engine) == migrate.HEAD
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT stage FROM crawl_errors")).scalar_one() == "article"
    assert migrate.differences(db.engine) == []


OLDER_SCHEMAS = {
    # Made before crawl errors had a stage (the schema of revision 0001), and before 0003's columns.
    "first schema": (
        "ALTER TABLE crawl_errors DROP COLUMN stage",
        "ALTER TABLE crawl_runs DROP COLUMN yield_profile",
        "ALTER TABLE crawl_runs DROP COLUMN drift",
    ),
    # Made before 0009: an index on ministry alone, none by date per source.
    "ministry index": (
        "DROP INDEX ix_articles_source_published",
        "DROP INDEX ix_articles_ministry_published",
        "CREATE INDEX ix_articles_ministry ON articles (ministry)",
    ),
}


@pytest.mark.parametrize("older", OLDER_SCHEMAS)
def test_a_database_from_before_migrations_with_an_older_schema_is_adopted_and_upgraded(
    tmp_path: Path, older: str
) -> None:
    db = Database(_from_create_all(tmp_path, *OLDER_SCHEMAS[older]))
    try:
        assert migrate.current(db.engine) == migrate.HEAD
        assert migrate.differences(db.engine) == []
    finally:
        db.dispose()


def _found(db: Database, query: str) -> set[int]:
    with db.session() as session:
        page = storage.list_articles(session=session, where=storage.ArticleFilter(query=query))
    return {int(s.article.external_id) - 148900000 for s in page.items}


def _store(db: Database, bodies: list[str]) -> None:
    """Articles 1, 2, … with these bodies (no subtitles or tags: the bodies are all the text)."""
    with db.session() as session:
        storage.upsert_articles(
            session=session,
            articles=[make_article(n, body_html=b, subtitles=(), tags=()) for n, b in enumerate(bodies, 1)],
        )


def test_0004_rebuilds_the_search_terms_from_the_texts_and_back(db: Database) -> None:
    bodies = ["<p>가 예산 AI</p>", "<p>정책을 늘린다 a_b</p>", "<p>늘 가나</p>"]
    _store(db, bodies)
    with db.engine.begin() as conn:
        downgrade(migrate.alembic_config(conn), "0003")
    with db.engine.connect() as conn:
        if db.dialect == "sqlite":  # 0001's table, its 2-grams kept as content again
            grams = {id_: g for id_, g in conn.execute(text("SELECT rowid, grams FROM articles_bigram"))}
            texts = {id_: t for id_, t in conn.execute(text("SELECT id, search_text FROM articles"))}
            assert grams == {id_: bigrams(t) for id_, t in texts.items()}
        else:
            assert not conn.execute(text("SELECT to_regprocedure('article_chars(text)')")).scalar()
    migrate.upgrade(db.engine)
    assert migrate.current(db.engine) == migrate.HEAD
    if db.dialect == "sqlite":
        with db.engine.connect() as conn:
            assert index_terms(conn) == text_terms(conn)
    found = [_found(db, word) for word in ("가", "늘", "예산", "b")]
    assert found == [{1, 3}, {2, 3}, {1}, {2}]
    with db.session() as session:  # the delete trigger takes exactly the article's terms out
        gone = make_article(3).external_id
        session.execute(text("DELETE FROM articles WHERE external_id = :id"), {"id": gone})
    if db.dialect == "sqlite":
        with db.engine.connect() as conn:
            assert index_terms(conn) == text_terms(conn)
    assert (_found(db, "가"), _found(db, "늘")) == ({1}, {2})


def test_an_article_delete_needs_the_grams_function(tmp_path: Path) -> None:
    # The sqlite3 shell has no article_grams: its delete fails instead of corrupting the index.
    import sqlite3

    db = Database(f"sqlite:///{tmp_path / 'b.db'}")
    with db.session() as session:
        storage.upsert_articles(session=session, articles=[make_article(1)])
    db.dispose()
    plain = sqlite3.connect(tmp_path / "b.db")
    try:
        with pytest.raises(sqlite3.OperationalError, match="no such function: article_grams"):
            plain.execute("DELETE FROM articles")
    finally:
        plain.close()


def test_0005_drops_the_pg_trigram_index_and_its_downgrade_builds_it_again(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "FAST_SCAN_MS", 0)  # the index route, not a walk of the four rows
    # The second text holds every 2-gram of 자율제조, apart.
    bodies = ["<p>자율제조를 도입한다</p>", "<p>자율 율제 제조</p>", "<p>정부 예산</p>"]
    _store(db, bodies)
    with db.session() as session:  # written at head: since 0006 the writer needs its schema
        storage.upsert_articles(session=session, articles=[make_article(4, body_html="<p>자율제조</p>")])
    trgm = text(
        "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_articles_search_trgm' "
        "AND schemaname = current_schema()"
    )
    with db.engine.begin() as conn:
        downgrade(migrate.alembic_config(conn), "0004")
    if db.dialect == "postgresql":
        with db.engine.connect() as conn:
            assert "gin_trgm_ops" in conn.execute(trgm).scalar_one()
    with db.session() as session:
        gone = make_article(1).external_id
        session.execute(text("DELETE FROM articles WHERE external_id = :id"), {"id": gone})
    migrate.upgrade(db.engine)
    assert migrate.current(db.engine) == migrate.HEAD
    assert migrate.differences(db.engine) == []
    if db.dialect == "postgresql":
        with db.engine.connect() as conn:
            assert conn.execute(trgm).scalar() is None
    else:  # 0005 leaves SQLite's search structures as they were
        with db.engine.connect() as conn:
            assert index_terms(conn) == text_terms(conn)
    assert [_found(db, w) for w in ("자율제조", "제조", "자율", "예산")] == [{4}, {2, 4}, {2, 4}, {3}]


def test_0006_fills_pg_search_grams_from_the_texts_and_its_downgrade_restores_the_old_indexes(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "FAST_SCAN_MS", 0)  # the index route, not a walk of the rows
    bodies = ["<p>자율제조를 도입한다</p>", "<p>정부 예산</p>"]
    _store(db, bodies)
    with db.engine.begin() as conn:
        downgrade(migrate.alembic_config(conn), "0005")
    indexes = text("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")
    with db.engine.begin() as conn:
        assert "search_grams" not in {c["name"] for c in inspect(conn).get_columns("articles")}
        if db.dialect == "postgresql":
            assert {"ix_articles_search_bigrams", "ix_articles_search_chars"} <= set(
                conn.execute(indexes).scalars()
            )
            # A text changed at 0005: the upgrade must take its terms from the text, not keep old
            # ones. (On SQLite only the writer keeps the 2-gram table in step with the text.)
            conn.execute(
                text("UPDATE articles SET search_text = '새 규제 혁신' WHERE external_id = :id"),
                {"id": make_article(1).external_id},
            )
    with db.engine.begin() as conn:
        upgrade(migrate.alembic_config(conn), "0006")
    with db.engine.connect() as conn:
        stored = dict(conn.execute(text("SELECT search_text, search_grams FROM articles")).all())
        if db.dialect == "postgresql":
            assert stored == {t: grams(t) for t in stored}
            assert "ix_articles_search_grams" in set(conn.execute(indexes).scalars())
            functions = text(
                "SELECT to_regprocedure('article_bigrams(text)'), to_regprocedure('article_chars(text)')"
            )
            assert conn.execute(functions).one() == (None, None)
        else:  # SQLite keeps its terms in the FTS5 table, not in the row
            assert set(stored.values()) == {None}
            assert index_terms(conn) == text_terms(conn)
    migrate.upgrade(db.engine)
    assert migrate.current(db.engine) == migrate.HEAD
    assert migrate.differences(db.engine) == []
    first = [{1}, set(), {1}] if db.dialect == "postgresql" else [set(), {1}, set()]
    assert [_found(db, w) for w in ("규제", "자율제조", "혁", "예산")] == [*first, {2}]


def test_0007_keeps_pg_search_texts_plain_in_the_row_and_rewrites_compressed_ones(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Texts of ~3 KB in rows of ~10 KB: PostgreSQL's default TOAST target (2 KB) compresses them.
    # A repeated sentence compresses well, so pglz takes it; 0007 must leave it plain in the row
    # and still find the words through the walk and through the index route.
    long_body = "<p>" + "정부는 자율제조 예산을 늘린다. " * 120 + "</p>"
    if db.dialect != "postgresql":
        _store(db, [long_body])
        migrate.upgrade(db.engine)
        assert migrate.current(db.engine) == migrate.HEAD and migrate.differences(db.engine) == []
        return
    _store(db, [long_body])
    compression = text("SELECT pg_column_compression(search_text) FROM articles ORDER BY id")
    settings = text(
        "SELECT c.reloptions, a.attstorage FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid "
        "AND a.attname = 'search_text' WHERE c.oid = 'articles'::regclass"
    )
    with db.engine.begin() as conn:
        assert conn.execute(compression).scalars().all() == [None]  # written at head
        downgrade(migrate.alembic_config(conn), "0006")
    with db.engine.begin() as conn:
        assert conn.execute(settings).one() == (None, "x")
        conn.execute(text("UPDATE articles SET search_text = search_text || ''"))  # stored by 0006's rules
        assert conn.execute(compression).scalars().all() == ["pglz"]
    migrate.upgrade(db.engine)
    assert migrate.current(db.engine) == migrate.HEAD and migrate.differences(db.engine) == []
    with db.engine.connect() as conn:
        assert conn.execute(settings).one() == (["toast_tuple_target=8160"], "m")
        assert conn.execute(compression).scalars().all() == [None]
    _store(db, [long_body, long_body])
    with db.engine.connect() as conn:
        assert conn.execute(compression).scalars().all() == [None, None]
    assert _found(db, "자율제조") == {1, 2}
    monkeypatch.setattr(search, "FAST_SCAN_MS", 0)  # the index route's recheck reads the texts too
    assert _found(db, "자율제조") == {1, 2}


def test_0008_moves_pg_search_terms_to_article_terms_and_back(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "FAST_SCAN_MS", 0)  # the index route, which reads article_terms
    _store(db, ["<p>자율제조를 도입한다</p>", "<p>정부 예산</p>", "<p>자율 율제 제조</p>"])
    columns = text("SELECT id, published_at, search_text FROM articles ORDER BY id")
    terms = text("SELECT article_id, published_at, grams FROM article_terms ORDER BY article_id")
    with db.engine.begin() as conn:
        expected = [(id_, at, grams(t)) for id_, at, t in conn.execute(columns)]
        if db.dialect == "postgresql":
            assert conn.execute(terms).all() == expected
            options = text("SELECT reloptions FROM pg_class WHERE oid = 'article_terms'::regclass")
            assert conn.execute(options).scalar_one() == ["toast_tuple_target=128"]
        downgrade(migrate.alembic_config(conn), "0007")
    with db.engine.begin() as conn:
        assert "article_terms" not in inspect(conn).get_table_names()
        stored = conn.execute(text("SELECT id, search_grams FROM articles ORDER BY id")).all()
        if db.dialect == "postgresql":  # 0006's column, filled again, and its index
            assert stored == [(id_, g) for id_, _, g in expected]
            index = text(
                "SELECT indexdef FROM pg_indexes "
                "WHERE indexname = 'ix_articles_search_grams' AND schemaname = current_schema()"
            )
            assert "string_to_array(search_grams" in conn.execute(index).scalar_one()
        else:  # empty on SQLite, as 0006 left it
            assert {g for _, g in stored} == {None}
    migrate.upgrade(db.engine)
    assert migrate.current(db.engine) == migrate.HEAD and migrate.differences(db.engine) == []
    with db.engine.connect() as conn:
        assert "search_grams" not in {c["name"] for c in inspect(conn).get_columns("articles")}
        if db.dialect == "postgresql":
            assert conn.execute(terms).all() == expected
    assert [_found(db, w) for w in ("자율제조", "제조", "예산")] == [{1}, {1, 3}, {2}]


def test_0009_orders_a_source_and_a_ministry_by_date_in_their_indexes_and_back(db: Database) -> None:
    def indexes() -> set[str]:
        return {i["name"] for i in inspect(db.engine).get_indexes("articles") if i["name"]}

    _store(db, ["<p>하나</p>", "<p>둘</p>"])
    assert {"ix_articles_source_published", "ix_articles_ministry_published"} <= indexes()
    assert "ix_articles_ministry" not in indexes()
    with db.engine.begin() as conn:
        downgrade(migrate.alembic_config(conn), "0008")
    assert "ix_articles_ministry" in indexes()
    assert not {"ix_articles_source_published", "ix_articles_ministry_published"} & indexes()
    migrate.upgrade(db.engine)
    assert migrate.current(db.engine) == migrate.HEAD and migrate.differences(db.engine) == []
    with db.session() as session:
        page = storage.list_articles(session=session, where=storage.ArticleFilter(source="korea_kr"))
    assert [a.article.external_id for a in page.items] == [make_article(n).external_id for n in (2, 1)]
