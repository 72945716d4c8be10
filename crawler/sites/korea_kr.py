"""Pure parser for 정책브리핑 (www.korea.kr) article pages; URLs and list pages come from korea_kr_urls."""

from __future__ import annotations

import re
from collections.abc import Iterator
from copy import deepcopy
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from urllib.parse import parse_qs, urlsplit

from lxml import etree

from crawler.errors import CrawlError, NotAnArticle
from crawler.sites.html import (
    Document,
    Element,
    absolute,
    caption_of,
    collapse,
    collapse_repeated_captions,
    css,
    css_indexed,
    drop,
    find_date,
    first_match,
    has_text,
    inner_html,
    is_date,
    parse_iso_datetime,
    strip_date,
    text_blocks,
    text_of,
    unescape_twice,
)
from crawler.sites.korea_kr_layouts import (
    INFO_FALLBACKS,
    MINISTRY_FALLBACKS,
    TITLE_FALLBACKS,
    FieldMissing,
    Layout,
    LayoutUnknown,
    detect,
    selectors,
)
from crawler.sites.korea_kr_press import contact_of, embargo_until, with_speaker
from crawler.sites.korea_kr_urls import (
    ALIAS_HOSTS,
    CANONICAL_ORIGIN,
    SECTIONS,
    ListItem,
    ListPage,
    Section,
    canonical_url,
    download_url,
    echo_matches,
    fetch_url,
    file_id_of,
    is_alias_host,
    is_viewer_url,
    list_form_data,
    news_id,
    parse_list_page,
    section_of,
)
from crawler.sites.slicing import sliced_document
from domain.article import KST, Article, Attachment, Image

__all__ = [
    "ALIAS_HOSTS",
    "CANONICAL_ORIGIN",
    "SECTIONS",
    "SOURCE",
    "ListItem",
    "ListPage",
    "Section",
    "canonical_url",
    "echo_matches",
    "fetch_url",
    "LayoutUnknown",
    "is_alias_host",
    "list_form_data",
    "news_id",
    "parse_article",
    "parse_list_page",
    "section_of",
]

SOURCE = "korea_kr"

# Field selectors come from the page's layout (korea_kr_layouts), its own first, then fallbacks.
TOOLTIP = "i.tooltip"  # "부처별 뉴스 이동" inside the ministry link
BODY_IMAGES = ("span.imageSpan img", "img")
ATTACHMENT_BOXES = "div.filedown, div.file_down"  # both spellings are in use
# Widest last; never the whole page, whose footer may carry the site's own KOGL badge.
LICENCE_SCOPES = (".article_footer", ".article_body", ".article_wrap", "#container")
CANONICAL_LINK = 'link[rel="canonical"]'
# Spec §5.1: section#container holds the title, the article (head, body, attachments, footer) and
# the sidebar; the site's header, menus and footer lie outside it. Older pages may have none.
ARTICLE_CONTAINER = "container"
# Widgets nested inside the body container on some layouts; attachments are a field of their own.
CHROME = (
    ".article_footer, .view_opt, #livereContainer, .lv-container, aside, script, style, noscript, "
    ".filedown, .file_down, .share, .sns, .sns_share, .share_box, .btn_share, .btn_print, .url_copy, button"
)
# Whole-paragraph texts that leak from widgets into the body (spec §5.8).
BOILERPLATE = frozenset(
    {
        "이전다음기사 영역", "이전기사", "다음기사", "공유하기", "URL 복사", "URL복사", "페이스북", "트위터",
        "밴드", "카카오톡", "카카오스토리", "본문듣기", "인쇄하기", "인쇄", "글자크기 설정", "작게", "보통",
        "크게", "아주크게", "최대크게", "첨부파일", "바로보기", "내려받기", "부처별 뉴스 이동", "댓글",
        "운영원칙", "저작권정책", "담당자안내", "목록",
    }
)  # fmt: skip
LICENCE_LINES = (
    re.compile(r"^이 자료는.*공공누리"),
    re.compile(r"^(?:※\s*)?단,? ?텍스트를 제외한"),
    re.compile(r"저작권법 ?제37조"),
    re.compile(r"^공공누리 ?제 ?\d ?유형"),
    re.compile(r"정책브리핑 게시물 운영원칙"),
)
_LICENCE_LINE = re.compile("|".join(f"(?:{line.pattern})" for line in LICENCE_LINES))  # any, in one search
TITLE_SUFFIX = re.compile(r"\s*[|｜\-–—]\s*(?:대한민국\s*)?정책브리핑(?:\s*\(www\.korea\.kr\))?\s*$")
# Labels between the title and the site name: "<title> | 정책뉴스 | 대한민국 정책브리핑".
SECTION_LABELS = (
    "정책뉴스", "보도자료", "브리핑룸", "부처 ?브리핑", "브리핑", "사실은 이렇습니다", "국무회의",
    "멀티미디어", "뉴스",
)  # fmt: skip
TITLE_SECTION_SUFFIX = re.compile(rf"\s*[|｜]\s*(?:{'|'.join(SECTION_LABELS)})\s*$")
KOGL = re.compile(r"공공누리\s*(?:제\s*)?([1-4])\s*유형")
TEXT_ONLY = re.compile(r"텍스트에\s*한(?:하여|해|함|정)")
EXTENSION = re.compile(r"\.([A-Za-z0-9]{1,5})(?:\s*[(\[][^)\]]*[)\]])?\s*$")
ACTION_WORDS = re.compile(r"바로보기|내려받기|다운로드|미리보기")
ARTICLE_TYPES = ("NewsArticle", "Article", "ReportageNews", "BlogPosting", "WebPage")
BRIEFING_SECTIONS = frozenset({"briefing", "cabinet"})
MAX_MINISTRY = 30  # longer info text is not an organisation name


def _ld_article(doc: Document) -> dict[str, Any]:
    """The ld+json object describing the article (NewsArticle first), or {}."""

    def kinds(obj: dict[str, Any]) -> list[str]:
        kind = obj.get("@type", [])
        kinds = [kind] if isinstance(kind, str) else kind if isinstance(kind, list) else []
        return [k for k in kinds if isinstance(k, str)]

    for wanted in ARTICLE_TYPES:
        for obj in doc.json_ld:
            if wanted in kinds(obj):
                return obj
    return doc.json_ld[0] if doc.json_ld else {}


def _ld_text(value: object) -> str:
    return collapse(unescape_twice(value)) if isinstance(value, str) else ""


def _first(doc: Document, selectors: tuple[str, ...]) -> Element | None:
    found = doc.first(selectors)
    return found[0] if found else None


def _title(doc: Document, layout: Layout) -> str:
    for element in doc.first(selectors(layout.title, TITLE_FALLBACKS)):
        if title := text_of(element):
            return title
    og = _ld_text(doc.meta.get("og:title"))
    without_site = TITLE_SUFFIX.sub("", og)
    # Only a title that carried the site name can carry a section label before it.
    title = TITLE_SECTION_SUFFIX.sub("", without_site) if without_site != og else og
    return title or _ld_text(_ld_article(doc).get("headline"))


def _subtitles(doc: Document, layout: Layout) -> tuple[str, ...]:
    return tuple(t for t in (text_of(h) for h in doc.first(layout.subtitles)) if t)


def _info(layout: Layout) -> tuple[str, ...]:
    return selectors(layout.info, INFO_FALLBACKS)


def _ministry_link(doc: Document, layout: Layout) -> Element | None:
    return _first(doc, selectors(layout.ministry_link, MINISTRY_FALLBACKS))


def _page_date(doc: Document, layout: Layout) -> date | None:
    for info in (found[0] for selector in _info(layout) if (found := doc.css(selector))):
        for span in css(info, "span"):
            if is_date(text := text_of(span)):
                return find_date(text)
        if day := find_date(text_of(info)):  # older pages: the date as a bare text node
            return day
    return None


def _stamps(doc: Document) -> Iterator[datetime]:
    for raw in (_ld_article(doc).get("datePublished"), doc.meta.get("article:published_time")):
        stamp = parse_iso_datetime(raw) if isinstance(raw, str) else None
        if stamp is not None:
            yield stamp.astimezone(KST) if stamp.tzinfo else stamp.replace(tzinfo=KST)


def _published_at(doc: Document, layout: Layout) -> datetime | None:
    # The page shows only a date; a machine timestamp lends its time when it names the same day.
    day = _page_date(doc, layout)
    for stamp in _stamps(doc):
        if day is None or stamp.date() == day:
            return stamp
    return datetime.combine(day, time(0, 0), tzinfo=KST) if day else None


def _ministry(doc: Document, layout: Layout, section: str) -> str | None:
    link = _ministry_link(doc, layout)
    if link is not None:
        return text_of(link, exclude=css(link, TOOLTIP)) or None
    # Older pages have no link, only "2019.03.05 국토교통부" (on briefings the speaker stands there).
    info = _first(doc, _info(layout))
    if info is None or section in BRIEFING_SECTIONS:
        return None
    rest = strip_date(text_of(info))
    return rest if 0 < len(rest) <= MAX_MINISTRY else None


def _rep_code(doc: Document, layout: Layout) -> str | None:
    link = _ministry_link(doc, layout)
    if link is None:
        return None
    return parse_qs(urlsplit(link.get("href", "")).query).get("repCode", [""])[0].strip() or None


def _speaker(doc: Document, layout: Layout) -> str | None:
    """Briefings: what div.info says besides the date and the ministry link."""
    info = _first(doc, _info(layout))
    if info is None:
        return None
    ministry = [e for e in css(info, "span, a") if "gotosite" in e.get("class", "") or css(e, "a.gotosite")]
    return strip_date(text_of(info, exclude=ministry)).strip(" |·") or None


def _tags(doc: Document) -> tuple[str, ...]:
    article = _ld_article(doc)
    raw = article.get("keywords", article.get("keyword", []))
    items = raw.split(",") if isinstance(raw, str) else raw if isinstance(raw, list) else []
    return tuple(dict.fromkeys(t for t in (_ld_text(i) for i in items) if t))


def _author(doc: Document) -> str | None:
    author = _ld_article(doc).get("author")
    if isinstance(author, list):
        author = author[0] if author else None
    if isinstance(author, dict):
        author = author.get("name")
    return _ld_text(author) or None


def _licence(doc: Document) -> tuple[int | None, bool]:
    # An article footer without a mark means "no licence": do not go looking in the page around it.
    scopes = LICENCE_SCOPES[:2] if doc.css(LICENCE_SCOPES[0]) else LICENCE_SCOPES
    for selector in scopes:
        for scope in doc.css(selector):
            # The KOGL mark is often an image whose alt text names the type.
            text = " ".join([text_of(scope), *(img.get("alt", "") for img in css(scope, "img"))])
            if match := KOGL.search(text):
                return int(match.group(1)), bool(TEXT_ONLY.search(text))
    return None, False


def _rows(link: Element, scope: Element) -> Iterator[Element]:
    """The link's ancestors that can be a file's row, up to the scope's root (never the chrome above it)."""
    for ancestor in link.iterancestors():
        if ancestor.tag in ("p", "li", "dd", "tr"):
            yield ancestor
        if ancestor is scope:
            return


def _attachment_name(link: Element, scope: Element) -> str:
    # The name is the text node after the file-type icon, or the link text minus its action word.
    if name := next((t for img in css(link, "img") if (t := collapse(img.tail or ""))), ""):
        return name
    if name := collapse(ACTION_WORDS.sub("", text_of(link))):
        return name
    # An action-only link ("내려받기"): the name is the rest of its row.
    row = next(_rows(link, scope), None)
    if row is None:
        return ""
    actions = [a for a in css(row, "a") if not collapse(ACTION_WORDS.sub("", text_of(a)))]
    return collapse(ACTION_WORDS.sub("", text_of(row, exclude=actions)))


@dataclass(slots=True)
class _File:
    name: str = ""
    url: str = ""  # the file itself (download.do); "" while only its viewer was seen
    viewer_url: str | None = None


def _attachments(doc: Document, base: str) -> tuple[Attachment, ...]:
    """One attachment per fileId (spec §13.2): 내려받기 (download.do) is the file, 바로보기
    (docViewer.do) an HTML page kept as its viewer URL; links without a fileId count by URL."""
    files: dict[str, _File] = {}
    for link in (a for box in doc.css(ATTACHMENT_BOXES) for a in css(box, "a[href]")):
        href = link.get("href", "").strip()
        if not href or href.startswith(("#", "javascript:")):
            continue
        url = absolute(href, base)
        file_id = file_id_of(url)
        entry = files.setdefault(f"id:{file_id}" if file_id else f"url:{url}", _File())
        if is_viewer_url(url):
            entry.viewer_url = entry.viewer_url or url
        elif not entry.url:
            entry.url = url
        entry.name = entry.name or _attachment_name(link, doc.root)
    out = []
    for key, entry in files.items():
        file_id = key.removeprefix("id:") if key.startswith("id:") else None
        url = entry.url
        if not url and file_id is not None:
            # Only the viewer is linked: the file of a fileId is download.do?fileId=N (§13.3).
            url = download_url(file_id)
        if url:
            out.append(Attachment(entry.name, url, _extension(entry.name), file_id, entry.viewer_url))
    return tuple(out)


def _extension(name: str) -> str:
    match = EXTENSION.search(name)
    return match.group(1).lower() if match else ""


def _is_boilerplate(block: Element) -> bool:
    # Only whole paragraphs: a table cell or list item saying "보통" or "목록" is content.
    if block.tag not in ("p", "div"):
        return False
    # The text first: it rules out most blocks, which then need no search for media.
    text = text_of(block)
    if text not in BOILERPLATE and _LICENCE_LINE.search(text) is None:
        return False
    return not css(block, "img, table, iframe, video")


def _split_contact(root: Element) -> str | None:
    """Remove the trailing contact paragraph from the body and return it without its label."""
    last = next((b for b in reversed(text_blocks(root)) if text_of(b)), None)
    contact = contact_of(text_of(last)) if last is not None else None
    if contact is not None:
        drop(last)
    return contact


@dataclass(frozen=True, slots=True)
class _Body:
    html: str
    images: tuple[Image, ...]
    contact: str | None


def _body(doc: Document, layout: Layout, base: str) -> _Body | None:
    container = _first(doc, layout.body)
    if container is None:
        return None
    root = deepcopy(container)  # cleaning mutates; other fields still read the untouched document
    comments = root.iter(etree.Comment, etree.ProcessingInstruction, etree.Entity)  # every non-element
    for element in css_indexed(root, CHROME) + list(comments):
        drop(element)  # chrome widgets and HTML comments
    for block in text_blocks(root):
        if _is_boilerplate(block):
            drop(block)
    collapse_repeated_captions(root)
    contact = _split_contact(root)
    images: dict[str, Image] = {}
    for img in first_match(root, BODY_IMAGES):
        src = (img.get("src") or img.get("data-src") or "").strip()
        if src and not src.startswith("data:"):
            url = absolute(src, base)
            images.setdefault(url, Image(url, caption_of(img, root) or collapse(img.get("alt", ""))))
    # Press releases and fact-checks carry only a viewer iframe: that still counts as a body.
    if not (has_text(root) or css(root, "img, table, iframe, video, embed, object")):
        return None
    return _Body(inner_html(root), tuple(images.values()), contact)


def _canonical_link(doc: Document) -> str:
    return next((e.get("href", "") for e in doc.css(CANONICAL_LINK)), "")


def _article_url(doc: Document, url: str) -> str:
    # Last resort: a page served by a mirror (the local replica) keeps korea.kr's paths.
    found = (
        canonical_url(url) or canonical_url(_canonical_link(doc), base=url) or canonical_url(url, base=url)
    )
    if found is None:
        raise NotAnArticle(url, "no korea.kr article URL with a newsId (page URL or link[rel=canonical])")
    return found


def _article_scope(page: Document) -> Document:
    """The page with its queries scoped to the article container, when the page has one.

    korea.kr's site chrome (menus twice, the sidebar, the footer: most of a 60 KiB page) lies
    outside `#container`; every field selector walking the whole page cost more than the rest
    of the parse together.
    """
    container = page.by_id(ARTICLE_CONTAINER)
    return page if container is None else page.within(container)


def parse_article(html: str, url: str, *, section: str = "policy") -> Article:
    """Parse one korea.kr view page; raises LayoutChanged naming the first empty required field.

    The page is parsed as its head and `#container` alone when that provably reads the same
    (crawler/sites/slicing.py: the chrome around the container is most of the page); when
    it does not, or when the sliced page is not an article, the whole page is parsed and
    decides (the same article, or the whole page's error).
    """
    page = sliced_document(html, url, ARTICLE_CONTAINER)
    if page is not None:
        try:
            return _parse(page, url, section)
        except CrawlError:
            pass
    return _parse(Document.parse(html, url), url, section)


def _parse(page: Document, url: str, section: str) -> Article:
    canonical = _article_url(page, url)
    doc = _article_scope(page)
    layout = detect(doc, section, url)
    title = _title(doc, layout)
    if not title:
        raise FieldMissing(url, "title", layout.name)
    published_at = _published_at(doc, layout)
    if published_at is None:
        raise FieldMissing(url, "date", layout.name)
    # Images and attachments resolve on korea.kr, whoever served the page.
    body = _body(doc, layout, canonical)
    if body is None:
        raise FieldMissing(url, "body", layout.name)
    license_type, text_only = _licence(doc)
    attachments = _attachments(doc, canonical)
    article = Article(
        source=SOURCE,
        external_id=canonical.rsplit("=", 1)[1],
        url=canonical,
        section=section,
        title=title,
        published_at=published_at,
        body_html=body.html,
        subtitles=_subtitles(doc, layout),
        ministry=_ministry(doc, layout, section),
        rep_code=_rep_code(doc, layout),
        tags=_tags(doc),
        images=body.images,
        attachments=attachments,
        license_type=license_type,
        license_text_only=text_only,
        contact=body.contact,
        author=_author(doc),
        embargo_until=embargo_until(a.name for a in attachments),
        layout=layout.name,
    )
    # Briefings: the speaker is a field and stays visible in the transcript.
    return with_speaker(article, _speaker(doc, layout)) if section in BRIEFING_SECTIONS else article
