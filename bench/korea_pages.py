"""Article pages the size and shape of korea.kr's: the replica's article inside a full site chrome.

korea.kr's article pages are 50–70 KiB, most of it site chrome around a few KiB of article
(docs/spec/korea-kr.md §5.1: header, menus, the rotating `aside.as_side` sidebar "실시간
인기뉴스 / 정책 NOW / 최신뉴스", the article footer, share and comment widgets, the site footer
with "행정부처 바로가기"). The replica serves the article skeleton with almost no chrome (7.8 KiB
on average), which flatters every parser that walks the whole document. This module writes
its own chrome, from that description only (no markup copied from the site): stylesheet and
script tags, an inline analytics snippet, a desktop mega-menu, the same menu for mobile, a
sidebar with three ranked lists and thumbnails, related-news lists under the article, a
footer with the ministries and a site map. The article parts (title, info line, body,
attachments, licence) are the replica's, untouched; `check` proves the parser reads the same
article from both pages.
"""

from __future__ import annotations

import random
from html import escape

from bench.corpus import _replica_words
from tests.replica.vocab import MINISTRIES

PLANS = tuple(_replica_words())  # words the replica's articles use

# (menu, [(sub-menu, [items])]): the site's five top menus, three levels deep.
MENUS: tuple[tuple[str, tuple[tuple[str, tuple[str, ...]], ...]], ...] = (
    ("뉴스", (
        ("정책뉴스", ("경제", "사회", "문화", "정치·외교·안보", "전체")),
        ("부처별 뉴스", ("중앙행정기관", "위원회", "청·처", "지방자치단체")),
        ("기획 콘텐츠", ("연재", "심층 해설", "데이터로 본 정책", "현장 르포")),
        ("인터뷰·칼럼", ("인터뷰", "칼럼", "기고", "전문가 대담")),
        ("멀티미디어", ("사진", "영상", "카드뉴스", "한눈에 보는 정책", "웹툰")),
    )),
    ("브리핑룸", (
        ("보도자료", ("전체", "부처별", "기간별", "첨부파일 있음")),
        ("사실은 이렇습니다", ("전체", "해명자료", "설명자료")),
        ("브리핑", ("부처 브리핑", "청와대·대통령실 브리핑", "국무조정실 브리핑")),
        ("국무회의", ("회의 결과", "안건", "의결 법령")),
        ("연설문", ("대통령", "국무총리", "장관")),
    )),
    ("정책자료", (
        ("전문자료", ("연구보고서", "정책 백서", "통계 자료", "발간물")),
        ("정책위키", ("주제별", "가나다순", "최근 갱신")),
        ("정책 주간지", ("이번 호", "지난 호", "구독 신청")),
        ("정책 이슈", ("경제 활력", "민생 안정", "지역 균형", "미래 성장")),
    )),
    ("국민참여", (
        ("이벤트", ("진행 중", "당첨자 발표", "지난 이벤트")),
        ("정책 제안", ("제안하기", "제안 현황", "채택 사례")),
        ("국민 기자단", ("기자단 소개", "기사 모음", "모집 안내")),
        ("설문조사", ("진행 중", "결과 보기")),
    )),
    ("정책브리핑 소개", (
        ("소개", ("인사말", "연혁", "조직", "찾아오시는 길")),
        ("이용 안내", ("회원 가입", "뉴스레터", "RSS", "오픈 API", "저작권 정책")),
        ("고객센터", ("자주 묻는 질문", "묻고 답하기", "오류 신고", "개인정보 처리방침")),
    )),
)
AGENCIES = tuple(m.name for m in MINISTRIES) + (
    "국무조정실", "국가보훈부", "인사혁신처", "법제처", "식품의약품안전처", "공정거래위원회",
    "금융위원회", "국민권익위원회", "원자력안전위원회", "방송통신위원회", "국세청", "조달청", "통계청",
    "병무청", "방위사업청", "경찰청", "소방청", "문화재청", "농촌진흥청", "산림청", "특허청", "기상청",
    "해양경찰청", "재외동포청", "질병관리청", "새만금개발청", "행정중심복합도시건설청",
)
STYLES = ("reset", "common", "layout", "gnb", "sub", "view", "board", "swiper", "popup", "print",
          "mobile", "font", "icon", "theme", "player")
SCRIPTS = ("jquery", "jquery-ui", "swiper", "common", "gnb", "sub", "view", "share", "font-size",
           "tts", "print", "popup", "analytics", "cookie", "lazyload", "player", "comment", "search",
           "banner", "polyfill")
# An inline script of the kind sites carry for analytics and the menus (our own code).
INLINE_SCRIPT = """
window.dataLayer = window.dataLayer || [];
function track(){ dataLayer.push(arguments); }
track('js', new Date());
track('config', 'SITE-000000', { page_type: 'article', section: 'news', anonymize: true });
(function () {
  var menu = document.getElementById('gnb');
  if (!menu) { return; }
  var items = menu.querySelectorAll('li.depth1');
  for (var i = 0; i < items.length; i += 1) {
    items[i].addEventListener('mouseenter', function () { this.className += ' on'; });
    items[i].addEventListener('mouseleave', function () {
      this.className = this.className.replace(' on', '');
    });
  }
  var sizes = ['small', 'normal', 'large', 'larger', 'largest'];
  window.setFontSize = function (step) {
    var body = document.querySelector('.article_body');
    if (body) { body.setAttribute('data-size', sizes[Math.max(0, Math.min(4, step))]); }
  };
})();
"""
ICON_PATH = ("M12 2C6.48 2 2 6.48 2 12s4.48 10 10 10 10-4.48 10-10S17.52 2 12 2zm0 18c-4.41 0-8-3.59-8-8"
             "s3.59-8 8-8 8 3.59 8 8-3.59 8-8 8zm-1-13h2v6h-2zm0 8h2v2h-2z")
ICONS = ("search", "menu", "close", "home", "arrow-left", "arrow-right", "share", "print", "font",
         "listen", "facebook", "twitter", "band", "kakao", "link", "top", "rss", "mail")


def _headline(rng: random.Random) -> str:
    return " ".join(rng.sample(PLANS, 2)) + " " + rng.choice(("추진", "발표", "시행", "확대", "점검"))


def _menu(prefix: str, *, leaves_shown: bool = True) -> str:
    out = []
    for i, (top, subs) in enumerate(MENUS, 1):
        inner = []
        for j, (sub, items) in enumerate(subs, 1):
            leaves = "" if not leaves_shown else "".join(
                f'<li class="depth3"><a href="/{prefix}/m{i}{j}{k}.do?pWise={prefix}&amp;pWiseSub={i}{j}{k}" '
                f'title="{escape(top)} &gt; {escape(sub)} &gt; {escape(item)}">{escape(item)}</a></li>'
                for k, item in enumerate(items, 1))
            inner.append(f'<li class="depth2"><a href="/{prefix}/m{i}{j}.do" class="d2">{escape(sub)}</a>'
                         f'<ul class="depth3_list">{leaves}</ul></li>')
        out.append(f'<li class="depth1"><a href="/{prefix}/m{i}.do" class="d1">{escape(top)}</a>'
                   f'<div class="depth2_wrap"><ul class="depth2_list">{"".join(inner)}</ul>'
                   f'<div class="menu_banner"><a href="/{prefix}/banner{i}.do">'
                   f'<img src="/images/menu/banner{i}.png" '
                   f'alt="{escape(top)} 추천 콘텐츠"></a></div></div></li>')
    return "".join(out)


def _sprite() -> str:
    symbols = "".join(f'<symbol id="ico-{name}" viewBox="0 0 24 24"><path d="{ICON_PATH}"/></symbol>'
                      for name in ICONS)
    return f'<svg xmlns="http://www.w3.org/2000/svg" style="display:none">{symbols}</svg>'


def _news_list(css: str, title: str, rng: random.Random, count: int, *, thumbs: bool) -> str:
    items = []
    for rank in range(1, count + 1):
        nid = 148_000_000 + rng.randrange(900_000)
        thumb = (f'<span class="thumb"><img src="/newsWeb/resources/attaches/thumb/{nid}.jpg" '
                 f'alt="" loading="lazy"></span>') if thumbs else ""
        items.append(f'<li><a href="/news/policyNewsView.do?newsId={nid}'
                     f'&amp;pWise=sub&amp;pWiseSub={css}{rank}">'
                     f'<em class="rank">{rank}</em>{thumb}<span class="text">{escape(_headline(rng))}</span>'
                     f'<span class="date">2026.11.{rng.randint(1, 28):02d}</span></a></li>')
    return (f'<div class="side_box {css}"><h3 class="side_title">{escape(title)}</h3>'
            f'<ul class="side_list">{"".join(items)}</ul>'
            f'<a href="/news/{css}List.do" class="more"><svg><use href="#ico-arrow-right"/></svg>'
            "더보기</a></div>")


def _footer(rng: random.Random) -> str:
    agencies = "".join(f'<li><a href="/news/ministryNewsList.do?repCode=X{n:05d}" target="_blank" '
                       f'title="새창 열림">{escape(name)}</a></li>' for n, name in enumerate(AGENCIES))
    options = "".join(f'<option value="https://site{n}.example.go.kr">{escape(name)}</option>'
                      for n, name in enumerate(AGENCIES))
    return (f'<div class="footer_links"><div class="agency_wrap"><button type="button" class="btn_agency">'
            f'관련 기관 목록</button><ul class="agency_list">{agencies}</ul></div>'
            f'<div class="related_sites"><label for="relSite">관련 누리집</label><select id="relSite">'
            f'<option value="">선택하세요</option>{options}</select>'
            f'<button type="button">이동</button></div></div>'
            f'<nav class="sitemap"><h2 class="blind">사이트맵</h2>'
            f'<ul>{_menu("sitemap", leaves_shown=False)}</ul></nav>'
            '<div class="footer_info"><ul class="policy_links"><li><a href="/etc/privacy.do">'
            '<strong>개인정보처리방침</strong></a></li><li><a href="/etc/copyright.do">저작권 정책</a></li>'
            '<li><a href="/etc/email.do">'
            '이메일무단수집거부</a></li><li><a href="/etc/viewer.do">뷰어 내려받기</a></li></ul>'
            '<address>(우편번호 00000) 세종특별자치시 정부청사로 000 · 대표전화 000-0000-0000</address>'
            '<div class="sns_links">' + "".join(
                f'<a href="#none" class="sns_{name}"><svg><use href="#ico-{name}"/></svg>{name}</a>'
                for name in ("facebook", "twitter", "band", "kakao", "rss")) + '</div>'
            f'<p class="visit">오늘 방문 {rng.randint(10_000, 99_999):,}명</p></div>')


def with_chrome(html: str, n: int) -> str:
    """The replica's article page `html` inside a full site chrome; `n` varies the rotating parts."""
    rng = random.Random(f"chrome:{n}")
    head = ("".join(f'<link rel="stylesheet" href="/newsWeb/resources/css/{name}.css?v=20261101">'
                    for name in STYLES)
            + "".join(f'<script src="/newsWeb/resources/js/{name}.js?v=20261101"></script>'
                      for name in SCRIPTS)
            + f"<script>{INLINE_SCRIPT}</script>"
            + '<meta name="description" content="대한민국 정책브리핑: 정부 정책 뉴스와 보도자료">'
            + "".join(f'<meta property="{p}" content="정책브리핑">'
                      for p in ("og:site_name", "twitter:site")))
    mobile = (f'<div id="mobileMenu" class="m_menu" aria-hidden="true"><div class="m_top">'
              '<a href="/member/login.do">로그인</a>'
              '<button type="button" class="m_close">메뉴 닫기</button></div>'
              f'<ul class="m_gnb">{_menu("m")}</ul></div>')
    search = ('<div class="top_search"><form action="/search/search.do" method="get"><fieldset>'
              '<legend>통합검색</legend><label for="srchKwd" class="blind">검색어</label>'
              '<input type="text" id="srchKwd" name="srchKwd" placeholder="검색어를 입력하세요">'
              '<button type="submit"><svg><use href="#ico-search"/></svg>검색</button></fieldset></form>'
              '<div class="hot_keyword"><strong>인기 검색어</strong><ol>'
              + "".join(f"<li><a href=\"/search/search.do?srchKwd={k}\">{escape(w)}</a></li>"
                        for k, w in enumerate(rng.sample(PLANS, 10)))
              + "</ol></div></div>")
    related = (
        '<div class="related_news"><h3>관련 기사</h3><ul>'
        + "".join(f'<li><a href="/news/policyNewsView.do?newsId={148_000_000 + rng.randrange(900_000)}">'
                  f"{escape(_headline(rng))}</a></li>" for _ in range(8))
        + '</ul></div><div class="tag_cloud"><h3>많이 찾는 정책</h3>'
        + "".join(f'<a href="/search/search.do?tag={k}">#{escape(w)}</a>'
                  for k, w in enumerate(rng.sample(PLANS, 12)))
        + "</div>"
    )
    sidebar = ('<aside class="as_side side_extra">'
               + _news_list("popular", "실시간 인기뉴스", rng, 10, thumbs=True)
               + _news_list("policyNow", "정책 NOW", rng, 8, thumbs=True)
               + _news_list("latest", "최신뉴스", rng, 10, thumbs=False)
               + '<div class="side_banner">' + "".join(
                   f'<a href="/event/banner{k}.do">'
                   f'<img src="/images/banner/side{k}.png" alt="{escape(w)} 안내">'
                   "</a>" for k, w in enumerate(rng.sample(PLANS, 6))) + "</div></aside>")
    out = html.replace("</head>", head + "\n</head>", 1)
    out = out.replace("<body>", "<body>\n" + _sprite() + mobile, 1)
    out = out.replace("</nav>", "</nav>" + search, 1)
    out = out.replace('<nav id="gnb"><ul>', f'<nav id="gnb"><ul>{_menu("gnb")}', 1)
    out = out.replace("</section>\n</main>", related + "\n</section>\n" + sidebar + "\n</main>", 1)
    return out.replace('<div class="ministry">', _footer(rng) + '<div class="ministry">', 1)


def pages(count: int, *, start_day: object, days: int, seed: int = 1) -> list[tuple[str, str, str]]:
    """(url, replica html, the same page in full chrome) for `count` replica articles."""
    from tests.replica.generator import build_site
    from tests.replica.pages import article_page

    site = build_site(articles=count, start=start_day, days=days, seed=seed)  # type: ignore[arg-type]
    out = []
    for i, a in enumerate(site.articles):
        html = article_page(site, a, hit=i)
        out.append((a.canonical_url, html, with_chrome(html, i)))
    return out
