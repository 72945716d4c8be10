"""The post body as text blocks: the cleaned tree's blocks sanitized, and the blocks around them."""

from __future__ import annotations

import html as htmlcodec
import re
from collections.abc import Iterable

from lxml.html import HtmlElement

from crawler.posts.layout import INDENT
from crawler.posts.licence import attribution
from crawler.posts.profile import Profile
from crawler.posts.sanitize import TISTORY_SIZES, plain_text, sanitize, web_url
from crawler.posts.tree import serialize_element
from domain.article import Article


def body_blocks(body: HtmlElement, link_rel: str) -> list[str]:
    """The sanitized blocks of a cleaned body: sanitize (last), drop empty blocks, escape Liquid."""
    blocks = [drop_implicit_tbody(sanitize(block, link_rel)) for block in split_blocks(body)]
    return [escape_liquid(block) for block in drop_empty_blocks(blocks)]


def split_blocks(body: HtmlElement) -> list[str]:
    """The top-level blocks of a cleaned body, each serialized on its own (without its tail)."""
    blocks = []
    for block in body:
        block.tail = None
        blocks.append(serialize_element(block))
    return blocks


def drop_implicit_tbody(block: str) -> str:
    """Unwrap the `<tbody>` of a table without `<thead>`: the seed's tables list rows directly.

    The sanitizer's HTML parser always inserts a tbody; the layout step indented the table, so
    the wrapper is two whole lines and its rows one indent level too deep.
    """
    if not block.startswith("<table") or "<thead" in block or block.count("<tbody>") != 1:
        return block
    lines = block.split("\n")
    opening = f"{INDENT}<tbody>"
    closing = f"{INDENT}</tbody>"
    if opening not in lines or closing not in lines:
        return block
    start, end = lines.index(opening), lines.index(closing)
    inner = [line.removeprefix(INDENT) for line in lines[start + 1 : end]]
    return "\n".join(lines[:start] + inner + lines[end + 1 :])


_TAG = re.compile(r"<[^>]*>")


def drop_empty_blocks(blocks: Iterable[str]) -> list[str]:
    """Leave out blocks with no text and no image (`<p></p>`, `<p>&nbsp;</p>`, `<p><br></p>`)."""
    return [
        block for block in blocks if "<img" in block or _TAG.sub("", block).replace("&nbsp;", " ").strip()
    ]


_LIQUID_OPENING = re.compile(r"\{(?=[{%])")


def escape_liquid(block: str) -> str:
    """Jekyll runs Liquid over posts: `{{` and `{%` in article text would be code, so escape `{`."""
    return _LIQUID_OPENING.sub("&#123;", block)


def hero_block(profile: Profile) -> str | None:
    """The profile's hero image, written in the seed's own style (`<img … />`); None without one.

    Body images are written the way the sanitizer serializes them, as HTML5 void elements
    (`<img src="…" alt="…">`); only this line keeps the seed's byte-exact `/>`.
    """
    if not profile.hero_image_src:
        return None
    src = htmlcodec.escape(profile.hero_image_src)
    alt = htmlcodec.escape(profile.hero_image_alt)
    return f'<p><img src="{src}" alt="{alt}" /></p>'


def closing_blocks(article: Article, profile: Profile) -> list[str]:
    """Contact line (when the source has one), attribution, source link, footer (when set)."""
    blocks = []
    contact = plain_text(article.contact or "")
    if contact:
        blocks.append(escape_liquid(paragraph(f"{profile.contact_label}: {_text(contact)}")))
    blocks.append(paragraph(_text(attribution(article))))
    blocks.append(paragraph(f"{profile.source_label}: {_source_link(article.url, profile)}"))
    if profile.footer_html:
        blocks.append(profile.footer_html)
    return blocks


def _text(text: str) -> str:
    return htmlcodec.escape(text, quote=False)


def paragraph(inner_html: str) -> str:
    return f'<p data-ke-size="{TISTORY_SIZES["p"]}">{inner_html}</p>'


def _source_link(url: str, profile: Profile) -> str:
    text = _text(profile.source_link_text)
    link = web_url("", url.strip())
    if link is None:
        return text
    rel = f' rel="{htmlcodec.escape(profile.link_rel)}"' if profile.link_rel else ""
    return escape_liquid(f'<a href="{htmlcodec.escape(link)}"{rel}>{text}</a>')
