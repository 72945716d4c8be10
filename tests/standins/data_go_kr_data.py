"""What the data.go.kr stand-in serves: deterministic NewsItems and the XML the API answers with.

Policy news mirrors the korea.kr replica built with the same arguments (same newsIds, titles,
bodies), so an API crawl and an HTML crawl of the replica find the same articles. Press
releases are generated here, including one release posted twice under two newsIds (a
duplicate) and a near-miss: the same title, day and ministry with a different body.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from tests.replica.generator import build_site
from tests.replica.model import ReplicaArticle

KST = ZoneInfo("Asia/Seoul")
FIRST_PRESS_ID = 156_780_000
MINISTRIES = ("국토교통부", "보건복지부", "산업통상자원부", "환경부", "교육부", "행정안전부")
TOPICS = ("청년 주거 지원", "지역 의료 강화", "수출 바우처", "탄소중립 산단", "늘봄학교", "재난 문자 개선")
# One paragraph is long enough on its own for duplicate detection by body hash.
FILLER = (
    "이번 조치는 관계 부처와 지방자치단체, 민간 전문가가 함께 마련한 것으로, 현장의 의견을 반영해 "
    "제도 전반을 손질하고 지원 대상과 절차를 국민이 알기 쉽게 정리했다. 정부는 시행 상황을 "
    "분기마다 점검하고, 보완이 필요한 부분은 즉시 개선할 계획이다."
)
FILLER_2 = (
    "세부 내용은 붙임 자료와 누리집 공지를 통해 확인할 수 있으며, 신청과 문의는 가까운 주민센터와 "
    "전용 상담 창구에서 받는다. 관계 기관은 안내 자료를 배포하고 설명회를 열어 제도를 알릴 예정이다."
)


@dataclass(frozen=True)
class NewsItem:
    """One API item as the stand-in serves it (values already in the API's own formats)."""

    news_id: str
    section: str  # policy | press
    title: str
    approve: datetime  # aware, KST
    body: str
    contents_type: str = "H"  # H = HTML, T = text
    subtitles: tuple[str, ...] = ()
    ministry: str = ""
    kogl: str = "1"
    embargo: datetime | None = None
    files: tuple[tuple[str, str], ...] = ()  # (name, url)
    original_path: str = "/briefing/pressReleaseView.do"
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def day(self) -> date:
        return self.approve.astimezone(KST).date()


def build_items(
    *, start: date, days: int, articles: int = 60, seed: int = 1, press: int = 12
) -> list[NewsItem]:
    """Every item the stand-in knows: the replica's policy news, then `press` press releases."""
    site = build_site(articles=articles, start=start, days=days, seed=seed)
    items = [_from_replica(a) for a in site.articles if a.section == "policy"]
    items.extend(_press_releases(start=start, days=days, count=press, seed=seed))
    return items


def _from_replica(a: ReplicaArticle) -> NewsItem:
    return NewsItem(
        news_id=a.news_id,
        section="policy",
        title=a.title,
        approve=a.published_at,
        body=a.body_html,
        subtitles=tuple(a.subtitles)[:3],
        ministry=a.ministry,
        kogl=str(a.license_type or ""),
        original_path="/news/policyNewsView.do",
        extra={"GroupingCode": "policy"},
    )


def _press_releases(*, start: date, days: int, count: int, seed: int) -> list[NewsItem]:
    if count < 1:
        return []
    rng = random.Random(f"press:{seed}")
    items: list[NewsItem] = []
    for i in range(count):
        day = start + timedelta(days=i % days)
        approve = datetime.combine(day, time(9 + i % 8, 5 * (i % 12), 0), KST)
        ministry = MINISTRIES[i % len(MINISTRIES)]
        topic = TOPICS[rng.randrange(len(TOPICS))]
        title = f"{topic} 방안 마련…{ministry} {i + 1}차 추진 계획 발표"
        paragraphs = (
            f"{ministry}는 {day:%m월 %d일} {topic} 방안을 발표했다.",
            FILLER,
            FILLER_2,
            f"문의: {ministry} 대변인실",
        )
        text_kind = i % 3 == 2
        body = "\n".join(paragraphs) if text_kind else "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
        files = tuple(
            (
                f"{title[:12]} 보도자료{n}.{ext}",
                f"/common/download.do?fileId={190_000_000 + i * 10 + n}&tblKey=GMN",
            )
            for n, ext in enumerate(("hwpx", "pdf")[: 1 + i % 2], start=1)
        )
        items.append(
            NewsItem(
                news_id=str(FIRST_PRESS_ID + i * 37),
                section="press",
                title=title,
                approve=approve,
                body=body,
                contents_type="T" if text_kind else "H",
                subtitles=(f"{topic} 대상 확대", "현장 의견 반영") if i % 2 else (),
                ministry=ministry,
                kogl=("1", "제1유형", "KOGL4")[i % 3],
                embargo=approve + timedelta(hours=3) if i % 4 == 1 else None,
                files=files,
            )
        )
    first = items[0]
    # The same release posted again under a later newsId (spec §2): one article, two ids.
    items.append(_copy(first, news_id=str(FIRST_PRESS_ID + count * 37 + 1), minutes=40))
    # A near-miss: same title, day and ministry, but another text. Two articles.
    items.append(
        _copy(
            first,
            news_id=str(FIRST_PRESS_ID + count * 37 + 2),
            minutes=90,
            body="<p>"
            + escape(f"{first.ministry}는 같은 제목의 다른 자료로 후속 일정을 안내했다. " * 12)
            + "</p>",
        )
    )
    return items


def _copy(item: NewsItem, *, news_id: str, minutes: int, body: str | None = None) -> NewsItem:
    return NewsItem(
        news_id=news_id,
        section=item.section,
        title=item.title,
        approve=item.approve + timedelta(minutes=minutes),
        body=item.body if body is None else body,
        contents_type=item.contents_type if body is None else "H",
        subtitles=item.subtitles,
        ministry=item.ministry,
        kogl=item.kogl,
        files=item.files,
    )


# --- XML ----------------------------------------------------------------------------------------


def _stamp(value: datetime | None) -> str:
    return value.astimezone(KST).strftime("%m/%d/%Y %H:%M:%S") if value else ""


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def item_xml(item: NewsItem) -> str:
    parts = [
        f"<NewsItemId>{item.news_id}</NewsItemId>",
        "<ContentsStatus>I</ContentsStatus>",
        f"<ModifyDate>{_stamp(item.approve)}</ModifyDate>",
        f"<ApproveDate>{_stamp(item.approve)}</ApproveDate>",
        "<ApproverName>정책브리핑</ApproverName>",
        f"<EmbargoDate>{_stamp(item.embargo)}</EmbargoDate>",
        f"<Title>{_cdata(item.title)}</Title>",
        *(f"<SubTitle{n}>{_cdata(s)}</SubTitle{n}>" for n, s in enumerate((*item.subtitles, "", "")[:3], 1)),
        f"<ContentsType>{item.contents_type}</ContentsType>",
        f"<DataContents>{_cdata(item.body)}</DataContents>",
        f"<MinisterCode>{escape(item.ministry)}</MinisterCode>",
        # http and a tracking parameter, as the API hands them out: a crawler canonicalises.
        f"<OriginalUrl>{_cdata(f'http://www.korea.kr{item.original_path}?newsId={item.news_id}&call_from=openapi')}"
        "</OriginalUrl>",
        f"<KoglType>{escape(item.kogl)}</KoglType>",
        *(f"<{k}>{escape(v)}</{k}>" for k, v in item.extra.items()),
    ]
    for name, url in item.files:
        parts.append(
            f"<FileName>{escape(name)}</FileName><FileUrl>{_cdata('https://www.korea.kr' + url)}</FileUrl>"
        )
    return "<NewsItem>" + "".join(parts) + "</NewsItem>"


def page_xml(items: list[NewsItem], *, total: int, page: int, rows: int, wrapped: bool = True) -> str:
    """The usual data.go.kr envelope (a GUESS for this API). `wrapped=False` puts the items
    straight under <body>, as one public client says the real policy-news answer does."""
    inner = "".join(item_xml(i) for i in items)
    listing = f"<items>{inner}</items>" if wrapped else inner
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        "<response><header><resultCode>0</resultCode><resultMsg>NORMAL_SERVICE</resultMsg></header>"
        f"<body>{listing}<numOfRows>{rows}</numOfRows><pageNo>{page}</pageNo>"
        f"<totalCount>{total}</totalCount></body></response>"
    )


def result_error_xml(code: str, message: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f"<response><header><resultCode>{code}</resultCode><resultMsg>{escape(message)}</resultMsg></header></response>"
    )


def gateway_error_xml(auth_message: str, reason_code: str) -> str:
    return (
        "<OpenAPI_ServiceResponse><cmmMsgHeader><errMsg>SERVICE ERROR</errMsg>"
        f"<returnAuthMsg>{auth_message}</returnAuthMsg><returnReasonCode>{reason_code}</returnReasonCode>"
        "</cmmMsgHeader></OpenAPI_ServiceResponse>"
    )
