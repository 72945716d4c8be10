"""HTML of the replica's pages, modelled on korea.kr's desktop layout (spec §5, §7)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from .listing import ListResult, ListRow
from .markup import esc, esc_twice
from .model import ReplicaArticle, Site
from .vocab import SIDEBAR_FILLER

if TYPE_CHECKING:
    from .briefing_room import RoomItem

TITLE_SUFFIX = " | 정책뉴스 | 대한민국 정책브리핑"
KOGL_NAMES = {1: "출처표시", 2: "출처표시+상업적 이용금지", 3: "출처표시+변경금지",
              4: "출처표시+상업적 이용금지+변경금지"}
# Sidebar links to ids the site does not have, as the real "인기뉴스" links to older articles.
_FILLER_IDS = tuple(str(148_700_000 + 4_321 * k) for k in range(1, len(SIDEBAR_FILLER) + 1))
SIDEBAR_SIZE = 5

ROBOTS_TXT = """User-agent : Googlebot
Disallow: https://www.korea.kr/totalSearch.do
User-Agent: *
Allow: /
Disallow:
Sitemap: https://www.korea.kr/sitemapindex.xml
"""


_TOOL = (
    '<div class="tool"><button type="button" class="listen">본문듣기</button>'
    '<button type="button" class="print">인쇄하기</button>'
    '<div class="font_size"><span>글자크기 설정</span>'
    + "".join(f'<button type="button">{size}</button>'
              for size in ("작게", "보통", "크게", "아주크게", "최대크게"))
    + "</div></div>"
)
_SHARE = (
    '<div class="view_opt"><button type="button" class="share">공유하기</button><ul>'
    '<li><a href="#none" class="facebook">페이스북</a></li><li><a href="#none" class="band">밴드</a></li>'
    '<li><a href="#none" class="kakao">카카오톡</a></li>'
    '<li><button type="button" class="url_copy">URL 복사</button></li></ul></div>'
)
_COMMENTS = (
    '<div id="livereContainer" class="lv-container"><h3>댓글</h3>'
    "<p>정책브리핑 게시물 운영원칙에 따라 다음과 같은 게시물은 삭제 또는 계정이 차단 될 수 있습니다.</p>"
    "<ol><li>1. 타인의 메일주소, 전화번호, 주민등록번호 등의 개인정보를 게시하는 경우</li>"
    "<li>2. 욕설, 비방 등 타인을 불쾌하게 하는 내용을 게시하는 경우</li></ol>"
    '<a href="#none">운영원칙</a></div>'
)
_MENU = "".join(
    f'<li><a href="{href}">{label}</a></li>'
    for href, label in (
        ("/news/policyNewsList.do", "정책뉴스"),
        ("/briefing/pressReleaseList.do", "보도자료"),
        ("/briefing/policyBriefingList.do", "브리핑룸"),
        ("/briefing/actuallyList.do", "사실은 이렇습니다"),
    )
)


def article_page(site: Site, article: ReplicaArticle, *, hit: int, no_title: bool = False,
                 no_body: bool = False) -> str:
    """`/news/policyNewsView.do?newsId=N`; `hit` rotates the sidebar, the article stays put."""
    a = article
    title = "" if no_title else a.title
    head = [f"<title>{esc(title) + TITLE_SUFFIX if title else ''}</title>",
            '<meta property="og:type" content="article">',
            f'<meta property="og:url" content="{esc(a.canonical_url)}">',
            f'<link rel="canonical" href="{esc(a.canonical_url)}">']
    if title:
        og_title = esc_twice(title + (TITLE_SUFFIX if a.og_suffix else ""))
        head.insert(2, f'<meta property="og:title" content="{og_title}">')
    if a.images:
        head.append(f'<meta property="og:image" content="{esc(a.images[0].url)}">')
    head.append(_ld_json(a, title))
    subtitles = "".join(f"<h2>{esc(s)}</h2>" for s in a.subtitles)
    ministry = (f'<a class="gotosite" href="/news/ministryNewsList.do?repCode={a.rep_code}">{esc(a.ministry)}'
                '<i class="tooltip">부처별 뉴스 이동</i></a>')
    older, newer = site.neighbours(a.news_id)
    main = f"""<div class="location"><span>홈</span><span>뉴스</span><span>정책뉴스</span></div>
<div class="view_title">{f"<h1>{esc(title)}</h1>" if title else ""}</div>
<div class="article_wrap">
<div class="article_head">
{subtitles}
<div class="variety">
<div class="info">
<span>{a.published_at:%Y.%m.%d}</span>
<span>{ministry}</span>
</div>
{_TOOL}
</div>
{_attachments(a)}
</div>
<div class="article_body">
<div class="view_cont">
{"" if no_body else a.body_html}
</div>
</div>
{_licence(a)}
{_SHARE}
<div class="prev_next"><span class="blind">이전다음기사 영역</span>{_neighbour(older, "이전기사", "prev")}\
{_neighbour(newer, "다음기사", "next")}</div>
{_COMMENTS}
</div>
{_sidebar(site, {a.news_id}, hit)}"""
    return _document("\n".join(head), main)


def redesigned_page(title: str, published: str, body_html: str, canonical_url: str) -> str:
    """The same article in a design no known layout describes (a site redesign, for drift tests):
    the crawler must report an item error of kind `layout`, never store empty fields."""
    return _document(
        f"<title>{esc(title)}{TITLE_SUFFIX}</title>\n<link rel=\"canonical\" href=\"{esc(canonical_url)}\">",
        f"""<div id="app"><article class="news-detail">
<header><h1 class="news-detail__title">{esc(title)}</h1><time>{published}</time></header>
<div class="news-detail__content">{body_html}</div>
</article></div>""",
    )


def list_page(site: Site, result: ListResult, *, token: str, hit: int) -> str:
    """`/news/policyNewsList.do`: the search form, one page of results, the pager and a sidebar."""
    items = "\n".join(_list_item(row, result.query.page_index) for row in result.rows)
    return list_frame(site, result, token=token, hit=hit, heading="정책뉴스",
                      action="/news/policyNewsList.do", listing=f"<ul>\n{items}\n</ul>",
                      title="정책뉴스 | 뉴스 | 대한민국 정책브리핑")


def list_frame(site: Site, result: ListResult, *, token: str, hit: int, heading: str, action: str,
               listing: str, title: str) -> str:
    """Any list page: the form with its hidden fields, `listing` (the rows), the pager, a sidebar."""
    q = result.query
    hidden = {"pageIndex": str(q.page_index), **{k: v for k, v in q.fields.items() if k != "srchWord"},
              "listToken": token}
    inputs = "\n".join(f'<input type="hidden" name="{k}" value="{esc(v)}">' for k, v in hidden.items())
    if result.rows:
        paging = _pager(q.page_index, result.last_page)
    else:
        listing, paging = '<p class="no_data">검색 결과가 없습니다.</p>', ""
    main = f"""<div class="sub_title"><h1>{esc(heading)}</h1></div>
<form id="mainForm" name="mainForm" action="{action}" method="post">
{inputs}
<div class="srch_box">
<label>기간</label>
<input type="text" name="startDate" class="datepicker" value="{q.start_date.isoformat()}"> ~
<input type="text" name="endDate" class="datepicker" value="{q.end_date.isoformat()}">
<input type="text" name="srchWord" title="검색어 입력" value="{esc(q.fields.get("srchWord", ""))}">
<button type="button" class="btn_srch" onclick="fn_search(); return false;">검색</button>
</div>
</form>
<div class="result"><p>총 <strong>{result.total:,}</strong>건</p></div>
<div class="list_type">
{listing}
</div>
{paging}
{_sidebar(site, set(result.listed_ids), hit)}"""
    return _document(f"<title>{esc(title)}</title>", main)


def message_page(status: int, message: str) -> str:
    """Plain error pages (404, injected 5xx) in the site's frame, without a sidebar."""
    return _document(f"<title>{status} | 대한민국 정책브리핑</title>",
                     f'<div class="error_page"><h2>{status}</h2><p>{esc(message)}</p></div>')


def document(head: str, main: str) -> str:
    """A whole page in the site's frame: header, menu, `main` inside section#container, footer."""
    return _document(head, main)


def _document(head: str, main: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="ko">
<head>
<meta charset="UTF-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{head}
</head>
<body>
<div id="skipNav"><a href="#container">본문 바로가기</a><a href="#gnb">메인메뉴 바로가기</a></div>
<header id="header">
<div class="gov_banner">이 누리집은 대한민국 공식 전자정부 누리집입니다.</div>
<strong class="logo"><a href="/">대한민국 정책브리핑</a></strong>
<nav id="gnb"><ul>{_MENU}</ul></nav>
</header>
<main id="main">
<section id="container">
{main}
</section>
</main>
<footer id="footer">
<div class="ministry"><a href="#none">행정부처 바로가기</a></div>
<p class="copyright">문화체육관광부 국민소통실 · 정책브리핑 www.korea.kr</p>
</footer>
</body>
</html>
"""


def _ld_json(a: ReplicaArticle, title: str) -> str:
    if a.ld_json == "missing":
        return ""
    if a.ld_json == "invalid":
        # Trailing commas and a bare word: the shape of broken CMS output that json.loads rejects.
        broken = f'"@type": "NewsArticle", "datePublished": "{a.published_at:%Y-%m-%d}", keyword: undefined,,'
        return f'<script type="application/ld+json">{{"@context": "https://schema.org", {broken}}}</script>'
    data: dict[str, object] = {"@context": "https://schema.org", "@type": "NewsArticle"}
    if title:
        data["headline"] = title
    data.update({
        "datePublished": a.published_at.isoformat(),
        "dateModified": a.last_modified.isoformat(),
        "author": {"@type": "Person", "name": a.author},
        "publisher": {"@type": "Organization", "name": "대한민국 정책브리핑"},
        # Both separators occur, so a crawler must split on "," and strip.
        "keyword": (", " if int(a.news_id) % 2 else ",").join(a.tags),
        "mainEntityOfPage": a.canonical_url,
        "image": [i.url for i in a.images],
    })
    text = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    return f'<script type="application/ld+json">{text}</script>'


def _attachments(a: ReplicaArticle | RoomItem) -> str:
    if not a.attachments:
        return ""
    files = []
    for name, url, _ext in a.attachments:
        href = esc(url.removeprefix("https://www.korea.kr"))
        # Today's pages (spec §13.2): 바로보기 opens the HTML viewer, only 내려받기 is the file.
        viewer = esc(viewer_path(url))
        files.append(f'<p><span><a href="{href}"><img src="/images/common/ico_file.png" alt="첨부파일">'
                     f"{esc(name)}</a></span>"
                     f'<span class="btn"><a class="view" href="{viewer}" target="_blank">바로보기</a>'
                     f'<a class="down" href="{href}">내려받기</a></span></p>')
    return '<div class="filedown"><dl><dt>첨부파일</dt><dd>' + "".join(files) + "</dd></dl></div>"


def viewer_path(download: str) -> str:
    """The 바로보기 link of a download URL: /common/docViewer.do with the same query."""
    return "/common/docViewer.do?" + download.split("?", 1)[1]


def _licence(a: ReplicaArticle | RoomItem) -> str:
    if a.license_type is None:
        texts = ["이 기사는 외부 필자의 기고문으로, 저작권은 필자에게 있습니다.",
                 "무단 전재 및 재배포를 금합니다."]
        mark = ""
    else:
        kind = f"공공누리 제{a.license_type}유형({KOGL_NAMES[a.license_type]})"
        scope = "텍스트에 한하여 " if a.license_text_only else ""
        texts = [f"이 자료는 대한민국 정책브리핑(www.korea.kr)이 제공하는 것으로, "
                 f"{scope}{kind}의 조건에 따라 이용할 수 있습니다."]
        if a.license_text_only:
            texts.append("단, 텍스트를 제외한 사진·이미지·일러스트·동영상 등 자료의 대부분은 "
                         "제3자에게 저작권이 있어 정책브리핑이 저작권을 보유하고 있지 않으므로, "
                         "이용하려면 해당 저작권자의 허락을 받아야 합니다.")
        texts.append("이를 어기고 무단으로 이용하면 저작권법 제37조 및 제138조에 따라 처벌받을 수 있습니다.")
        mark = f'<img src="/images/kogl/img_opentype0{a.license_type}.png" alt="{esc(kind)}">'
    paragraphs = "".join(f"<p>{esc(t)}</p>" for t in texts)
    return (f'<div class="article_footer"><div class="kogl">{mark}{paragraphs}</div>'
            '<div class="btns"><a href="/guide/copyRight.do">저작권정책</a>'
            '<a href="#none" onclick="fn_charge(); return false;">담당자안내</a></div></div>')


def _neighbour(a: ReplicaArticle | None, label: str, css: str) -> str:
    if a is None:
        return ""
    return (f'<a class="{css}" href="/news/policyNewsView.do?newsId={a.news_id}">'
            f"<span>{label}</span><strong>{esc(a.title)}</strong></a>")


def _sidebar(site: Site, exclude: set[str], hit: int) -> str:
    pool = [(a.news_id, a.title) for a in reversed(site.articles) if a.news_id not in exclude]
    pool += list(zip(_FILLER_IDS, SIDEBAR_FILLER, strict=True))
    # Each request starts the ranking somewhere else, like the real list that updates every few minutes.
    shown = [pool[(hit + k) % len(pool)] for k in range(min(SIDEBAR_SIZE, len(pool)))]
    links = "".join(f'<li><a href="/news/policyNewsView.do?newsId={nid}&amp;pWise=main&amp;pWiseMain=L1">'
                    f"{esc(title)}</a></li>" for nid, title in shown)
    return ('<aside class="as_side">'
            f'<div class="side_box popular"><h3>실시간 인기뉴스</h3><ol>{links}</ol></div>'
            f'<div class="side_box"><h3>정책 NOW</h3><p>조회 {hit:,}회 기준</p></div></aside>')


def _list_item(row: ListRow, page: int) -> str:
    a = row.article
    lead = " ".join(a.body_paragraphs)
    if len(lead) > 110:
        lead = lead[:110].rstrip() + "…"
    return (f'<li><a href="{esc(list_href(row, page))}"><span class="cont"><strong>{esc(a.title)}</strong>'
            f'<span class="lead">{esc(lead)}</span>'
            f'<span class="source"><span>{a.published_at:%Y.%m.%d}</span>'
            f"<span>{esc(a.ministry)}</span></span>"
            "</span></a></li>")


def list_href(row: ListRow, page: int) -> str:
    """The link a list row carries: hosts, path parameters and parameter order vary (spec §1.3)."""
    nid, view = row.article.news_id, "/news/policyNewsView.do"
    if row.repeat:
        return f"{view}?pWise=main&pWiseMain=L1&newsId={nid}"
    return {
        "mobile": f"https://m.korea.kr{view}?call_from=rsslink&newsId={nid}",
        "admin": f"http://admin.korea.kr{view}?newsId={nid}&pWise=sub&pWiseSub=B4",
        "www2": f"https://www2.korea.kr{view}?pageIndex={page}&newsId={nid}",
        "jsession": f"{view};JSESSIONID_KOREA=abc!123!456?newsId={nid}&pageIndex={page}",
    }.get(getattr(row.article, "link_style", "plain"),
          f"{view}?newsId={nid}&pageIndex={page}&pWise=sub&pWiseSub=B4")


def _pager(current: int, last: int) -> str:
    def link(n: int, text: str, css: str = "") -> str:
        cls = f' class="{css}"' if css else ""
        return f'<a href="#pageLink"{cls} onclick="pageLink({n}); return false;">{text}</a>'

    block_start = (current - 1) // 10 * 10 + 1
    numbers = "".join(link(n, str(n), "on" if n == current else "")
                      for n in range(block_start, min(block_start + 9, last) + 1))
    return (f'<div class="paging">{link(1, "처음", "first")}{link(max(block_start - 1, 1), "이전", "prev")}'
            f'<span class="num">{numbers}</span>'
            f'{link(min(block_start + 10, last), "다음", "next")}{link(last, "마지막", "last")}</div>')
