"""Checks of SQLite's contentless 2-gram index against the texts it was built from."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import Connection, text

from storage.grams import grams


def index_terms(conn: Connection) -> Counter[str]:
    """How many articles each term of articles_bigram is indexed for (fts5vocab, as stored)."""
    conn.execute(text(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.bigram_vocab USING fts5vocab(main, articles_bigram, row)"))
    rows = conn.execute(text("SELECT term, doc FROM temp.bigram_vocab"))
    return Counter({term: doc for term, doc in rows})


def text_terms(conn: Connection) -> Counter[str]:
    """How many articles each term should be indexed for: the terms of every article's text now."""
    counts: Counter[str] = Counter()
    for (search_text,) in conn.execute(text("SELECT search_text FROM articles")):
        counts.update(set(grams(search_text).split()))
    return counts
