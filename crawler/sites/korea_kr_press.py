"""korea.kr press releases, fact-checks, briefings: viewer pages, placeholders, document bodies, embargoes.

Pure functions over strings and Articles. A press release's page is an iframe shell (spec §5.3):
the body comes from the document viewer's static pages or the attachments, and texts that only
point at those ("본 자료는 …에서 배포한 자료입니다") are placeholders, never a body.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from urllib.parse import parse_qs, unquote, urlsplit

import lxml.html
from lxml import etree

from crawler.sites.html import Document, collapse, css, drop, find_date, text_blocks, text_of
from domain.article import KST, Article

# "문의 : 산업부 ○○과(044-…)", "[문의] …", "문의처: …", "담당 부서 …": label, optional colon, rest.
CONTACT = re.compile(
    r"^[\[［(<]?\s*(?P<label>문의처|문의|담당\s*부서|담당자|담당)\s*(?P<close>[\]］)>])?\s*(?P<colon>[:：])?\s*"
    r"(?P<rest>.+)$"
)
PHONE = re.compile(r"\d{2,4}\)?[-. ]\d{3,4}[-. ]\d{4}")

VIEWER_IFRAME = (
    "iframe#content_press",
    "iframe[name=content_press]",
    ".docConversion iframe",
    "iframe[src*=docViewer]",
)
SHELL_CHROME = "iframe, .docConversion, p.remark, .remark, span.lead"
# Texts that stand where a body should be and only point elsewhere (spec §5.3, §7.3).
PLACEHOLDERS = (
    re.compile(r"^본\s*자료는.{0,40}배포한\s*자료입니다"),
    re.compile(r"관련\s*보도\s*자료\s*(?:내용|전문)입니다"),
    re.compile(r"^(?:※\s*)?자세한\s*(?:내용|사항)은\s*(?:첨부|붙임)\s*파일"),
    re.compile(r"^이\s*자료는.{0,40}(?:보도\s*자료|자료)를\s*전재하여\s*제공"),
    re.compile(r"(?:첨부|붙임)\s*파일을\s*참고(?:하시기|해)\s*(?:바랍니다|주시기)"),
    re.compile(r"^(?:문서\s*)?변환\s*중입니다"),
    re.compile(r"^본문\s*(?:내용)?\s*없음$"),
)
# Lines that are layout, not text: page numbers of converted or printed pages ("- 3 -").
LAYOUT_LINES = (re.compile(r"^-\s*\d+\s*-$"),)
# An embargo tag in an attachment name: "260918(조간)", "260918 (석간)".
EMBARGO = re.compile(r"(?<!\d)(\d{2})(\d{2})(\d{2})\s*[(\[（]\s*(조간|석간)\s*[)\]）]")
# GUESS, to be checked against the live site: when an embargoed release may be published.
# Chosen late on purpose (조간 = morning papers: 06:00 KST of the tagged day; 석간 = evening
# papers: 12:00 KST), so a guess errs towards holding a post back, never towards breaking one.
EMBARGO_TIMES = {"조간": time(6, 0), "석간": time(12, 0)}
# Fact-check list texts: "[보도 내용] … [○○부 설명] … 문의 : 부서(전화) YYYY.MM.DD 부처".
FACT_EXPLANATION = re.compile(r"^\[[^\]]{1,40}설명\s*\]")
FACT_TRAILER = re.compile(
    r"^문의\s*[:：]?\s*(?P<contact>.*?)\s*(?P<date>\d{4}[.-]\d{1,2}[.-]\d{1,2})\.?\s*(?P<ministry>\D.*)?$"
)
TRAILER_ONLY = re.compile(r"^\d{4}[.-]\d{1,2}[.-]\d{1,2}\.?\s*\D*$")
MAX_MINISTRY = 30


def contact_of(text: str) -> str | None:
    """The contact a paragraph states ("문의 : …"), without its label; None for other text."""
    match = CONTACT.match(text)
    # A bare "담당 …" may open an ordinary sentence: demand a bracket, a colon or a phone number.
    if not match or not (match["close"] or match["colon"] or PHONE.search(match["rest"])):
        return None
    return collapse(match["rest"])


def is_placeholder(text: str) -> bool:
    """Text that stands where a body should be without being one (or no text at all)."""
    text = collapse(text)
    return not text or any(p.search(text) for p in PLACEHOLDERS + LAYOUT_LINES)


def real_paragraphs(paragraphs: Iterable[str]) -> list[str]:
    """The paragraphs that are content, placeholders and empty lines left out."""
    return [collapse(p) for p in paragraphs if not is_placeholder(p)]


# --- the document viewer -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ViewerRef:
    """Where the Synap viewer keeps a converted document: `<rs>/<fn>.files/<n>.html`."""

    fn: str
    rs: str  # a path on the site, e.g. /docViewer/result/2026.11/18/<hex>

    def page_url(self, n: int, origin: str) -> str:
        return f"{origin.rstrip('/')}{self.rs.rstrip('/')}/{self.fn}.files/{n}.html"


def _fragment(body_html: str) -> etree._Element:
    return lxml.html.fragment_fromstring(body_html or "", create_parent="div")


def viewer_ref(body_html: str) -> ViewerRef | None:
    """The viewer document behind a press-release body's iframe, or None when there is none."""
    root = _fragment(body_html)
    for selector in VIEWER_IFRAME:
        for iframe in css(root, selector):
            query = parse_qs(urlsplit(html_lib.unescape(iframe.get("src", ""))).query)
            fn, rs = query.get("fn", [""])[0].strip(), unquote(query.get("rs", [""])[0]).strip()
            # Only plain names and site paths: the values end up in URLs the crawler requests.
            if re.fullmatch(r"[\w.-]{1,100}", fn) and re.fullmatch(r"/[\w./-]{1,300}", rs) and ".." not in rs:
                return ViewerRef(fn, rs)
    return None


def viewer_paragraphs(html: str) -> list[str]:
    """The text of one converted viewer page, one entry per text block.

    The converter splits words over many spans ("기후" + "부, 반도체"); spans are inline, so
    their texts are joined as they are, never with an added space.
    """
    doc = Document.parse(html, "")
    bodies = doc.css("body")
    root = bodies[0] if bodies else doc.root
    for element in css(root, "script, style, noscript"):
        drop(element)
    return [t for t in (text_of(b) for b in text_blocks(root)) if t]


def inline_body(body_html: str) -> str | None:
    """A shell page's own body without the iframe, the remark and placeholders; None if nothing is left.

    Older press releases and fact-checks carry their text inline (spec §5.4).
    """
    root = _fragment(body_html)
    for element in css(root, SHELL_CHROME):
        drop(element)
    for block in text_blocks(root):
        if is_placeholder(text_of(block)) and not css(block, "img, table"):
            drop(block)
    if not real_paragraphs([text_of(root)]):
        return None
    head = html_lib.escape(root.text or "", quote=False)
    return (head + "".join(lxml.html.tostring(c, encoding="unicode") for c in root)).strip()


# --- bodies from document text -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DocumentBody:
    html: str
    contact: str | None


def document_body(paragraphs: Sequence[str]) -> DocumentBody | None:
    """Body HTML from extracted paragraphs (viewer, HWPX, PDF); None when only placeholders remain."""
    kept = real_paragraphs(paragraphs)
    contact = contact_of(kept[-1]) if kept else None
    if contact is not None:
        kept = kept[:-1]
    if not kept:
        return None
    return DocumentBody("\n".join(f"<p>{html_lib.escape(p, quote=False)}</p>" for p in kept), contact)


def embargo_until(names: Iterable[str]) -> datetime | None:
    """The latest embargo the attachment names announce (see EMBARGO_TIMES), or None."""
    found = []
    for name in names:
        for yy, mm, dd, edition in EMBARGO.findall(name):
            try:
                day = date(2000 + int(yy), int(mm), int(dd))
            except ValueError:
                continue
            found.append(datetime.combine(day, EMBARGO_TIMES[edition], tzinfo=KST))
    return max(found, default=None)


@dataclass(frozen=True, slots=True)
class FactText:
    """A fact-check as its list row prints it in full."""

    html: str
    contact: str | None
    day: date | None
    ministry: str | None


def fact_text(lines: Sequence[str]) -> FactText | None:
    """The full text of a fact-check list row; None for a mere preview (no "[… 설명]" part)."""
    lines = [t for t in (collapse(line) for line in lines) if t]
    if not any(FACT_EXPLANATION.search(line) for line in lines):
        return None
    body, contact, day, ministry = lines, None, None, None
    tail = lines[-1]
    if TRAILER_ONLY.fullmatch(tail) and len(lines) > 1 and CONTACT.match(lines[-2]):
        tail, body = f"{lines[-2]} {tail}", lines[:-2]  # "문의 : …" and the date on two lines
    elif FACT_TRAILER.match(tail):
        body = lines[:-1]
    if match := FACT_TRAILER.match(tail):
        contact = collapse(match["contact"]) or None
        day = find_date(match["date"])
        name = collapse(match["ministry"] or "")
        ministry = name if 0 < len(name) <= MAX_MINISTRY else None
    document = document_body(body)
    if document is None:
        return None
    return FactText(document.html, contact or document.contact, day, ministry)


# --- briefings -----------------------------------------------------------------------------------


def with_speaker(article: Article, speaker: str | None) -> Article:
    """The article with its speaker set and named in the body, as the transcript's turns name them."""
    if not speaker:
        return article
    body = article.body_html
    if speaker not in text_of(_fragment(body)):
        body = f"<p>&lt;{html_lib.escape(speaker, quote=False)}&gt;</p>\n{body}"
    return article.with_changes(speaker=speaker, body_html=body)
