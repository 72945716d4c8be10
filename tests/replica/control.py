"""The JSON control API under /_control/ that tests use to read the truth and break pages."""

from __future__ import annotations

import json
from collections.abc import Callable

from .state import ReplicaState, UnknownArticle
from .web import Response, json_response

ControlHandler = Callable[[ReplicaState, dict[str, object]], object]
MUTABLE_FIELDS = frozenset({"title", "body_append", "subtitles"})


def articles(state: ReplicaState, body: dict[str, object]) -> object:
    # "etag" is the intact page's; a no_title/no_body fault serves a different one.
    return [{**a.to_json(), "etag": a.etag()} for a in state.site.articles]


def room_truth(section: str) -> ControlHandler:
    def handler(state: ReplicaState, body: dict[str, object]) -> object:
        return [{**i.to_json(), "etag": i.etag()} for i in state.site.section_items(section)]

    return handler


def document_fault(state: ReplicaState, body: dict[str, object]) -> object:
    channels = {k: (None if v in (None, "", "none") else str(v)) for k, v in body.items() if k != "news_id"}
    if not channels:
        raise ValueError("document_fault takes news_id and any of viewer, hwpx, pdf")
    state.set_document_fault(_news_id(body), channels)
    return {"ok": True}


def fault(state: ReplicaState, body: dict[str, object]) -> object:
    kind = body.get("kind")
    state.set_fault(_news_id(body), None if kind in (None, "", "none") else str(kind))
    return {"ok": True}


def mutate(state: ReplicaState, body: dict[str, object]) -> object:
    changes = {k: v for k, v in body.items() if k != "news_id"}
    unknown = set(changes) - MUTABLE_FIELDS
    if unknown or not changes:
        raise ValueError(f"mutate takes news_id and any of {sorted(MUTABLE_FIELDS)}, got {sorted(body)}")
    if not all(isinstance(v, str) for k, v in changes.items() if k != "subtitles") or not (
            isinstance(changes.get("subtitles", []), list)):
        raise ValueError("title and body_append are strings, subtitles a list of strings")
    article = state.mutate(_news_id(body), **changes)
    return {**article.to_json(), "etag": article.etag()}


def room_host(state: ReplicaState, body: dict[str, object]) -> object:
    item = state.set_host(_news_id(body), str(body.get("host", "")))
    return {**item.to_json(), "etag": item.etag()}


def redesign(state: ReplicaState, body: dict[str, object]) -> object:
    on = body.get("on")
    if not isinstance(on, bool):
        raise ValueError("redesign takes on: true or false")
    state.set_redesign(on)
    return {"ok": True}


def validators(state: ReplicaState, body: dict[str, object]) -> object:
    on = body.get("on")
    if not isinstance(on, bool):
        raise ValueError("validators takes on: true or false")
    state.set_validators(on)
    return {"ok": True}


def reset(state: ReplicaState, body: dict[str, object]) -> object:
    state.reset()
    return {"ok": True}


def requests(state: ReplicaState, body: dict[str, object]) -> object:
    return state.requests()


def clear_requests(state: ReplicaState, body: dict[str, object]) -> object:
    state.clear_requests()
    return {"ok": True}


CONTROL_ROUTES: dict[tuple[str, str], ControlHandler] = {
    ("GET", "/_control/articles"): articles,
    ("GET", "/_control/press"): room_truth("press"),
    ("GET", "/_control/briefing"): room_truth("briefing"),
    ("GET", "/_control/fact"): room_truth("fact"),
    ("POST", "/_control/document_fault"): document_fault,
    ("POST", "/_control/fault"): fault,
    ("POST", "/_control/mutate"): mutate,
    ("POST", "/_control/room_host"): room_host,
    ("POST", "/_control/redesign"): redesign,
    ("POST", "/_control/validators"): validators,
    ("POST", "/_control/reset"): reset,
    ("GET", "/_control/requests"): requests,
    ("POST", "/_control/requests/clear"): clear_requests,
}


def dispatch(state: ReplicaState, method: str, path: str, raw_body: bytes) -> Response:
    handler = CONTROL_ROUTES.get((method, path))
    if handler is None:
        known = ", ".join(f"{m} {p}" for m, p in CONTROL_ROUTES)
        return json_response({"error": f"no control endpoint {method} {path}; known: {known}"}, 404)
    try:
        body = json.loads(raw_body or b"{}")
        if not isinstance(body, dict):
            raise ValueError("the request body must be a JSON object")
        return json_response(handler(state, body))
    except UnknownArticle as exc:
        return json_response({"error": f"no article with newsId {exc.args[0]}"}, 404)
    except ValueError as exc:  # json.JSONDecodeError is a ValueError too
        return json_response({"error": str(exc)}, 400)


def _news_id(body: dict[str, object]) -> str:
    news_id = body.get("news_id")
    if not news_id:
        raise ValueError("news_id is required")
    return str(news_id)
