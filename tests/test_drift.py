"""The drift judgement: recent yield profiles + this run -> ok or drift with evidence (table)."""

from __future__ import annotations

import pytest

from crawler.drift import Verdict, YieldProfile, judge, profile_from_stats


def run(
    *,
    pages: int = 2,
    listed: int = 20,
    empty: int = 0,
    articles: int = 20,
    title: int | None = None,
    date: int | None = None,
    body: int | None = None,
    ministry: int | None = None,
    layouts: dict[str, int] | None = None,
    failed: int = 0,
    layout_errors: int = 0,
) -> YieldProfile:
    fields = {
        "title": articles if title is None else title,
        "date": articles if date is None else date,
        "body": articles if body is None else body,
        "ministry": articles if ministry is None else ministry,
    }
    return YieldProfile(
        list_pages=pages, list_items=listed, empty_lists=empty, articles=articles, fields=fields,
        layouts={"www-2026": articles} if layouts is None else layouts, failed=failed,
        layout_errors=layout_errors,
    )


NORMAL = [run(), run(listed=18, articles=18), run(listed=22, articles=21, failed=1)]

CASES = [
    # (name, recent, this run, expected evidence fragments; [] = ok)
    ("a normal run", NORMAL, run(), []),
    ("a first run, normal", [], run(), []),
    ("a few failures are normal", NORMAL, run(articles=18, failed=2), []),
    ("list pages answer but list nothing", NORMAL, run(listed=0, articles=0), ["listed no items"]),
    ("... even with no history", [], run(listed=0, articles=0), ["listed no items"]),
    ("an empty window the site says is empty", NORMAL, run(pages=1, listed=0, empty=1, articles=0), []),
    ("nothing answered: an error, not drift", NORMAL, run(pages=0, listed=0, articles=0), []),
    ("list pages list far fewer items", NORMAL, run(pages=10, listed=10, articles=10),
     ["1.0 items per list page (recent runs: 10.0)"]),
    ("one short list page is a short window", NORMAL, run(pages=1, listed=3, articles=3), []),
    ("dates gone", NORMAL, run(date=0), ["date on 0% of articles (recent runs: 100%)"]),
    ("dates gone, no history", [], run(date=2), ["date on 10% of articles"]),
    ("ministry dropped from most", NORMAL, run(ministry=5), ["ministry on 25% of articles"]),
    ("ministry never there is normal", [run(ministry=0)] * 3, run(ministry=0), []),
    ("pages match no layout", NORMAL, run(articles=0, failed=20, layout_errors=20, layouts={}),
     ["20 of 20 pages matched no known layout", "20 of 20 items failed, 100% (recent runs: 0%)"]),
    ("a new layout replaces the known ones", NORMAL, run(layouts={"new-2027": 20}),
     ["layout new-2027 replaces www-2026 of recent runs"]),
    ("a new layout beside the known one", NORMAL, run(layouts={"new-2027": 12, "www-2026": 8}), []),
    ("failed share jumps", NORMAL, run(articles=10, failed=10), ["10 of 20 items failed, 50%"]),
    ("a source that always fails a lot is its own normal", [run(articles=10, failed=10)] * 3,
     run(articles=9, failed=11), []),
    ("all unchanged (304): nothing parsed, nothing to judge", NORMAL,
     YieldProfile(list_pages=2, list_items=20, not_modified=20), []),
    ("a redesign after runs of 304s", [YieldProfile(list_pages=2, list_items=20, not_modified=20)] * 3,
     run(articles=0, failed=20, layout_errors=20, layouts={}),
     ["20 of 20 pages matched no known layout", "20 of 20 items failed, 100% (recent runs: 0%)"]),
    ("too few items to judge shares", NORMAL, run(pages=1, listed=2, articles=1, date=0, failed=1), []),
]


@pytest.mark.parametrize(("name", "recent", "this_run", "expected"), CASES, ids=[c[0] for c in CASES])
def test_judge(name: str, recent: list[YieldProfile], this_run: YieldProfile, expected: list[str]) -> None:
    verdict = judge(recent, this_run)
    assert verdict.drift is bool(expected), verdict.evidence
    assert len(verdict.evidence) == len(expected), verdict.evidence
    for fragment, line in zip(expected, verdict.evidence, strict=True):
        assert fragment in line


def test_verdict_reason_joins_evidence() -> None:
    assert Verdict(True, ("a", "b")).reason == "a; b"
    assert Verdict(False).reason is None


def test_profile_from_stats_and_json_round_trip() -> None:
    stats = {
        "briefing/yield/list_pages": 2, "briefing/yield/list_items": 7, "briefing/yield/articles": 6,
        "briefing/yield/field/title": 6, "briefing/yield/field/date": 5, "briefing/yield/failed": 1,
        "briefing/yield/layout/www-2026": 4, "briefing/yield/layout/legacy-2019": 2,
        "briefing/yield/layout_errors": 1, "downloader/request_count": 99,
    }
    profile = profile_from_stats(stats)
    assert profile.items_per_list_page == 3.5
    assert profile.fields == {"title": 6, "date": 5, "body": 0, "ministry": 0}
    assert profile.layouts == {"www-2026": 4, "legacy-2019": 2}
    assert profile.main_layout == "www-2026"
    assert (profile.failed, profile.layout_errors, profile.items) == (1, 1, 7)
    assert YieldProfile.from_json(profile.to_json()) == profile
    assert YieldProfile.from_json({"articles": 3, "future_key": 1}).articles == 3


def test_counting_items_into_stats() -> None:
    from datetime import datetime

    from crawler.drift import count_item, count_list
    from crawler.items import FailedPage, NotModified, ParsedArticle
    from domain.article import KST, Article

    class Stats(dict):  # type: ignore[type-arg]
        def inc_value(self, key: str, count: int = 1, start: int = 0) -> None:
            self[key] = self.get(key, start) + count

    stats = Stats()
    article = Article(source="korea_kr", external_id="1", url="https://www.korea.kr/x?newsId=1",
                      section="policy", title="제목", published_at=datetime(2026, 12, 1, tzinfo=KST),
                      body_html="<p>본문</p>", layout="www-2026")
    count_list(stats, items=3, says_empty=False)
    count_list(stats, items=0, says_empty=True)
    count_item(stats, ParsedArticle(article))
    count_item(stats, ParsedArticle(article.with_changes(ministry="기획재정부", layout="legacy-2019")))
    count_item(stats, NotModified("korea_kr", "2", "u"))
    count_item(stats, FailedPage("u", "layout", "no layout"))
    count_item(stats, FailedPage("u", "http_500", "list page", stage="list"))  # not an item
    count_item(None, ParsedArticle(article))  # a pipeline built without a crawler
    profile = profile_from_stats(stats)
    assert (profile.list_pages, profile.list_items, profile.empty_lists) == (2, 3, 1)
    assert (profile.articles, profile.not_modified, profile.failed, profile.layout_errors) == (2, 1, 1, 1)
    assert profile.fields == {"title": 2, "date": 2, "body": 2, "ministry": 1}
    assert profile.layouts == {"www-2026": 1, "legacy-2019": 1}
