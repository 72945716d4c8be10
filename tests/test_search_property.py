"""Search answers are a plain LIKE scan's answers, whichever route (walk or index) gives them.

Generated Korean text from a few syllables, so words overlap, repeat and straddle spaces (a word of
3+ characters is found through its 2-grams, which may all occur without the word); dates
from a few values, so ties are broken by id; walks shorter than, as long as and longer than the
matching rows, so every route and both ends of the walk's decision run. On both backends (the
`db` fixture). Single-character words, and articles changed and deleted before the search,
check the contentless 2-gram index (SQLite) and the character index (PostgreSQL).
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

import storage
from domain.article import KST, Article
from storage import ArticleFilter, Database, search
from tests.factories import make_article
from tests.search_helpers import index_terms, text_terms

# Hangul without case, and two Latin letters with case (their words keep the ILIKE route).
SYLLABLES = "가나다라정책을aB "
WORDS = st.text(alphabet="가나다라정책을aBA", min_size=1, max_size=5)
TEXTS = st.text(alphabet=SYLLABLES, min_size=0, max_size=30)
DAY = datetime(2026, 11, 20, 9, 0, tzinfo=KST)

_sources = itertools.count()


def like_scan(db: Database, source: str, words: list[str]) -> list[str]:
    """External ids of the source's articles whose text holds every word in any case, newest
    first: a full scan with LIKE over lower-cased text (no search index, no walk)."""
    conditions = " AND ".join(f"lower(a.search_text) LIKE lower(:w{i})" for i in range(len(words)))
    with db.session() as session:
        rows = session.execute(
            text(
                "SELECT a.external_id FROM articles a JOIN sources s ON s.id = a.source_id "
                f"WHERE s.name = :source AND {conditions} ORDER BY a.published_at DESC, a.id DESC"
            ),
            {"source": source} | {f"w{i}": f"%{w}%" for i, w in enumerate(words)},
        )
        return [r[0] for r in rows]


@pytest.mark.parametrize(("walk_rows", "index_first_below"), [(0, 0), (2, 0), (5, 0), (1000, 0), (3, 4)])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    texts=st.lists(st.tuples(TEXTS, st.integers(0, 3)), min_size=0, max_size=10),
    words=st.lists(WORDS, min_size=1, max_size=2),
    limit=st.integers(1, 4),
)
# Words of 3+ characters go through their 2-grams and a recheck: every 2-gram present but not
# side by side (in other words, or apart in one), a word with case, and two such words.
@example(texts=[("가나 나다", 0), ("가나라나다", 1), ("가나다", 2)], words=["가나다"], limit=1)
@example(texts=[("aBa", 0), ("ab ba", 1), ("ABAB", 2), ("bab", 3)], words=["aBA"], limit=2)
@example(texts=[("가나다 aBa", 0), ("가나다", 1), ("aba 가나 나다", 2)], words=["가나다", "ABA"], limit=1)
def test_search_pages_equal_a_like_scan(
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
    walk_rows: int,
    index_first_below: int,
    texts: list[tuple[str, int]],
    words: list[str],
    limit: int,
) -> None:
    # 0: the index route only; 2 and 5: walks that often stop short; 1000: walks that see all;
    # (3, 4): SQLite counts candidates first, and words with few skip the walk (the database
    # keeps earlier examples' articles, so counts vary).
    monkeypatch.setattr(search, "WALK_ROWS", {"sqlite": walk_rows, "postgresql": walk_rows})
    monkeypatch.setattr(search, "INDEX_FIRST_BELOW", {"sqlite": index_first_below})
    source = f"prop{next(_sources)}"  # each example its own source: earlier examples stay out
    articles = [
        make_article(
            n,
            source=source,
            title=body,
            body_html=f"<p>{body}</p>",
            subtitles=(),
            tags=(),
            ministry=None,
            published_at=DAY + timedelta(hours=day),  # few distinct dates: ties on the date
        )
        for n, (body, day) in enumerate(texts, start=1)
    ]
    with db.session() as session:
        storage.upsert_articles(session=session, articles=articles)
    where = ArticleFilter(query=" ".join(words), source=source)
    with db.session() as session:
        pages = storage.iter_articles(session=session, where=where, batch=limit)
        found = [s.article.external_id for s in pages]
        first = storage.list_articles(session=session, where=where, limit=limit)
    expected = like_scan(db, source, [w.lower() for w in search.query_words(" ".join(words))])
    assert found == expected
    assert [s.article.external_id for s in first.items] == expected[:limit]


# Single characters: Hangul that stands alone as a word or sits inside one, a letter with case
# beyond ASCII (Python lower-cases it for the index, SQLite's LIKE does not), and characters the
# texts never hold (absent: every route must answer nothing).
CHAR_TEXTS = st.text(alphabet="가나다정을aBÉé ", min_size=0, max_size=20)
CHARS = st.sampled_from(list("가나다정을aBÉé뷁x"))
CHANGES = st.lists(st.tuples(st.integers(0, 9), CHAR_TEXTS), max_size=4)


@pytest.mark.parametrize(("walk_rows", "index_first_below"), [(0, 0), (3, 0), (1000, 0), (2, 3)])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    texts=st.lists(st.tuples(CHAR_TEXTS, st.integers(0, 3)), min_size=0, max_size=10),
    changes=CHANGES,
    deletes=st.sets(st.integers(0, 9), max_size=3),
    words=st.lists(st.one_of(CHARS, WORDS), min_size=1, max_size=2).filter(
        lambda ws: any(len(w) == 1 for w in ws)
    ),
    limit=st.integers(1, 4),
)
# A cased letter SQLite's LIKE does not fold (the index holds it lower-cased); a character
# standing alone as a word; an article changed and one deleted away from the only match.
@example(texts=[("É", 0), ("é", 1)], changes=[], deletes=set(), words=["é"], limit=1)
@example(texts=[("가 나", 0), ("가나", 1)], changes=[], deletes=set(), words=["나"], limit=1)
@example(texts=[("정", 0), ("정을", 1)], changes=[(0, "을")], deletes={1}, words=["정"], limit=1)
def test_single_characters_and_changed_articles_equal_a_like_scan(
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
    walk_rows: int,
    index_first_below: int,
    texts: list[tuple[str, int]],
    changes: list[tuple[int, str]],
    deletes: set[int],
    words: list[str],
    limit: int,
) -> None:
    # 0 takes the index route alone: an article changed or deleted must no longer be found by
    # its old terms there, and the one-character terms must answer like the scan. (2, 3): SQLite
    # counts candidates first (a changed or deleted article's old terms must not be counted).
    monkeypatch.setattr(search, "WALK_ROWS", {"sqlite": walk_rows, "postgresql": walk_rows})
    monkeypatch.setattr(search, "INDEX_FIRST_BELOW", {"sqlite": index_first_below})
    source = f"char{next(_sources)}"

    def article(n: int, body: str, day: int) -> Article:
        return make_article(n, source=source, title=body, body_html=f"<p>{body}</p>", subtitles=(),
                            tags=(), ministry=None, published_at=DAY + timedelta(hours=day))

    with db.session() as session:
        storage.upsert_articles(
            session=session, articles=[article(n, body, day) for n, (body, day) in enumerate(texts, start=1)]
        )
    for index, body in changes:  # each its own batch: a later change sees the earlier one's text
        if index < len(texts):
            with db.session() as session:
                storage.upsert_articles(session=session, articles=[article(index + 1, body, texts[index][1])])
    gone = [make_article(i + 1).external_id for i in deletes if i < len(texts)]
    if gone:  # by SQL, as an operator would: the delete trigger removes the terms (SQLite)
        with db.session() as session:
            session.execute(
                text("DELETE FROM articles WHERE external_id = :id AND source_id = "
                     "(SELECT id FROM sources WHERE name = :source)"),
                [{"id": external_id, "source": source} for external_id in gone],
            )
    where = ArticleFilter(query=" ".join(words), source=source)
    with db.session() as session:
        pages = storage.iter_articles(session=session, where=where, batch=limit)
        found = [s.article.external_id for s in pages]
        first = storage.list_articles(session=session, where=where, limit=limit)
    expected = like_scan(db, source, search.query_words(" ".join(words)))
    assert found == expected
    assert [s.article.external_id for s in first.items] == expected[:limit]
    if db.dialect == "sqlite":
        with db.engine.connect() as conn:
            assert index_terms(conn) == text_terms(conn)
