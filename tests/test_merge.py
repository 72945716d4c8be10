"""Table tests for domain.merge: one document through the API and the page, and under two ids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.article import KST, Article, Attachment, Image, content_hash
from domain.merge import body_hash, channels, dedupe_key, merge, same_document

NEWS_ID = "156780001"
URL = f"https://www.korea.kr/briefing/pressReleaseView.do?newsId={NEWS_ID}"
LONG = "국토교통부는 청년 주거 지원 방안을 발표했다. " * 12  # well over 200 characters of text


def page(**changes: object) -> Article:
    """What the HTML parser gives for the article page."""
    base = Article(
        source="korea_kr",
        external_id=NEWS_ID,
        url=URL,
        section="press",
        title="청년 주거 지원 방안 마련…내년부터 시행",
        published_at=datetime(2026, 11, 19, 0, 0, tzinfo=KST),  # the page shows only the date
        body_html='<iframe id="content_press" src="/viewer"></iframe>',
        subtitles=("대상 확대",),
        ministry="국토교통부",
        rep_code="A00013",
        tags=("주거",),
        images=(Image("https://www.korea.kr/a.jpg", "사진"),),
        attachments=(
            Attachment("보도자료.hwpx", "https://www.korea.kr/common/download.do?fileId=1", "hwpx"),
        ),
        license_type=1,
        license_text_only=True,
        contact="국토교통부 주택기금과(044-201-3337)",
        body_source="page",
    )
    return base.with_changes(**changes) if changes else base


def api(**changes: object) -> Article:
    """What the data.go.kr parser gives for the same newsId."""
    base = Article(
        source="korea_kr",
        external_id=NEWS_ID,
        url=URL,
        section="press",
        title="[국토교통부] 청년 주거 지원 방안 마련…내년부터 시행",
        published_at=datetime(2026, 11, 19, 14, 5, tzinfo=KST),
        body_html=f"<p>{LONG}</p>",
        subtitles=("대상 확대", "API만 아는 부제"),
        ministry="국토교통부",
        embargo_until=datetime(2026, 11, 19, 18, 0, tzinfo=KST),
        license_type=1,
        license_text_only=True,
        body_source="api",
    )
    return base.with_changes(**changes) if changes else base


# --- one channel: the newer crawl wins whole ----------------------------------------------------


def test_a_page_recrawl_wins_whole_even_where_it_is_now_empty() -> None:
    edited = page(title="고친 제목", subtitles=(), tags=(), images=())
    assert merge(page(), edited) == edited.with_changes(rep_code="A00013")


def test_an_api_recrawl_wins_whole_so_api_only_corrections_apply() -> None:
    corrected = api(title="고친 제목", subtitles=())
    assert merge(api(), corrected) == corrected


# --- two channels of one newsId -----------------------------------------------------------------


def test_api_then_page_takes_the_api_body_and_the_pages_metadata() -> None:
    merged = merge(api(), page())
    assert (merged.body_html, merged.body_source) == (api().body_html, "api")  # the page body is a shell
    assert merged.title == "청년 주거 지원 방안 마련…내년부터 시행"  # the page's title wins over the API's
    assert merged.subtitles == ("대상 확대",)  # the page's subtitles, whole
    assert (merged.rep_code, merged.tags, merged.images) == (page().rep_code, page().tags, page().images)
    assert merged.attachments == page().attachments and merged.contact == page().contact
    assert merged.embargo_until == api().embargo_until  # only the API has it: it fills the gap
    # The page has no time of day (00:00): the API's time on the same day is kept.
    assert merged.published_at == datetime(2026, 11, 19, 14, 5, tzinfo=KST)
    assert channels(merged) == {"api", "page"}


def test_the_order_of_channels_does_not_matter() -> None:
    assert merge(api(), page()) == merge(page(), api())


@pytest.mark.parametrize(
    "sequence",
    [
        ["api", "page", "api"],
        ["page", "api", "page"],
        ["api", "page", "api", "page", "api"],
        ["page", "api", "api"],
    ],
)
def test_recrawling_either_channel_changes_nothing_once_merged(sequence: list[str]) -> None:
    build = {"api": api, "page": page}
    stored = build[sequence[0]]()
    hashes = []
    for channel in sequence[1:]:
        stored = merge(stored, build[channel]())
        hashes.append(content_hash(stored))
    assert len(set(hashes)) == 1, "one revision when both channels are known, none after"


def test_an_api_crawl_never_erases_what_only_the_page_has() -> None:
    merged = merge(merge(page(), api()), api(attachments=()))
    assert (merged.rep_code, merged.tags, merged.images, merged.contact) == (
        page().rep_code,
        page().tags,
        page().images,
        page().contact,
    )
    assert merged.attachments == page().attachments


def test_the_api_fills_what_the_page_lacks() -> None:
    bare = page(subtitles=(), attachments=(), license_type=None, license_text_only=False, contact=None)
    merged = merge(bare, api())
    assert merged.subtitles == api().subtitles
    assert merged.attachments == ()  # neither has them
    assert (merged.license_type, merged.license_text_only) == (1, True)  # the pair travels together


def test_the_page_licence_wins_as_a_pair() -> None:
    merged = merge(api(), page(license_type=4, license_text_only=False))
    assert (merged.license_type, merged.license_text_only) == (4, False)


def test_page_changes_after_a_merge_still_apply_and_the_api_body_stays() -> None:
    merged = merge(merge(api(), page()), page(title="고친 제목"))
    assert merged.title == "고친 제목" and merged.body_source == "api"


def test_an_api_body_change_after_a_merge_applies_but_not_its_title() -> None:
    merged = merge(merge(api(), page()), api(body_html="<p>고친 본문</p>", title="API 제목"))
    assert merged.body_html == "<p>고친 본문</p>" and merged.title == "청년 주거 지원 방안 마련…내년부터 시행"


@pytest.mark.parametrize(
    ("page_time", "api_time", "expected"),
    [
        (datetime(2026, 11, 19, 0, 0, tzinfo=KST), datetime(2026, 11, 19, 14, 5, tzinfo=KST), "api"),
        (datetime(2026, 11, 19, 9, 30, tzinfo=KST), datetime(2026, 11, 19, 14, 5, tzinfo=KST), "page"),
        # Midnight of another day is a real disagreement: the page wins.
        (datetime(2026, 11, 18, 0, 0, tzinfo=KST), datetime(2026, 11, 19, 14, 5, tzinfo=KST), "page"),
        # The same instants in UTC: midnight is judged in KST.
        (datetime(2026, 11, 18, 15, 0, tzinfo=UTC), datetime(2026, 11, 19, 5, 5, tzinfo=UTC), "api"),
    ],
)
def test_published_at_a_pages_midnight_gives_way_to_a_time_that_day(
    page_time: datetime, api_time: datetime, expected: str
) -> None:
    merged = merge(page(published_at=page_time), api(published_at=api_time))
    assert merged.published_at == (api_time if expected == "api" else page_time)


@pytest.mark.parametrize(
    ("stored", "incoming", "body_source"),
    [
        (page(), api(), "api"),  # higher rank wins
        (api(), page(), "api"),  # lower rank never replaces
        (page(), api(body_html="  "), "page"),  # an empty body never wins
        (page(body_source="feed", rep_code=None, tags=(), images=()), page(), "page"),
        (page(body_html="<p>old</p>"), page(body_html="<p>new</p>"), "page"),  # tie: incoming
    ],
)
def test_the_body_follows_body_source_rank(stored: Article, incoming: Article, body_source: str) -> None:
    merged = merge(stored, incoming)
    winner = incoming if incoming.body_source == body_source and incoming.body_html.strip() else stored
    assert (merged.body_source, merged.body_html) == (body_source, winner.body_html)


def test_a_press_page_whose_body_came_from_a_document_is_still_the_page_channel() -> None:
    viewer = page(body_html="<p>뷰어 본문</p>", body_source="viewer")
    assert channels(viewer) == {"page"}
    merged = merge(api(), viewer)
    assert (merged.title, merged.body_source) == (viewer.title, "api")
    assert merge(merged, api()) == merged and merge(merged, viewer) == merged


def test_one_channel_never_trades_its_body_for_a_worse_one() -> None:
    # The viewer failed this time and the PDF answered: the title edit applies, the body stays.
    stored = page(body_html="<p>뷰어 본문</p>", body_source="viewer")
    merged = merge(stored, page(title="고친 제목", body_html="<p>PDF 본문</p>", body_source="pdf"))
    assert (merged.title, merged.body_html, merged.body_source) == ("고친 제목", "<p>뷰어 본문</p>", "viewer")


def test_merging_two_sources_is_refused() -> None:
    with pytest.raises(ValueError, match="two sources"):
        merge(page(), api(source="feed:x"))


# --- another id: the same release posted twice --------------------------------------------------


def test_a_duplicate_under_another_id_only_fills_gaps_and_becomes_an_alias() -> None:
    stored = api(subtitles=())
    twin = api(
        external_id="156780099", url=URL.replace(NEWS_ID, "156780099"), title="다른 제목", subtitles=("부제",)
    )
    merged = merge(stored, twin)
    assert (merged.external_id, merged.url, merged.title) == (NEWS_ID, URL, stored.title)
    assert merged.subtitles == ("부제",)
    assert merged.aliases == ("156780099",)
    assert content_hash(merge(merged, twin)) == content_hash(merged)  # the twin again: nothing new
    assert merge(merge(merged, stored), twin) == merged  # two ids crawled in turn never take turns


def test_a_duplicate_body_replaces_the_stored_one_only_with_a_strictly_better_channel() -> None:
    stored = page(body_html="<p>같은 본문</p>")
    assert merge(stored, page(external_id="2", body_html="<p>다른 본문</p>")).body_html == "<p>같은 본문</p>"
    assert merge(stored, api(external_id="2")).body_html == api().body_html


def test_aliases_are_a_union_without_the_articles_own_id() -> None:
    merged = merge(api(aliases=("1", "2")), api(external_id="3", aliases=("2", NEWS_ID)))
    assert merged.aliases == ("1", "2", "3")
    assert content_hash(merged) == content_hash(api()), "aliases are bookkeeping, not content"


# --- stability as a property --------------------------------------------------------------------

texts = st.text(alphabet="가나다라마 AB", min_size=1, max_size=12)
subtitle_sets = st.lists(texts, max_size=3).map(tuple)
times = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31)).map(
    lambda d: d.replace(tzinfo=KST)
)
midnights = times.map(lambda d: d.replace(hour=0, minute=0, second=0, microsecond=0))


@settings(max_examples=200, deadline=None)
@given(
    page_title=texts,
    api_title=texts,
    page_subtitles=subtitle_sets,
    api_subtitles=subtitle_sets,
    page_time=st.one_of(times, midnights),
    api_time=times,
    page_licence=st.sampled_from([None, 1, 4]),
    api_licence=st.sampled_from([None, 1, 2]),
    api_body=st.sampled_from(["<p>본문</p>", f"<p>{LONG}</p>"]),  # never empty: the parser skips those
)
def test_any_mix_of_api_and_page_crawls_settles_after_both_are_seen(
    page_title: str,
    api_title: str,
    page_subtitles: tuple[str, ...],
    api_subtitles: tuple[str, ...],
    page_time: datetime,
    api_time: datetime,
    page_licence: int | None,
    api_licence: int | None,
    api_body: str,
) -> None:
    p = page(title=page_title, subtitles=page_subtitles, published_at=page_time, license_type=page_licence)
    a = api(
        title=api_title,
        subtitles=api_subtitles,
        published_at=api_time,
        license_type=api_licence,
        body_html=api_body,
    )
    settled = merge(a, p)
    assert merge(p, a) == settled
    for step in (a, p, a, a, p, p):
        assert merge(settled, step) == settled
    assert settled.title == page_title  # the page's title always wins


# --- duplicate keys ----------------------------------------------------------------------------


def test_body_hash_ignores_markup_entities_and_whitespace_but_needs_a_long_text() -> None:
    a = api(body_html=f"<p>{LONG}</p>")
    b = api(body_html="<div>" + LONG.replace(" ", "\n  ").replace("다.", "다&#46;") + "</div>")
    assert body_hash(a) is not None and body_hash(a) == body_hash(b)
    assert body_hash(api(body_html="<p>짧은 본문입니다.</p>")) is None
    assert body_hash(api(body_html=f"<p>{LONG}</p><p>한 문장 더.</p>")) != body_hash(a)


def test_dedupe_key_is_title_kst_day_and_ministry() -> None:
    a = api()
    assert dedupe_key(a) is not None
    # The "[부처]" prefix, spacing and punctuation do not matter; the KST day does.
    assert dedupe_key(a.with_changes(title="청년 주거 지원 방안, 마련… 내년부터 시행!")) == dedupe_key(a)
    late_utc = a.with_changes(published_at=datetime(2026, 11, 19, 14, 59, tzinfo=UTC))  # 23:59 KST
    assert dedupe_key(late_utc) == dedupe_key(a)
    assert dedupe_key(a.with_changes(published_at=a.published_at + timedelta(days=1))) != dedupe_key(a)
    assert dedupe_key(a.with_changes(ministry="교육부")) != dedupe_key(a)
    assert dedupe_key(a.with_changes(ministry=None)) is None
    assert dedupe_key(a.with_changes(title="[국토교통부] 정례 브리핑")) is None  # too short to tell apart


def twin(**changes: object) -> Article:
    return api(external_id="156780099", url=URL.replace(NEWS_ID, "156780099")).with_changes(**changes)


@pytest.mark.parametrize(
    ("other", "same"),
    [
        (twin(), True),  # the same release, later id
        # A long body shared under another title is no evidence (feeds' boilerplate, issue 12.3).
        (twin(title="전혀 다른 제목입니다만 본문은 같음"), False),
        (twin(title="청년 주거 지원 방안 마련... 내년부터 시행"), True),  # same body and normalised title
        (
            twin(body_html=f"<p>{LONG}</p><p>붙임 자료를 참고하기 바랍니다.</p>"),
            True,
        ),  # same title, ~same body
        (twin(body_html="<p>첨부 파일 참조</p>"), True),  # same title/day/ministry, a shell body
        # Near misses, never merged:
        (twin(body_html="<p>" + "교육부는 새 학기 늘봄학교 운영 계획을 안내했다. " * 10 + "</p>"), False),
        (twin(published_at=api().published_at + timedelta(days=30)), False),  # same text a month later
        (twin(title="다른 제목", body_html="<p>짧은 같은 글</p>"), False),  # short bodies prove nothing
        (twin(published_at=api().published_at + timedelta(days=1)), True),  # body hash and title
        (twin(title="다른 제목", published_at=api().published_at + timedelta(days=1)), False),
        (twin(title="[국토교통부] 정례 브리핑", body_html="<p>짧음</p>"), False),  # generic title
        (api(), False),  # the same id is not a duplicate of itself
        (twin(source="feed:x"), False),
    ],
)
def test_same_document(other: Article, same: bool) -> None:
    assert same_document(api(), other) is same


def test_an_attachment_s_file_id_and_viewer_page_are_not_content() -> None:
    # Hashes stored before attachments carried these fields must stay equal after an upgrade.
    url = "https://www.korea.kr/common/download.do?fileId=1"
    before = page(attachments=(Attachment(name="a.hwpx", url=url, extension="hwpx"),))
    found_again = page(
        attachments=(
            Attachment(
                name="a.hwpx",
                url=url,
                extension="hwpx",
                file_id="1",
                viewer_url="https://www.korea.kr/common/docViewer.do?fileId=1",
            ),
        )
    )
    renamed = page(attachments=(Attachment(name="b.hwpx", url=url, extension="hwpx"),))
    assert content_hash(found_again) == content_hash(before)
    assert content_hash(renamed) != content_hash(before)
