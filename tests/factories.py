"""Small builders for test articles."""

from __future__ import annotations

from datetime import datetime, timedelta

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
