"""The replica's briefing room: press releases, briefings and fact-checks (spec §5.3-§5.5), and their truth.

Built deterministically next to the policy news, from streams of their own, so adding them never
changes a policy-news article.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from .generator import _publication_times, _sentences, _Words
from .model import KST, WWW, ReplicaAttachment, download_url, paragraph_texts
from .vocab import josa

PRESS_FIRST_ID = 156_780_000
BRIEFING_FIRST_ID = 156_790_000
FACT_FIRST_ID = 148_500_000
PRESS_FIRST_FILE = 310_000
FACT_FIRST_FILE = 410_000
SPEAKER_NAMES = ("김하늘", "이서준", "박지민", "최도윤", "정서연", "한유진")
SPEAKER_ROLES = ("대변인", "차관", "제1차관", "실장")

# List and view paths per section (desktop, /briefing/ prefix).
PATHS = {
    "press": ("/briefing/pressReleaseList.do", "/briefing/pressReleaseView.do"),
    "briefing": ("/briefing/policyBriefingList.do", "/briefing/policyBriefingView.do"),
    "fact": ("/briefing/actuallyList.do", "/briefing/actuallyView.do"),
}
HEADINGS = {"press": "보도자료", "briefing": "브리핑룸", "fact": "사실은 이렇습니다"}
# GUESS, mirrored from the crawler's rule: 조간 = 06:00 KST, 석간 = 12:00 KST of the tagged day.
EMBARGO_TIMES = {"조간": time(6, 0), "석간": time(12, 0)}


@dataclass(frozen=True)
class RoomItem:
    """One press release, briefing or fact-check: what a correct crawler must store.

    `body_paragraphs` are the body's texts in order, without the contact line (see `contact`);
    `body_source` is where a correct crawler finds them: "viewer" (converted pages), "hwpx",
    "hwp" (an HWP 5 binary), "pdf", "page" (inline in the page) or "list" (the fact-check list's
    full text). `host` is where the site serves the page: "www", or "admin2" (a press release in
    the layout admin2.korea.kr serves, no .view_title/.variety, and linked from the list with
    that host; spec §13.1).
    """

    news_id: str
    section: str
    title: str
    published_at: datetime
    ministry: str
    rep_code: str
    body_paragraphs: tuple[str, ...]
    contact: str | None
    body_source: str
    attachments: tuple[ReplicaAttachment, ...] = ()
    license_type: int | None = 1
    license_text_only: bool = True
    # Press releases and fact-checks: the viewer behind the iframe ("pages", "missing" = 404,
    # "placeholder" = one page saying only that the text is elsewhere), pages it has, and
    # whether the page carries the text itself (the older inline layout, no iframe).
    viewer: str = "missing"
    viewer_pages: int = 0
    inline: bool = False
    embargo_until: datetime | None = None
    # Briefings: who speaks; whether the transcript opens with "<speaker>"; what the page's
    # div.info shows besides the date (the list's presenter column always names the speaker).
    speaker: str | None = None
    speaker_in_body: bool = True
    page_speaker: bool = True
    page_ministry: bool = True  # the page links the ministry (else only the list names it)
    list_lines: tuple[str, ...] = ()  # fact-checks: the list row's text, whole or a preview
    pinned: bool = False
    modified_at: datetime | None = None
    host: str = "www"

    @property
    def canonical_url(self) -> str:
        return f"{WWW}{PATHS[self.section][1]}?newsId={self.news_id}"

    @property
    def day(self) -> date:
        return self.published_at.astimezone(KST).date()

    @property
    def last_modified(self) -> datetime:
        return self.modified_at or self.published_at

    @property
    def fn(self) -> str:
        """The viewer's document name (32 hex digits, like the real converter's)."""
        return hashlib.sha256(f"viewer:{self.news_id}".encode()).hexdigest()[:32]

    @property
    def rs(self) -> str:
        return f"/docViewer/result/{self.published_at:%Y.%m}/{self.published_at:%d}/{self.fn}"

    def document_paragraphs(self) -> tuple[str, ...]:
        """What the attachments and viewer pages say: the body, then the contact line."""
        return self.body_paragraphs + ((f"문의 : {self.contact}",) if self.contact else ())

    def to_json(self) -> dict[str, object]:
        data = dataclasses.asdict(self)
        data["attachments"] = [list(a) for a in self.attachments]
        for key in ("published_at", "embargo_until"):
            data[key] = getattr(self, key).isoformat() if getattr(self, key) else None
        data["modified_at"] = self.last_modified.isoformat()
        data["canonical_url"] = self.canonical_url
        for key in ("body_paragraphs", "list_lines"):
            data[key] = list(data[key])
        return data

    def etag(self, *flags: str) -> str:
        blob = json.dumps([self.to_json(), sorted(flags)], ensure_ascii=False, sort_keys=True)
        return '"' + hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32] + '"'

    def with_changes(self, *, title: str | None = None, body_append: str | None = None,
                     subtitles: list[str] | None = None, now: datetime) -> RoomItem:
        if subtitles is not None:
            raise ValueError("briefing-room items have no subtitles")
        changes: dict[str, object] = {}
        if title is not None:
            changes["title"] = title
        if body_append:
            added = paragraph_texts(body_append)
            changes["body_paragraphs"] = self.body_paragraphs + added
            if self.list_lines and self.body_source == "list":
                changes["list_lines"] = self.list_lines[:-1] + added + self.list_lines[-1:]
        modified = max(now, self.last_modified + timedelta(seconds=1)).replace(microsecond=0)
        return dataclasses.replace(self, modified_at=modified, **changes)  # type: ignore[arg-type]


def build_room(*, start: date, days: int, seed: int, press: int, briefings: int,
               facts: int) -> tuple[tuple[RoomItem, ...], tuple[RoomItem, ...], tuple[RoomItem, ...]]:
    """(press releases, briefings, fact-checks), each oldest first."""
    return (
        _build(start, days, seed, "press", press, PRESS_FIRST_ID, _press),
        _build(start, days, seed, "briefing", briefings, BRIEFING_FIRST_ID, _briefing),
        _build(start, days, seed, "fact", facts, FACT_FIRST_ID, _fact),
    )


def _build(start: date, days: int, seed: int, section: str, count: int, first_id: int,
           make: object) -> tuple[RoomItem, ...]:
    if count <= 0:
        return ()
    rng = random.Random(f"{seed}:{section}")
    times = _publication_times(rng, count, start, days)
    news_id = first_id
    built = []
    for i, published_at in enumerate(times):
        news_id += rng.randint(3, 200)
        built.append(make(random.Random(f"{seed}:{section}:{i}"), i, str(news_id), published_at))  # type: ignore[operator]
    return tuple(built)


def _contact(rng: random.Random, w: _Words) -> str:
    m = w.ministry
    return f"{m.name} {rng.choice(m.departments)}({m.phone_prefix}-{rng.randint(1000, 9999)})"


def embargo_name(day: date, edition: str) -> str:
    return f"{day:%y%m%d}({edition}) "


def _press(rng: random.Random, i: int, news_id: str, published_at: datetime) -> RoomItem:
    w = _Words.draw(rng)
    title = (f"{w.topic} {w.plan} 발표", f"[{w.ministry.short}] {w.topic} 지원 {rng.randint(2, 40)}% 확대",
             f"{josa(w.group, '을/를')} 위한 {w.topic} {w.plan} 시행")[i % 3]
    sentences = _sentences(rng, w, published_at.date(), 6)
    # Words and punctuation that a converter splits over spans: "기후부, 반도체" must survive.
    paragraphs = (f"{w.ministry.short}, {w.topic}·{w.other} 분야 {w.plan} 추진", *sentences)
    embargo, tag = None, ""
    if i % 3 == 1:  # the morning papers of the next day
        day = published_at.date() + timedelta(days=1)
        embargo, tag = datetime.combine(day, EMBARGO_TIMES["조간"], tzinfo=KST), embargo_name(day, "조간")
    elif i % 5 == 3:  # the evening papers of the same day
        day = published_at.date()
        embargo, tag = datetime.combine(day, EMBARGO_TIMES["석간"], tzinfo=KST), embargo_name(day, "석간")
    stem = f"{tag}{w.topic} {w.plan}({rng.choice(w.ministry.departments)})"
    variant = i % 4
    kinds = ["hwpx", "pdf"] if variant != 2 else ["pdf"]
    viewer, pages, source = {0: ("pages", 2, "viewer"), 1: ("missing", 0, "hwpx"),
                             2: ("placeholder", 1, "pdf"), 3: ("pages", 3, "viewer")}[variant]
    # HWP 5 binaries (about a fifth of real attachments, spec §13): one release has nothing else,
    # one pairs it with a PDF; without viewer text both take the HWP's (HWPX > HWP > PDF).
    if i == 5:
        kinds, source = ["hwp"], "hwp"
    elif i == 9:
        kinds, source = ["hwp", "pdf"], "hwp"
    names = [f"{stem}.{k}" for k in kinds] + (["사진 1.jpg"] if variant == 3 else [])
    attachments = tuple(
        ReplicaAttachment(name, download_url(PRESS_FIRST_FILE + i * 10 + k), name.rsplit(".")[-1])
        for k, name in enumerate(names))
    inline = i == 6  # one release in the older layout: text in the page, no iframe
    if inline:
        viewer, pages, source = "missing", 0, "page"
    return RoomItem(
        news_id=news_id, section="press", title=title, published_at=published_at,
        ministry=w.ministry.name, rep_code=w.ministry.rep_code, body_paragraphs=paragraphs,
        contact=_contact(rng, w), body_source=source, attachments=attachments, viewer=viewer,
        viewer_pages=pages, inline=inline, embargo_until=embargo,
        license_type=4 if i % 7 == 5 else 1, license_text_only=i % 7 != 5,
        host="admin2" if i % 6 == 4 else "www",
    )


def _briefing(rng: random.Random, i: int, news_id: str, published_at: datetime) -> RoomItem:
    w = _Words.draw(rng)
    speaker = f"{rng.choice(SPEAKER_NAMES)} {w.ministry.name} {rng.choice(SPEAKER_ROLES)}"
    title = (f"{w.topic} {w.plan} 관련 브리핑", f"{w.ministry.name} 정례 브리핑",
             f"{w.event} 결과 브리핑")[i % 3]
    said = _sentences(rng, w, published_at.date(), 5)
    lines = [f"<{speaker}>", "안녕하십니까. " + said[0], said[1], "2쪽입니다.", said[2], "<질의응답>",
             f"[질문] {w.topic} 예산은 어느 정도 규모입니까?", f"[답변] {said[3]}",
             "※ 본 내용은 현장 상황에 따라 실제 발언과 다를 수 있음을 알려드립니다."]
    in_body = i % 3 != 2
    return RoomItem(
        news_id=news_id, section="briefing", title=title, published_at=published_at,
        ministry=w.ministry.name, rep_code=w.ministry.rep_code,
        body_paragraphs=tuple(lines if in_body else lines[1:]), contact=None, body_source="page",
        viewer="none", speaker=speaker, speaker_in_body=in_body, page_speaker=i % 4 != 1,
        page_ministry=i % 2 == 0,
    )


def _fact(rng: random.Random, i: int, news_id: str, published_at: datetime) -> RoomItem:
    w = _Words.draw(rng)
    m = w.ministry
    day = published_at.date()
    title = f"\"{w.topic} 중단\" 보도는 사실과 다릅니다" if i % 2 else f"{w.topic} {w.plan} 축소 보도 관련"
    earlier = day - timedelta(days=1)
    report = ["[보도 내용]",
              f"한 언론은 {earlier.month}월 {earlier.day}일 「{w.topic} 끊긴다」 제하의 기사에서 "
              f"정부가 내년부터 {w.topic} 예산을 없앤다고 보도"]
    explanation = [f"[{m.name} 설명]", *_sentences(rng, w, day, 2),
                   f"{josa(m.name, '은/는')} {w.topic} 예산을 없앨 계획이 없으며, 오히려 "
                   f"{w.group} 지원을 {rng.randint(3, 30)}% 늘릴 예정입니다."]
    contact = _contact(rng, w)
    body = tuple(report + explanation)
    full = (*body, f"문의 : {contact} {day:%Y.%m.%d} {m.name}")
    preview_only = i % 4 == 3  # this list row shows a preview: the text comes from the PDF
    preview = (" ".join(body)[:70].rstrip() + "…",)
    name = f"{w.topic} 보도 관련 설명자료({rng.choice(m.departments)}).pdf"
    attachments = (ReplicaAttachment(name, download_url(FACT_FIRST_FILE + i * 10), "pdf"),)
    return RoomItem(
        news_id=news_id, section="fact", title=title, published_at=published_at, ministry=m.name,
        rep_code=m.rep_code, body_paragraphs=body, contact=contact,
        body_source="pdf" if preview_only else "list", attachments=attachments, viewer="missing",
        list_lines=preview if preview_only else full,
    )
