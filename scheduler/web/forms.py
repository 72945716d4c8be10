"""What the pages' forms send, read into the objects the API uses (one filter builder, one rule)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date
from urllib.parse import parse_qs

from fastapi import HTTPException, Request

from scheduler.api.deps import article_filter
from storage import ArticleFilter

MAX_FORM_BYTES = 8192
MAX_FIELD = 200
LICENCES = {"1", "2", "3", "4"}


def article_filter_from(params: Mapping[str, str]) -> ArticleFilter:
    """The API's filter builder over the search form's fields; ValueError says what is wrong."""
    for name, value in params.items():
        if len(value) > MAX_FIELD:
            raise ValueError(f"{name}: {MAX_FIELD}자 이내로 입력하세요")

    def day(name: str) -> date | None:
        raw = params.get(name) or ""
        try:
            return date.fromisoformat(raw) if raw else None
        except ValueError:
            raise ValueError(f"{name}: 날짜는 YYYY-MM-DD 형식으로 입력하세요") from None

    try:
        where = article_filter(
            q=params.get("q"),
            source=params.get("source"),
            ministry=params.get("ministry"),
            category=params.get("category"),
            since=day("since"),
            until=day("until"),
        )
    except HTTPException as exc:
        raise ValueError(str(exc.detail)) from exc
    licence = params.get("license") or ""
    if licence:
        if licence not in LICENCES:
            raise ValueError("license: 1~4 중 하나를 고르세요")
        where = dataclasses.replace(where, license_type=int(licence))
    return where


def local_path(target: str | None, default: str) -> str:
    """Only a path on this site is a place to return to after signing in."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return default


async def read_form(request: Request) -> dict[str, str]:
    """An urlencoded form body (the pages send nothing else), first value of each field."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise HTTPException(413, detail="form too large")
    parsed = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {key: values[0] for key, values in parsed.items() if values}
