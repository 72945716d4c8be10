"""The post as the blog will show it: front matter as a card, the body rendered from Markdown.

A Markdown library renders the post (its body is HTML blocks plus Markdown, as Jekyll reads it),
and the project's sanitizer runs last on the result, so the preview obeys the same rules as the
post. Images become links: they live on the source's site, and the web page loads nothing from
any host but briefing itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

import yaml
from lxml import etree
from lxml.html import fragments_fromstring, tostring
from markdown_it import MarkdownIt

from crawler.posts.sanitize import sanitize

LINK_REL = "nofollow noopener noreferrer"
FRONT_MATTER_FENCE = "---\n"


@dataclass(frozen=True, slots=True)
class Preview:
    front_matter: dict[str, object]
    body_html: str  # sanitized
    feature_html: str  # feature_text rendered and sanitized
    error: str | None = None  # why the front matter could not be read, if it could not


def _markdown() -> MarkdownIt:
    # CommonMark with raw HTML on (the post body is HTML blocks), plus GFM tables.
    return MarkdownIt("commonmark", {"html": True}).enable("table")


def split_post(text: str) -> tuple[dict[str, object], str, str | None]:
    """(front matter values, body, error): a post without readable front matter is all body."""
    if not text.startswith(FRONT_MATTER_FENCE):
        return {}, text, "the post has no front matter"
    end = text.find("\n---\n", len(FRONT_MATTER_FENCE) - 1)
    if end < 0:
        return {}, text, "the front matter is not closed by ---"
    try:
        values = yaml.safe_load(text[len(FRONT_MATTER_FENCE) : end + 1])
    except yaml.YAMLError as exc:
        return {}, text[end + 5 :], f"the front matter is not valid YAML: {exc}"
    if not isinstance(values, dict):
        return {}, text[end + 5 :], "the front matter is not a mapping"
    return {str(k): v for k, v in values.items()}, text[end + 5 :], None


def render_markdown(text: str) -> str:
    """Markdown (with HTML blocks) to HTML that passed the post sanitizer, images as links."""
    html = sanitize(_markdown().render(text), LINK_REL)
    # Twice through the sanitizer: the link that replaces an image is built from sanitized
    # values, and the last pass proves the whole result obeys the rules.
    return sanitize(_images_as_links(html), LINK_REL)


def _images_as_links(html: str) -> str:
    if "<img" not in html:
        return html
    parts = fragments_fromstring(f"<div>{html}</div>")
    root = parts[0]
    for img in list(root.iter("img")):
        src, alt = img.get("src"), (img.get("alt") or "").strip()
        label = f"[이미지] {alt}" if alt else "[이미지]"
        # No src left: a path on the blog itself (the profile's hero image), nothing to link to.
        replacement = etree.Element("a", href=src) if src else etree.Element("em")
        replacement.text = label
        replacement.tail = img.tail
        img.getparent().replace(img, replacement)
    inner = (root.text and escape(root.text)) or ""
    return inner + "".join(tostring(child, encoding="unicode") for child in root)


def preview(post_text: str) -> Preview:
    values, body, error = split_post(post_text)
    feature = values.get("feature_text")
    return Preview(
        front_matter=values,
        body_html=render_markdown(body),
        feature_html=render_markdown(feature) if isinstance(feature, str) else "",
        error=error,
    )
