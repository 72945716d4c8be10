"""The replica's korea.kr URLs: one handler per path, looked up in `ROUTES`.

A new section (press releases, briefings, fact-checks, RSS) is a renderer in pages.py, a
handler here and one more row in the table.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from .listing import ListQuery, run_query
from .model import WWW
from .pages import ROBOTS_TXT, article_page, list_page
from .web import Request, Response, error, html, http_date

Handler = Callable[[Request], Response]

# The smallest valid GIF: photos only have to exist, not to look like anything.
_PIXEL = bytes.fromhex("47494638396101000100800000000000ffffff21f904010000000"
                       "02c00000000010001000002024401003b")
_DOWNLOAD_TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}


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
    flags = {kind} & {"no_title", "no_body"}
    page = article_page(site, article, hit=request.hit,
                        no_title="no_title" in flags, no_body="no_body" in flags)
    validators = {"ETag": article.etag(*flags), "Last-Modified": http_date(article.last_modified)}
    response = html(page, headers=validators)
    response.truncate = kind == "truncate"
    return response


def download(request: Request) -> Response:
    file_id = request.query.get("fileId", "")
    attachment = request.state.site.find_attachment(file_id)
    if attachment is None:
        return error(404, "파일을 찾을 수 없습니다.")
    body = f"replica attachment {file_id}: {attachment.name}\n".encode()
    disposition = (f'attachment; filename="file_{file_id}.{attachment.extension}"; '
                   f"filename*=UTF-8''{quote(attachment.name)}")
    content_type = _DOWNLOAD_TYPES.get(attachment.extension, "application/octet-stream")
    return Response(200, body, content_type, {"Content-Disposition": disposition})


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
    "/newsWeb/resources/attaches/": Route(image),
}


def find_route(path: str) -> Route | None:
    if path in ROUTES:
        return ROUTES[path]
    prefixes = [p for p in ROUTES if p.endswith("/") and path.startswith(p)]
    return ROUTES[max(prefixes, key=len)] if prefixes else None
