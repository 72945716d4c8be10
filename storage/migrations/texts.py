"""The stored search texts, read in batches by id, for migrations that rebuild search terms."""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.engine import Connection

BATCH = 2000


def search_texts(bind: Connection, batch: int = BATCH) -> Iterator[list[tuple[int, str]]]:
    """(id, search_text) of every article, `batch` rows at a time in id order.

    Batches by id: the texts of a large table never sit in memory at once, and rows the caller
    writes between batches (to this table or another) do not move the next batch.
    """
    last = 0
    while True:
        rows = bind.execute(
            sa.text("SELECT id, search_text FROM articles WHERE id > :last ORDER BY id LIMIT :n"),
            {"last": last, "n": batch},
        ).all()
        if not rows:
            return
        yield [(id_, text_) for id_, text_ in rows]
        last = rows[-1][0]
