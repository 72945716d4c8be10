"""The source contract `briefing check` enforces, as a pure function over what a probe saw (table)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from crawler.contract import ProbeResult, summary, violations

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
GOOD = ProbeResult(
    target="korea_kr:policy",
    list_pages=1,
    list_items=10,
    item_url="https://www.korea.kr/x?newsId=1",
    title="제목",
    published_at=NOW - timedelta(days=1),
    body_chars=800,
    layout="www-2026",
    layout_required=True,
)

CASES = [
    ("the contract holds", GOOD, []),
    ("a feed has no layouts", replace(GOOD, layout=None, layout_required=False), []),
    (
        "the list page failed",
        replace(GOOD, list_pages=0, list_errors=("http_500: list page: HTTP 500",)),
        ["list: http_500: list page: HTTP 500"],
    ),
    ("nothing answered at all", replace(GOOD, list_pages=0), ["list: no list page answered"]),
    (
        "200 with no items",
        replace(GOOD, list_items=0, item_url=None),
        ["list: the newest list page answered"],
    ),
    ("an id twice", replace(GOOD, duplicate_ids=("1", "2")), ["list: 2 id(s) listed twice (1, 2)"]),
    (
        "the item failed to parse",
        replace(GOOD, item_error="layout: the page matches none of the policy layouts"),
        ["item: layout: the page matches none"],
    ),
    ("no item fetched", replace(GOOD, item_url=None), ["item: no item could be fetched"]),
    ("fields missing", replace(GOOD, title="", body_chars=0), ["item: no title, body"]),
    ("no date", replace(GOOD, published_at=None), ["item: no date"]),
    ("no layout named", replace(GOOD, layout=None), ["item: no known layout"]),
    (
        "dated in the future",
        replace(GOOD, published_at=NOW + timedelta(days=3)),
        ["item: dated in the future"],
    ),
    ("tomorrow in Korea is fine", replace(GOOD, published_at=NOW + timedelta(hours=15)), []),
    (
        "years old",
        replace(GOOD, published_at=NOW - timedelta(days=800)),
        ["item: the newest item is dated 2024"],
    ),
]


@pytest.mark.parametrize(("name", "result", "expected"), CASES, ids=[c[0] for c in CASES])
def test_violations(name: str, result: ProbeResult, expected: list[str]) -> None:
    found = violations(result, now=NOW)
    assert len(found) == len(expected), found
    for fragment, line in zip(expected, found, strict=True):
        assert line.startswith(fragment) or fragment in line, line


def test_result_json_round_trip_and_summary() -> None:
    result = replace(GOOD, duplicate_ids=("3",), notes=("stopped after one item",))
    assert ProbeResult.from_json(result.to_json()) == result
    assert ProbeResult.from_json({**GOOD.to_json(), "from_a_newer_version": 1}) == GOOD
    assert summary(GOOD) == "10 item(s) listed, newest 2026-12-04, layout www-2026"
