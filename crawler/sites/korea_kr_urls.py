"""korea.kr discovery: canonical article URLs, newsIds, section paths, list pages and their forms."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from html import unescape
from urllib.parse import parse_qs, urljoin, urlsplit, urlunsplit

from crawler.sites.html import (
    Document,
    Element,
    absolute,
    collapse,
    css,
    find_date,
    first_match,
    is_date,
    strip_date,
    text_lines,
    text_of,
)

CANONICAL_ORIGIN = "https://www.korea.kr"

# Hosts seen serving or linking korea.kr articles; all serve the same paths and newsIds. Not a
# closed list: any *.korea.kr host serving a *View.do?newsId= path is an alias of www
# (docs/spec/korea-kr.md §13.1, e.g. admin2.korea.kr), except the hosts of other CMSs below.
ALIAS_HOSTS = frozenset(
    {"www.korea.kr", "m.korea.kr", "korea.kr", "admin.korea.kr", "admin2.korea.kr", "www2.korea.kr"}
)
# K-공감 runs a different CMS (`/newsContentView.es?news_id=<UUID>`, spec §1.1): never an alias.
OTHER_CMS_HOSTS = frozenset({"gonggam.korea.kr"})
_SUBDOMAIN = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+korea\.kr")

# Article views live under these prefixes; /etc/ (notices) and /archive/ (docId) are not articles.
_VIEW_PATH = re.compile(r"/(?:news|briefing|multi)/[A-Za-z]+View\.do")
# ";JSESSIONID_KOREA=…" servlet URL rewriting, in any path segment.
_PATH_PARAMS = re.compile(r";[^/]*")
# Observed ids are 9 digits; allow a little either way so an older or newer block still parses.
_NEWS_ID = re.compile(r"(\d{6,12})(?:;.*)?")


@dataclass(frozen=True, slots=True)
class Section:
    """One korea.kr list and the view page its items open."""

    list_path: str
    view: str  # file name of the view page, in the same directory as the list

    @property
    def view_path(self) -> str:
        return self.list_path.rsplit("/", 1)[0] + "/" + self.view


SECTIONS: dict[str, Section] = {
    "policy": Section("/news/policyNewsList.do", "policyNewsView.do"),
    "press": Section("/briefing/pressReleaseList.do", "pressReleaseView.do"),
    "briefing": Section("/briefing/policyBriefingList.do", "policyBriefingView.do"),
    "fact": Section("/briefing/actuallyList.do", "actuallyView.do"),
    "cabinet": Section("/briefing/stateCouncilList.do", "stateCouncilView.do"),
}


def _host(host: str | None) -> str:
    return (host or "").lower().rstrip(".")


def is_alias_host(host: str | None) -> bool:
    """True for every host name that serves korea.kr articles (www itself included)."""
    name = _host(host)
    if name in OTHER_CMS_HOSTS:
        return False
    return name in ALIAS_HOSTS or bool(_SUBDOMAIN.fullmatch(name))


def canonical_url(url: str, base: str | None = None) -> str | None:
    """`https://www.korea.kr/<news|briefing|multi>/<x>View.do?newsId=<id>`, or None if not an article.

    Relative URLs are resolved against `base`. A link on the same host as `base` counts as a
    korea.kr link even when that host is not korea.kr, so pages served by a local replica
    canonicalise exactly like the real site's.
    """
    url = url.strip()
    if "&amp;" in url:  # hrefs copied out of double-escaped markup
        url = unescape(url)
    resolved = urljoin(base, url) if base else url
    try:
        parts = urlsplit(resolved)
        base_host = urlsplit(base).hostname if base else None
    except ValueError:  # e.g. an invalid IPv6 literal
        return None
    if parts.scheme not in ("http", "https"):
        return None
    if not (is_alias_host(parts.hostname) or (base_host and _host(parts.hostname) == _host(base_host))):
        return None
    path = _PATH_PARAMS.sub("", parts.path)
    if not _VIEW_PATH.fullmatch(path):
        return None
    # By name: the parameter order varies (`?call_from=rsslink&newsId=…`).
    values = parse_qs(parts.query).get("newsId", [])
    match = _NEWS_ID.fullmatch(values[0].strip()) if values else None
    return f"{CANONICAL_ORIGIN}{path}?newsId={match.group(1)}" if match else None


def news_id(url: str, base: str | None = None) -> str | None:
    canonical = canonical_url(url, base)
    return canonical.rsplit("=", 1)[1] if canonical else None


def fetch_url(canonical: str, base_url: str) -> str:
    """The URL to request for an article when the crawler's base URL is `base_url` (a mirror).

    Only the scheme, host, port and any path prefix of `base_url` are used.
    """
    url = canonical_url(canonical)
    if url is None:
        raise ValueError(f"not a korea.kr article URL: {canonical!r}")
    base = urlsplit(base_url)
    if not base.scheme or not base.netloc:
        raise ValueError(f"base URL needs a scheme and host: {base_url!r}")
    return f"{base.scheme}://{base.netloc}{base.path.rstrip('/')}{url.removeprefix(CANONICAL_ORIGIN)}"


def site_url(url: str, base_url: str) -> str:
    """A korea.kr URL (any alias host, or a site path) as fetched from `base_url` (a mirror)."""
    parts = urlsplit(urljoin(CANONICAL_ORIGIN + "/", url.strip()))
    if not is_alias_host(parts.hostname):
        raise ValueError(f"not a korea.kr URL: {url!r}")
    base = urlsplit(base_url)
    path = base.path.rstrip("/") + _PATH_PARAMS.sub("", parts.path)
    return urlunsplit((base.scheme, base.netloc, path, parts.query, ""))


# Attachments (spec §13.2): 내려받기 is /common/download.do?fileId=N (the file), 바로보기
# /common/docViewer.do?fileId=N (an HTML page that must never be parsed as the file it names).
DOWNLOAD_PATH = "/common/download.do"
_VIEWER_PAGE = re.compile(r"/(?:[\w.-]+/)*docViewer\.do", re.IGNORECASE)
_FILE_ID = re.compile(r"\d{1,20}")


def file_id_of(url: str) -> str | None:
    """The fileId an attachment link names (by name: parameter order varies), or None."""
    try:
        values = parse_qs(urlsplit(url.strip()).query).get("fileId", [])
    except ValueError:
        return None
    value = values[0].strip() if values else ""
    return value if _FILE_ID.fullmatch(value) else None


def is_viewer_url(url: str) -> bool:
    """A 바로보기 link: the document viewer's HTML page, not a file."""
    try:
        path = _PATH_PARAMS.sub("", urlsplit(url.strip()).path)
    except ValueError:
        return False
    return bool(_VIEWER_PAGE.fullmatch(path))


def download_url(file_id: str) -> str:
    return f"{CANONICAL_ORIGIN}{DOWNLOAD_PATH}?fileId={file_id}"


def section_of(url: str) -> str | None:
    """The SECTIONS key whose view page `url` opens (`/news/` and `/briefing/` alike)."""
    canonical = canonical_url(url)
    if canonical is None:
        return None
    view = urlsplit(canonical).path.rsplit("/", 1)[1]
    return next((key for key, section in SECTIONS.items() if section.view == view), None)


# List pages: selectors are ordered fallback lists where a layout change has been seen.
LIST_SCOPE = "div.list_type"  # sidebars elsewhere on the page link other newsIds
LIST_ROWS = "li, tbody tr"
LIST_TITLE = ("span.text > strong", "strong", "span.text", ".title")  # §13 contract first
LIST_LEAD = "span.lead"
LIST_SOURCE_PARTS = "span.source > span"
LIST_SOURCE = "span.source"
ONCLICK_VIEW = re.compile(r"""([\w./:-]*View\.do\?[^'"\s)]*newsId=\d+[^'"\s)]*)""")
FORM = ("form#mainForm", "form[name=mainForm]")
CURRENT_PAGE = (".paging a.on", ".paging span.num.on", ".paging strong.on", ".paging .on")
PAGE_LINK = re.compile(r"pageLink\(\s*['\"]?(\d+)")
TOTAL = ".result strong"
TOTAL_TEXT = re.compile(r"총\s*([\d,]+)\s*건")
NO_DATA = "div.list_type .no_data"  # a sidebar widget may say "no data" too
UNSENT_INPUTS = frozenset({"submit", "button", "image", "reset", "file"})


@dataclass(frozen=True, slots=True)
class ListItem:
    url: str  # canonical
    news_id: str
    title: str
    date: date | None
    ministry: str | None
    lead: str
    presenter: str | None = None  # briefing tables: who gives the briefing
    lines: tuple[str, ...] = ()  # the row's text by line; fact-check lists print the whole item


@dataclass(frozen=True, slots=True)
class ListPage:
    items: tuple[ListItem, ...]
    form_fields: dict[str, str]  # every field of form#mainForm, hidden ones included
    form_action: str | None  # absolute, on the host the page was fetched from
    current_page: int | None
    last_page: int | None
    total: int | None
    is_empty: bool


def _without_path_params(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=_PATH_PARAMS.sub("", parts.path)))


def _item_url(row: Element, page_url: str) -> str | None:
    for link in css(row, "a"):
        if found := canonical_url(link.get("href", ""), base=page_url):
            return found
        # 국무회의 lists: no href, the view URL sits in the onclick handler.
        if (match := ONCLICK_VIEW.search(link.get("onclick", ""))) and (
            found := canonical_url(match.group(1), base=page_url)
        ):
            return found
    return None


def _item_source(row: Element) -> tuple[date | None, str | None, str | None]:
    """(date, ministry, presenter) of a list row."""
    parts = [text_of(s) for s in css(row, LIST_SOURCE_PARTS)]
    if len(parts) >= 2:
        return find_date(parts[0]), parts[1] or None, None
    if row.tag == "tr":  # briefing table: [ministry, title, date, presenter]
        cells = [text_of(td) for td in css(row, "td")]
        day = next((find_date(c) for c in cells if is_date(c)), None)
        ministry = cells[0] if cells and cells[0] and not is_date(cells[0]) else None
        presenter = cells[3] if len(cells) >= 4 and cells[3] and not is_date(cells[3]) else None
        return day, ministry, presenter
    # Older layout: "2019.03.05 국토교통부" in one span.
    text = " ".join(text_of(s) for s in css(row, LIST_SOURCE))
    return find_date(text), strip_date(text) or None, None


def _list_item(row: Element, page_url: str) -> ListItem | None:
    url = _item_url(row, page_url)
    if url is None:
        return None
    title = next((t for t in (text_of(e) for e in first_match(row, LIST_TITLE)) if t), "")
    day, ministry, presenter = _item_source(row)
    leads = css(row, LIST_LEAD)
    lead = " ".join(text_of(e) for e in leads)
    lines = tuple(line for e in leads for line in text_lines(e))
    return ListItem(url, url.rsplit("=", 1)[1], title, day, ministry, collapse(lead), presenter, lines)


def _form(doc: Document) -> Element | None:
    found = doc.first(FORM)
    return found[0] if found else None


def _form_fields(form: Element) -> dict[str, str]:
    # What a browser would post: checked boxes only, the selected option, no buttons.
    fields: dict[str, str] = {}
    for field in css(form, "input[name], select[name], textarea[name]"):
        name = field.get("name", "").strip()
        if not name:
            continue
        if field.tag == "select":
            options = css(field, "option")
            chosen = next(
                (o for o in options if o.get("selected") is not None), options[0] if options else None
            )
            value = "" if chosen is None else chosen.get("value", text_of(chosen))
        elif field.tag == "textarea":
            value = field.text or ""
        else:
            kind = field.get("type", "text").lower()
            if kind in UNSENT_INPUTS or (kind in ("checkbox", "radio") and field.get("checked") is None):
                continue
            value = field.get("value", "on" if kind in ("checkbox", "radio") else "")
        fields.setdefault(name, value)
    return fields


def _int(text: str) -> int | None:
    match = re.search(r"\d[\d,]*", text)
    return int(match.group(0).replace(",", "")) if match else None


def _current_page(doc: Document) -> int | None:
    for element in doc.first(CURRENT_PAGE):
        if match := PAGE_LINK.search(element.get("onclick", "") + element.get("href", "")):
            return int(match.group(1))
        if (number := _int(text_of(element))) is not None:
            return number
    return None


def _last_page(doc: Document, current: int | None) -> int | None:
    numbers = [
        int(n)
        for element in doc.css(".paging [onclick], .paging [href]")
        for n in PAGE_LINK.findall(element.get("onclick", "") + " " + element.get("href", ""))
    ]
    if current is not None:
        numbers.append(current)
    return max(numbers) if numbers else None


def _total(doc: Document) -> int | None:
    for element in doc.css(TOTAL):
        if (number := _int(text_of(element))) is not None:
            return number
    match = next((m for e in doc.css(".result") if (m := TOTAL_TEXT.search(text_of(e)))), None)
    return int(match.group(1).replace(",", "")) if match else None


def parse_list_page(html: str, url: str) -> ListPage:
    """Parse one list page; `url` is where it was fetched from (relative links resolve against it)."""
    doc = Document.parse(html, url)
    items: dict[str, ListItem] = {}
    for scope in doc.css(LIST_SCOPE):
        for row in css(scope, LIST_ROWS):
            item = _list_item(row, url)
            if item is not None:
                items.setdefault(item.url, item)
    form = _form(doc)
    action = form.get("action", "").strip() if form is not None else ""
    current = _current_page(doc)
    return ListPage(
        items=tuple(items.values()),
        form_fields=_form_fields(form) if form is not None else {},
        # A rewritten session id in the action would pin every later POST to this session.
        form_action=_without_path_params(absolute(action, url)) if action else None,
        current_page=current,
        last_page=_last_page(doc, current),
        total=_total(doc),
        is_empty=bool(doc.css(NO_DATA)) or not items,
    )


def list_form_data(
    page: ListPage, *, page_index: int, since: date, until: date, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """POST body for a list request: page 1's form fields with the page and date window set."""
    data = dict(page.form_fields)
    data.update(extra or {})
    data.update(pageIndex=str(page_index), startDate=since.isoformat(), endDate=until.isoformat())
    return data


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def echo_matches(
    page: ListPage, *, page_index: int, since: date, until: date, extra: Mapping[str, str] | None = None
) -> bool:
    """Did the server answer the request that was made? GET-style fallbacks silently return page 1."""
    fields = page.form_fields
    # An empty pageIndex is the server's default page, 1.
    if "pageIndex" in fields and (_int(fields["pageIndex"]) or 1) != page_index:
        return False
    for name, wanted in (("startDate", since), ("endDate", until)):
        # Separators differ between layouts ("2026-05-01" / "2026.05.01"); compare digits only.
        if name in fields and _digits(fields[name]) != wanted.strftime("%Y%m%d"):
            return False
    if any(name in fields and fields[name] != value for name, value in (extra or {}).items()):
        return False
    return page.current_page is None or page.current_page == page_index
