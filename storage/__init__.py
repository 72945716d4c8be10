"""Storage: SQLAlchemy models behind a small API of plain functions and dataclasses."""

from storage.articles import (
    ArticleFilter,
    count_articles,
    count_revisions,
    get_article,
    iter_articles,
    list_articles,
    set_post,
    upsert_articles,
)
from storage.db import DEFAULT_URL, Database
from storage.runs import (
    active_run,
    add_counts,
    close_orphaned_runs,
    create_run,
    finish_run,
    get_run,
    last_runs,
    last_success,
    list_errors,
    list_runs,
    mark_running,
    record_errors,
)
from storage.types import ArticlePage, CrawlErrorRecord, CrawlRun, StoredArticle, UpsertResult

__all__ = [
    "DEFAULT_URL",
    "ArticleFilter",
    "ArticlePage",
    "CrawlErrorRecord",
    "CrawlRun",
    "Database",
    "StoredArticle",
    "UpsertResult",
    "active_run",
    "add_counts",
    "close_orphaned_runs",
    "count_articles",
    "count_revisions",
    "create_run",
    "finish_run",
    "get_article",
    "get_run",
    "iter_articles",
    "last_runs",
    "last_success",
    "list_articles",
    "list_errors",
    "list_runs",
    "mark_running",
    "record_errors",
    "set_post",
    "upsert_articles",
]
