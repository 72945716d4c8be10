"""HTML escaping the way korea.kr's CMS does it (named entities, and twice in og:title)."""

from __future__ import annotations

import html

# The CMS stores some punctuation as named entities; a page that escapes once shows "&middot;".
_NAMED = {"·": "&middot;"}


def esc(text: str) -> str:
    """Escape text once, as the page body, h1 and <title> carry it."""
    out = html.escape(text, quote=True)
    for char, entity in _NAMED.items():
        out = out.replace(char, entity)
    return out


def esc_twice(text: str) -> str:
    """Escape text twice, as og:title carries it ("&amp;middot;" in the raw HTML)."""
    return html.escape(esc(text), quote=True)
