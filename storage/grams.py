"""The terms of the 2-gram search index: in-word 2-grams and single word characters of a text.

A dependency-free module, used on both backends. SQLite: storage/db.py registers `grams` as the
SQL function `article_grams` on every SQLite connection (the delete trigger of migration 0004
calls it), and storage/search.py writes the same terms from Python into a contentless FTS5
table, so removing a row's terms takes exactly the string that was inserted. PostgreSQL:
storage/search.py stores them in the table `article_terms`, under a GIN index (migration 0008).
So `grams` must stay a pure function of the text, and changing what it returns needs a
migration that rebuilds both.
"""

from __future__ import annotations

import re

WORD = re.compile(r"\w+", re.UNICODE)
SQL_FUNCTION = "article_grams"


def bigrams(text_: str) -> str:
    """Space-separated overlapping 2-grams inside each word (lower-cased), deduplicated."""
    seen: dict[str, None] = {}
    for word in WORD.findall(text_.lower()):
        for i in range(len(word) - 1):
            seen.setdefault(word[i : i + 2], None)
    return " ".join(seen)


def grams(text_: str) -> str:
    """The 2-gram document of a text: its in-word 2-grams, then each word character once.

    A single character is a one-character term, so it never equals a 2-gram: one table answers
    1- and 2-character words. The table's tokenizer (ascii with `_` as a token character) keeps
    every space-separated term whole, as Python's `\\w` cuts them.
    """
    words = WORD.findall(text_.lower())
    seen = dict.fromkeys([word[i : i + 2] for word in words for i in range(len(word) - 1)])
    seen.update(dict.fromkeys("".join(words)))
    return " ".join(seen)


def sql_grams(text_: str | None) -> str | None:
    """`grams` as the SQL function sees it: NULL in, NULL out."""
    return None if text_ is None else grams(text_)
