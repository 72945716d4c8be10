"""The terms of SQLite's 2-gram index (storage/grams.py): a pure function of the text."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

import storage
from storage import Database, search
from storage.grams import bigrams, grams, sql_grams
from tests.factories import make_article
from tests.search_helpers import index_terms, text_terms


def test_terms_are_in_word_2_grams_then_each_word_character_once() -> None:
    assert grams("가나다 가, A_b!") == "가나 나다 a_ _b 가 나 다 a _ b"
    assert bigrams("가나다 가, A_b!") == "가나 나다 a_ _b"  # 0001's terms, for the downgrade


def test_a_text_without_words_has_no_terms() -> None:
    assert grams("") == grams(" ,. ") == ""
    assert sql_grams(None) is None


def test_index_grams_takes_one_article_changed_twice_in_a_batch(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'g.db'}")
    try:
        with db.session() as session:
            storage.upsert_articles(session=session, articles=[make_article(1, body_html="<p>가나</p>")])
        with db.session() as session:
            id_, at, first = session.execute(text("SELECT id, published_at, search_text FROM articles")).one()
            session.execute(text("UPDATE articles SET search_text = '다라 마'"))
            search.index_grams(session, [(id_, at, first, "바사"), (id_, at, "바사", "다라 마")])
        with db.engine.connect() as conn:
            assert index_terms(conn) == text_terms(conn)
            assert text_terms(conn)["마"] == 1
    finally:
        db.dispose()
