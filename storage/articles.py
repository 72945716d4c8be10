"""Articles: idempotent batch upserts with revisions, and the queries the CLI and API use."""

from __future__ import annotations

import base64
import math
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, and_, bindparam, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session

from domain.article import Article, article_from_dict, content_dict, content_hash
from domain.merge import body_hash, dedupe_key, merge, same_document
from storage import search
from storage.models import ARTICLES, ArticleAliasRow, ArticleRevisionRow, ArticleRow, SourceRow, utcnow
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


Keys = tuple[str | None, str | None]  # an article's body hash and dedupe key (domain.merge)


def _keys(article: Article) -> Keys:
    return body_hash(article), dedupe_key(article)


def _row_values(
    article: Article, digest: str, data: dict[str, Any], *, keys: Keys | None = None
) -> dict[str, Any]:
    """The row's columns from the article, its content_dict `data` and its `keys`, when the
    caller has them already (computed here otherwise)."""
    body_digest, key = _keys(article) if keys is None else keys
    text_ = search.search_text(
        article.title, article.subtitle, article.body_html, article.ministry, " ".join(article.tags)
    )
    values = {
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
        "search_text": text_,
        "data": data,
        "content_hash": digest,
        "body_hash": body_digest,
        "dedupe_key": key,
    }
    return values


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
    writer = _BatchWriter(session, run_id, now)
    by_source: dict[str, list[Article]] = {}
    for article in batch:
        by_source.setdefault(article.source, []).append(article)
    for source, group in by_source.items():
        writer.write(source_id(session, source), group)
    return writer.finish()  # inside the caller's savepoint: a refused row fails here, not at commit


@dataclass(slots=True)
class _New:
    """An article the batch inserts: planned first, then inserted with the others at once."""

    article: Article
    values: dict[str, Any]
    id: int | None = None
    # Loaded only when a later article of the batch merges into it, or when another writer
    # inserted it first (then it is theirs, merged into).
    row: ArticleRow | None = None


@dataclass(slots=True)
class _Outcome:
    target: _New | ArticleRow
    status: str  # new, updated, unchanged
    post: Article | None  # the article whose post must be rendered, if any


@dataclass(slots=True)
class _Revision:
    target: _New | ArticleRow
    number: int
    digest: str
    data: dict[str, Any]


class _BatchWriter:
    """One batch written as a batch, with the answers of writing its articles one by one.

    Per source: one look-up of the stored rows by id, one of the duplicate candidates, one
    executemany of the new rows (RETURNING their ids), then the revisions and the 2-gram rows
    of the whole batch in one executemany each. The articles are still decided in order: a
    later article that is a duplicate of a new one earlier in the batch first has the new ones
    inserted and then merges into its row, as it would have one by one.
    """

    def __init__(self, session: Session, run_id: int | None, now: datetime) -> None:
        self.session = session
        self.run_id = run_id
        self.now = now
        self.outcomes: list[_Outcome] = []
        self.revisions: list[_Revision] = []
        # Search-text changes in order: (row, its text before, its text after).
        self.grams: list[tuple[_New | ArticleRow, str | None, str]] = []
        # Rows a duplicate may be found in (per source): the candidates by key, and every row
        # this batch touches (a merge may give a row the keys of a later article).
        self.pool: dict[int, ArticleRow] = {}

    def write(self, sid: int, group: Sequence[Article]) -> None:
        rows = _stored_rows(self.session, sid, [a.external_id for a in group])
        # The body hash and title key of each article not stored under its id, computed once:
        # the candidate look-up, the duplicate check and the new row all need them.
        keys = {i: _keys(a) for i, a in enumerate(group) if a.external_id not in rows}
        candidates = [*_duplicate_candidates(self.session, sid, list(keys.values())), *rows.values()]
        self.pool = {id(r): r for r in candidates}
        planned: list[_New] = []  # this source's new articles, inserted or not yet
        pending: list[_New] = []  # the ones not inserted yet
        for i, article in enumerate(group):
            row = rows.get(article.external_id)
            if row is None:
                match = _duplicate(sid, article, keys[i], self.pool.values(), planned)
                if isinstance(match, _New):
                    self._insert(sid, pending)
                    match = self._row_of(match)
                if match is not None:
                    _add_alias(self.session, sid, article.external_id, match.id, self.now)
                    row = match
            if row is None:
                data = content_dict(article)
                digest = content_hash(article, data)
                new = _New(article, _new_values(sid, article, digest, data, keys[i], self.now))
                pending.append(new)
                planned.append(new)
                self.outcomes.append(_Outcome(new, "new", article))
                self.revisions.append(_Revision(new, 1, digest, new.values["data"]))
                self.grams.append((new, None, new.values["search_text"]))
                continue
            self._merge(row, article)
        self._insert(sid, pending)

    def _insert(self, sid: int, pending: list[_New]) -> None:
        if not pending:
            return
        ids = _insert_new(self.session, sid, pending)
        lost = []
        for new in pending:
            new.id = ids.get(new.article.external_id)
            if new.id is None:
                lost.append(new)
        pending.clear()
        for new in lost:
            self._lost(sid, new)

    def _lost(self, sid: int, new: _New) -> None:
        """Another writer inserted `new` between our read and our insert: merge into theirs."""
        self.grams = [g for g in self.grams if g[0] is not new]
        self.revisions = [r for r in self.revisions if r.target is not new]
        slot = next(i for i, o in enumerate(self.outcomes) if o.target is new)
        # FOR UPDATE: a third writer of the same new article must wait, not compute the same
        # revision number.
        row = self.session.scalars(
            select(ArticleRow)
            .where(ArticleRow.source_id == sid, ArticleRow.external_id == new.article.external_id)
            .with_for_update()
        ).one()
        new.row, new.id = row, row.id
        self._merge(row, new.article)
        self.outcomes[slot] = self.outcomes.pop()  # where the article stood in the batch

    def _row_of(self, new: _New) -> ArticleRow:
        if new.row is None:
            new.row = self.session.get(ArticleRow, new.id)
            assert new.row is not None
        return new.row

    def _merge(self, row: ArticleRow, article: Article) -> _Outcome:
        """Merge `article` into the stored row (domain.merge rules)."""
        self.pool[id(row)] = row
        stored = article_from_dict(row.data)
        merged = merge(stored, article)
        data = content_dict(merged)
        digest = content_hash(merged, data)
        row.last_seen_at = self.now
        changed = row.content_hash != digest
        if not changed:
            if merged.aliases != stored.aliases:  # bookkeeping only: no revision, no new post
                row.data = data
        else:
            before = row.search_text
            for key, value in _row_values(merged, digest, data).items():
                setattr(row, key, value)
            row.revision_count += 1
            row.updated_at = self.now
            self.revisions.append(_Revision(row, row.revision_count, digest, row.data))
            self.grams.append((row, before, row.search_text))
        # A post that failed to render before is tried again.
        post = merged if changed or row.post_hash is None else None
        outcome = _Outcome(row, "updated" if changed else "unchanged", post)
        self.outcomes.append(outcome)
        return outcome

    def finish(self) -> UpsertResult:
        session = self.session
        session.flush()  # the merged rows
        if self.revisions:
            session.execute(
                _insert(session, ArticleRevisionRow.__table__),
                [
                    {
                        "article_id": _id_of(r.target),
                        "number": r.number,
                        "content_hash": r.digest,
                        "data": r.data,
                        "crawl_run_id": self.run_id,
                        "created_at": self.now,
                    }
                    for r in self.revisions
                ],
            )
        # In batch order: index_grams nets an article written twice (its first text to its last).
        changes = [(_id_of(t), _published_of(t), before, after) for t, before, after in self.grams]
        search.index_grams(session, changes)
        result = UpsertResult()
        for outcome in self.outcomes:
            article_id = _id_of(outcome.target)
            setattr(result, outcome.status, getattr(result, outcome.status) + 1)
            result.ids.append(article_id)
            if outcome.post is not None:
                result.posts.append(PostWanted(article_id, outcome.post, outcome.status))
        return result


def _published_of(target: _New | ArticleRow) -> datetime:
    if isinstance(target, ArticleRow):
        return target.published_at
    published: datetime = target.values["published_at"]
    return published


def _id_of(target: _New | ArticleRow) -> int:
    if isinstance(target, ArticleRow):
        return target.id
    assert target.id is not None
    return target.id


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


def _duplicate_candidates(session: Session, sid: int, wanted: Sequence[Keys]) -> list[ArticleRow]:
    """Stored articles of the source sharing a body hash or a title key with any of `wanted`."""
    hashes = sorted({h for h, _ in wanted if h is not None})
    keys = sorted({k for _, k in wanted if k is not None})
    found: dict[int, ArticleRow] = {}
    for start in range(0, max(len(hashes), len(keys)), 500):  # far below any bind-parameter limit
        branches = []
        if chunk := hashes[start : start + 500]:
            branches.append(ArticleRow.body_hash.in_(chunk))
        if chunk := keys[start : start + 500]:
            branches.append(ArticleRow.dedupe_key.in_(chunk))
        # The source is checked here, not in SQL. SQLite without statistics (a database nobody
        # ran ANALYZE on: every one the service creates) preferred `source_id = ?` on the unique
        # index to the two hash indexes, even inside each OR branch, and so read every article of
        # the source: at 20,000 articles 4.6 of the 12.7 s that 5,000 new articles took. With only
        # the hashes in the WHERE clause the hash indexes are the only ones that apply.
        for row in session.scalars(
            select(ArticleRow).where(or_(*branches)).order_by(ArticleRow.id).with_for_update()
        ):
            if row.source_id == sid:
                found[row.id] = row
    return list(found.values())


def _duplicate(
    sid: int, article: Article, keys: Keys, pool: Iterable[ArticleRow], planned: Sequence[_New]
) -> ArticleRow | _New | None:
    """A stored or batch-planned article of the same source that is this one under another id
    (same_document): the oldest first, as a look-up ordered by id would find it. `pool`: the
    loaded rows (their current keys); `planned`: the batch's new articles, inserted (an id)
    or not yet (after every id, in batch order)."""
    digest, key = keys
    if digest is None and key is None:
        return None

    def shares(row_digest: str | None, row_key: str | None) -> bool:
        return (digest is not None and row_digest == digest) or (key is not None and row_key == key)

    found: list[tuple[float, ArticleRow | _New, dict[str, Any]]] = [
        (r.id, r, r.data) for r in pool if r.source_id == sid and shares(r.body_hash, r.dedupe_key)
    ]
    found += [
        (math.inf if new.id is None else new.id, new, new.values["data"])
        for new in planned
        # A loaded one is in the pool, with the keys of what merged into it since.
        if new.row is None and shares(new.values["body_hash"], new.values["dedupe_key"])
    ]
    found.sort(key=lambda c: c[0])  # stable: the ones not inserted yet stay in batch order
    return next((t for _, t, data in found if same_document(article_from_dict(data), article)), None)


def _add_alias(session: Session, sid: int, external_id: str, article_id: int, now: datetime) -> None:
    stmt = _insert(session, ArticleAliasRow).values(
        source_id=sid, external_id=external_id, article_id=article_id, created_at=now
    )
    session.execute(stmt.on_conflict_do_nothing(index_elements=["source_id", "external_id"]))


def _new_values(
    sid: int, article: Article, digest: str, data: dict[str, Any], keys: Keys, now: datetime
) -> dict[str, Any]:
    return _row_values(article, digest, data, keys=keys) | {
        "source_id": sid,
        "external_id": article.external_id,
        "revision_count": 1,
        "first_seen_at": now,
        "last_seen_at": now,
        "updated_at": now,
    }


def _insert_new(session: Session, sid: int, pending: Sequence[_New]) -> dict[str, int]:
    """Insert the planned rows in one executemany; their ids by external id (a row another
    writer inserted first is skipped, and missing here)."""
    # A Core insert with the values as parameters: one cached statement (SQLAlchemy's
    # insertmanyvalues sends the batch as multi-row VALUES with RETURNING). The external id
    # comes back with each id: rows skipped on conflict leave no gap to misalign.
    stmt = (
        _insert(session, ArticleRow.__table__)
        .on_conflict_do_nothing(index_elements=["source_id", "external_id"])
        .returning(ArticleRow.external_id, ArticleRow.id)
    )
    return {external_id: new_id for external_id, new_id in session.execute(stmt, [p.values for p in pending])}


def store_posts(*, session: Session, posts: Mapping[int, tuple[str, str] | None]) -> int:
    """Store rendered posts by article id, as (text, hash); None clears a post (its rendering
    failed: the next crawl renders it again). Returns how many rows were written."""
    if not posts:
        return 0
    # One executemany on the table (why: storage.validators.save_validators).
    stmt = (
        update(ARTICLES)
        .where(ARTICLES.c.id == bindparam("b_id"))
        .values(post_text=bindparam("b_text"), post_hash=bindparam("b_hash"))
    )
    rows = [
        {"b_id": article_id, "b_text": post[0] if post else None, "b_hash": post[1] if post else None}
        for article_id, post in posts.items()
    ]
    return session.execute(stmt, rows).rowcount  # type: ignore[attr-defined,no-any-return]


# The columns a StoredArticle is made of. Not the whole row: body_html, search_text and the
# search terms repeat what `data` holds, and reading them tripled the bytes of a page of 20.
_STORED_COLUMNS = (
    ArticleRow.id,
    SourceRow.name,
    ArticleRow.data,
    ArticleRow.content_hash,
    ArticleRow.revision_count,
    ArticleRow.post_text,
    ArticleRow.post_hash,
    ArticleRow.first_seen_at,
    ArticleRow.last_seen_at,
    ArticleRow.updated_at,
    ArticleRow.published_at,  # the cursor's, as stored (UTC)
)


def _stored(row: Row[Any]) -> StoredArticle:
    return StoredArticle(
        id=row.id,
        source=row.name,
        article=article_from_dict(row.data),
        content_hash=row.content_hash,
        revision_count=row.revision_count,
        post_text=row.post_text,
        post_hash=row.post_hash,
        first_seen_at=row.first_seen_at,
        last_seen_at=row.last_seen_at,
        updated_at=row.updated_at,
    )


def _select() -> Select[Any]:
    return select(*_STORED_COLUMNS).join(SourceRow, SourceRow.id == ArticleRow.source_id)


def get_article(*, session: Session, article_id: int) -> StoredArticle | None:
    found = session.execute(_select().where(ArticleRow.id == article_id)).first()
    return _stored(found) if found else None


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
    return _stored(found) if found else None


@dataclass(frozen=True, slots=True)
class ArticleFilter:
    query: str | None = None
    source: str | None = None
    ministry: str | None = None
    section: str | None = None
    since: datetime | None = None
    until: datetime | None = None  # exclusive
    license_type: int | None = None  # KOGL type 1..4


def _encode_cursor(row: Row[Any]) -> str:
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
        # A subquery, not a join: the search routes read thousands of candidate rows, and a
        # join to sources cost PostgreSQL 3.4 of 10.6 ms for a word in 5,072 of 100,000 articles.
        # Scalar (names are unique): `source_id = (…)` reads ix_articles_source_published in date
        # order, where `source_id IN (…)` made SQLite sort every article of the source.
        named = select(SourceRow.id).where(SourceRow.name == where.source).scalar_subquery()
        conditions.append(ArticleRow.source_id == named)
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
            .where(*conditions, *match)
            .order_by(ArticleRow.published_at.desc(), ArticleRow.id.desc())
            .limit(limit + 1)
        )

    # The search module picks how to match the query words on this backend.
    ids = [r[0] for r in search.find(session, where.query, page)]
    found = {row.id: row for row in session.execute(_select().where(ArticleRow.id.in_(ids)))}
    rows = [found[i] for i in ids if i in found]
    items = [_stored(r) for r in rows[:limit]]
    next_cursor = _encode_cursor(rows[limit - 1]) if len(rows) > limit else None
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
