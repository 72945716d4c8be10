"""GET /articles, /articles/{id} and /articles/{id}.md: stored articles, safe to show."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Response, status

from scheduler.api.deps import ArticleId, DbDep, FilterDep, checked_cursor
from scheduler.api.schemas import ArticleOut, ArticlesOut, ErrorOut
from scheduler.safe import safe_article
from storage import get_article, list_articles

router = APIRouter(tags=["articles"])
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorOut, "description": "No such id."}}


@router.get("/articles", response_model=ArticlesOut)
def articles(
    db: DbDep,
    where: FilterDep,
    limit: Annotated[int, Query(ge=1, le=100, description="Page size, at most 100.")] = 20,
    cursor: Annotated[
        str | None, Query(max_length=200, description="`next_cursor` of the previous page.")
    ] = None,
) -> ArticlesOut:
    """Stored articles, newest first, one page at a time."""
    checked = checked_cursor(cursor)
    with db.session(read_only=True) as session:
        page = list_articles(session=session, where=where, limit=limit, cursor=checked)
    return ArticlesOut(
        items=[ArticleOut.model_validate(safe_article(s)) for s in page.items], next_cursor=page.next_cursor
    )


# Declared before /articles/{article_id} so "12.md" is not read as a (bad) integer id.
@router.get(
    "/articles/{article_id}.md",
    response_class=Response,
    responses={200: {"content": {"text/markdown": {}}, "description": "The rendered post."}, **NOT_FOUND},
)
def article_markdown(db: DbDep, article_id: ArticleId) -> Response:
    """The article's rendered post (Markdown with front matter); 404 until it has one."""
    with db.session(read_only=True) as session:
        found = get_article(session=session, article_id=article_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no article {article_id}")
    if not found.post_text:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, detail=f"article {article_id} has no rendered post yet"
        )
    return Response(found.post_text, media_type="text/markdown; charset=utf-8")


@router.get("/articles/{article_id}", response_model=ArticleOut, responses=NOT_FOUND)
def article(db: DbDep, article_id: ArticleId) -> ArticleOut:
    """One stored article; `revisions` counts its stored versions; `body_html` is sanitized."""
    with db.session(read_only=True) as session:
        found = get_article(session=session, article_id=article_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no article {article_id}")
    return ArticleOut.model_validate(safe_article(found))
