"""Clean text for storage: no control characters, no bidirectional overrides, no broken decoding.

Every Article passes through `clean_article` once, where articles enter the storage pipeline.
A NUL byte is refused by PostgreSQL (text and JSON alike), other control characters break
XML output, and bidirectional overrides make a title read differently from what it holds.
"""

from __future__ import annotations

import re
from dataclasses import fields, replace
from typing import Any

from domain.article import Article, Attachment, Image

# C0 controls except tab, line feed and carriage return; DEL and the C1 block; lone surrogates
# (left by a surrogateescape decode: not encodable as UTF-8); the two non-characters.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# Embeddings, overrides and isolates (LRE RLE PDF LRO RLO, LRI RLI FSI PDI), the marks, ALM.
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")

# An XML declaration in front of an HTML string: lxml refuses str input that starts with one.
XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>", re.IGNORECASE)

REPLACEMENT = "\ufffd"
# A body may quote one odd character of its own; a run of them is a decoding that failed.
MAX_REPLACEMENTS_IN_BODY = 3


def clean_text(value: str) -> str:
    """`value` without control characters and bidirectional controls (tab and newlines stay)."""
    return _BIDI.sub("", _CONTROLS.sub("", value))


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, tuple):
        return tuple(_clean(v) for v in value)
    if isinstance(value, Image | Attachment):
        return replace(value, **{f.name: _clean(getattr(value, f.name)) for f in fields(value)})
    return value  # numbers, booleans, datetimes, None


def clean_article(article: Article) -> Article:
    """The article with every text field (nested images and attachments included) cleaned."""
    changes = {}
    for f in fields(article):
        value = getattr(article, f.name)
        cleaned = _clean(value)
        if cleaned != value:
            changes[f.name] = cleaned
    return replace(article, **changes) if changes else article


def decoding_damage(article: Article) -> str | None:
    """Why the article's text looks wrongly decoded (replacement characters), or None.

    Any U+FFFD in the title, or more than MAX_REPLACEMENTS_IN_BODY in the body, means the bytes
    were read in an encoding they are not in: storing that text would store garbage.
    """
    if REPLACEMENT in article.title:
        return "the title holds replacement characters (U+FFFD): the page's encoding was wrong"
    count = article.body_html.count(REPLACEMENT)
    if count > MAX_REPLACEMENTS_IN_BODY:
        return f"the body holds {count} replacement characters (U+FFFD): the page's encoding was wrong"
    return None
