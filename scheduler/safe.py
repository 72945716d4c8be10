"""Article fields as every channel shows them (API, Atom, CLI): the posts' sanitizer on HTML,
plain text, web URLs only.

Stored fields hold what the site sent. Every channel that serves them (JSON, Atom, the CLI) goes through
here, so a hostile title or body reaches a reader as text or as the post format's clean HTML,
never as markup of its own.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from crawler.posts.sanitize import WEB_SCHEMES, plain_text, sanitize
from domain.text import clean_text
from storage import StoredArticle

LINK_REL = "nofollow noopener"  # as the posts' default profile puts on body links
# Control characters have no place in HTML (and XML cannot carry them); tab and newlines stay.


def safe_html(body: str) -> str:
    """The body as the post format's HTML: its tags, attributes and http(s) URLs only."""
    return clean_text(sanitize(body, LINK_REL))


def safe_url(value: str) -> str:
    """An http(s) URL as text, or "" for anything else (javascript:, data:, relative, markup)."""
    url = text(value)
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    return url if parts.scheme.lower() in WEB_SCHEMES and parts.netloc else ""


def text(value: str) -> str:
    """Any stored string as the posts show it: `plain_text` (which skips its parser when it can)."""
    return plain_text(value)


def safe_text(value: str | None) -> str | None:
    return None if value is None else text(value)


def safe_article(stored: StoredArticle) -> dict[str, object]:
    """An article's JSON (`StoredArticle.to_json`) with every string made safe to show."""
    data = stored.to_json()
    a = stored.article
    data.update(
        source=text(stored.source),
        external_id=text(a.external_id),
        url=safe_url(a.url),
        section=text(a.section),
        title=text(a.title),
        subtitle=plain_text_lines(a.subtitle),
        ministry=safe_text(a.ministry),
        rep_code=safe_text(a.rep_code),
        tags=[text(t) for t in a.tags],
        license=safe_text(a.license),
        contact=safe_text(a.contact),
        images=[{"url": safe_url(i.url), "caption": text(i.caption)} for i in a.images],
        attachments=[
            {"name": text(t.name), "url": safe_url(t.url), "extension": text(t.extension)}
            for t in a.attachments
        ],
        body_html=safe_html(a.body_html),
    )
    return data


def plain_text_lines(value: str) -> str:
    """Plain text that keeps its line breaks (subtitles are one per line)."""
    lines = (text(line) for line in value.split("\n"))
    return "\n".join(line for line in lines if line)
