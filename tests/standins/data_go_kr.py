"""A stand-in for the data.go.kr Open API of 정책브리핑, on 127.0.0.1 only.

`python -m tests.standins.data_go_kr --key K [--start 2026-11-18 --days 5 --articles 60 --seed 1]
[--press 12] [--fault 20261121=status:500] [--port 0]` prints `DATA_GO_KR_URL http://…/1371000`
(the base URL, like `https://apis.data.go.kr/1371000`) and serves:
- `policyNewsService2/policyNewsList2` and the older `policyNewsService/policyNewsList` (items
  straight under <body>): the korea.kr replica's policy news for the same arguments;
- `pressReleaseService/pressReleaseList`: generated press releases, one posted twice.
It checks `serviceKey` (missing: 401 SERVICE_KEY_IS_NULL; wrong: SERVICE_KEY_IS_NOT_REGISTERED_ERROR,
both in the gateway's <OpenAPI_ServiceResponse> envelope), the dates (97 for a bad format, 98 for
more than 3 days), and pages with `pageNo`/`numOfRows` (default 1/10).
Faults by the request's startDate: `status:<code>`, `quota` (the gateway's quota error),
`garbage` (not XML). Control API: GET `/_control/requests` (path, query, status, time),
POST `/_control/fault` `{"start": "YYYYMMDD", "kind": … | null}`, POST `/_control/reset`.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.local_server import LoopbackHTTPServer, announce_and_serve
from tests.standins.data_go_kr_data import (
    NewsItem,
    build_items,
    gateway_error_xml,
    page_xml,
    result_error_xml,
)

URL_PREFIX = "DATA_GO_KR_URL "
PREFIX = "/1371000"
ENDPOINTS = {
    "/policyNewsService2/policyNewsList2": ("policy", True),
    "/policyNewsService/policyNewsList": ("policy", False),  # older: items straight under <body>
    "/pressReleaseService/pressReleaseList": ("press", True),
}
MAX_DAYS = 3


class StandInServer(LoopbackHTTPServer):
    def __init__(self, items: list[NewsItem], key: str, faults: dict[str, str], port: int = 0) -> None:
        super().__init__(Handler, port)
        self.items = items
        self.key = key
        self.initial_faults = dict(faults)
        self.faults = dict(faults)
        self.log: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return self.origin + PREFIX


class Handler(BaseHTTPRequestHandler):
    server: StandInServer
    protocol_version = "HTTP/1.1"
    server_version = "StandInDataGoKr/1"
    sys_version = ""

    def log_message(self, format: str, *args: object) -> None:
        pass  # /_control/requests is the log

    def do_GET(self) -> None:
        split = urlsplit(self.path)
        if split.path.startswith("/_control/"):
            self._control("GET", split.path)
            return
        status, body = self._answer(split.path, split.query)
        with self.server.lock:
            self.server.log.append(
                {"path": split.path, "query": split.query, "status": status, "time": time.time()}
            )
        self._send(status, body)

    def do_POST(self) -> None:
        self._control("POST", urlsplit(self.path).path)

    def _answer(self, path: str, query: str) -> tuple[int, str]:
        if not path.startswith(PREFIX) or path.removeprefix(PREFIX) not in ENDPOINTS:
            return 404, "Not Found"
        section, wrapped = ENDPOINTS[path.removeprefix(PREFIX)]
        params = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
        key = params.get("serviceKey", "")
        if not key:
            return 401, gateway_error_xml("SERVICE_KEY_IS_NULL", "30")
        if key != self.server.key:
            return 200, gateway_error_xml("SERVICE_KEY_IS_NOT_REGISTERED_ERROR", "30")
        fault = self.server.faults.get(params.get("startDate", ""))
        if fault == "quota":
            return 429, gateway_error_xml("LIMITED_NUMBER_OF_SERVICE_REQUESTS_EXCEEDS_ERROR", "22")
        if fault == "garbage":
            return 200, "<html><body>점검 중입니다"
        if fault and fault.startswith("status:"):
            return int(fault.split(":", 1)[1]), "Internal Server Error"
        try:
            start, end = _day(params.get("startDate", "")), _day(params.get("endDate", ""))
        except ValueError:
            return 200, result_error_xml("97", "날짜형식 오류 (YYYYMMDD)")
        if end < start:
            return 200, result_error_xml("97", "날짜형식 오류 (시작일이 종료일보다 늦음)")
        if (end - start).days + 1 > MAX_DAYS:
            return 200, result_error_xml("98", "날짜범위 3일 초과")
        page = max(_int(params.get("pageNo"), 1), 1)
        rows = max(_int(params.get("numOfRows"), 10), 1)
        found = sorted(
            (i for i in self.server.items if i.section == section and start <= i.day <= end),
            key=lambda i: (i.approve, int(i.news_id)),
            reverse=True,
        )
        chosen = found[(page - 1) * rows : page * rows]
        return 200, page_xml(chosen, total=len(found), page=page, rows=rows, wrapped=wrapped)

    def _control(self, method: str, path: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}") if length else {}
        server = self.server
        with server.lock:
            if method == "GET" and path == "/_control/requests":
                answer: object = list(server.log)
            elif method == "POST" and path == "/_control/fault":
                if body.get("kind"):
                    server.faults[str(body["start"])] = str(body["kind"])
                else:
                    server.faults.pop(str(body.get("start")), None)
                answer = dict(server.faults)
            elif method == "POST" and path == "/_control/reset":
                server.faults = dict(server.initial_faults)
                server.log.clear()
                answer = {}
            else:
                self._send(404, json.dumps({"error": f"no control {method} {path}"}), "application/json")
                return
        self._send(200, json.dumps(answer, ensure_ascii=False), "application/json")

    def _send(self, status: int, body: str, content_type: str = "text/xml;charset=UTF-8") -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _day(value: str) -> date:
    if len(value) != 8 or not value.isdigit():
        raise ValueError(value)
    return datetime.strptime(value, "%Y%m%d").date()


def _int(value: str | None, default: int) -> int:
    return int(value) if value and value.isdigit() else default


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tests.standins.data_go_kr",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--key", required=True, help="the one service key the stand-in accepts")
    parser.add_argument("--start", type=date.fromisoformat, default=date(2026, 11, 18), help="first day")
    parser.add_argument("--days", type=int, default=5)
    parser.add_argument("--articles", type=int, default=60, help="policy news, as the replica builds them")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--press", type=int, default=12, help="press releases (+ a duplicate and a near-miss)"
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="YYYYMMDD=KIND",
        help="fault for requests starting that day: status:<code>, quota, garbage",
    )
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    faults = dict(f.split("=", 1) for f in args.fault)
    items = build_items(
        start=args.start, days=args.days, articles=args.articles, seed=args.seed, press=args.press
    )
    server = StandInServer(items, args.key, faults, args.port)
    announce_and_serve(server, URL_PREFIX)


if __name__ == "__main__":
    main()
