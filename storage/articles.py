"""Articles: idempotent batch upserts with revisions, and the queries the CLI and API use."""

from __future__ import annotations

import base64
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session

from domain.article import Article, article_from_dict, content_dict, content_hash
from domain.merge import body_hash, dedupe_key, merge, same_document
from storage import search
from storage.models import ArticleAliasRow, ArticleRevisionRow, ArticleRow, SourceRow, utcnow
from storage.types import ArticlePage, FailedItem, PostWanted, StoredArticle, UpsertResult

RenderPost = Callable[[Article], tuple[str, str]]  # article -> (post text, post hash)

MAX_LIMIT = 100


def _insert(session: Session, table: Any) -> Any:
    return (pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert)(table)


def source_id(session: Session, name: str, *, kind: str | None = None, url: str | None = None) -> int:
    """The id of source `name`, created on first use (safe under concurrent writers)."""
    found = session.scalar(select(SourceRow.id).where(SourceRow.name == name))
    if found is not None:
        return found
    stmt = _insert(session, SourceRow).values(
        name=name, kind=kind or name.split(":")[0], url=url, status="ok", created_at=utcnow()
    )
    session.execute(stmt.on_conflict_do_nothing(index_elements=["name"]))
    return session.scalars(select(SourceRow.id).where(SourceRow.name == name)).one()


def _row_values(article: Article, digest: str) -> dict[str, Any]:
    return {
        "url": article.url,
        "section": article.section,
        "title": article.title,
        "subtitle": article.subtitle,
        "published_at": article.published_at,
        "ministry": article.ministry,
        "rep_code": article.rep_code,
        "tags": list(article.tags),
        "license_type": article.license_type,
        "license_text_only": article.license_text_only,
        "body_html": article.body_html,
        "embargo_until": article.embargo_until,
        "search_text": search.search_text(
            article.title, article.subtitle, article.body_html, article.ministry, " ".join(article.tags)
        ),
        "data": content_dict(article),
        "content_hash": digest,
        "body_hash": body_hash(article),
        "dedupe_key": dedupe_key(article),
    }


def upsert_articles(
    *,
    session: Session,
    articles: Sequence[Article],
    run_id: int | None = None,
    render_post: RenderPost | None = None,
    now: datetime | None = None,
) -> UpsertResult:
    """Insert new articles, update changed ones (adding a revision), touch unchanged ones.

    Runs inside the caller's transaction. An article the database refuses (a constraint, a
    value it cannot hold) does not cost the others: the batch is written in a savepoint, and
    when that fails each article is written in a savepoint of its own; the refused ones are
    returned in `failed`. A lost connection or lock is no article's fault and is raised.

    Posts are not rendered here: `posts` lists the stored articles whose post must be rendered
    (new, changed, or still without one), for `store_posts` after the rendering, which the
    crawl pipeline does outside the write transaction. `render_post` renders and stores them
    in this transaction, for callers that load a few articles without a pipeline.
    """
    now = now or utcnow()
    batch = list({(a.source, a.external_id): a for a in articles}.values())  # last copy wins
    try:
        with session.begin_nested():
            result = _write_batch(session, batch, run_id, now)
    except Exception as exc:
        if not _is_item_fault(exc):
            raise
        result = _write_one_by_one(session, batch, run_id, now)  # find the refused ones
    if render_post is not None:
        store_posts(session=session, posts={p.id: render_post(p.article) for p in result.posts})
    return result


def known_ids(*, session: Session, keys: Collection[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which (source, external_id) pairs are stored, as an article's own id or as an alias."""
    wanted: dict[str, list[str]] = {}
    for source, external_id in keys:
        wanted.setdefault(source, []).append(external_id)
    found: set[tuple[str, str]] = set()
    for source, ids in wanted.items():
        sid = session.scalar(select(SourceRow.id).where(SourceRow.name == source))
        if sid is None:
            continue
        for start in range(0, len(ids), 500):  # stay far below any bind-parameter limit
            chunk = ids[start : start + 500]
            own = select(ArticleRow.external_id).where(
                ArticleRow.source_id == sid, ArticleRow.external_id.in_(chunk)
            )
            aliased = select(ArticleAliasRow.external_id).where(
                ArticleAliasRow.source_id == sid, ArticleAliasRow.external_id.in_(chunk)
            )
            found.update((source, i) for i in session.scalars(own.union(aliased)))
    return found


def _is_item_fault(exc: Exception) -> bool:
    """Whether `exc` is about the data written (retry the batch item by item) rather than about
    the database itself (a lost connection, a lock, a timeout: the whole batch must stop)."""
    return not isinstance(exc, OperationalError | InterfaceError | PoolTimeout)


def _write_one_by_one(
    session: Session, batch: Sequence[Article], run_id: int | None, now: datetime
) -> UpsertResult:
    result = UpsertResult()
    for article in batch:
        try:
            with session.begin_nested():
                result.add(_write_batch(session, [article], run_id, now))
        except Exception as exc:
            if not _is_item_fault(exc):
                raise
            reason = f"{type(exc).__name__}: {exc}".splitlines()[0][:500]
            result.failed.append(FailedItem(article.source, article.external_id, article.url, reason))
    return result


def _write_batch(
    session: Session, batch: Sequence[Article], run_id: int | None, now: datetime
) -> UpsertResult:
    result = UpsertResult()
    by_source: dict[str, list[Article]] = {}
    for article in batch:
        by_source.setdefault(article.source, []).append(article)
    for source, group in by_source.items():
        sid = source_id(session, source)
        rows = _stored_rows(session, sid, [a.external_id for a in group])
        for article in group:
            _upsert_one(session, sid, rows.get(article.external_id), article, run_id, now, result)
    session.flush()  # inside the caller's savepoint: a refused row fails here, not at commit
    return result


def _stored_rows(session: Session, sid: int, external_ids: list[str]) -> dict[str, ArticleRow]:
    """The stored rows of these ids, locked; ids known as another article's alias map to it."""
    # FOR UPDATE (PostgreSQL): concurrent writers of the same article wait for each other
    # instead of both deciding from the same old row and losing one update.
    rows = {
        row.external_id: row
        for row in session.scalars(
            select(ArticleRow)
            .where(ArticleRow.source_id == sid, ArticleRow.external_id.in_(external_ids))
            .order_by(ArticleRow.id)
            .with_for_update()
        )
    }
    return rows | _alias_targets(session, sid, [i for i in external_ids if i not in rows])


def _upsert_one(
    session: Session,
    sid: int,
    row: ArticleRow | None,
    article: Article,
    run_id: int | None,
    now: datetime,
    result: UpsertResult,
) -> None:
    if row is None:
        row = _find_duplicate(session, sid, article)
        if row is not None:
            _add_alias(session, sid, article.external_id, row.id, now)
    if row is None:
        digest = content_hash(article)
        row = _insert_new(session, sid, article, digest, now)
        if row is not None:
            _add_revision(session, row, digest, run_id, number=1)
            result.new += 1
            result.ids.append(row.id)
            result.posts.append(PostWanted(row.id, article, "new"))
            return
        # Another writer inserted it between our read and our insert. FOR UPDATE: a third
        # writer of the same new article must wait, not compute the same revision number.
        row = session.scalars(
            select(ArticleRow)
            .where(ArticleRow.source_id == sid, ArticleRow.external_id == article.external_id)
            .with_for_update()
        ).one()
    result.ids.append(row.id)
    changed, merged = _merge_into(session, row, article, run_id, now)
    status = "updated" if changed else "unchanged"
    if changed:
        result.updated += 1
    else:
        result.unchanged += 1
    if changed or row.post_hash is None:  # a post that failed to render before is tried again
        result.posts.append(PostWanted(row.id, merged, status))


def _merge_into(
    session: Session, row: ArticleRow, article: Article, run_id: int | None, now: datetime
) -> tuple[bool, Article]:
    """Merge `article` into the stored one (domain.merge rules): (made a revision?, the result)."""
    stored = article_from_dict(row.data)
    merged = merge(stored, article)
    digest = content_hash(merged)
    row.last_seen_at = now
    if row.content_hash == digest:
        if merged.aliases != stored.aliases:  # bookkeeping only: no revision, no new post
            row.data = content_dict(merged)
        return False, merged
    old_text = row.search_text  # the contentless 2-gram index removes exactly the old terms
    for key, value in _row_values(merged, digest).items():
        setattr(row, key, value)
    row.revision_count += 1
    row.updated_at = now
    _add_revision(session, row, digest, run_id, number=row.revision_count, old_text=old_text)
    return True, merged


def _alias_targets(session: Session, sid: int, external_ids: list[str]) -> dict[str, ArticleRow]:
    if not external_ids:
        return {}
    found = session.execute(
        select(ArticleAliasRow.external_id, ArticleRow)
        .join(ArticleRow, ArticleRow.id == ArticleAliasRow.article_id)
        .where(ArticleAliasRow.source_id == sid, ArticleAliasRow.external_id.in_(external_ids))
        .order_by(ArticleRow.id)
        .with_for_update(of=ArticleRow)
    ).all()
    return {external_id: row for external_id, row in found}


def _find_duplicate(session: Session, sid: int, article: Article) -> ArticleRow | None:
    """A stored article of the same source that is this one under another id (same_document)."""
    keys = []
    if (digest := body_hash(article)) is not None:
        keys.append(ArticleRow.body_hash == digest)
    if (key := dedupe_key(article)) is not None:
        keys.append(ArticleRow.dedupe_key == key)
    if not keys:
        return None
    # The source inside each branch: SQLite then answers from the two hash indexes (MULTI-INDEX
    # OR); with `source_id = ? AND (… OR …)` it walked every article of the source per insert.
    candidates = session.scalars(
        select(ArticleRow)
        .where(or_(*(and_(key, ArticleRow.source_id == sid) for key in keys)))
        .order_by(ArticleRow.id)
        .with_for_update()
    )
    return next((row for row in candidates if same_document(article_from_dict(row.data), article)), None)


def _add_alias(session: Session, sid: int, external_id: str, article_id: int, now: datetime) -> None:
    stmt = _insert(session, ArticleAliasRow).values(
        source_id=sid, external_id=external_id, article_id=article_id, created_at=now
    )
    session.execute(stmt.on_conflict_do_nothing(index_elements=["source_id", "external_id"]))


def _insert_new(
    session: Session, sid: int, article: Article, digest: str, now: datetime
) -> ArticleRow | None:
    values = _row_values(article, digest) | {
        "source_id": sid,
        "external_id": article.external_id,
        "revision_count": 1,
        "first_seen_at": now,
        "last_seen_at": now,
        "updated_at": now,
    }
    # A Core insert with the values as parameters: one cached statement, where an ORM insert
    # with .values() coerced and cache-keyed thirty literal binds per article (17% slower).
    stmt = (
        _insert(session, ArticleRow.__table__)
        .on_conflict_do_nothing(index_elements=["source_id", "external_id"])
        .returning(ArticleRow.id)
    )
    new_id = session.execute(stmt, values).scalar()
    return session.get(ArticleRow, new_id) if new_id is not None else None


def _add_revision(
    session: Session,
    row: ArticleRow,
    digest: str,
    run_id: int | None,
    *,
    number: int,
    old_text: str | None = None,
) -> None:
    session.add(
        ArticleRevisionRow(
            article_id=row.id,
            number=number,
            content_hash=digest,
            data=row.data,
            crawl_run_id=run_id,
            created_at=row.updated_at,
        )
    )
    search.index_grams(session, [(row.id, old_text, row.search_text)])


def store_posts(*, session: Session, posts: Mapping[int, tuple[str, str] | None]) -> int:
    """Store rendered posts by article id, as (text, hash); None clears a post (its rendering
    failed: the next crawl renders it again). Returns how many rows were written."""
    written = 0
    for article_id, post in posts.items():
        text, digest = post if post is not None else (None, None)
        done = session.execute(
            update(ArticleRow).where(ArticleRow.id == article_id).values(post_text=text, post_hash=digest)
        )
        written += done.rowcount or 0  # type: ignore[attr-defined]
    return written


def _stored(row: ArticleRow, source_name: str) -> StoredArticle:
    return StoredArticle(
        id=row.id,
        source=source_name,
        article=article_from_dict(row.data),
        content_hash=row.content_hash,
        revision_count=row.revision_count,
        post_text=row.post_text,
        post_hash=row.post_hash,
        first_seen_at=row.first_seen_at,
        last_seen_at=row.last_seen_at,
        updated_at=row.updated_at,
    )


def _select() -> Select[ArticleRow, str]:
    return select(ArticleRow, SourceRow.name).join(SourceRow, SourceRow.id == ArticleRow.source_id)


def get_article(*, session: Session, article_id: int) -> StoredArticle | None:
    found = session.execute(_select().where(ArticleRow.id == article_id)).first()
    return _stored(found[0], found[1]) if found else None


def find_article(*, session: Session, source: str, external_id: str) -> StoredArticle | None:
    """The article a source calls `external_id`: its own id, or an alias (the same document
    posted under another id)."""
    found = session.execute(
        _select().where(SourceRow.name == source, ArticleRow.external_id == external_id)
    ).first()
    if found is None:
        found = session.execute(
            _select()
            .join(ArticleAliasRow, ArticleAliasRow.article_id == ArticleRow.id)
            .where(SourceRow.name == source, ArticleAliasRow.external_id == external_id)
        ).first()
    return _stored(found[0], found[1]) if found else None


@dataclass(frozen=True, slots=True)
class ArticleFilter:
    query: str | None = None
    source: str | None = None
    ministry: str | None = None
    section: str | None = None
    since: datetime | None = None
    until: datetime | None = None  # exclusive
    license_type: int | None = None  # KOGL type 1..4


def _encode_cursor(row: ArticleRow) -> str:
    raw = f"{row.published_at.isoformat()}|{row.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """Raise ValueError with a clear message for a cursor this API did not hand out."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, ident = raw.split("|")
        return datetime.fromisoformat(stamp), int(ident)
    except Exception as exc:  # any malformed input is the caller's mistake
        raise ValueError("invalid cursor: pass the next_cursor value from a previous page") from exc


def _filter_conditions(where: ArticleFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if where.source:
        conditions.append(SourceRow.name == where.source)
    if where.ministry:
        conditions.append(ArticleRow.ministry == where.ministry)
    if where.section:
        conditions.append(ArticleRow.section == where.section)
    if where.since:
        conditions.append(ArticleRow.published_at >= where.since)
    if where.until:
        conditions.append(ArticleRow.published_at < where.until)
    if where.license_type is not None:
        conditions.append(ArticleRow.license_type == where.license_type)
    return conditions


def list_articles(
    *, session: Session, where: ArticleFilter | None = None, limit: int = 20, cursor: str | None = None
) -> ArticlePage:
    """Newest first, `limit` at most 100, with an opaque cursor for the next page."""
    where = where or ArticleFilter()
    limit = max(1, min(limit, MAX_LIMIT))
    conditions = _filter_conditions(where)
    if cursor:
        stamp, ident = decode_cursor(cursor)
        conditions.append(
            or_(
                ArticleRow.published_at < stamp,
                and_(ArticleRow.published_at == stamp, ArticleRow.id < ident),
            )
        )

    def page(match: Sequence[ColumnElement[bool]]) -> Select[int]:
        # Ids only: SQLite's sorter carries whole rows (body, JSON, post), which made a frequent
        # word at 100,000 articles 6x slower; the page's rows are read by id below.
        return (
            select(ArticleRow.id)
            .join(SourceRow, SourceRow.id == ArticleRow.source_id)
            .where(*conditions, *match)
            .order_by(ArticleRow.published_at.desc(), ArticleRow.id.desc())
            .limit(limit + 1)
        )

    # The search module picks how to match the query words on this backend.
    ids = [r[0] for r in search.find(session, where.query, page)]
    found = {row.id: (row, name) for row, name in session.execute(_select().where(ArticleRow.id.in_(ids)))}
    rows = [found[i] for i in ids if i in found]
    items = [_stored(r[0], r[1]) for r in rows[:limit]]
    next_cursor = _encode_cursor(rows[limit - 1][0]) if len(rows) > limit else None
    return ArticlePage(items=items, next_cursor=next_cursor)


def count_matching(*, session: Session, where: ArticleFilter | None = None, cap: int = 1000) -> int:
    """How many articles match `where` (the same search as list_articles), counted up to `cap`.

    Capped because a frequent word matches most of the table and an exact figure past a
    thousand tells a reader nothing a "1,000+" does not.
    """
    where = where or ArticleFilter()
    conditions = _filter_conditions(where)

    def newest_ids(match: Sequence[ColumnElement[bool]]) -> Select[int]:
        # search.find's contract: ids first, newest first, a LIMIT (its PostgreSQL route adds
        # columns to this statement, so it cannot be a count itself): the ids are counted here.
        return (
            select(ArticleRow.id)
            .join(SourceRow, SourceRow.id == ArticleRow.source_id)
            .where(*conditions, *match)
            .order_by(ArticleRow.published_at.desc(), ArticleRow.id.desc())
            .limit(cap)
        )

    return len(search.find(session, where.query, newest_ids))


def iter_articles(
    *, session: Session, where: ArticleFilter | None = None, batch: int = 100
) -> Iterator[StoredArticle]:
    """Every matching article, newest first, fetched page by page."""
    cursor: str | None = None
    while True:
        page = list_articles(session=session, where=where, limit=batch, cursor=cursor)
        yield from page.items
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def set_post(*, session: Session, article_id: int, text: str, digest: str) -> bool:
    """Store a re-rendered post; True when it differs from the stored one."""
    row = session.get(ArticleRow, article_id)
    if row is None:
        raise LookupError(f"no article {article_id}")
    if row.post_hash == digest:
        return False
    row.post_text, row.post_hash = text, digest
    return True


def count_articles(*, session: Session, source: str | None = None) -> int:
    stmt = select(func.count(ArticleRow.id))
    if source:
        stmt = stmt.join(SourceRow, SourceRow.id == ArticleRow.source_id).where(SourceRow.name == source)
    return session.scalar(stmt) or 0


def count_revisions(*, session: Session, article_id: int | None = None) -> int:
    stmt = select(func.count(ArticleRevisionRow.id))
    if article_id is not None:
        stmt = stmt.where(ArticleRevisionRow.article_id == article_id)
    return session.scalar(stmt) or 0
