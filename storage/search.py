"""Korean full-text search: FTS5 trigram + 2-gram index on SQLite, pg_trgm + 2-gram GIN on PostgreSQL.

Korean particles stick to words (자율제조를) and many queries are two characters (예산, AI).
Trigram indexes match inside words but never match fewer than 3 characters, so words of 2
characters go to an index of in-word 2-grams, and single characters fall back to a scan. Every
user word is quoted or escaped so search syntax in the input stays literal. The index
structures are created by the migrations (storage/migrations/versions/0001_initial.py).

PostgreSQL plans adaptively: a frequent word is found fastest by walking the newest articles
and filtering, a rare one through the GIN indexes. So the walk runs first under a short
statement time-out, and the index route runs when it expires.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from html import unescape
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, and_, bindparam, func, literal, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.types import Text

from storage.models import ArticleRow

logger = logging.getLogger(__name__)

_TAG = re.compile(r"<[^>]+>")
_WORD = re.compile(r"\w+", re.UNICODE)
_SPACE = re.compile(r"\s+")

# How long the newest-first walk may take on PostgreSQL before the index route takes over;
# 0 skips the walk.
FAST_SCAN_MS = 10

Rows = list[Row[*tuple[Any, ...]]]
Build = Callable[[Sequence[ColumnElement[bool]]], Select[*tuple[Any, ...]]]


def search_text(*parts: str | None) -> str:
    """Plain text indexed for an article: tags stripped, entities decoded, whitespace folded."""
    joined = " ".join(p for p in parts if p)
    return _SPACE.sub(" ", unescape(_TAG.sub(" ", joined))).strip()


def bigrams(text_: str) -> str:
    """Space-separated overlapping 2-grams inside each word (lower-cased), deduplicated."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(text_.lower()):
        for i in range(len(word) - 1):
            seen.setdefault(word[i : i + 2], None)
    return " ".join(seen)


def query_words(query: str) -> list[str]:
    """The words of a user query; punctuation separates words like in the index."""
    return [w for w in _WORD.findall(query.lower()) if w]


def index_bigrams(session: Session, article_id: int, text_: str) -> None:
    """Write the article's 2-gram row (SQLite; PostgreSQL indexes an expression instead)."""
    if session.get_bind().dialect.name != "sqlite":
        return
    session.execute(text("DELETE FROM articles_bigram WHERE rowid = :id"), {"id": article_id})
    session.execute(
        text("INSERT INTO articles_bigram(rowid, grams) VALUES (:id, :grams)"),
        {"id": article_id, "grams": bigrams(text_)},
    )


def _fts_phrase(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def _like(word: str) -> ColumnElement[bool]:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return ArticleRow.search_text.ilike(f"%{escaped}%", escape="\\")


def _in_fts(table: str, word: str, index: int) -> ColumnElement[bool]:
    key = f"fts_{table}_{index}"
    sub = text(f"SELECT rowid FROM {table} WHERE {table} MATCH :{key}").bindparams(
        bindparam(key, _fts_phrase(word))
    )
    return ArticleRow.id.in_(sub)


def _pg_indexed(word: str) -> ColumnElement[bool]:
    if len(word) == 2:
        # The expression must be the indexed one, article_bigrams(search_text), to use the index;
        # the ILIKE keeps the answer identical to the walk's.
        grams = func.article_bigrams(ArticleRow.search_text, type_=ARRAY(Text))
        return and_(grams.contains(literal([word], ARRAY(Text))), _like(word))
    return _like(word)  # pg_trgm's GIN index serves ILIKE for 3+ characters; 1 character scans


def match_clause(query: str, dialect: str) -> ColumnElement[bool] | None:
    """A WHERE clause matching articles that contain every word of `query`; None if empty."""
    words = query_words(query)
    if not words:
        return None
    return and_(*_conditions(words, dialect, indexed=True))


def _conditions(words: list[str], dialect: str, *, indexed: bool) -> list[ColumnElement[bool]]:
    if dialect == "postgresql":
        return [_pg_indexed(w) if indexed else _like(w) for w in words]
    clauses: list[ColumnElement[bool]] = []
    for i, word in enumerate(words):
        if dialect != "sqlite" or len(word) == 1:
            clauses.append(_like(word))
        elif len(word) >= 3:
            clauses.append(_in_fts("articles_fts", word, i))
        else:
            # 2-grams are built inside words, so a 2-character hit needs no recheck.
            clauses.append(_in_fts("articles_bigram", word, i))
    return clauses


def find(session: Session, query: str | None, build: Build) -> Rows:
    """Rows of the statement `build` makes from the search conditions of `query` ([] for none).

    `build` gets the conditions to AND into its WHERE clause and must order newest first.
    """
    words = query_words(query or "")
    dialect = session.get_bind().dialect.name
    if dialect != "postgresql" or not words:
        return list(session.execute(build(_conditions(words, dialect, indexed=True))).all())
    if FAST_SCAN_MS > 0:
        try:
            rows = _pg_route(session, build(_conditions(words, dialect, indexed=False)), walk=True)
            logger.debug("search %r: newest-first walk", query)
            return rows
        except OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) != "57014":  # query_canceled: our time-out
                raise
    logger.debug("search %r: index route", query)
    return _pg_route(session, build(_conditions(words, dialect, indexed=True)), walk=False)


def _pg_route(session: Session, stmt: Select[*tuple[Any, ...]], *, walk: bool) -> Rows:
    # SET LOCAL lasts until the transaction ends; a savepoint rolled back right after the read
    # takes the settings back with it (the read itself changed nothing).
    savepoint = session.begin_nested()
    try:
        # Plans for these words, not a generic plan: psycopg prepares statements it sees often,
        # and a generic plan cannot tell a rare word from a frequent one (it scanned 100k rows).
        if walk:
            settings = {"statement_timeout": str(int(FAST_SCAN_MS)), "enable_bitmapscan": "off"}
            settings["enable_seqscan"] = "off"
        else:
            # The ordered b-tree walk is what just proved slow: make the planner use the GIN
            # indexes (bitmap scans) and sort the few hits.
            settings = {"enable_indexscan": "off"}
        settings["plan_cache_mode"] = "force_custom_plan"
        calls = ", ".join(f"set_config(:name_{i}, :value_{i}, true)" for i in range(len(settings)))
        params = {}
        for i, (name, value) in enumerate(settings.items()):
            params[f"name_{i}"], params[f"value_{i}"] = name, value
        session.execute(text(f"SELECT {calls}"), params)
        return list(session.execute(stmt).all())
    finally:
        savepoint.rollback()


def check_backend(session: Session) -> str | None:
    """Why Korean search cannot use its indexes on this database, or None when it can.

    pg_trgm ignores characters the database's LC_CTYPE does not call letters: under `C`,
    Hangul yields no trigram and every search scans the whole GIN index.
    """
    if session.get_bind().dialect.name != "postgresql":
        return None
    schema = session.scalar(
        text("SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'")
    )
    if schema is None:
        return "the pg_trgm extension is missing: run `briefing db upgrade` as a role that may create it"
    grams = session.scalar(text(f"SELECT {schema}.show_trgm('한국')"))
    if not grams:
        ctype = session.scalar(text("SELECT datctype FROM pg_database WHERE datname = current_database()"))
        return (
            f"pg_trgm finds no trigrams in Hangul under LC_CTYPE={ctype}: Korean search works but "
            "scans; create the database with LC_CTYPE C.UTF-8 or en_US.UTF-8 "
            "(docker: POSTGRES_INITDB_ARGS='--locale=C.UTF-8')"
        )
    return None
