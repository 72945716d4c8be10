"""A stand-in feed host: `python -m tests.standins.feeds [--port 0]` prints `FEEDS_URL http://…`.

Serves, on 127.0.0.1 only:
- `/rss/policy.xml`: korea.kr-style RSS 2.0 (CDATA titles with entities to decode twice,
  `call_from=rsslink` links, full-HTML descriptions wrapped in the feed's chrome);
- `/atom.xml`: Atom with full `<content>` and a KOGL type 1 `<rights>` statement;
- `/summary.xml`: RSS whose descriptions are teasers; links point at `/articles/<n>.html`;
- `/rss/dept_gone.xml` (404) and `/rss/dept_moved.xml`, `/etc/rss.do` (302 to `/`): the legacy
  feeds after the 2026-07-01 switch-off;
every feed with an ETag and Last-Modified, answering conditional GETs with 304. Faulty documents
(no validators), see FAULTY: `/poisoned.xml` (39 entries sharing one generic body, one of them
doctype-only, one with a NUL in its title, one with a bidi override), `/unreachable.xml` (a
teaser whose page answers 404), `/euckr-as-utf8.xml` and `/utf8-as-euckr.xml` (a feed whose
bytes are not in the declared encoding), `/encoded-pages.xml` (teasers linking to such pages).
Control API: GET `/_control/requests`, POST `/_control/requests/clear`, POST `/_control/add`
`{"feed": "korea"|"atom"|"summary"}` (one more entry, a new version), POST `/_control/mode`
`{"path": …, "mode": "404"|"home"|"korea"}`, POST `/_control/reset`.
"""

from __future__ import annotations

import argparse
import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from tests.local_server import LoopbackHTTPServer, announce_and_serve

URL_PREFIX = "FEEDS_URL "
_KST = ZoneInfo("Asia/Seoul")
FEEDS = {"korea": "/rss/policy.xml", "atom": "/atom.xml", "summary": "/summary.xml"}
INITIAL = {"korea": 3, "atom": 2, "summary": 2}
FIRST_NEWS_ID = 156800001
EPOCH = datetime(2026, 6, 15, 1, 0, tzinfo=UTC)  # the first entry's publication instant
MINISTRIES = ("국토교통부", "외교부", "산업통상자원부", "보건복지부")
DEFAULT_MODES = {"/rss/dept_gone.xml": "404", "/rss/dept_moved.xml": "home", "/etc/rss.do": "home"}


def paragraphs(n: int, count: int = 5) -> list[str]:
    """Deterministic Korean paragraphs for entry `n` (long enough to count as a full text)."""
    return [
        f"{n}번 기사 {i + 1}문단입니다. 정부는 자율제조 혁신 전략을 발표하고 제조 현장에 인공지능을 "
        f"도입해 생산성을 높이겠다고 밝혔다. 관계 부처는 세부 과제 {n + i}건을 차례로 추진한다."
        for i in range(count)
    ]


def news_id(n: int) -> int:
    return FIRST_NEWS_ID + n


def published(n: int) -> datetime:
    return EPOCH + timedelta(hours=n)


def korea_title(n: int) -> str:
    """As the page shows it; the feed escapes it once more inside CDATA."""
    return f"자율제조·AI \"전략\" {n}호"


def korea_item(n: int) -> str:
    link = f"https://www.korea.kr/briefing/pressReleaseView.do?newsId={news_id(n)}&call_from=rsslink"
    ministry = MINISTRIES[n % len(MINISTRIES)]
    title = f"[{ministry}]자율제조&middot;AI &quot;전략&quot; {n}호"
    body = "".join(f'<p style="margin:0"><span>{p}</span></p>' for p in paragraphs(n))
    description = (
        f"<a href='{link}' target='_blank'><img src='https://www.korea.kr/newsWeb/resources/rss/"
        "btn_textview.gif' align='right' /></a><br/><br/>"
        f'<div class="se-contents" role="textbox" style="font-size:12pt">{body}</div>'
        "<br/>[자료제공 :<a href='https://www.korea.kr'><img src='https://www.korea.kr/newsWeb/"
        "resources/rss/icon_logo.gif' /></a>]<br/>"
    )
    # Even entries give the date in GMT, odd ones in +0900: the spec saw both forms.
    stamp = published(n)
    date = format_datetime(stamp, usegmt=True) if n % 2 == 0 else format_datetime(
        stamp.astimezone(_KST))
    return (
        f"<item><title><![CDATA[{title}]]></title><link><![CDATA[{link}]]></link>"
        f"<description><![CDATA[{description}]]></description><pubDate>{date}</pubDate>"
        f"<dc:creator>{ministry}</dc:creator></item>"
    )


def korea_rss(count: int) -> str:
    items = "".join(korea_item(n) for n in range(count))
    # The first item is listed twice, the second time with other tracking parameters.
    again = korea_item(0).replace("&call_from=rsslink", "&call_from=rsslink&pWise=main")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>정책브리핑 보도자료</title>'
        f"<link>https://www.korea.kr</link><description>보도자료</description>{items}{again}"
        "</channel></rss>"
    )


def atom_entry(n: int) -> str:
    content = "".join(f"<p>{p}</p>" for p in paragraphs(n, 3))
    return (
        f"<entry><title type=\"html\">Atom &amp;amp; 기사 {n}</title><id>urn:briefing:atom:{n}</id>"
        f'<link rel="alternate" href="/atom/{n}.html"/><published>{published(n).isoformat()}</published>'
        f"<updated>{published(n).isoformat()}</updated><author><name>기자 {n}</name></author>"
        f'<category term="정책"/><summary>요약 {n}</summary>'
        f'<content type="html">{escape(content)}</content></entry>'
    )


def atom_feed(count: int) -> str:
    entries = "".join(atom_entry(n) for n in range(count))
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>Atom 정책</title><id>urn:briefing:atom</id>"
        f"<updated>{published(count).isoformat()}</updated>"
        "<rights>이 자료는 텍스트에 한하여 공공누리 제1유형(출처표시) 조건에 따라 이용할 수 있습니다."
        "</rights>"
        f"{entries}</feed>"
    )


def summary_rss(count: int, base: str) -> str:
    items = "".join(
        f"<item><title>요약 기사 {n}</title><link>{base}/articles/{n}.html</link>"
        f"<guid isPermaLink=\"false\">summary-{n}</guid>"
        f"<description>{escape(paragraphs(n, 1)[0][:60])}…</description>"
        f"<pubDate>{format_datetime(published(n), usegmt=True)}</pubDate></item>"
        for n in range(count)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>요약 피드</title>'
        f"<link>{base}/</link><description>teasers</description>{items}</channel></rss>"
    )


def article_page(n: int) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs(n))
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>요약 기사 {n} - 스탠드인</title>"
        "</head><body><nav><ul><li><a href='/'>홈</a></li><li><a href='/news'>뉴스</a></li></ul></nav>"
        f"<main><article><h1>요약 기사 {n}</h1><div class='body'>{body}</div></article></main>"
        "<aside><h3>실시간 인기뉴스</h3><ul><li><a href='/x'>사이드바 기사</a></li></ul></aside>"
        "<footer>Copyright 스탠드인</footer></body></html>"
    )


# --- faulty documents ------------------------------------------------------------------------------

POISONED_COUNT = 39
DOCTYPE_ENTRY, NUL_ENTRY, BIDI_ENTRY = 7, 13, 21
# One blurb under every entry, long enough to count as a full text and to hash as a body.
GENERIC_BODY = "<p>" + "이 기사의 전문은 누리집에서 읽을 수 있습니다. 더 보기를 누르세요. " * 12 + "</p>"
RSS_HEAD = ('<?xml version="1.0" encoding="{encoding}"?>\n<rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>{title}</title>'
            "<link>{base}/</link><description>faulty</description>")


def poisoned_title(n: int) -> str:
    """As the feed carries it (the NUL and the override included)."""
    if n == NUL_ENTRY:
        return f"독립 기사 {n}호\x00 제목"
    if n == BIDI_ENTRY:
        return f"독립 기사 {n}호 \u202egnp.exe 제목"
    return f"독립 기사 {n}호: 서로 다른 제목"


def poisoned_body(n: int) -> str:
    return "<!DOCTYPE" if n == DOCTYPE_ENTRY else GENERIC_BODY


def poisoned_rss(base: str) -> str:
    items = "".join(
        f"<item><title>{escape(poisoned_title(n))}</title><link>{base}/poisoned/{n}.html</link>"
        f'<guid isPermaLink="false">poisoned-{n}</guid>'
        f"<content:encoded><![CDATA[{poisoned_body(n)}]]></content:encoded>"
        f"<pubDate>{format_datetime(published(n), usegmt=True)}</pubDate></item>"
        for n in range(POISONED_COUNT)
    )
    return RSS_HEAD.format(encoding="UTF-8", title="독이 든 피드", base=base) + items + "</channel></rss>"


TEASER = "요약만 있는 기사입니다. 전문은 링크를 따라가면 읽을 수 있습니다…"


def teaser_rss(base: str, title: str, links: list[str], encoding: str = "UTF-8") -> str:
    items = "".join(
        f"<item><title>{title} {n}</title><link>{base}{link}</link><guid isPermaLink=\"false\">{link}</guid>"
        f"<description>{TEASER}</description>"
        f"<pubDate>{format_datetime(published(n), usegmt=True)}</pubDate></item>"
        for n, link in enumerate(links)
    )
    return RSS_HEAD.format(encoding=encoding, title=title, base=base) + items + "</channel></rss>"


UNREACHABLE_LINKS = ["/missing/0.html", "/articles/1.html"]  # the first answers 404
# Pages whose bytes are EUC-KR but declared UTF-8 (header and meta), the reverse, and
# EUC-KR with no declaration at all (detected).
ENCODED_PAGES = {
    "/pages/euckr-as-utf8.html": ("euc-kr", "text/html; charset=utf-8", "utf-8"),
    "/pages/utf8-as-euckr.html": ("utf-8", "text/html; charset=euc-kr", "euc-kr"),
    "/pages/euckr-undeclared.html": ("euc-kr", "text/html", None),
}


def encoded_page(path: str) -> tuple[str, bytes]:
    actual, content_type, meta = ENCODED_PAGES[path]
    declared = f"<meta charset='{meta}'>" if meta else ""
    body = "".join(f"<p>{p}</p>" for p in paragraphs(3))
    page = (f"<!doctype html><html><head>{declared}<title>인코딩 기사</title></head><body><main><article>"
            f"<h1>인코딩 기사</h1><div class='body'>{body}</div></article></main></body></html>")
    return content_type, page.encode(actual)


def faulty(path: str, base: str) -> tuple[str, bytes] | None:
    """The faulty document at `path`, as (Content-Type, bytes), or None."""
    rss = "application/rss+xml; charset="
    if path == "/poisoned.xml":
        return rss + "utf-8", poisoned_rss(base).encode("utf-8")
    if path == "/unreachable.xml":
        return rss + "utf-8", teaser_rss(base, "닿지 않는 기사", UNREACHABLE_LINKS).encode("utf-8")
    if path == "/euckr-as-utf8.xml":  # EUC-KR bytes, declared UTF-8 twice (header and XML)
        return rss + "utf-8", korea_rss(2).encode("euc-kr", errors="replace")
    if path == "/utf8-as-euckr.xml":
        text = korea_rss(2).replace('encoding="UTF-8"', 'encoding="EUC-KR"')
        return rss + "euc-kr", text.encode("utf-8")
    if path == "/encoded-pages.xml":
        return rss + "utf-8", teaser_rss(base, "인코딩 기사", list(ENCODED_PAGES)).encode("utf-8")
    if path in ENCODED_PAGES:
        return encoded_page(path)
    return None


@dataclass
class FeedState:
    counts: dict[str, int] = field(default_factory=lambda: dict(INITIAL))
    versions: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FEEDS, 1))
    modes: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_MODES))
    requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def last_modified(self, feed: str) -> datetime:
        return EPOCH + timedelta(days=self.versions[feed])


class FeedServer(LoopbackHTTPServer):
    def __init__(self, port: int = 0) -> None:
        super().__init__(FeedHandler, port)
        self.state = FeedState()

    @property
    def url(self) -> str:
        return self.origin


class FeedHandler(BaseHTTPRequestHandler):
    server: FeedServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass  # /_control/requests is the log

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        status, headers, body = self._route(path)
        with self.server.state.lock:
            self.server.state.requests.append({
                "path": path, "status": status,
                "if_none_match": self.headers.get("If-None-Match"),
                "if_modified_since": self.headers.get("If-Modified-Since"),
                "user_agent": self.headers.get("User-Agent"),
            })
        self._send(status, headers, body)

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        length = int(self.headers.get("Content-Length") or 0)
        data = json.loads(self.rfile.read(length) or b"{}") if length else {}
        state = self.server.state
        with state.lock:
            if path == "/_control/add":
                state.counts[data["feed"]] += 1
                state.versions[data["feed"]] += 1
            elif path == "/_control/mode":
                state.modes[data["path"]] = data["mode"]
            elif path == "/_control/requests/clear":
                state.requests.clear()
            elif path == "/_control/reset":
                self.server.state = FeedState()
            else:
                self._send(404, {}, b"unknown control path")
                return
        self._send(200, {"Content-Type": "application/json"}, b"{}")

    def _route(self, path: str) -> tuple[int, dict[str, str], bytes]:
        state = self.server.state
        if path == "/_control/requests":
            with state.lock:
                return 200, {"Content-Type": "application/json"}, json.dumps(state.requests).encode()
        if path == "/robots.txt":
            return 200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n"
        if path in ("/", "/index.html"):
            return 200, {"Content-Type": "text/html; charset=utf-8"}, _home()
        if path.startswith("/articles/") and path.endswith(".html"):
            try:
                n = int(path.removeprefix("/articles/").removesuffix(".html"))
            except ValueError:
                return 404, {}, b"not found"
            return 200, {"Content-Type": "text/html; charset=utf-8"}, article_page(n).encode()
        if (found := faulty(path, self.server.url)) is not None:
            return 200, {"Content-Type": found[0]}, found[1]
        mode = state.modes.get(path)
        if mode == "404":
            return 404, {"Content-Type": "text/html; charset=utf-8"}, b"<html><body>404</body></html>"
        if mode == "home":
            return 302, {"Location": "/"}, b""
        feed = next((k for k, p in FEEDS.items() if p == path), None) or (
            mode if mode in FEEDS else None)
        if feed is None:
            return 404, {}, b"not found"
        return self._feed(feed)

    def _feed(self, feed: str) -> tuple[int, dict[str, str], bytes]:
        state = self.server.state
        with state.lock:
            count, version, modified = state.counts[feed], state.versions[feed], state.last_modified(feed)
        etag = f'"{feed}-v{version}"'
        headers = {"ETag": etag, "Last-Modified": format_datetime(modified, usegmt=True)}
        if _not_modified(self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since"),
                         etag, modified):
            return 304, headers, b""
        if feed == "korea":
            text, kind = korea_rss(count), "application/rss+xml; charset=utf-8"
        elif feed == "atom":
            text, kind = atom_feed(count), "application/atom+xml; charset=utf-8"
        else:
            text, kind = summary_rss(count, self.server.url), "application/rss+xml; charset=utf-8"
        return 200, headers | {"Content-Type": kind}, text.encode("utf-8")

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status != 304 and body:
            self.wfile.write(body)


def _not_modified(if_none_match: str | None, if_modified_since: str | None, etag: str,
                  modified: datetime) -> bool:
    # RFC 9110: If-None-Match wins; If-Modified-Since only counts without it.
    if if_none_match is not None:
        return etag in [tag.strip() for tag in if_none_match.split(",")] or if_none_match.strip() == "*"
    if if_modified_since:
        try:
            return parsedate_to_datetime(if_modified_since) >= modified
        except (TypeError, ValueError):
            return False
    return False


def _home() -> bytes:
    page = "<!doctype html><html><head><title>정책브리핑</title></head><body><h1>home</h1></body></html>"
    return page.encode()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.standins.feeds", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1; 0 picks a free one")
    args = parser.parse_args(argv)
    server = FeedServer(args.port)
    announce_and_serve(server, URL_PREFIX)


if __name__ == "__main__":
    main()
