"""Text steps: the title, and the excerpt taken from the subtitles or the cleaned body tree."""

from __future__ import annotations

import html as htmlcodec
import re
from collections.abc import Iterable, Sequence

from lxml.html import HtmlElement

from crawler.posts.sanitize import clean_text, plain_text


def clean_title(raw: str) -> str:
    """The title as plain text: entities decoded (korea.kr escapes some twice), tags and controls out."""
    return plain_text(raw)


def decode_entities(text: str, *, rounds: int = 3) -> str:
    """`&amp;middot;` -> `·`: unescape until nothing changes, a few rounds at most."""
    for _ in range(rounds):
        decoded = htmlcodec.unescape(text)
        if decoded == text:
            break
        text = decoded
    return text


_SENTENCE_END = re.compile(r"[.?!]+[\"'”’)\]」』]*(?=\s|$)")


def cut_excerpt(text: str, limit: int) -> str:
    """`text` cut after its last sentence end (`다.`, `.`, `?`, `!`) that fits in `limit` characters.

    Without one, it is cut at the last space and nothing is added. Only a single word longer
    than the limit is cut inside, since nothing else would fit.
    """
    text = clean_text(text)
    if len(text) <= limit:
        return text
    ends = [m.end() for m in _SENTENCE_END.finditer(text) if m.end() <= limit]
    if ends:
        return text[: ends[-1]]
    space = text.rfind(" ", 0, limit + 1)
    return text[:space] if space > 0 else text[:limit]


def excerpt_source(subtitles: Sequence[str], body: HtmlElement, limit: int) -> str:
    """The subtitles joined by a space, else enough leading body paragraphs to fill `limit`."""
    joined = " ".join(clean_title(subtitle) for subtitle in subtitles)
    if joined.strip():
        return clean_text(joined)
    texts: list[str] = []
    for block in body:
        if block.tag != "p":
            continue
        text = block_text(block)
        if text:
            texts.append(text)
        if sum(len(t) + 1 for t in texts) > limit:
            break
    return " ".join(texts)


def make_excerpt(subtitles: Sequence[str], body: HtmlElement, limit: int) -> str:
    return cut_excerpt(excerpt_source(subtitles, body, limit), limit)


def block_text(el: HtmlElement) -> str:
    """The visible text of an element, a `<br>` counting as a space, whitespace collapsed."""
    return clean_text("".join(_text_parts(el)))


def _text_parts(el: HtmlElement) -> Iterable[str]:
    yield el.text or ""
    for child in el:
        if isinstance(child.tag, str):
            yield from (" ",) if child.tag == "br" else _text_parts(child)
        yield child.tail or ""
