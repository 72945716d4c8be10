"""The request and response values that route handlers take and return."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from email.utils import format_datetime

from .pages import message_page
from .state import ReplicaState, Session

HTML = "text/html; charset=UTF-8"


@dataclass(frozen=True, slots=True)
class Request:
    method: str  # HEAD arrives as GET; the server drops the body
    path: str  # without ";JSESSIONID_KOREA=…" path parameters and without the query
    query: dict[str, str]
    form: dict[str, str]  # a POST's urlencoded body
    headers: Message
    session: Session
    hit: int  # this request's number since start; rotates the sidebars
    state: ReplicaState

    @property
    def params(self) -> dict[str, str]:
        """Query and form together, form winning, as a servlet's getParameter sees them."""
        return {**self.query, **self.form}


@dataclass(slots=True)
class Response:
    status: int
    body: bytes = b""
    content_type: str = HTML
    headers: dict[str, str] = field(default_factory=dict)
    truncate: bool = False  # announce the full length, send half, close


def html(text: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(status, text.encode("utf-8"), HTML, dict(headers or {}))


def error(status: int, message: str = "") -> Response:
    return html(message_page(status, message or f"HTTP {status}"), status)


def json_response(data: object, status: int = 200) -> Response:
    body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return Response(status, body, "application/json; charset=UTF-8")


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)
