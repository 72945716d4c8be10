"""Korean full-text search: FTS5 trigram + a 2-gram side index on SQLite, LIKE elsewhere.

Korean particles stick to words (자율제조를) and many queries are two characters (예산, AI).
FTS5's trigram tokenizer matches inside words but never matches fewer than 3 characters, so
words of 2 characters go to a side index of in-word 2-grams, and single characters fall back
to LIKE. Every user word is quoted so FTS5 syntax in the input stays literal.
"""

from __future__ import annotations

import re
from html import unescape

from sqlalchemy import ColumnElement, Engine, and_, bindparam, text
from sqlalchemy.orm import Session

from storage.models import ArticleRow

_TAG = re.compile(r"<[^>]+>")
_WORD = re.compile(r"\w+", re.UNICODE)
_SPACE = re.compile(r"\s+")


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


def create_search_schema(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5("
                "search_text, content='articles', content_rowid='id', tokenize='trigram')"
            )
        )
        conn.execute(
            text("CREATE VIRTUAL TABLE IF NOT EXISTS articles_bigram USING fts5(grams, tokenize='unicode61')")
        )
        # External-content FTS stays in sync with the articles table through triggers.
        conn.execute(
            text(
                "CREATE TRIGGER IF NOT EXISTS articles_fts_ai AFTER INSERT ON articles BEGIN "
                "INSERT INTO articles_fts(rowid, search_text) VALUES (new.id, new.search_text); END"
            )
        )
        conn.execute(
            text(
                "CREATE TRIGGER IF NOT EXISTS articles_fts_ad AFTER DELETE ON articles BEGIN "
                "INSERT INTO articles_fts(articles_fts, rowid, search_text) "
                "VALUES ('delete', old.id, old.search_text); "
                "DELETE FROM articles_bigram WHERE rowid = old.id; END"
            )
        )
        conn.execute(
            text(
                "CREATE TRIGGER IF NOT EXISTS articles_fts_au AFTER UPDATE OF search_text ON articles BEGIN "
                "INSERT INTO articles_fts(articles_fts, rowid, search_text) "
                "VALUES ('delete', old.id, old.search_text); "
                "INSERT INTO articles_fts(rowid, search_text) VALUES (new.id, new.search_text); END"
            )
        )


def index_bigrams(session: Session, article_id: int, text_: str) -> None:
    """Write the article's 2-gram row (SQLite only; other backends search differently)."""
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


def match_clause(query: str, dialect: str) -> ColumnElement[bool] | None:
    """A WHERE clause matching articles that contain every word of `query`; None if empty."""
    words = query_words(query)
    if not words:
        return None
    clauses: list[ColumnElement[bool]] = []
    for i, word in enumerate(words):
        if dialect != "sqlite" or len(word) == 1:
            clauses.append(_like(word))
        elif len(word) >= 3:
            clauses.append(_in_fts("articles_fts", word, i))
        else:
            # 2-grams are built inside words, so a 2-character hit needs no recheck.
            clauses.append(_in_fts("articles_bigram", word, i))
    return and_(*clauses)
