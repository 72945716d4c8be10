"""Search answers are a plain LIKE scan's answers, whichever route (walk or index) gives them.

Generated Korean text from a few syllables, so words overlap, repeat and straddle spaces; dates
from a few values, so ties are broken by id; walks shorter than, as long as and longer than the
matching rows, so every route and both ends of the walk's decision run. On both backends (the
`db` fixture).
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

import storage
from domain.article import KST
from storage import ArticleFilter, Database, search
from tests.factories import make_article

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


@pytest.mark.parametrize("walk_rows", [0, 2, 5, 1000])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    texts=st.lists(st.tuples(TEXTS, st.integers(0, 3)), min_size=0, max_size=10),
    words=st.lists(WORDS, min_size=1, max_size=2),
    limit=st.integers(1, 4),
)
def test_search_pages_equal_a_like_scan(
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
    walk_rows: int,
    texts: list[tuple[str, int]],
    words: list[str],
    limit: int,
) -> None:
    # 0: the index route only; 2 and 5: walks that often stop short; 1000: walks that see all.
    monkeypatch.setattr(search, "WALK_ROWS", {"sqlite": walk_rows, "postgresql": walk_rows})
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
