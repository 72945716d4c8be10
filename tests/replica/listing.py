"""What a policy-news list request shows: filters, ordering, repeated rows and pages."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from .model import ReplicaArticle, Site

if TYPE_CHECKING:
    from .briefing_room import RoomItem

PAGE_SIZE = 10
# A pinned article shows up again this many rows below its own row (usually on the next page).
REPEAT_OFFSET = 11
# Form fields echoed back unchanged, with the value the real form starts with.
ECHOED_FIELDS = {"repCodeType": "", "repCode": "", "srchType": "title", "srchWord": "", "period": "",
                 "cateId": "", "nRepCode": "", "cardnewsSe": ""}


@dataclass(frozen=True, slots=True)
class ListQuery:
    page_index: int
    start_date: date
    end_date: date
    fields: dict[str, str] = field(default_factory=dict)  # ECHOED_FIELDS as requested

    @classmethod
    def from_params(cls, params: Mapping[str, str], site: Site, *, paginate: bool) -> ListQuery:
        """Read a request's parameters; `paginate` False pins the page to 1 (GET, or a bad token)."""
        default_start, default_end = site.default_window
        page = _int(params.get("pageIndex", "")) if paginate else 1
        return cls(
            page_index=max(page or 1, 1),
            start_date=_date(params.get("startDate", "")) or default_start,
            end_date=_date(params.get("endDate", "")) or default_end,
            fields={name: params.get(name, default) for name, default in ECHOED_FIELDS.items()},
        )

    def matches(self, article: ReplicaArticle | RoomItem) -> bool:
        rep_code = self.fields.get("repCode", "")
        word = self.fields.get("srchWord", "").strip().lower()
        if rep_code and article.rep_code != rep_code:
            return False
        texts = (article.title, *article.body_paragraphs)
        return not word or any(word in text.lower() for text in texts)


@dataclass(frozen=True, slots=True)
class ListRow:
    article: ReplicaArticle | RoomItem
    repeat: bool  # the pinned second appearance, linked with other tracking parameters


@dataclass(frozen=True, slots=True)
class ListResult:
    query: ListQuery
    rows: list[ListRow]  # the requested page only
    total: int  # rows over all pages, repeats included, as the site counts them
    last_page: int
    listed_ids: frozenset[str]  # every newsId in the result, for keeping the sidebar apart


def run_query(site: Site, query: ListQuery, section: str = "policy") -> ListResult:
    found = [a for a in site.articles_between(query.start_date, query.end_date, section) if query.matches(a)]
    rows = [ListRow(a, repeat=False) for a in found]
    # Insert from the bottom so the positions computed on the original order stay valid.
    for position, article in reversed([(i, a) for i, a in enumerate(found) if a.pinned]):
        rows.insert(min(position + REPEAT_OFFSET, len(rows)), ListRow(article, repeat=True))
    first = (query.page_index - 1) * PAGE_SIZE
    return ListResult(
        query=query,
        rows=rows[first:first + PAGE_SIZE],
        total=len(rows),
        last_page=max(1, math.ceil(len(rows) / PAGE_SIZE)),
        listed_ids=frozenset(a.news_id for a in found),
    )


def _int(value: str) -> int | None:
    try:
        return int(value.strip())
    except ValueError:
        return None


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None
