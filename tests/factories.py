"""Small builders for test articles."""

from __future__ import annotations

from datetime import datetime, timedelta

from crawler.posts.export import ExportItem
from crawler.posts.normalize import normalize
from crawler.posts.profile import Profile
from domain.article import KST, Article


def make_article(n: int = 1, **changes: object) -> Article:
    base = Article(
        source="korea_kr",
        external_id=str(148900000 + n),
        url=f"https://www.korea.kr/news/policyNewsView.do?newsId={148900000 + n}",
        section="policy",
        title=f"정책 기사 {n}",
        published_at=datetime(2026, 11, 20, 9, 0, tzinfo=KST) + timedelta(hours=n),
        body_html=f"<p>기사 {n}의 본문입니다.</p>",
        subtitles=(f"부제 {n}",),
        ministry="산업통상자원부",
        rep_code="A00007",
        tags=("정책",),
        license_type=1,
        license_text_only=True,
    )
    return base.with_changes(**changes) if changes else base


def export_item(
    external_id: str = "148900001",
    *,
    title: str | None = None,
    body: str = "<p>본문이다.</p>",
    day: int = 12,
    license_type: int | None = 1,
    embargo_until: datetime | None = None,
    profile: Profile | None = None,
) -> ExportItem:
    """One rendered post ready for export or publish (title defaults to one naming the id)."""
    article = Article(
        source="korea_kr",
        external_id=external_id,
        url=f"https://www.korea.kr/news/policyNewsView.do?newsId={external_id}",
        section="policy",
        title=title or f"정책 소식 {external_id}",
        published_at=datetime(2026, 5, day, 14, 5, tzinfo=KST),
        body_html=body,
        license_type=license_type,
        embargo_until=embargo_until,
    )
    return ExportItem(
        source=article.source,
        external_id=article.external_id,
        post=normalize(article, profile or Profile()),
        license_type=license_type,
        embargo_until=embargo_until,
    )
