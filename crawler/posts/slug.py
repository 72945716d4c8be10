"""File-name-safe slugs from titles: letters (Hangul too) and digits joined by `-`."""

from __future__ import annotations

import re
import unicodedata

MAX_CHARS = 80
# 80 Hangul syllables are 240 bytes of UTF-8; with `YYYY-MM-DD-` and `.md` that is 254, just under
# the 255-byte file name limit of common file systems. Letters outside the BMP need this cap.
MAX_BYTES = 240
FALLBACK = "post"

_SEPARATORS = re.compile(r"-+")


def slugify(title: str, *, max_chars: int = MAX_CHARS, max_bytes: int = MAX_BYTES) -> str:
    """Lower-case letters, digits and marks of `title`; every other run of characters becomes `-`.

    The result never holds `/`, `.` or `_`, never starts or ends with `-`, and is `post` when
    nothing is left.
    """
    text = unicodedata.normalize("NFC", title).lower()
    dashed = "".join(ch if _is_word_char(ch) else "-" for ch in text)
    slug = _SEPARATORS.sub("-", dashed).strip("-")
    return truncate(slug, max_chars=max_chars, max_bytes=max_bytes) or FALLBACK


def _is_word_char(ch: str) -> bool:
    # Letters, digits and combining marks (needed by Thai, Devanagari, decomposed Hangul…).
    return unicodedata.category(ch)[0] in "LNM"


def truncate(slug: str, *, max_chars: int, max_bytes: int) -> str:
    """`slug` cut to the limits, at a `-` when one falls in the second half, else mid-word."""
    cut = slug[:max_chars]
    while len(cut.encode("utf-8")) > max_bytes:
        cut = cut[:-1]
    if cut == slug:
        return slug
    if slug[len(cut)] == "-":  # the cut already falls between two words
        return cut.strip("-")
    boundary = cut.rfind("-")
    # A `-` near the start would throw most of the title away; a hard cut keeps more of it.
    if boundary >= len(cut) // 2:
        cut = cut[:boundary]
    return cut.strip("-")
