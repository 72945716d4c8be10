"""Korean labels and KST formatting for the web pages (Jinja filters)."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.article import KST

RUN_STATUS = {
    "queued": "대기",
    "running": "진행 중",
    "succeeded": "완료",
    "failed": "실패",
    "interrupted": "중단됨",
}
SOURCE_STATUS = {
    "ok": "정상",
    "error": "오류",
    "drift": "구조 변화 감지",
    "dead": "응답 없음",
}
TRIGGER = {
    "scheduled": "예약",
    "catch_up": "따라잡기",
    "api": "API",
    "web": "웹",
    "manual": "수동",
    "cli": "명령줄",
    "backfill": "과거 수집",
}
SECTION = {
    "policy": "정책뉴스",
    "press": "보도자료",
    "briefing": "브리핑룸",
    "fact": "사실은 이렇습니다",
}
FIELD = {
    "title": "제목",
    "subtitles": "부제",
    "body_html": "본문",
    "published_at": "게시일",
    "ministry": "부처",
    "tags": "태그",
    "images": "이미지",
    "attachments": "첨부파일",
    "contact": "문의처",
    "license_type": "이용허락",
    "license_text_only": "이용허락 범위",
    "url": "주소",
    "aliases": "별칭",
}
LICENSES = {1: "공공누리 제1유형", 2: "공공누리 제2유형", 3: "공공누리 제3유형", 4: "공공누리 제4유형"}


def kst(value: datetime | None, with_time: bool = True) -> str:
    """A moment as Seoul time: 2026-11-20 09:30; '-' for none."""
    if value is None:
        return "-"
    if value.tzinfo is None:  # stored times are UTC; SQLite may hand them back naive
        value = value.replace(tzinfo=UTC)
    local = value.astimezone(KST)
    return local.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")


def duration(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None:
        return "-"
    seconds = max(0, int((end - start).total_seconds()))
    if seconds < 60:
        return f"{seconds}초"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}분 {seconds}초"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}시간 {minutes}분"


def label(table: dict[str, str], key: object) -> str:
    return table.get(str(key), str(key))


def license_label(kind: int | None) -> str:
    return LICENSES.get(kind, "표시 없음") if kind else "표시 없음"


def number(value: int) -> str:
    return f"{value:,}"
