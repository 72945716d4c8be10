"""A hostile (or victim) web host: `python -m tests.standins.hostile [--port 0]` prints `HOSTILE_URL http://…`.

On 127.0.0.1 only. One instance plays the feed a user subscribed to, whose entries and
redirects point inward; another plays the internal service they point at, and only records
who came. Routes:
- `/feed.xml`: RSS 2.0 whose entries (teasers only, so the crawler fetches each link) link to
  the URLs set by POST `/_control/links` `{"links": [...]}`;
- any path set by POST `/_control/redirect` `{"path": "/x", "to": "<url>"}`: a 302 to that URL
  (`/robots.txt` too);
- `/robots.txt` otherwise: allow everything;
- anything else: 200, an article-like page with a secret, so a fetch that got through would be
  stored and show.
Control API: GET `/_control/requests` (every request served, path and Host), POST `/_control/reset`.
"""

from __future__ import annotations

import argparse
import json
import threading
from dataclasses import dataclass, field
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from tests.local_server import LoopbackHTTPServer, announce_and_serve
from tests.standins.feeds import paragraphs, published

URL_PREFIX = "HOSTILE_URL "
SECRET = "INTERNAL-SECRET-7f3a"


@dataclass
class HostileState:
    links: list[str] = field(default_factory=list)
    redirects: dict[str, str] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class HostileServer(LoopbackHTTPServer):
    def __init__(self, port: int = 0) -> None:
        super().__init__(HostileHandler, port)
        self.state = HostileState()

    @property
    def url(self) -> str:
        return self.origin


def feed(links: list[str]) -> bytes:
    items = "".join(
        f"<item><title>항목 {n}</title><link>{escape(link)}</link><guid isPermaLink=\"false\">item-{n}</guid>"
        f"<description>{escape(paragraphs(n, 1)[0][:40])}…</description>"
        f"<pubDate>{format_datetime(published(n), usegmt=True)}</pubDate></item>"
        for n, link in enumerate(links)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>hostile</title>'
        f"<link>http://hostile.invalid/</link><description>links inward</description>{items}</channel></rss>"
    ).encode()


def page(path: str) -> bytes:
    body = "".join(f"<p>{SECRET} {escape(path)} {p}</p>" for p in paragraphs(7))
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{SECRET} {escape(path)}</title></head>"
        f"<body><main><article><h1>{SECRET}</h1>{body}</article></main></body></html>"
    ).encode()


class HostileHandler(BaseHTTPRequestHandler):
    server: HostileServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass  # /_control/requests is the log

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        state = self.server.state
        if path == "/_control/requests":
            with state.lock:
                self._send(200, {"Content-Type": "application/json"}, json.dumps(state.requests).encode())
            return
        with state.lock:
            state.requests.append({"path": path, "host": self.headers.get("Host")})
            links, target = list(state.links), state.redirects.get(path)
        if target is not None:
            self._send(302, {"Location": target}, b"")
        elif path == "/feed.xml":
            self._send(200, {"Content-Type": "application/rss+xml; charset=utf-8"}, feed(links))
        elif path == "/robots.txt":
            self._send(200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n")
        else:
            self._send(200, {"Content-Type": "text/html; charset=utf-8"}, page(path))

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        length = int(self.headers.get("Content-Length") or 0)
        data = json.loads(self.rfile.read(length) or b"{}") if length else {}
        state = self.server.state
        with state.lock:
            if path == "/_control/links":
                state.links = list(data["links"])
            elif path == "/_control/redirect":
                state.redirects[data["path"]] = data["to"]
            elif path == "/_control/reset":
                state.links, state.redirects, state.requests = [], {}, []
            else:
                self._send(404, {}, b"unknown control path")
                return
        self._send(200, {"Content-Type": "application/json"}, b"{}")

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.standins.hostile", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1; 0 picks a free one")
    args = parser.parse_args(argv)
    announce_and_serve(HostileServer(args.port), URL_PREFIX)


if __name__ == "__main__":
    main()
