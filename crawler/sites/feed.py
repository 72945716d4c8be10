"""Pure RSS/Atom parsing: feed bytes in, entries and Articles out (feedparser, aware KST times)."""

from __future__ import annotations

import calendar
import email.utils
import hashlib
import html
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import feedparser
from w3lib.encoding import html_to_unicode

from crawler.sites.korea_kr import canonical_url
from domain.article import KST, Article

SECTION = "feed"
MAX_EXTERNAL_ID = 100  # articles.external_id is VARCHAR(100)
# An RSS description with at least this much text is taken as the article itself (korea.kr's
# feeds carried whole press releases); a shorter one is a teaser, and the page is fetched.
FULL_TEXT_MIN_CHARS = 400
TEASER_ENDINGS = ("…", "...", "[…]", "[...]", "더보기")

# korea.kr's feed chrome around each description (spec §3.3): the "read the text" button
# and the "[자료제공 : <logo>]" trailer.
_TEXTVIEW_BUTTON = re.compile(r"<a\b[^>]*>\s*<img\b[^>]*btn_textview\.gif[^>]*>\s*</a>", re.I)
_SUPPLIER_TRAILER = re.compile(r"\[\s*자료제공\s*:.*?icon_logo\.gif.*?\]", re.I | re.S)
_EDGE_BREAKS = re.compile(r"^(?:\s*<br\s*/?>)+|(?:<br\s*/?>\s*)+$", re.I)
_TAG = re.compile(r"<[^>]+>")
_MINISTRY_PREFIX = re.compile(r"^\[([^\[\]]{2,30})\]\s*")  # "[국토교통부]디딤돌 대출…"
_KOGL = re.compile(r"(?:공공누리\s*(?:제\s*)?([1-4])\s*유형|KOGL[\s_-]*(?:type[\s_-]*)?([1-4]))", re.I)
_TEXT_ONLY = re.compile(r"텍스트에\s*한하여|text\s+only", re.I)


@dataclass(frozen=True, slots=True)
class FeedEntry:
    external_id: str  # the guid, else the canonical link; at most 100 characters
    url: str
    title: str
    published_at: datetime  # aware, Asia/Seoul
    body_html: str  # the entry's content, or its summary when `full` is False
    full: bool  # False: only a summary (or nothing); the page has to be fetched
    author: str | None = None
    tags: tuple[str, ...] = ()
    ministry: str | None = None
    license_type: int | None = None  # only when the entry or the feed states a KOGL type
    license_text_only: bool = False


@dataclass(frozen=True, slots=True)
class Feed:
    is_feed: bool
    problem: str | None  # why the document is not a feed
    title: str
    entries: tuple[FeedEntry, ...]
    skipped: int = 0  # entries without a link (or a guid that is a URL)


def parse_feed(body: bytes, *, url: str, fetched_at: datetime, content_type: str | None = None) -> Feed:
    """Parse an RSS or Atom document; entries keep document order, duplicates (same id) once."""
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    parsed = feedparser.parse(body, response_headers=headers)
    if _fell_back(parsed) and (detected := detect_encoding(body)) is not None:
        # The declared encodings failed and feedparser settled for a Western guess: the bytes
        # detected as, say, EUC-KR read right, where windows-1252 would store mojibake.
        kind = (content_type or "application/xml").split(";")[0].strip() or "application/xml"
        declared = headers | {"content-type": f"{kind}; charset={detected}"}
        parsed = feedparser.parse(body, response_headers=declared)
    if not parsed.get("version") and not parsed.entries:
        reason = parsed.get("bozo_exception")
        return Feed(False, f"not an RSS or Atom feed ({reason or 'no feed elements'})", "", ())
    meta = parsed.feed
    feed_license = _license(meta.get("rights"), meta.get("license"))
    entries: dict[str, FeedEntry] = {}
    skipped = 0
    for raw in parsed.entries:
        entry = _entry(raw, is_atom=parsed.version.startswith("atom"), fetched_at=fetched_at,
                       feed_license=feed_license)
        if entry is None:
            skipped += 1
        else:
            entries.setdefault(entry.external_id, entry)
    return Feed(True, None, plain_title(meta.get("title", ""), meta.get("title_detail")),
                tuple(entries.values()), skipped)


# feedparser's last-resort encodings, tried when neither the declared ones nor UTF-8 decode.
_FALLBACK_ENCODINGS = frozenset({"windows-1252", "iso-8859-2"})


def _fell_back(parsed: Any) -> bool:
    override = isinstance(parsed.get("bozo_exception"), feedparser.CharacterEncodingOverride)
    return override and (parsed.get("encoding") or "").lower() in _FALLBACK_ENCODINGS


def detect_encoding(body: bytes) -> str | None:
    """The encoding of undeclared (or wrongly declared) bytes: UTF-8 when they decode as such,
    else the best guess of charset-normalizer (EUC-KR, CP949, …), else None."""
    try:
        body.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(body).best()
    return best.encoding if best is not None else None


def page_text(body: bytes, content_type: str | None) -> str:
    """A fetched page as text, decoded as browsers do: byte-order mark, then the HTTP charset,
    then the page's own declaration (meta, XML declaration), then detection. A declared
    encoding is trusted: bytes it cannot decode come out as U+FFFD, which storage refuses."""
    return html_to_unicode(content_type, body, auto_detect_fun=detect_encoding)[1]


def entry_article(
    entry: FeedEntry, *, source: str, body_html: str | None = None, body_source: str = "feed"
) -> Article:
    """The entry as an Article of `source` (e.g. "feed:mofa"); `body_html` replaces a summary."""
    return Article(
        source=source,
        external_id=entry.external_id,
        url=entry.url,
        section=SECTION,
        title=entry.title,
        published_at=entry.published_at,
        body_html=entry.body_html if body_html is None else body_html,
        ministry=entry.ministry,
        tags=entry.tags,
        license_type=entry.license_type,
        license_text_only=entry.license_text_only,
        author=entry.author,
        body_source=body_source,
    )


def summary_article(entry: FeedEntry, *, source: str) -> Article | None:
    """A summary-only entry whose page failed, as an article with the feed's own text
    (body_source "summary", which the page's text replaces once a later crawl fetches it);
    None when the feed carries no text for it."""
    if not _TAG.sub("", html.unescape(entry.body_html)).strip():
        return None
    return entry_article(entry, source=source, body_source="summary")


def extract_body(page_html: str, *, url: str, title: str = "") -> str:
    """The main text of an article page as HTML (trafilatura), or "" when none is found."""
    import trafilatura  # heavy; only summary-only feeds need it
    from lxml import html as lxml_html

    extracted = trafilatura.extract(page_html, url=url, output_format="html", include_images=True,
                                    include_tables=True, include_links=True, include_comments=False)
    if not extracted:
        return ""
    root = lxml_html.fromstring(extracted)
    body = root.find("body") if root.tag != "body" else root
    children = list(body if body is not None else root)
    # The page's own headline comes back as the first heading; the post has its own title.
    if children and children[0].tag in ("h1", "h2") and _squash(children[0].text_content()) == _squash(title):
        children = children[1:]
    text = "".join(lxml_html.tostring(child, encoding="unicode") for child in children).strip()
    return text if _TAG.sub("", text).strip() else ""


def plain_title(raw: str, detail: dict[str, Any] | None = None) -> str:
    """Title text: tags out, entities decoded twice (korea.kr escapes CDATA titles twice)."""
    text = raw or ""
    if detail and detail.get("type") == "text/html":
        text = _TAG.sub("", text)
    return _squash(html.unescape(html.unescape(text)))


def clean_body(body: str) -> str:
    """Drop korea.kr's feed chrome (text-view button, supplier trailer) and edge line breaks."""
    body = _SUPPLIER_TRAILER.sub("", _TEXTVIEW_BUTTON.sub("", body))
    previous = None
    while previous != body:
        previous, body = body, _EDGE_BREAKS.sub("", body.strip())
    return body


def parse_time(raw: str | None, parsed: time.struct_time | None = None) -> datetime | None:
    """An aware datetime from an RFC 822 or ISO 8601 string; a time without zone is KST.

    feedparser's `*_parsed` tuples are UTC (reading them as KST is 9 hours off), and they
    turn a zoneless time into UTC: the raw string is read first, the tuple only as a fallback.
    """
    value: datetime | None = None
    text = (raw or "").strip()
    if text:
        try:
            value = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            try:
                value = datetime.fromisoformat(text)
            except ValueError:
                value = None
    if value is None and parsed is not None:
        value = datetime.fromtimestamp(calendar.timegm(parsed), UTC)
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=KST)).astimezone(KST)


def _entry(raw: Any, *, is_atom: bool, fetched_at: datetime, feed_license: tuple[int | None, bool]
           ) -> FeedEntry | None:
    link = raw.get("link") or ""
    guid = raw.get("id") or ""
    external = _identity(guid or link)
    if not external:
        return None
    url = _identity(link) if link else (external if external.startswith("http") else "")
    if not url:
        return None  # nothing to link the post to
    korea_kr = canonical_url(url) is not None
    title = plain_title(raw.get("title", ""), raw.get("title_detail"))
    ministry = None
    if korea_kr and (match := _MINISTRY_PREFIX.match(title)):
        ministry, title = match.group(1).strip(), title[match.end():]
    body, full = _body(raw, is_atom=is_atom)
    license_type, text_only = _license(raw.get("rights"), raw.get("license"))
    if license_type is None:
        license_type, text_only = feed_license
    return FeedEntry(
        external_id=_short(external),
        url=url,
        title=title or _squash(_TAG.sub(" ", html.unescape(body)))[:80] or url,
        published_at=_entry_time(raw, fetched_at),
        body_html=body,
        full=full,
        author=_squash(raw.get("author", "")) or None,
        tags=tuple(dict.fromkeys(t for t in (_squash(html.unescape(x.get("term") or x.get("label") or ""))
                                             for x in raw.get("tags") or ()) if t)),
        ministry=ministry,
        license_type=license_type,
        license_text_only=text_only,
    )


def _body(raw: Any, *, is_atom: bool) -> tuple[str, bool]:
    contents = [c.get("value", "") for c in raw.get("content") or () if c.get("value", "").strip()]
    if contents:
        return clean_body(max(contents, key=len)), True
    summary = clean_body(raw.get("summary", "") or "")
    text = _squash(html.unescape(_TAG.sub(" ", summary)))
    if not text:
        return "", False
    # Atom's <summary> is a summary by definition; an RSS description may be the whole text.
    full = not is_atom and len(text) >= FULL_TEXT_MIN_CHARS and not text.endswith(TEASER_ENDINGS)
    return summary, full


def _entry_time(raw: Any, fetched_at: datetime) -> datetime:
    for key in ("published", "updated", "created"):
        found = parse_time(raw.get(key), raw.get(f"{key}_parsed"))
        if found is not None:
            return found
    return fetched_at.astimezone(KST)


def _identity(value: str) -> str:
    """A guid or link as an identity: korea.kr links canonical (no `call_from=rsslink`)."""
    value = value.strip()
    if not value.lower().startswith(("http://", "https://")):
        return value
    return canonical_url(value) or value.split("#", 1)[0]


def _short(value: str) -> str:
    if len(value) <= MAX_EXTERNAL_ID:
        return value
    return "sha1:" + hashlib.sha1(value.encode("utf-8")).hexdigest()


def _license(*statements: Any) -> tuple[int | None, bool]:
    text = " ".join(s for s in statements if isinstance(s, str))
    match = _KOGL.search(text)
    if match is None:
        return None, False
    return int(match.group(1) or match.group(2)), bool(_TEXT_ONLY.search(text))


def _squash(text: str) -> str:
    return " ".join(text.split())
