"""HTML of the briefing room's pages: lists, view pages (iframe shells, transcripts) and viewer pages."""

from __future__ import annotations

import json
import random
from urllib.parse import quote

from .briefing_room import HEADINGS, PATHS, RoomItem
from .documents import split_runs
from .listing import ListResult, ListRow
from .markup import esc, esc_twice
from .model import Site
from .pages import _COMMENTS, _SHARE, _TOOL, _attachments, _licence, _sidebar, document, list_frame

SITE_SUFFIX = " | 대한민국 정책브리핑"
LEAD_LENGTH = 110
PLACEHOLDER_PAGE = ("본 자료는 {ministry}에서 배포한 자료입니다.",
                    "자세한 내용은 첨부파일을 참고하시기 바랍니다.")


# --- lists ---------------------------------------------------------------------------------------


def room_list_page(site: Site, section: str, result: ListResult, *, token: str, hit: int) -> str:
    page = result.query.page_index
    if section == "briefing":  # a table: [ministry, title link with strong, date, presenter] (§5.5)
        rows = "\n".join(_briefing_row(row, page) for row in result.rows)
        heads = "".join(f'<th scope="col">{h}</th>' for h in ("부처", "제목", "등록일", "발표자"))
        listing = (f'<table class="tb_list"><caption>브리핑 목록</caption><thead><tr>{heads}</tr></thead>'
                   f"<tbody>\n{rows}\n</tbody></table>")
    else:
        listing = "<ul>\n" + "\n".join(_item_row(row, page) for row in result.rows) + "\n</ul>"
    list_path = PATHS[section][0]
    return list_frame(site, result, token=token, hit=hit, heading=HEADINGS[section], action=list_path,
                      listing=listing, title=f"{HEADINGS[section]} | 브리핑룸{SITE_SUFFIX}")


ADMIN2 = "https://admin2.korea.kr"


def _href(item: RoomItem, page: int) -> str:
    if item.host == "admin2":  # spec §13.1: lists and other sites link the admin2. copy
        return f"{ADMIN2}{PATHS[item.section][1]}?newsId={item.news_id}&pWise=sub&pageIndex={page}"
    return f"{PATHS[item.section][1]}?newsId={item.news_id}&pageIndex={page}"


def _item_row(row: ListRow, page: int) -> str:
    item = row.article
    assert isinstance(item, RoomItem)
    if item.section == "fact":  # the list prints the whole fact-check, line by line (§5.4)
        lead = "<br>".join(esc(line) for line in item.list_lines)
    else:  # press releases: a preview only, never the body (§7.3)
        text = " ".join(item.body_paragraphs)
        lead = esc(text[:LEAD_LENGTH].rstrip() + "…" if len(text) > LEAD_LENGTH else text)
    return (f'<li><a href="{esc(_href(item, page))}"><span class="cont"><strong>{esc(item.title)}</strong>'
            f'<span class="lead">{lead}</span>'
            f'<span class="source"><span>{item.published_at:%Y.%m.%d}</span><span>{esc(item.ministry)}</span>'
            "</span></span></a></li>")


def _briefing_row(row: ListRow, page: int) -> str:
    item = row.article
    assert isinstance(item, RoomItem)
    return (f"<tr><td>{esc(item.ministry)}</td><td class=\"subject\"><a href=\"{esc(_href(item, page))}\">"
            f"<strong>{esc(item.title)}</strong></a></td><td>{item.published_at:%Y.%m.%d}</td>"
            f"<td>{esc(item.speaker or '')}</td></tr>")


# --- view pages ----------------------------------------------------------------------------------


def room_view_page(site: Site, item: RoomItem, *, hit: int) -> str:
    head = [f"<title>{esc(item.title)}{SITE_SUFFIX}</title>",
            f'<meta property="og:title" content="{esc_twice(item.title)}">',
            f'<link rel="canonical" href="{esc(item.canonical_url)}">', _ld_json(item)]
    ministry = (f'<span><a class="gotosite" href="/news/ministryNewsList.do?repCode={item.rep_code}">'
                f'{esc(item.ministry)}<i class="tooltip">부처별 뉴스 이동</i></a></span>')
    info = [f"<span>{item.published_at:%Y.%m.%d}</span>"]
    if item.section == "briefing" and item.page_speaker:
        info.append(f"<span>{esc(item.speaker or '')}</span>")
    if item.section != "briefing" or item.page_ministry:
        info.append(ministry)
    location = f"<span>홈</span><span>브리핑룸</span><span>{HEADINGS[item.section]}</span>"
    if item.host == "admin2":
        return document("\n".join(head), _admin2_main(site, item, "".join(info), location, hit))
    main = f"""<div class="location">{location}</div>
<div class="view_title"><h1>{esc(item.title)}</h1></div>
<div class="article_wrap">
<div class="article_head">
<div class="variety">
<div class="info">
{"".join(info)}
</div>
{_TOOL}
</div>
{_attachments(item)}
</div>
<div class="article_body">
<div class="view_cont">
{_view_body(item)}
</div>
</div>
{_licence(item)}
{_SHARE}
{_COMMENTS}
</div>
{_sidebar(site, set(), hit)}"""
    return document("\n".join(head), main)


def _admin2_main(site: Site, item: RoomItem, info: str, location: str, hit: int) -> str:
    """The press-release layout admin2.korea.kr serves (spec §13 contract table): the title in
    the head (`.article_wrap .article_head > h1`), the meta line `.article_head > .info`; no
    .view_title, no .variety."""
    return f"""<div class="location">{location}</div>
<div class="article_wrap">
<div class="article_head">
<h1>{esc(item.title)}</h1>
<div class="info">
{info}
</div>
{_attachments(item)}
</div>
<div class="article_body">
<div class="view_cont">
{_view_body(item)}
</div>
</div>
{_licence(item)}
</div>
{_sidebar(site, set(), hit)}"""


def viewer_html_page(item: RoomItem, file_id: str) -> str:
    """`/common/docViewer.do?fileId=N` (바로보기): an HTML page around the viewer, never the file."""
    name = next((a.name for a in item.attachments if f"fileId={file_id}&" in a.url + "&"), "")
    return ('<!DOCTYPE html><html lang="ko"><head><meta charset="UTF-8">'
            f"<title>{esc(name)} - 문서뷰어</title></head><body><div id=\"docViewer\">"
            f'<iframe src="/docViewer/iframe_skin/doc.html?fn={item.fn}"></iframe></div></body></html>')


def _paragraphs(texts: tuple[str, ...]) -> str:
    return "\n".join(f"<p>{esc(t)}</p>" for t in texts)


def _view_body(item: RoomItem) -> str:
    if item.section == "briefing" or item.inline:
        return _paragraphs(item.document_paragraphs())
    src = f"/docViewer/iframe_skin/doc.html?fn={item.fn}&rs={quote(item.rs, safe='')}"
    return (f'<div class="docConversion" id="content"><iframe id="content_press" name="content_press" '
            f'title="{HEADINGS[item.section]} 본문" src="{esc(src)}"></iframe></div>\n'
            f'<p class="remark">이 자료는 {esc(item.ministry)}의 보도자료를 전재하여 제공함을 '
            "알려드립니다.</p>")


def _ld_json(item: RoomItem) -> str:
    data = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": item.title,
            "datePublished": item.published_at.isoformat(), "dateModified": item.last_modified.isoformat(),
            "mainEntityOfPage": item.canonical_url}
    return f'<script type="application/ld+json">{json.dumps(data, ensure_ascii=False)}</script>'


# --- the document viewer -------------------------------------------------------------------------


def viewer_skin(item: RoomItem) -> str:
    """`/docViewer/iframe_skin/doc.html`: the viewer's frame; the text is in the pages it loads."""
    first = f"{item.rs}/{item.fn}.files/1.html"
    return ('<!DOCTYPE html><html lang="ko"><head><meta charset="UTF-8"><title>문서뷰어</title>'
            '<script src="/docViewer/iframe_skin/js/viewer.js"></script></head><body>'
            f'<div id="viewer"><iframe id="innerWrap" src="{esc(first)}"></iframe></div></body></html>')


def viewer_page(item: RoomItem, number: int, mode: str) -> str | None:
    """Converted page `number` (from 1), words split over spans as the converter does; None past the end."""
    if mode == "placeholder":
        if number != 1:
            return None
        texts: tuple[str, ...] = tuple(t.format(ministry=item.ministry) for t in PLACEHOLDER_PAGE)
    else:
        pages = max(item.viewer_pages, 1)
        if not 1 <= number <= pages:
            return None
        paragraphs = item.document_paragraphs()
        size = -(-len(paragraphs) // pages)
        texts = paragraphs[(number - 1) * size:number * size]
    rng = random.Random(f"viewer:{item.news_id}:{number}")
    blocks = []
    for k, text in enumerate(texts):
        spans = "".join(f'<span class="hrt cs{(k + n) % 4}">{esc(piece)}</span>'
                        for n, piece in enumerate(split_runs(text, rng, pieces=4)))
        blocks.append(f'<p class="hpa" style="margin-left:0pt;">{spans}</p>')
    blocks.append(f'<p class="hpa page_no"><span class="hrt">- {number} -</span></p>')
    return ('<!DOCTYPE html><html><head><meta charset="UTF-8"><title>' + item.fn + "</title>"
            '<style>.hrt{font-family:"함초롬바탕";} .hpa{margin:0;}</style></head><body>'
            f'<div class="hwp_page" id="page{number}"><div class="hce">' + "".join(blocks)
            + "</div></div></body></html>")
