"""The replica's HTTP server: routing, query-string faults, sessions, conditional GET, request log."""

from __future__ import annotations

import re
import time
import traceback
from email.utils import parsedate_to_datetime
from http.cookies import CookieError, SimpleCookie
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl, unquote, urlsplit

from tests.local_server import LoopbackHTTPServer

from . import control
from .model import Site
from .routes import find_route
from .state import ReplicaState
from .web import Request, Response, error

SESSION_COOKIE = "JSESSIONID"
MAX_DELAY = 60.0  # a typo in ?delay= must not hang a test run for hours
_PATH_PARAMETER = re.compile(r";[^/]*")  # servlet URL rewriting: ";JSESSIONID_KOREA=…"


class ReplicaServer(LoopbackHTTPServer):
    def __init__(self, site: Site, port: int = 0) -> None:
        super().__init__(ReplicaHandler, port)
        self.state = ReplicaState(site)

    @property
    def url(self) -> str:
        return self.origin


class ReplicaHandler(BaseHTTPRequestHandler):
    server: ReplicaServer
    protocol_version = "HTTP/1.1"
    server_version = "ReplicaKoreaKr/1"
    sys_version = ""
    # Headers and body leave in two writes; with Nagle on, the body waited for the client's
    # delayed ACK: 44 ms per keep-alive request instead of 0.25 ms (bench/crawl_e2e.py).
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._serve("GET")

    def do_HEAD(self) -> None:
        self._serve("HEAD")

    def do_POST(self) -> None:
        self._serve("POST")

    def log_message(self, format: str, *args: object) -> None:
        pass  # GET /_control/requests is the log; stderr may be a pipe nobody drains

    def _serve(self, method: str) -> None:
        try:
            self._serve_one(method)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (timeouts on slow pages)
        except Exception:
            traceback.print_exc()
            self.close_connection = True
            self._send(error(500, "replica bug; see its stderr"), head=False)

    def _serve_one(self, method: str) -> None:
        split = urlsplit(self.path)
        path = _PATH_PARAMETER.sub("", unquote(split.path))
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        state = self.server.state
        if path.startswith("/_control/"):
            self._send(control.dispatch(state, method, path, raw_body), head=False)
            return
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        form = dict(parse_qsl(raw_body.decode("utf-8", "replace"), keep_blank_values=True)) \
            if method == "POST" else {}
        request = Request(method="GET" if method == "HEAD" else method, path=path, query=query, form=form,
                          headers=self.headers, session=state.session(self._session_cookie()),
                          hit=state.next_hit(), state=state)
        response = self._respond(request)
        sent = self._send(response, head=method == "HEAD")
        state.record({"method": method, "path": split.path, "query": split.query, "status": response.status,
                      "bytes": sent, "headers": dict(self.headers.items())})

    def _respond(self, request: Request) -> Response:
        query = request.query
        delay = _number(query.get("delay"))
        if delay:
            time.sleep(min(delay, MAX_DELAY))
        status = _number(query.get("status"))
        route = find_route(request.path)
        if status and 100 <= status <= 599:
            response = error(int(status), "요청을 처리할 수 없습니다.")
        elif route is None:
            response = error(404, "요청하신 페이지를 찾을 수 없습니다.")
        elif request.method not in route.methods:
            response = error(405, "허용되지 않는 요청입니다.")
            response.headers["Allow"] = ", ".join(sorted(route.methods))
        else:
            response = route.handler(request)
        if not request.state.validators:  # a site without validators: nothing to be conditional on
            response.headers.pop("ETag", None)
            response.headers.pop("Last-Modified", None)
        if response.status == 200 and _is_not_modified(request, response):
            kept = {k: v for k, v in response.headers.items() if k in ("ETag", "Last-Modified")}
            response = Response(304, headers=kept)
        if query.get("truncate", "0") not in ("", "0"):
            response.truncate = True
        if request.session.is_new:
            cookie = f"{SESSION_COOKIE}={request.session.session_id}; Path=/; HttpOnly"
            response.headers["Set-Cookie"] = cookie
        return response

    def _send(self, response: Response, *, head: bool) -> int:
        """Write the response; returns the body bytes actually sent."""
        self.send_response(response.status)
        has_body = response.status >= 200 and response.status not in (204, 304)
        if has_body:
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if head or not has_body:
            return 0
        payload = response.body[: len(response.body) // 2] if response.truncate else response.body
        self.wfile.write(payload)
        self.wfile.flush()
        if response.truncate:
            self.close_connection = True  # the client sees EOF before Content-Length bytes
        return len(payload)

    def _session_cookie(self) -> str | None:
        try:
            morsel = SimpleCookie(self.headers.get("Cookie", "")).get(SESSION_COOKIE)
        except CookieError:
            return None
        return morsel.value if morsel else None


def _is_not_modified(request: Request, response: Response) -> bool:
    """RFC 9110 §13.1: If-None-Match decides when present, else If-Modified-Since."""
    etag = response.headers.get("ETag")
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        if etag is None:
            return False
        candidates = {c.strip().removeprefix("W/") for c in if_none_match.split(",")}
        return "*" in candidates or etag in candidates
    last_modified = response.headers.get("Last-Modified")
    if_modified_since = request.headers.get("If-Modified-Since")
    if not (last_modified and if_modified_since):
        return False
    try:
        return _parse_http_date(last_modified) <= _parse_http_date(if_modified_since)
    except (TypeError, ValueError):
        return False  # an unparsable date is ignored, as RFC 9110 asks


def _parse_http_date(value: str) -> float:
    return parsedate_to_datetime(value).timestamp()


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None
