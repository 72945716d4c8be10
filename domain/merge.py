"""One document seen through several channels or under several ids: merging, and duplicate keys.

`merge(stored, incoming)` is what storage does before every update, so the content hash and
revisions follow the merged article. A channel is how an article was found: "page" (the HTML
crawl of korea.kr, whatever document its body came from: page, viewer, hwpx, pdf, list), "api"
(data.go.kr), or another body source ("feed", "extracted"). The rules, in order:

1. Identity (`source`, `external_id`) is the stored article's. `aliases` is the union of both
   sides' aliases and the incoming id when it differs (the same release under another newsId).
2. The body (`body_html`, `body_source`) in every case: the higher `BODY_SOURCE_RANK` wins (the
   API's full text beats the page, whose press-release body is an iframe shell); a tie goes to
   the incoming article, the newer crawl; an empty body never wins.
3. One channel (same id, and the stored article holds only the incoming article's channel):
   every other field comes from the incoming article, empty ones included, as a re-crawl always
   did. A page that drops a subtitle drops it; an API correction of a title applies.
4. Two channels (the API and the HTML page of one newsId):
   - the channel with more authority over metadata leads (the page, then the API, then the
     rest; see METADATA_RANK; tie: the incoming article): its non-empty values win and the
     other side only fills what it leaves empty. So the page's title, subtitles, URL, section,
     ministry, licence, contact, tags, images, attachments and rep_code win over the API's, an
     API crawl never erases what only the page has, and the API's embargo fills the page's gap.
   - `published_at`: as above, except that 00:00 KST exactly (a page without a time of day)
     gives way to the other side's time on the same KST date.
   - `license_type` and `license_text_only` travel together, from the side that has a type.
5. Another id (a duplicate found by body hash and title, or by title + date + ministry): the stored article
   leads every field and keeps its body unless the incoming body's rank is strictly higher;
   the incoming article only fills gaps. Two ids crawled every day never take turns.

Which channels a stored article already holds is read from the article itself: its body's
channel, plus "page" when it carries a field only the page parser fills (rep_code, tags, images,
author, speaker). Storage keeps the merged article alone, so a merged article whose page had
none of those is taken for API-only, and an API crawl would then lead its metadata. That is rare
on korea.kr: every article page links its ministry, which gives rep_code.

Stability: merging what is already merged changes nothing, in any order of channels: API, then
HTML, then API again gives the same article, hence no new revision.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from dataclasses import fields, replace
from datetime import datetime, time
from typing import Any

from domain.article import BODY_SOURCE_RANK, KST, Article

# Authority over metadata (title, dates, names): the site's own pages are what readers see.
METADATA_RANK = {"page": 2, "api": 1}
# Bodies the HTML crawl brings: whichever of them, the title, date and names came from the page.
SITE_BODIES = frozenset({"page", "viewer", "hwpx", "hwp", "pdf", "list"})
PAGE_ONLY_FIELDS = ("rep_code", "tags", "images", "author", "speaker")
_IDENTITY = frozenset({"source", "external_id", "aliases", "body_html", "body_source"})
_LICENCE = frozenset({"license_type", "license_text_only"})

# Duplicate detection thresholds (see body_hash, dedupe_key, same_document).
MIN_BODY_CHARS = 200  # shorter texts (shells, one-line notices) are too alike to identify a document
MIN_TITLE_CHARS = 12  # shorter titles ("정례브리핑", "보도자료") recur with different contents
MIN_SHARED_SHINGLES = 0.8  # title+date+ministry twins whose long bodies share less are not one document
SHINGLE = 5
MAX_DAYS_APART = 7  # an identical body weeks later is a new notice, not the same release


def channels(article: Article) -> frozenset[str]:
    """The channels whose data the (possibly merged) article holds: "page" (the site's HTML
    crawl, whatever document its body came from), "api", or another body source ("feed", …)."""
    found = {"page" if article.body_source in SITE_BODIES else article.body_source}
    if any(getattr(article, name) for name in PAGE_ONLY_FIELDS):
        found.add("page")
    return frozenset(found)


def _metadata_rank(found: frozenset[str]) -> int:
    return max(METADATA_RANK.get(c, 0) for c in found)


def _body_rank(article: Article) -> int:
    return BODY_SOURCE_RANK.get(article.body_source, 0) if article.body_html.strip() else -1


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == ()


def merge(stored: Article, incoming: Article) -> Article:
    """The article as known from both sides; see the module docstring for the rules."""
    if stored.source != incoming.source:
        raise ValueError(f"cannot merge articles of two sources: {stored.source} and {incoming.source}")
    aliases = _aliases(stored, incoming)
    other_id = incoming.external_id != stored.external_id
    held, brought = channels(stored), channels(incoming)
    body = incoming if _body_rank(incoming) >= _body_rank(stored) else stored
    if not other_id and held == brought:
        # The newer crawl of the one channel wins whole; the body still never gets worse (a press
        # release whose viewer pages failed this time keeps its viewer text over the PDF's).
        return replace(incoming, body_html=body.body_html, body_source=body.body_source, aliases=aliases)

    if other_id:
        lead, follow = stored, incoming
        body = incoming if _body_rank(incoming) > _body_rank(stored) else stored
    else:
        incoming_leads = _metadata_rank(brought) >= _metadata_rank(held)
        lead, follow = (incoming, stored) if incoming_leads else (stored, incoming)
        body = incoming if _body_rank(incoming) >= _body_rank(stored) else stored

    values: dict[str, Any] = {}
    for f in fields(Article):
        if f.name in _IDENTITY or f.name in _LICENCE:
            continue
        mine, theirs = getattr(lead, f.name), getattr(follow, f.name)
        values[f.name] = theirs if _empty(mine) else mine
    values["published_at"] = _published_at(lead.published_at, follow.published_at)
    licence = lead if lead.license_type is not None else follow
    return replace(
        stored,
        **values,
        license_type=licence.license_type,
        license_text_only=licence.license_text_only,
        body_html=body.body_html,
        body_source=body.body_source,
        aliases=aliases,
    )


def _aliases(stored: Article, incoming: Article) -> tuple[str, ...]:
    found = dict.fromkeys((*stored.aliases, *incoming.aliases))
    if incoming.external_id != stored.external_id:
        found[incoming.external_id] = None
    found.pop(stored.external_id, None)
    return tuple(found)


def _published_at(lead: datetime, follow: datetime) -> datetime:
    # A page without ld+json shows only a date: its midnight is "some time that day".
    lead_kst, follow_kst = lead.astimezone(KST), follow.astimezone(KST)
    if lead_kst.time() == time(0) and follow_kst.time() != time(0) and lead_kst.date() == follow_kst.date():
        return follow
    return lead


# --- duplicate content ------------------------------------------------------------------------

_TAG = re.compile(r"<[^>]*>")
_NOT_WORD = re.compile(r"[\W_]+")
_MINISTRY_PREFIX = re.compile(r"^\s*[\[［(]([^\]］)]{1,30})[\]］)]\s*")  # "[국토교통부]디딤돌 대출…"


def body_text(body_html: str) -> str:
    """The body's visible text for comparison: tags dropped, entities decoded, no whitespace."""
    text = html.unescape(_TAG.sub(" ", body_html))
    return "".join(unicodedata.normalize("NFKC", text).split())


def body_hash(article: Article) -> str | None:
    """sha256 of the body text, or None when the text is too short to identify a document."""
    text = body_text(article.body_html)
    if len(text) < MIN_BODY_CHARS:
        return None
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _norm_title(title: str) -> str:
    title = unicodedata.normalize("NFKC", title)
    title = _MINISTRY_PREFIX.sub("", title)
    return _NOT_WORD.sub("", title).lower()


def dedupe_key(article: Article) -> str | None:
    """sha256 of normalised title + KST date + ministry; None for short titles or no ministry."""
    title = _norm_title(article.title)
    ministry = _NOT_WORD.sub("", unicodedata.normalize("NFKC", article.ministry or ""))
    if len(title) < MIN_TITLE_CHARS or not ministry:
        return None
    day = article.published_at.astimezone(KST).date().isoformat()
    return hashlib.sha256(f"{title}|{day}|{ministry}".encode()).hexdigest()


def _shingles(text: str) -> set[str]:
    return {text[i : i + SHINGLE] for i in range(max(len(text) - SHINGLE + 1, 1))}


def same_document(a: Article, b: Article) -> bool:
    """Whether two articles with different ids are one document posted twice.

    Only strong evidence counts, never a coincidence: equal body hashes (long bodies only) under
    the same normalised title, published within MAX_DAYS_APART days; or equal dedupe keys (long
    title, same KST day and ministry) whose bodies, when both are long enough to tell, share at
    least MIN_SHARED_SHINGLES of the smaller one's 5-character shingles. A body alone never
    merges two titles: feeds give every entry the same boilerplate ("read more", a site blurb).
    """
    if a.source != b.source or a.external_id == b.external_id:
        return False
    hash_a = body_hash(a)
    if hash_a is not None and hash_a == body_hash(b):
        same_title = _norm_title(a.title) == _norm_title(b.title)
        return same_title and abs(a.published_at - b.published_at).days <= MAX_DAYS_APART
    key_a = dedupe_key(a)
    if key_a is None or key_a != dedupe_key(b):
        return False
    text_a, text_b = body_text(a.body_html), body_text(b.body_html)
    if min(len(text_a), len(text_b)) < MIN_BODY_CHARS:
        return True  # a shell or a short item under the same long title, day and ministry
    shingles_a, shingles_b = _shingles(text_a), _shingles(text_b)
    shared = len(shingles_a & shingles_b) / min(len(shingles_a), len(shingles_b))
    return shared >= MIN_SHARED_SHINGLES
