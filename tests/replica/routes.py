"""The replica's korea.kr URLs: one handler per path, looked up in `ROUTES`.

A new section (press releases, briefings, fact-checks, RSS) is a renderer in pages.py, a
handler here and one more row in the table.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote

from . import documents, hwp_files
from .briefing_room import PATHS, RoomItem
from .listing import ListQuery, run_query
from .markup import esc
from .model import WWW, ReplicaAttachment
from .pages import ROBOTS_TXT, article_page, list_page, redesigned_page
from .section_pages import room_list_page, room_view_page, viewer_html_page, viewer_page, viewer_skin
from .web import Request, Response, error, html, http_date

Handler = Callable[[Request], Response]

# The smallest valid GIF: photos only have to exist, not to look like anything.
_PIXEL = bytes.fromhex("47494638396101000100800000000000ffffff21f904010000000"
                       "02c00000000010001000002024401003b")
_DOWNLOAD_TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png",
                   "hwpx": "application/hwp+zip", "hwp": "application/x-hwp"}
# A briefing-room download without the page's session cookie and Referer hangs (spec §8), but
# only this long, so that a test run always ends; then it is refused.
HANG_SECONDS = 20.0
_VIEWER_PAGE = re.compile(
    r"/docViewer/result/\d{4}\.\d{2}/\d{2}/(?P<fn>[0-9a-f]{32})/(?P=fn)\.files/(?P<n>\d+)\.html")


@dataclass(frozen=True, slots=True)
class Route:
    handler: Handler
    methods: frozenset[str] = frozenset({"GET"})


def robots(request: Request) -> Response:
    return Response(200, ROBOTS_TXT.encode("utf-8"), "text/plain; charset=UTF-8")


def policy_news_list(request: Request) -> Response:
    site = request.state.site
    params = request.params if request.method == "POST" else request.query
    # Only a POST carrying this session's form token leaves page 1: a GET ?pageIndex=2 gets
    # page 1 again (spec §7.2), and so does a POST that did not send back every hidden field.
    paginate = request.method == "POST" and params.get("listToken") == request.session.token
    result = run_query(site, ListQuery.from_params(params, site, paginate=paginate))
    return html(list_page(site, result, token=request.session.token, hit=request.hit))


def policy_news_view(request: Request) -> Response:
    site = request.state.site
    article = site.get(request.query.get("newsId", "").strip())
    if article is None:
        return error(404, "요청하신 페이지를 찾을 수 없습니다.")
    kind, _, argument = (request.state.take_fault(article.news_id) or "").partition(":")
    if kind in ("status", "status_once"):
        return error(int(argument), "일시적인 오류가 발생했습니다.")
    if kind == "slow":
        time.sleep(float(argument))
    if kind == "redesign" or request.state.redesigned:
        page = redesigned_page(article.title, f"{article.published_at:%Y.%m.%d}", article.body_html,
                               article.canonical_url)
        return html(page, headers={"ETag": article.etag("redesign"),
                                   "Last-Modified": http_date(article.last_modified)})
    flags = {kind} & {"no_title", "no_body"}
    page = article_page(site, article, hit=request.hit,
                        no_title="no_title" in flags, no_body="no_body" in flags)
    validators = {"ETag": article.etag(*flags), "Last-Modified": http_date(article.last_modified)}
    response = html(page, headers=validators)
    response.truncate = kind == "truncate"
    return response


def download(request: Request) -> Response:
    file_id = request.query.get("fileId", "")
    owned = request.state.site.room_attachment(file_id)
    if owned is not None:
        return _room_download(request, *owned)
    attachment = request.state.site.find_attachment(file_id)
    if attachment is None:
        return error(404, "파일을 찾을 수 없습니다.")
    body = f"replica attachment {file_id}: {attachment.name}\n".encode()
    return _file(file_id, attachment, body)


def doc_viewer(request: Request) -> Response:
    """바로보기: the viewer's HTML page for a fileId (spec §13.2); a crawler must never take it for
    the file. Every request is in the log, so tests can count them."""
    file_id = request.query.get("fileId", "")
    owned = request.state.site.room_attachment(file_id)
    if owned is None and request.state.site.find_attachment(file_id) is None:
        return error(404, "파일을 찾을 수 없습니다.")
    if owned is None:
        return html('<!DOCTYPE html><html lang="ko"><head><meta charset="UTF-8"><title>문서뷰어</title>'
                    "</head><body><div id=\"docViewer\">변환 중입니다.</div></body></html>")
    return html(viewer_html_page(owned[0], file_id))


def _file(file_id: str, attachment: ReplicaAttachment, body: bytes) -> Response:
    disposition = (f'attachment; filename="file_{file_id}.{attachment.extension}"; '
                   f"filename*=UTF-8''{quote(attachment.name)}")
    content_type = _DOWNLOAD_TYPES.get(attachment.extension, "application/octet-stream")
    return Response(200, body, content_type, {"Content-Disposition": disposition})


def _room_download(request: Request, item: RoomItem, attachment: ReplicaAttachment) -> Response:
    mode = request.state.document_fault(item.news_id, attachment.extension) or "ok"
    referer = request.headers.get("Referer") or ""
    browser_like = not request.session.is_new and f"newsId={item.news_id}" in referer
    if mode == "hang" or not browser_like:
        time.sleep(HANG_SECONDS)
        return error(403, "비정상적인 접근입니다.")
    body = _document_bytes(item, attachment.extension, mode)
    return _file(request.query.get("fileId", ""), attachment, body)


def _document_bytes(item: RoomItem, extension: str, mode: str) -> bytes:
    if extension == "hwpx":
        return {"bomb": documents.hwpx_bomb, "corrupt": documents.corrupt_hwpx}.get(
            mode, lambda: _hwpx(item.news_id, item.document_paragraphs()))()
    if extension == "hwp":
        return {"bomb": hwp_files.hwp_bomb, "corrupt": hwp_files.corrupt_hwp}.get(
            mode, lambda: _hwp(item.document_paragraphs()))()
    if extension == "pdf":
        return documents.corrupt_pdf() if mode == "corrupt" else _pdf(item.document_paragraphs())
    return _PIXEL


@lru_cache(maxsize=64)
def _hwp(paragraphs: tuple[str, ...]) -> bytes:
    # With the picture placeholders Hangul writes after a headline, as in the HWPX files.
    return hwp_files.build_hwp([paragraphs[0], *documents.PICTURE_NOISE, *paragraphs[1:]], sections=2)


@lru_cache(maxsize=64)
def _hwpx(news_id: str, paragraphs: tuple[str, ...]) -> bytes:
    return documents.build_hwpx(list(paragraphs), seed=news_id)


@lru_cache(maxsize=64)
def _pdf(paragraphs: tuple[str, ...]) -> bytes:
    return documents.build_pdf(list(paragraphs))


def room_list(section: str) -> Handler:
    def handler(request: Request) -> Response:
        site = request.state.site
        params = request.params if request.method == "POST" else request.query
        paginate = request.method == "POST" and params.get("listToken") == request.session.token
        result = run_query(site, ListQuery.from_params(params, site, paginate=paginate), section)
        return html(room_list_page(site, section, result, token=request.session.token, hit=request.hit))

    return handler


def room_view(section: str) -> Handler:
    def handler(request: Request) -> Response:
        site = request.state.site
        item = site.room_get(section, request.query.get("newsId", "").strip())
        if item is None:
            return error(404, "요청하신 페이지를 찾을 수 없습니다.")
        kind, _, argument = (request.state.take_fault(item.news_id) or "").partition(":")
        if kind in ("status", "status_once"):
            return error(int(argument), "일시적인 오류가 발생했습니다.")
        if kind == "slow":
            time.sleep(float(argument))
        if kind == "redesign" or request.state.redesigned:
            body = "".join(f"<p>{esc(t)}</p>" for t in item.document_paragraphs())
            page = redesigned_page(item.title, f"{item.published_at:%Y.%m.%d}", body, item.canonical_url)
            return html(page, headers={"ETag": item.etag("redesign"),
                                       "Last-Modified": http_date(item.last_modified)})
        validators = {"ETag": item.etag(), "Last-Modified": http_date(item.last_modified)}
        response = html(room_view_page(site, item, hit=request.hit), headers=validators)
        response.truncate = kind == "truncate"
        return response

    return handler


def _by_fn(request: Request, fn: str) -> RoomItem | None:
    site = request.state.site
    return next((i for i in (*site.press, *site.facts) if i.fn == fn), None)


def viewer_result(request: Request) -> Response:
    match = _VIEWER_PAGE.fullmatch(request.path)
    item = _by_fn(request, match["fn"]) if match else None
    if match is None or item is None or item.inline:
        return error(404, "변환된 문서가 없습니다.")
    mode = request.state.document_fault(item.news_id, "viewer") or item.viewer
    page = viewer_page(item, int(match["n"]), mode) if mode in ("pages", "placeholder") else None
    return error(404, "변환된 문서가 없습니다.") if page is None else html(page)


def viewer_frame(request: Request) -> Response:
    item = _by_fn(request, request.query.get("fn", ""))
    return error(404, "문서를 찾을 수 없습니다.") if item is None else html(viewer_skin(item))


def image(request: Request) -> Response:
    url = WWW + request.path
    if any(i.url == url for a in request.state.site.articles for i in a.images):
        return Response(200, _PIXEL, "image/gif")
    return error(404, "이미지를 찾을 수 없습니다.")


# Exact paths, then prefixes (keys ending in "/").
ROUTES: dict[str, Route] = {
    "/robots.txt": Route(robots),
    "/news/policyNewsList.do": Route(policy_news_list, frozenset({"GET", "POST"})),
    "/news/policyNewsView.do": Route(policy_news_view),
    "/common/download.do": Route(download),
    "/common/docViewer.do": Route(doc_viewer),
    "/newsWeb/resources/attaches/": Route(image),
    "/docViewer/iframe_skin/doc.html": Route(viewer_frame),
    "/docViewer/result/": Route(viewer_result),
}
for _section, (_list_path, _view_path) in PATHS.items():
    ROUTES[_list_path] = Route(room_list(_section), frozenset({"GET", "POST"}))
    ROUTES[_view_path] = Route(room_view(_section))
    # The older /news/ prefix still serves the same pages (spec §1.2).
    ROUTES[_view_path.replace("/briefing/", "/news/")] = Route(room_view(_section))


def find_route(path: str) -> Route | None:
    if path in ROUTES:
        return ROUTES[path]
    prefixes = [p for p in ROUTES if p.endswith("/") and path.startswith(p)]
    return ROUTES[max(prefixes, key=len)] if prefixes else None
