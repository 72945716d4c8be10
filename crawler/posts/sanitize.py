"""The one sanitizer: every channel that shows article HTML or text (posts, JSON, Atom, CLI) uses it.

`sanitize` keeps only the post format's tags, attributes and http(s) URLs; `plain_text` turns any
string (a title, an excerpt) into text with no markup, entities or control characters; `clean_text`
only drops control characters and collapses whitespace, for text that is already plain.
"""

from __future__ import annotations

import html as htmlcodec
import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin, urlsplit

import nh3


def names(words: str) -> frozenset[str]:
    return frozenset(words.split())


WEB_SCHEMES = frozenset({"http", "https"})
TISTORY_SIZES = {"p": "size16", "h2": "size26", "h3": "size23", "h4": "size20"}

ALLOWED_TAGS = names(
    "p h2 h3 h4 ul ol li b strong i em u table thead tbody tr th td img a br blockquote figure figcaption"
)
_ATTRIBUTES = {
    "*": set(),  # without it nh3 keeps its default generic attributes (title, lang) everywhere
    "a": {"href"},
    "img": {"src", "alt"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
_SIZE_VALUES = {tag: {"data-ke-size": {size}} for tag, size in TISTORY_SIZES.items()}
_CLEAN_CONTENT = names(
    "script style iframe svg math form noscript template object textarea select button title"
)


def sanitize(block: str, link_rel: str) -> str:
    """The one security boundary: only the output's tags, attributes and http(s) URLs survive."""
    return _sanitizer(link_rel)(block).strip()


def sanitizer_options(link_rel: str) -> dict[str, Any]:
    """`sanitize`'s nh3 options."""
    return {
        "tags": set(ALLOWED_TAGS),
        "clean_content_tags": set(_CLEAN_CONTENT),
        "attributes": _ATTRIBUTES,
        "tag_attribute_values": _SIZE_VALUES,
        "attribute_filter": _attribute_filter,
        "strip_comments": True,
        "link_rel": link_rel or None,
        "url_schemes": set(WEB_SCHEMES),
        "url_relative": "deny",
    }


# plain_text's: every tag out, script and style with their content.
_TEXT_ONLY_OPTIONS: dict[str, Any] = {
    "tags": set(),
    "clean_content_tags": {"script", "style"},
    "strip_comments": True,
}


@lru_cache(maxsize=16)
def _sanitizer(link_rel: str) -> Callable[[str], str]:
    return _cleaner(sanitizer_options(link_rel))


def _cleaner(options: dict[str, Any]) -> Callable[[str], str]:
    """nh3 with its options built once (nh3.Cleaner, nh3 0.3): converting them to Rust on every
    `nh3.clean` call was 3/4 of a call on a paragraph."""
    clean: Callable[[str], str] = nh3.Cleaner(**options).clean
    return clean


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    # colspan="javascript…" is harmless but meaningless; keep only numbers.
    if attribute in ("colspan", "rowspan"):
        return value if value.isdigit() else None
    return value



# Bidirectional overrides, isolates and marks can make a title read differently from what it holds.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
# Noncharacters and the BOM are not printable YAML; PyYAML would escape them in double quotes.
_UNPRINTABLE = frozenset("\ufeff\ufffe\uffff\U0010ffff")
# Exactly the characters clean_text drops (unprintable and not whitespace), as one regex;
# checked against _is_unprintable over every code point (tests/test_frontmatter.py).
_DROPPED = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\ud800-\udfff\ufeff\ufffe\uffff\U0010ffff]")
# What still looks like a tag once decoding has stopped changing anything (`<script`, `</x`, `<!x`).
_TAG_LIKE = re.compile(r"</?[A-Za-z!/?][^>]*>?")
_DECODE_ROUNDS = 4
_strip_tags = _cleaner(_TEXT_ONLY_OPTIONS)


def plain_text(value: str) -> str:
    """Any string as plain text: tags removed, entities decoded, controls and bidi overrides gone.

    Decoding can reveal markup (`&lt;script&gt;`), so cleaning and decoding repeat until stable, and
    whatever still looks like a tag is dropped: the result is safe wherever a theme prints it raw.
    Whitespace is collapsed to single spaces (see `clean_text`).
    """
    text = _drop_invisible(value)
    if "<" not in text and "&" not in text:  # no markup, no entity: nothing for the parser to do
        return clean_text(text)
    for _ in range(_DECODE_ROUNDS):
        cleaned = _drop_invisible(
            htmlcodec.unescape(
                _strip_tags(text)
            )
        )
        if cleaned == text:
            break
        text = cleaned
    # Removing one tag-like piece can join two others into a new one (`<<?x>a` -> `<a`): repeat.
    while (stripped := _TAG_LIKE.sub("", text)) != text:
        text = stripped
    return clean_text(text)


def _drop_invisible(text: str) -> str:
    # First, so that an invisible character cannot hide a tag (`<\x01script`, `<\u202escript`).
    return _DROPPED.sub("", _BIDI_CONTROLS.sub("", text))


def clean_text(value: str) -> str:
    """Drop control characters and collapse all whitespace to single spaces (markup is left alone).

    Controls go first so that `a \\x00 b` does not leave a double space; whitespace controls
    (tab, newline, the Unicode line separators) count as whitespace, not as noise.
    """
    if _DROPPED.search(value) is None:  # nearly always: skip the per-character walk
        return " ".join(value.split())
    kept = "".join(ch for ch in value if ch.isspace() or not is_unprintable(ch))
    return " ".join(kept.split())


def is_unprintable(ch: str) -> bool:
    return ch in _UNPRINTABLE or unicodedata.category(ch) in ("Cc", "Cs")


def web_url(base_url: str, reference: str) -> str | None:
    """`reference` made absolute against `base_url`, or None unless that leads to an http(s) URL."""
    try:
        url = urljoin(base_url, reference)
        scheme = urlsplit(url).scheme.lower()
    except ValueError:  # e.g. a malformed IPv6 host
        return None
    return url if scheme in WEB_SCHEMES and reference else None
