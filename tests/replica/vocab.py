"""Word lists and Korean grammar helpers the replica's text generator draws from."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Ministry:
    rep_code: str
    name: str
    short: str  # the bracketed prefix headlines use, e.g. "[산업부]"
    head: str  # who gets quoted
    departments: tuple[str, ...]
    phone_prefix: str
    topics: tuple[str, ...]


MINISTRIES: tuple[Ministry, ...] = (
    Ministry("A00007", "산업통상자원부", "산업부", "산업통상자원부 장관",
             ("기계로봇제조정책과", "반도체과", "수출입과"), "044-203",
             ("자율제조", "AI 반도체", "수출 지원", "원전 생태계", "수소 경제")),
    Ministry("A00005", "국방부", "국방부", "국방부 장관",
             ("국방정책과", "전력정책과", "방산수출지원과"), "02-748",
             ("국방 혁신", "방산 수출", "사이버 보안")),
    Ministry("B00003", "관세청", "관세청", "관세청장",
             ("통관기획과", "국제협력과", "전자통관심사과"), "042-481",
             ("통관 절차", "해외 직구", "수출 지원")),
    Ministry("A00002", "기획재정부", "기재부", "기획재정부 차관",
             ("예산총괄과", "재정정책과", "경제정책과"), "044-215",
             ("내년 예산", "재정 건전성", "소상공인 지원", "지역 균형발전")),
    Ministry("A00014", "과학기술정보통신부", "과기정통부", "과학기술정보통신부 장관",
             ("인공지능기반정책과", "연구개발정책과", "디지털포용정책팀"), "044-202",
             ("인공지능", "디지털 전환", "기초연구", "공공데이터")),
    Ministry("A00013", "고용노동부", "고용부", "고용노동부 장관",
             ("청년고용정책과", "노동시장정책과", "고용서비스기획과"), "044-202",
             ("청년 일자리", "돌봄 서비스", "직업 훈련")),
    Ministry("A00009", "농림축산식품부", "농식품부", "농림축산식품부 장관",
             ("스마트농업정책과", "식량정책과", "농촌정책과"), "044-201",
             ("스마트 농업", "탄소중립", "먹거리 안전")),
    Ministry("A00015", "행정안전부", "행안부", "행정안전부 장관",
             ("재난안전정책과", "공공데이터정책과", "지역균형발전과"), "044-205",
             ("재난 안전", "공공데이터", "지역 균형발전")),
)

PLANS = ("종합계획", "추진전략", "지원방안", "혁신방안", "실행계획", "개선방안", "로드맵", "활성화 대책")
PLACES = ("세종", "서울", "부산", "대전", "광주", "창원", "울산", "인천", "청주", "강릉")
EVENTS = ("현장 간담회", "정책 설명회", "업무협약식", "성과 보고회", "전문가 토론회", "민관 합동 회의")
GOALS = ("국민 체감 성과", "산업 경쟁력 강화", "지역 일자리 창출", "안전한 일상", "공정한 시장 질서",
         "미래 성장동력 확보")
GROUPS = ("중소기업", "청년", "소상공인", "지방자치단체", "연구기관", "현장 근로자", "농업인")

# Offered by the list and article sidebars for ids that do not exist in the site.
SIDEBAR_FILLER = (
    "이번 주 달라지는 제도 한눈에 보기",
    "정책 NOW: 겨울철 난방비 지원 총정리",
    "카드뉴스로 보는 청년 지원 정책",
    "국민이 묻고 정부가 답하다",
)


def _final_consonant(word: str) -> int:
    """Index (in Unicode's jongseong order) of the final consonant the word is read with; 0 = none."""
    word = word.rstrip()
    if word.endswith(")") and "(" in word:
        # A parenthetical gloss is skipped: particles follow the main word, "인공지능(AI)을".
        word = word[: word.rindex("(")]
    if not word:
        return 0
    ch = word[-1]
    if "가" <= ch <= "힣":
        return (ord(ch) - 0xAC00) % 28
    # Digits and Latin letters as read aloud: 일, 삼, 육, 칠, 팔, 영; 엘, 엠, 엔, 알 ("AI" = 에이아이: none).
    return _SPOKEN_FINALS.get(ch.upper(), 0)


_SPOKEN_FINALS = {"0": 21, "1": 8, "3": 16, "6": 1, "7": 8, "8": 8, "L": 8, "M": 16, "N": 4, "R": 8}


def josa(word: str, pair: str) -> str:
    """`word` with the right form of a particle pair such as "을/를", "은/는", "이/가", "과/와", "으로/로"."""
    with_final, without_final = pair.split("/")
    final = _final_consonant(word)
    if pair == "으로/로" and final == 8:  # ㄹ takes 로: "서울로"
        return word + without_final
    return word + (with_final if final else without_final)
