"""Pure parser for the data.go.kr Open API of 정책브리핑 (policy news, press releases): XML in, Articles out.

Spec: docs/spec/korea-kr.md §4. What the spec states is CONFIRMED there: the endpoints, the
parameters, the 3-day window (error 98), error 97 for a bad date, the `NewsItem` fields, the
`ApproveDate` format (KST) and the gateway's `<OpenAPI_ServiceResponse><cmmMsgHeader>` errors.
Everything else here is a GUESS and read defensively: the response envelope
(`<response><header><resultCode/>…</header><body><items><NewsItem>…`; items may also sit
directly under `<body>`), tag-name case, how several files are listed, `KoglType` values.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import quote, urljoin

import lxml.html
from lxml import etree

from crawler.sites.html import collapse, drop, inner_html, text_blocks, text_of, unescape_twice
from crawler.sites.korea_kr_urls import CANONICAL_ORIGIN, SECTIONS, canonical_url, news_id
from domain.article import KST, Article, Attachment

SOURCE = "korea_kr"  # one newsId is one article, whether the API or the HTML crawl found it
BODY_SOURCE = "api"
DEFAULT_BASE_URL = "https://apis.data.go.kr/1371000"
ENDPOINTS = {
    "policy": "policyNewsService2/policyNewsList2",
    "press": "pressReleaseService/pressReleaseList",
}
MAX_WINDOW_DAYS = 3  # inclusive days per request; whether the API counts 3 or 4 is a GUESS: ask less
DEFAULT_ROWS = 100  # items per page (bodies run to ~100k chars: keep responses a few MB at most)

OK_CODES = frozenset({"0", "00", "000", "INFO-000", "NORMAL_SERVICE"})
NO_DATA_CODES = frozenset({"03", "3", "NODATA_ERROR", "INFO-200"})  # "no items" is an empty page
DATE_FORMATS = (
    "%m/%d/%Y %H:%M:%S",  # the documented form, KST
    "%Y-%m-%d %H:%M:%S",
    "%Y%m%d%H%M%S",
    "%Y.%m.%d %H:%M:%S",
    "%m/%d/%Y",
    "%Y-%m-%d",
    "%Y%m%d",
)
_LOOKS_HTML = re.compile(r"<(?:p|div|br|span|table|img|ul|ol|h\d|strong|b|a)\b", re.I)
_DIGITS = re.compile(r"\d{6,12}")
_KOGL = re.compile(r"([1-4])")
_NUMBERED = re.compile(r"^(filename|fileurl)(\d*)$")
# The closing contact line, as korea.kr writes it: "문의 : 국토교통부 주택기금과(044-201-…)",
# "[문의] …", "담당 부서: …". A label without a bracket or colon must come with a phone number.
_CONTACT = re.compile(
    r"^[\[［(<]?\s*(?:문의처|문의|담당\s*부서|담당자)\s*(?P<close>[\]］)>])?\s*(?P<colon>[:：])?\s*(?P<rest>.+)$"
)
_PHONE = re.compile(r"\d{2,4}\)?[-. ]\d{3,4}[-. ]\d{4}")
_EXTENSION = re.compile(r"\.([A-Za-z0-9]{1,5})(?:\s*[(\[][^)\]]*[)\]])?\s*$")


class ApiError(Exception):
    """The API refused a request; `message` says what to do, `fatal` stops the whole crawl."""

    def __init__(self, code: str, message: str, *, kind: str = "api_error", fatal: bool = False) -> None:
        super().__init__(f"{message} (data.go.kr {code})")
        self.code = code
        self.message = message
        self.kind = kind
        self.fatal = fatal


# Gateway errors (`cmmMsgHeader`), by returnAuthMsg and by returnReasonCode: all are about the
# key or the account, so retrying other windows cannot help.
_KEY = "BRIEFING_DATA_GO_KR_KEY"
_GATEWAY: dict[str, tuple[str, str]] = {
    "SERVICE_KEY_IS_NULL": ("api_no_key", f"no service key: set {_KEY} to your data.go.kr key"),
    "SERVICE_KEY_IS_NOT_REGISTERED_ERROR": (
        "api_key_rejected",
        f"service key not registered: check {_KEY} (the key from your data.go.kr account, in its "
        "Encoding or Decoding form) and that your use of this API was approved",
    ),
    "DEADLINE_HAS_EXPIRED_ERROR": (
        "api_key_expired",
        "the key's approval for this API has expired: extend it on data.go.kr",
    ),
    "UNREGISTERED_IP_ERROR": (
        "api_ip_rejected",
        "this machine's IP address is not registered for the key: add it on data.go.kr",
    ),
    "LIMITED_NUMBER_OF_SERVICE_REQUESTS_EXCEEDS_ERROR": (
        "api_quota",
        "daily request quota exceeded: wait until tomorrow (KST) or ask data.go.kr for more",
    ),
    "SERVICE_ACCESS_DENIED_ERROR": (
        "api_denied",
        "access denied: apply for this API on data.go.kr with the account that owns the key",
    ),
    "NO_OPENAPI_SERVICE_ERROR": (
        "api_not_found",
        "no such API: check BRIEFING_DATA_GO_KR_BASE_URL (default https://apis.data.go.kr/1371000)",
    ),
}
_GATEWAY_CODES = {
    "12": "NO_OPENAPI_SERVICE_ERROR",
    "20": "SERVICE_ACCESS_DENIED_ERROR",
    "22": "LIMITED_NUMBER_OF_SERVICE_REQUESTS_EXCEEDS_ERROR",
    "30": "SERVICE_KEY_IS_NOT_REGISTERED_ERROR",
    "31": "DEADLINE_HAS_EXPIRED_ERROR",
    "32": "UNREGISTERED_IP_ERROR",
}
# Errors of the service itself (`header/resultCode`): about one request, so the crawl goes on.
_SERVICE: dict[str, tuple[str, str]] = {
    "97": ("api_date_format", "bad date format: startDate and endDate must be YYYYMMDD"),
    "98": (
        "api_window",
        f"window over {MAX_WINDOW_DAYS} days: the API serves at most {MAX_WINDOW_DAYS} days per request "
        "(briefing splits longer windows, so report this as a bug)",
    ),
    "99": ("api_error", "data.go.kr application error: try again later"),
}


@dataclass(frozen=True, slots=True)
class SkippedItem:
    """An item the API listed that cannot become an article (no id, title, date or body)."""

    ident: str  # NewsItemId, or the OriginalUrl, or "#<position>"
    reason: str


@dataclass(frozen=True, slots=True)
class ApiPage:
    items: tuple[Article, ...]
    skipped: tuple[SkippedItem, ...] = ()
    total: int | None = None  # totalCount; None when the response does not say
    page: int | None = None
    rows: int | None = None

    def last_page(self, rows: int) -> int | None:
        """The number of pages `total` needs at `rows` per page, or None when total is unknown."""
        if self.total is None:
            return None
        return max(1, -(-self.total // max(rows, 1)))


def windows(since: date, until: date, days: int = MAX_WINDOW_DAYS) -> list[tuple[date, date]]:
    """[since, until] cut into consecutive inclusive windows of at most `days` days, oldest first."""
    if since > until:
        raise ValueError(f"since {since} is after until {until}")
    out = []
    start = since
    while start <= until:
        end = min(start + timedelta(days=days - 1), until)
        out.append((start, end))
        start = end + timedelta(days=1)
    return out


def encode_key(key: str) -> str:
    """The key as a query value. data.go.kr hands out an already %-encoded form ("Encoding") and a
    raw one ("Decoding"); encoding the first again is the classic cause of "key not registered"."""
    return key if "%" in key else quote(key, safe="")


def request_url(
    base_url: str, section: str, *, start: date, end: date, key: str, page: int = 1, rows: int = DEFAULT_ROWS
) -> str:
    if section not in ENDPOINTS:
        raise ValueError(f"unknown API section {section!r}; known: {sorted(ENDPOINTS)}")
    return (
        f"{base_url.rstrip('/')}/{ENDPOINTS[section]}?serviceKey={encode_key(key)}"
        f"&startDate={start:%Y%m%d}&endDate={end:%Y%m%d}&pageNo={page}&numOfRows={rows}"
    )


def parse_response(xml: str | bytes, *, section: str) -> ApiPage:
    """One API response; raises ApiError for the error envelope, a non-zero result code or non-XML."""
    root = _root(xml)
    if _name(root) == "openapi_serviceresponse" or _first(root, "cmmmsgheader") is not None:
        raise _gateway_error(root)
    code = (_text(root, "resultcode") or "").strip()
    message = collapse(_text(root, "resultmsg") or "")
    if code in NO_DATA_CODES:
        return ApiPage(items=())
    if code and code not in OK_CODES:
        kind, advice = _SERVICE.get(code, ("api_error", f"data.go.kr error: {message or 'no message'}"))
        raise ApiError(code, f"{advice} [{message}]" if message and code in _SERVICE else advice, kind=kind)
    if not code and _name(root) != "response" and _first(root, "newsitem") is None:
        raise ApiError(
            "malformed", "not an API response: no result code and no NewsItem", kind="api_malformed"
        )
    items: list[Article] = []
    skipped: list[SkippedItem] = []
    for position, element in enumerate(_all(root, "newsitem"), start=1):
        fields = _fields(element)
        try:
            items.append(_article(fields, section))
        except _Skip as skip:
            ident = _one(fields, "newsitemid") or _one(fields, "originalurl") or f"#{position}"
            skipped.append(SkippedItem(ident, str(skip)))
    return ApiPage(
        items=tuple(items),
        skipped=tuple(skipped),
        total=_int(_text(root, "totalcount")),
        page=_int(_text(root, "pageno")),
        rows=_int(_text(root, "numofrows")),
    )


# --- XML --------------------------------------------------------------------------------------


def _root(xml: str | bytes) -> etree._Element:
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    # No entity expansion and no network: the body comes from outside.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, recover=False)
    try:
        root = etree.fromstring(data.strip(), parser) if data.strip() else None
    except etree.XMLSyntaxError as exc:
        root = None
        text = data.decode("utf-8", "replace")
        # A gateway that answers with a bare code instead of XML still names the problem.
        for name, (kind, advice) in _GATEWAY.items():
            if name in text:
                raise ApiError(name, advice, kind=kind, fatal=True) from exc
    if root is None:
        raise ApiError("malformed", "not an XML response", kind="api_malformed")
    return root


def _name(element: etree._Element) -> str:
    tag = element.tag if isinstance(element.tag, str) else ""
    return etree.QName(tag).localname.lower() if tag else ""


def _all(root: etree._Element, name: str) -> Iterator[etree._Element]:
    return (e for e in root.iter() if _name(e) == name)


def _first(root: etree._Element, name: str) -> etree._Element | None:
    return next(_all(root, name), None)


def _text(root: etree._Element, name: str) -> str | None:
    found = _first(root, name)
    return "".join(found.itertext()) if found is not None else None


def _gateway_error(root: etree._Element) -> ApiError:
    auth = collapse(_text(root, "returnauthmsg") or "")
    reason = collapse(_text(root, "returnreasoncode") or "")
    name = auth if auth in _GATEWAY else _GATEWAY_CODES.get(reason, "")
    if name:
        kind, advice = _GATEWAY[name]
        return ApiError(name, advice, kind=kind, fatal=True)
    detail = auth or collapse(_text(root, "errmsg") or "") or "no message"
    return ApiError(reason or "gateway", f"data.go.kr gateway error: {detail}", fatal=True)


def _fields(item: etree._Element) -> dict[str, list[str]]:
    """Direct children by lower-case name; a repeated element keeps every value in order."""
    fields: dict[str, list[str]] = {}
    for child in item:
        name = _name(child)
        if name:
            fields.setdefault(name, []).append("".join(child.itertext()))
    return fields


def _one(fields: dict[str, list[str]], name: str) -> str:
    return (fields.get(name) or [""])[0].strip()


def _int(value: str | None) -> int | None:
    value = (value or "").strip().replace(",", "")
    return int(value) if value.isdigit() else None


# --- one item ---------------------------------------------------------------------------------


class _Skip(Exception):
    pass


def _article(fields: dict[str, list[str]], section: str) -> Article:
    external_id, url = _identity(fields, section)
    title = collapse(unescape_twice(_one(fields, "title")))
    if not title:
        raise _Skip("no Title")
    published_at = parse_api_datetime(_one(fields, "approvedate"))
    if published_at is None:
        raise _Skip(f"no usable ApproveDate ({_one(fields, 'approvedate')!r})")
    body = _body(_one(fields, "datacontents"), _one(fields, "contentstype").upper())
    if not body:
        raise _Skip("no DataContents (body)")
    body, contact = _split_contact(body)
    embargo = parse_api_datetime(_one(fields, "embargodate"))
    license_type = _license(_one(fields, "kogltype"))
    return Article(
        source=SOURCE,
        external_id=external_id,
        url=url,
        section=section,
        title=title,
        published_at=published_at,
        body_html=body,
        subtitles=tuple(
            s for s in (collapse(unescape_twice(_one(fields, f"subtitle{n}"))) for n in (1, 2, 3)) if s
        ),
        ministry=collapse(_one(fields, "ministercode")) or None,
        contact=contact,
        attachments=_attachments(fields),
        license_type=license_type,
        # korea.kr's KOGL marks cover the text only (photos are third-party; spec §5.7).
        license_text_only=license_type is not None,
        # An "embargo" at or before publication is no embargo (GUESS: some items repeat the date).
        embargo_until=embargo if embargo is not None and embargo > published_at else None,
        body_source=BODY_SOURCE,
    )


def _identity(fields: dict[str, list[str]], section: str) -> tuple[str, str]:
    """(newsId, canonical korea.kr URL) from NewsItemId, else from OriginalUrl."""
    original = unescape_twice(_one(fields, "originalurl"))
    canonical = canonical_url(original) if original else None
    item_id = _one(fields, "newsitemid")
    ident = item_id if _DIGITS.fullmatch(item_id) else news_id(original) if original else None
    if not ident:
        raise _Skip("no NewsItemId and no korea.kr OriginalUrl")
    if canonical is None or not canonical.endswith(f"newsId={ident}"):
        canonical = f"{CANONICAL_ORIGIN}{SECTIONS[section].view_path}?newsId={ident}"
    return ident, canonical


def parse_api_datetime(value: str) -> datetime | None:
    """`MM/DD/YYYY HH24:MI:SS` in KST (and a few other shapes, defensively) as an aware datetime."""
    value = collapse(value)
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=KST)
        except ValueError:
            continue
    return None


def _body(contents: str, kind: str) -> str:
    text = contents.strip()
    if not text:
        return ""
    # "T" is plain text; an unknown type is sniffed. HTML escaped twice is unescaped once.
    if kind == "H" or (kind != "T" and _LOOKS_HTML.search(text)):
        if "<" not in text and "&lt;" in text:
            text = html.unescape(text)
        return text
    lines = (collapse(line) for line in text.splitlines())
    return "\n".join(f"<p>{html.escape(line, quote=False)}</p>" for line in lines if line)


def _split_contact(body: str) -> tuple[str, str | None]:
    """The body without its closing "문의 : …" paragraph, and that contact, as the page parser
    splits them (else a post would print the contact twice)."""
    try:
        root = lxml.html.fragment_fromstring(body, create_parent="div")
    except (etree.ParserError, ValueError):
        return body, None
    blocks = [b for b in text_blocks(root) if text_of(b)]
    match = _CONTACT.match(text_of(blocks[-1])) if blocks else None
    if not match or not (match["close"] or match["colon"] or _PHONE.search(match["rest"])):
        return body, None
    drop(blocks[-1])
    return inner_html(root), collapse(match["rest"])


def _license(value: str) -> int | None:
    # Values seen in the wild are not documented: "1", "KOGL1", "제1유형" all give 1.
    match = _KOGL.search(value)
    return int(match.group(1)) if match else None


def _attachments(fields: dict[str, list[str]]) -> tuple[Attachment, ...]:
    """FileName/FileUrl pairs: repeated elements, or numbered ones (FileName1, FileUrl1, …)."""
    names: list[tuple[int, str]] = []
    urls: list[tuple[int, str]] = []
    for key, values in fields.items():
        match = _NUMBERED.match(key)
        if match:
            target = names if match.group(1) == "filename" else urls
            target.extend((int(match.group(2) or 0), v.strip()) for v in values)
    names.sort(key=lambda p: p[0])
    urls.sort(key=lambda p: p[0])
    found: dict[str, Attachment] = {}
    for (_, name), (_, url) in zip(names, urls, strict=False):
        if not url:
            continue
        absolute = urljoin(CANONICAL_ORIGIN + "/", unescape_twice(url))
        label = collapse(name) or absolute.rsplit("/", 1)[-1]
        match = _EXTENSION.search(label)
        found.setdefault(absolute, Attachment(label, absolute, match.group(1).lower() if match else ""))
    return tuple(found.values())
