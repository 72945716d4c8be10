"""Korean full-text search: FTS5 trigram + 2-gram tables on SQLite, one GIN index of 2-grams on PostgreSQL.

Korean particles stick to words (자율제조를) and many queries are two characters (예산, AI).
Trigram indexes match inside words but never match fewer than 3 characters, so words of 2
characters go to an index of in-word 2-grams, and single characters to the characters of the
text: one set of terms, storage/grams.py, computed by Python on both backends (on SQLite a
contentless FTS5 table; on PostgreSQL the narrow table article_terms and a GIN index over it).
On PostgreSQL words of 3+ characters go through the 2-grams too: the AND of their 2-grams is a
superset, rechecked against the texts newest first until a page is found. SQLite keeps the
trigram table: it answers a rare word whose 2-grams are all common without reading a text,
where the 2-gram route reads the text of every article holding those 2-grams. Every user word
is quoted or escaped so search syntax in the input stays literal. The index structures are
created by the migrations (storage/migrations/versions/0001_initial.py, 0004, 0005, 0006, 0008;
0007 keeps PostgreSQL's texts uncompressed in the row, where both routes read them).

Both backends plan adaptively: a frequent word is found fastest by walking the newest
articles and filtering them with LIKE, a rare one through the indexes (which hand back every
match, to be sorted by date). So a walk through the newest WALK_ROWS rows that pass the other
filters runs first; when it finds a whole page there, or the filters leave no more rows than
that, its answer is the answer. Otherwise the index route runs, and it only runs for words too
rare to fill a page among the newest rows, which have few matches to sort. The walk is bounded
by rows, not time: a busy machine gives the same plan, and a word that cannot fill a page pays
for a known number of rows before the index route. On SQLite a word's FTS5 candidates are
counted first, up to INDEX_FIRST_BELOW: a word with fewer goes to the index route at once,
without the walk it could not finish.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import unescape
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Row,
    Select,
    bindparam,
    column,
    func,
    literal,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.types import Text

from storage.grams import WORD, grams
from storage.models import ArticleRow, UTCDateTime

logger = logging.getLogger(__name__)

_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")

# How many of the newest rows the walk filters with LIKE before the index route takes over.
# SQLite: 1,000 rows of ~1,000 characters take ~5 ms; the worst p95 at 100,000 articles went
# from 161 to 13 ms (bench/search_latency.py). PostgreSQL's walk costs more a row, and its
# index route less: at 100,000 articles (migration 0007), walks of 300 / 600 / 1,000 rows gave
# figure 4's 48 words a total of 318 / 340 / 388 ms by median and a slowest of 19 / 18 / 18 ms.
WALK_ROWS = {"sqlite": 1000, "postgresql": 300}
# A safety net on PostgreSQL only: a walk slower than this (a filter that makes the newest rows
# expensive to find) gives way to the index route. 0 skips the walk on every backend.
FAST_SCAN_MS = 50
# SQLite: below this many FTS5 candidates a word skips the walk and takes the index route at
# once. Counting up to the bound reads doclists only (0.3 ms for 3,000), while a walk for such a
# word reads all WALK_ROWS texts to find less than a page (at 100,000 articles a miss took
# 11-18 ms, the route 0.4-2.2 ms). Not on PostgreSQL: its GIN bitmap of a frequent term costs
# more than the walk that answers it (a count bounded at 1,000 added 23-35 ms to such words).
# 0 turns the count off.
INDEX_FIRST_BELOW = {"sqlite": 3000}

Rows = list[Row[*tuple[Any, ...]]]
Build = Callable[[Sequence[ColumnElement[bool]]], Select[*tuple[Any, ...]]]


def search_text(*parts: str | None) -> str:
    """Plain text indexed for an article: tags stripped, entities decoded, whitespace folded."""
    joined = " ".join(p for p in parts if p)
    return _SPACE.sub(" ", unescape(_TAG.sub(" ", joined))).strip()


def query_words(query: str) -> list[str]:
    """The words of a user query; punctuation separates words like in the index."""
    return [w for w in WORD.findall(query.lower()) if w]


# A change to one article's indexed text: (article id, its publication time now, its text
# before, or None for a new article, its text now).
Change = tuple[int, datetime, str | None, str]

_GRAMS_DELETE = text(
    "INSERT INTO articles_bigram(articles_bigram, rowid, grams) VALUES ('delete', :id, :grams)"
)
_GRAMS_INSERT = text("INSERT INTO articles_bigram(rowid, grams) VALUES (:id, :grams)")

# PostgreSQL's search terms (migration 0008): a narrow row per article beside the wide articles
# row, with the publication time the index route sorts its candidates by. At 100,000 articles
# these rows take 7-11 MB and stay in shared buffers; the articles table takes 781 MB, about a
# page per row, and reading each candidate's date there cost a page from the OS per candidate
# once other searches had pushed it out of the buffers (a word in 5,072 articles: 26 ms).
ARTICLE_TERMS = table(
    "article_terms",
    column("article_id", Integer),
    column("published_at", UTCDateTime()),
    column("grams", Text()),
)


def index_grams(session: Session, changes: Sequence[Change]) -> None:
    """Write the 2-gram terms of new and changed articles: SQLite's FTS5 table, PostgreSQL's
    article_terms.

    Several changes of one article (a batch that holds it twice) count as one, from its first
    text to its last. SQLite's table is contentless: an article's old terms go out by a 'delete'
    command given exactly the terms that went in, recomputed from its text before the change, so
    the deletes never run ahead of the inserts they undo, and unchanged texts are skipped.
    PostgreSQL's row is replaced whole: it also carries the publication time, which a revision
    may change without changing the text.
    """
    net: dict[int, tuple[datetime, str | None, str]] = {}
    for id_, published, old, new in changes:
        net[id_] = (published, net[id_][1] if id_ in net else old, new)
    if session.get_bind().dialect.name == "postgresql":
        if net:
            stmt = pg_insert(ARTICLE_TERMS)
            session.execute(
                stmt.on_conflict_do_update(
                    index_elements=["article_id"],
                    set_={"published_at": stmt.excluded.published_at, "grams": stmt.excluded.grams},
                ),
                [{"article_id": i, "published_at": p, "grams": grams(new)} for i, (p, _, new) in net.items()],
            )
        return
    changed = [(id_, old, new) for id_, (_, old, new) in net.items() if old != new]
    deletes = [{"id": id_, "grams": grams(old)} for id_, old, _ in changed if old is not None]
    if deletes:
        session.execute(_GRAMS_DELETE, deletes)
    if changed:
        session.execute(_GRAMS_INSERT, [{"id": id_, "grams": grams(new)} for id_, _, new in changed])


def _fts_phrase(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def _like(word: str, column: Any = None) -> ColumnElement[bool]:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return (ArticleRow.search_text if column is None else column).ilike(f"%{escaped}%", escape="\\")


def _contains(word: str, dialect: str, column: Any = None) -> ColumnElement[bool]:
    """The row's text holds `word`: the same answer as `_like`, faster for words without case.

    ILIKE lower-cases a copy of every text and then matches it character by character; a word
    with no cased character (Hangul, digits: every Korean query) is found by a plain substring
    search instead, 3-10x faster per row, with the same answer (lower-casing the text changes
    no character the word could match). Words with letters that have case keep ILIKE.
    """
    if _has_case(word):
        return _like(word, column)
    column = ArticleRow.search_text if column is None else column
    if dialect == "sqlite":
        return func.instr(column, word) > 0
    if dialect == "postgresql":
        return func.strpos(column, word) > 0
    return _like(word, column)


def _has_case(word: str) -> bool:
    return word.lower() != word.upper() or any(c.lower() != c.upper() for c in word)


def _in_fts(table: str, word: str, index: int) -> ColumnElement[bool]:
    key = f"fts_{table}_{index}"
    sub = text(f"SELECT rowid FROM {table} WHERE {table} MATCH :{key}").bindparams(
        bindparam(key, _fts_phrase(word))
    )
    return ArticleRow.id.in_(sub)


def _pg_grams() -> ColumnElement[Any]:
    # The expression must be the indexed one (migration 0008) to use the index.
    return func.string_to_array(ARTICLE_TERMS.c.grams, literal_column("' '"), type_=ARRAY(Text))


def _pg_terms(word: str) -> list[str]:
    """The terms of article_terms.grams every text holding `word` has: the word itself when it is one
    character, else its 2-grams (storage/grams.py)."""
    if len(word) == 1:
        return [word]
    return [word[i : i + 2] for i in range(len(word) - 1)]


def _conditions(words: list[str], dialect: str) -> list[ColumnElement[bool]]:
    """The index route's conditions on SQLite (FTS5 tables) and on any other non-PostgreSQL
    backend (the text itself); PostgreSQL's route is _pg_candidates_first."""
    clauses: list[ColumnElement[bool]] = []
    for i, word in enumerate(words):
        if dialect != "sqlite":
            clauses.append(_contains(word, dialect))
        elif len(word) >= 3:
            clauses.append(_in_fts("articles_fts", word, i))
        else:
            # 1- and 2-character terms of the 2-gram table (storage/grams.py): each term is a
            # whole token there, so a caseless word's hit needs no recheck. Terms are lower-cased
            # by Python and LIKE folds ASCII only: a word with case is checked against the text.
            clauses.append(_in_fts("articles_bigram", word, i))
            if _has_case(word):
                clauses.append(_contains(word, dialect))
    return clauses


def find(session: Session, query: str | None, build: Build) -> Rows:
    """Rows of the statement `build` makes from the search conditions of `query` ([] for none).

    `build` gets the conditions to AND into its WHERE clause; it must select the article id
    first, order newest first (published_at, then id, descending) and set a LIMIT.
    """
    words = query_words(query or "")
    dialect = session.get_bind().dialect.name
    if not words:
        return list(session.execute(build([])).all())
    walk_rows = WALK_ROWS.get(dialect, 0) if FAST_SCAN_MS > 0 else 0
    if dialect == "postgresql":
        return _pg_find(session, query, words, build, walk_rows)
    if walk_rows > 0:
        below = INDEX_FIRST_BELOW.get(dialect, 0)
        rows = _index_first(session, words, build, below) if below > 0 else None  # SQLite only
        if rows is not None:
            logger.debug("search %r: index route (fewer than %d candidates)", query, below)
            return rows
        walk = _walk(words, build, walk_rows, dialect)
        rows = None if walk is None else _walked(session, walk)
        if rows is not None:
            logger.debug("search %r: newest-first walk", query)
            return rows
    logger.debug("search %r: index route", query)
    return list(session.execute(build(_conditions(words, dialect))).all())


def _pg_find(session: Session, query: str | None, words: list[str], build: Build, walk_rows: int) -> Rows:
    """The walk, then the index route, each with its planner settings (SET LOCAL inside a
    savepoint that is rolled back at the end, which takes the settings back with it)."""
    walk = _walk(words, build, walk_rows, "postgresql") if walk_rows > 0 else None
    savepoint = session.begin_nested()
    try:
        if walk is not None:
            # The session's own time-out, read before the walk's replaces it, for the route.
            before = _pg_set(session, statement_timeout=str(int(FAST_SCAN_MS)))
            try:
                rows = _walked(session, walk)
            except OperationalError as exc:
                if getattr(exc.orig, "sqlstate", None) != "57014":  # query_canceled: our time-out
                    raise
                savepoint.rollback()  # the failed statement spoiled the savepoint
                savepoint = session.begin_nested()
                rows = None
            if rows is not None:
                logger.debug("search %r: newest-first walk", query)
                return rows
            # The index route follows a walk that found too little: make the planner use the GIN
            # index (bitmap scans) and sort the hits, not walk the date index again, nor scan
            # the table computing every row's 2-grams (its choice when the grams are common);
            # and join the sorted hits one by one (a hash join reads every candidate's row).
            _pg_set(session, statement_timeout=before, **_PG_ROUTE)
        else:
            _pg_set(session, **_PG_ROUTE)
        logger.debug("search %r: index route", query)
        return list(session.execute(_pg_candidates_first(words, build)).all())
    finally:
        savepoint.rollback()


# The index route's planner settings (why: in _pg_find).
_PG_ROUTE = {f"enable_{plan}": "off" for plan in ("indexscan", "seqscan", "hashjoin", "mergejoin")}


def _pg_set(session: Session, **settings: str) -> str:
    """SET LOCAL each setting in one round trip; returns statement_timeout as it was before."""
    # Plans for these words, not a generic plan: psycopg prepares statements it sees often, and
    # a generic plan cannot tell a rare word from a frequent one (it scanned 100k rows).
    settings["plan_cache_mode"] = "force_custom_plan"
    calls = ", ".join(f"set_config(:name_{i}, :value_{i}, true)" for i in range(len(settings)))
    params = {}
    for i, (name, value) in enumerate(settings.items()):
        params[f"name_{i}"], params[f"value_{i}"] = name, value
    # The subquery is scanned before the projection sets anything: `before` is the old value.
    read = f"SELECT before, {calls} FROM (SELECT current_setting('statement_timeout') AS before OFFSET 0) s"
    return str(session.execute(text(read), params).scalar_one())


def _index_first(session: Session, words: list[str], build: Build, below: int) -> Rows | None:
    """SQLite's index route answer when a word has fewer than `below` FTS5 candidates, else None."""
    for word in words:  # one word with few candidates bounds the route's work
        table = "articles_fts" if len(word) >= 3 else "articles_bigram"
        counted = text(
            f"SELECT count(*) FROM (SELECT rowid FROM {table} WHERE {table} MATCH :phrase LIMIT :cap)"
        )
        if (session.scalar(counted, {"phrase": _fts_phrase(word), "cap": below}) or 0) < below:
            return list(session.execute(build(_conditions(words, "sqlite"))).all())
    return None


def _pg_candidates_first(words: list[str], build: Build) -> Select[*tuple[Any, ...]]:
    """The index route on PostgreSQL, rechecking in date order and only until the page is full.

    The GIN index answers "holds every in-word 2-gram of every word and every 1-character word"
    exactly (no recheck, so no text is read): a superset of the rows holding the words. Those
    candidates are sorted by the date their article_terms row carries, and only then joined to
    their articles rows, newest first, for build's other filters and the recheck of the text,
    until the page is full. Sorting 5,072 candidates read 1,400 buffers of article_terms, where
    their articles rows took 5,000 pages. A rare word whose 2-grams are all common still reads
    the text of many candidates before it has a page or runs out.
    """
    wanted = sorted({term for w in words for term in _pg_terms(w)})
    # ORDER BY and OFFSET 0 inside: the subquery stays whole and sorted, and the join below
    # reads the articles rows of its first candidates only. Ordered outside by the joined
    # article's own date, the planner would join every candidate before the sort.
    candidates = (
        select(ARTICLE_TERMS.c.article_id, ARTICLE_TERMS.c.published_at)
        .where(_pg_grams().contains(literal(wanted, ARRAY(Text))))
        .order_by(ARTICLE_TERMS.c.published_at.desc(), ARTICLE_TERMS.c.article_id.desc())
        .offset(0)
        .subquery("candidates")
    )
    page = build([ArticleRow.id == candidates.c.article_id, *[_contains(w, "postgresql") for w in words]])
    return page.order_by(None).order_by(candidates.c.published_at.desc(), candidates.c.article_id.desc())


@dataclass(frozen=True, slots=True)
class _Walk:
    stmt: Select[*tuple[Any, ...]]  # the page among the window's rows, newest first
    size: Select[*tuple[Any, ...]]  # how many rows the window holds
    need: int
    rows: int


def _walk(words: list[str], build: Build, walk_rows: int, dialect: str) -> _Walk | None:
    """The walk through the newest `walk_rows` rows that pass build's other filters; None when
    a page is longer than the walk."""
    plain = build([])
    need = plain._limit  # the page size the caller asked for (+1 for its cursor)
    if need is None or need > walk_rows:
        return None
    # The window: the newest rows that pass the other filters, in order, with their text. The
    # filter reads the text of those rows only; a join back to the table let PostgreSQL's
    # planner match the word over the whole table first (a hash join fed by an index).
    window = (
        plain.add_columns(
            ArticleRow.published_at.label("walk_published_at"), ArticleRow.search_text.label("walk_text")
        )
        .limit(walk_rows)
        .subquery()
    )
    stmt = (
        select(window.c[0])
        .where(*[_contains(w, dialect, window.c.walk_text) for w in words])
        .order_by(window.c.walk_published_at.desc(), window.c[0].desc())
        .limit(need)
    )
    # Counted apart, and only when the page is short: in the walk's statement (one CTE read
    # twice) the count made every frequent word 3-5 ms slower on both backends.
    return _Walk(stmt, select(func.count()).select_from(window), need, walk_rows)


def _walked(session: Session, walk: _Walk) -> Rows | None:
    """The walk's page, or None when older rows may match (fewer than a page in a full window):
    then the index route decides."""
    found = list(session.execute(walk.stmt).all())
    if len(found) < walk.need and (session.scalar(walk.size) or 0) >= walk.rows:
        return None
    return found
