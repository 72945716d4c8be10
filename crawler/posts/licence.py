"""The attribution line: the article's own KOGL type and conditions, in its own section's words.

KOGL (공공누리) types: 1 출처표시; 2 출처표시+상업적 이용금지; 3 출처표시+변경금지;
4 출처표시+상업적 이용금지+변경금지. A post never states type 1's wording for another type, and a
licence that covers the text only says so (the body then carries no images; see `body.drop_images`).
The type 1 policy-news line is the seed post's, byte for byte.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from domain.article import Article

KOGL_CONDITIONS: dict[int, str] = {
    1: "출처표시",
    2: "출처표시+상업적 이용금지",
    3: "출처표시+변경금지",
    4: "출처표시+상업적 이용금지+변경금지",
}
# What the type allows, said the way the seed says type 1's (every type requires the source named).
_USE: dict[int, str] = {
    1: "자유롭게 이용이 가능하며",
    2: "비상업적 목적으로만 이용이 가능하며",
    3: "내용을 변경하지 않는 범위에서 이용이 가능하며",
    4: "비상업적 목적으로, 내용을 변경하지 않는 범위에서만 이용이 가능하며",
}
_NAME_THE_SOURCE = "출처를 반드시 표기해주셔야 합니다."
_TEXT_ONLY = " 이 조건은 텍스트에 한하며, 사진·이미지는 싣지 않았습니다."

# The section's own name for its material (korea.kr menus): the parser's section keys.
SECTION_MATERIAL: dict[str, str] = {
    "policy": "정책뉴스자료",
    "press": "보도자료",
    "briefing": "브리핑룸 자료",
    "cabinet": "브리핑룸 자료",  # 국무회의 브리핑, listed in the briefing room
    "fact": "「사실은 이렇습니다」 자료",
}
_OTHER_MATERIAL = "자료"
_KOREA_KR = "정책브리핑"


def attribution(article: Article) -> str:
    """The plain-text attribution sentence for `article` (its KOGL type, text-only flag, section)."""
    who = f"{publisher(article)}의 {SECTION_MATERIAL.get(article.section, _OTHER_MATERIAL)}"
    kogl = article.license_type
    if kogl is None or kogl not in KOGL_CONDITIONS:
        # Only exported with --all-licenses: say plainly that nothing grants reuse.
        return f"{who}로, 공공누리 유형이 표시되어 있지 않습니다. 이용 조건은 원문에서 확인해 주세요."
    licence = f"「공공누리 제{kogl}유형:{KOGL_CONDITIONS[kogl]}」"
    sentence = f"{who}는 {licence}의 조건에 따라 {_USE[kogl]}, {_NAME_THE_SOURCE}"
    return sentence + _TEXT_ONLY if article.license_text_only else sentence


def publisher(article: Article) -> str:
    """정책브리핑 for korea.kr articles (page or API); else the host the article came from."""
    if article.source == "korea_kr":
        return _KOREA_KR
    host = urlsplit(article.url).hostname or ""
    return host.removeprefix("www.") or article.source
