"""Writing posts into a Jekyll site's `_posts`: licence and embargo checks, file ownership, atomic writes.

A post file belongs to an article id (source, external_id), recorded in a manifest in the output
folder (`.briefing-manifest.json`; Jekyll skips dot files), never to a URL: two articles sharing
a link, a date and a title get two files, and exporting them again writes nothing. Exports into one
folder take turns through a lock file there (`fcntl.flock`).
"""

from __future__ import annotations

import fcntl
import hashlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from crawler.atomic import write_atomic
from crawler.posts.licence import KOGL_CONDITIONS
from crawler.posts.manifest import (
    MANIFEST_NAME,
    ArticleKey,
    ManifestError,
    foreign_files,
    manifest_text,
    owners_of,
    read_manifest,
)
from crawler.posts.post import Post
from crawler.posts.slug import FALLBACK, slugify, truncate
from domain.article import KST

# KOGL type 1 ("출처표시") is the only licence that allows republishing with attribution alone.
EXPORTABLE_LICENSE = 1
LOCK_NAME = ".briefing-export.lock"
# Most file systems limit a file name to 255 bytes.
_MAX_NAME_BYTES = 255

@dataclass(frozen=True, slots=True)
class ExportItem:
    source: str
    external_id: str
    post: Post
    license_type: int | None
    embargo_until: datetime | None

    @property
    def key(self) -> ArticleKey:
        return (self.source, self.external_id)


class SkipReason(StrEnum):
    LICENCE = "licence"
    EMBARGO = "embargo"


@dataclass(frozen=True, slots=True)
class SkippedItem:
    """An article export left out, and why (the CLI prints these)."""

    source: str
    external_id: str
    title: str
    reason: SkipReason
    detail: str  # one line for the user, e.g. "KOGL type 4 (…): only type 1 without --all-licenses"


@dataclass(frozen=True, slots=True)
class ExportResult:
    written: int
    unchanged: int
    paths: list[Path] = field(default_factory=list)  # every post file written or already current
    removed: int = 0  # older files of the same articles (a changed title or date renames the post)
    skipped_items: tuple[SkippedItem, ...] = ()

    @property
    def skipped(self) -> int:
        return len(self.skipped_items)


class ExportError(RuntimeError):
    """The output folder cannot be used as it is; the message says what to change."""


def export_posts(
    items: Iterable[ExportItem], out_dir: Path, *, all_licenses: bool = False, now: datetime
) -> ExportResult:
    """Write each exportable post to `out_dir/_posts/<filename>`, rewriting only what changed.

    Skipped (and listed with the reason): licences other than KOGL type 1 (unless `all_licenses`)
    and embargoes later than `now`. File names: see `assign_filenames`. Each write is atomic; the
    whole export holds the folder's lock, so a concurrent export waits and then finds it all done.
    """
    exportable: dict[ArticleKey, ExportItem] = {}
    skipped: list[SkippedItem] = []
    for item in items:
        why = skip_reason(item, all_licenses=all_licenses, now=now)
        if why is None:
            exportable[item.key] = item  # the same article twice: the later item is the newer rendering
        else:
            skipped.append(why)
    if not exportable:
        return ExportResult(written=0, unchanged=0, skipped_items=tuple(skipped))
    posts_dir = out_dir / "_posts"
    with _locked(out_dir):
        try:
            manifest = read_manifest(out_dir)
        except ManifestError as exc:
            raise ExportError(str(exc)) from exc
        posts = {key: item.post for key, item in exportable.items()}
        owners = owners_of(posts_dir, manifest, posts)
        names = assign_filenames(exportable.values(), owners, taken=foreign_files(posts_dir, owners))
        written = unchanged = removed = 0
        paths: list[Path] = []
        for key, item in exportable.items():
            path = _inside(posts_dir, names[key])
            if _write_if_changed(path, item.post.text):
                written += 1
            else:
                unchanged += 1
            paths.append(path)
        for name, key in sorted(owners.items()):
            if key in names and names[key] != name:  # this article's older file, under its old name
                path = _inside(posts_dir, name)
                if not path.is_symlink():
                    path.unlink(missing_ok=True)
                    removed += 1
                del owners[name]
        owners.update((name, key) for key, name in names.items())
        if owners != manifest:  # nothing changed: a re-export writes nothing, the manifest neither
            _write_if_changed(out_dir / MANIFEST_NAME, manifest_text(owners))
    return ExportResult(
        written=written, unchanged=unchanged, paths=paths, removed=removed, skipped_items=tuple(skipped)
    )


def skip_reason(item: ExportItem, *, all_licenses: bool, now: datetime) -> SkippedItem | None:
    """Why `item` is not exported, or None when it is."""
    if not all_licenses and item.license_type != EXPORTABLE_LICENSE:
        if item.license_type in KOGL_CONDITIONS:
            detail = (
                f"KOGL type {item.license_type} ({KOGL_CONDITIONS[item.license_type]}): "
                "only type 1 is exported without --all-licenses"
            )
        else:
            detail = "no KOGL type stated: only type 1 is exported without --all-licenses"
        return _skipped(item, SkipReason.LICENCE, detail)
    if item.embargo_until is not None and _aware(item.embargo_until) > _aware(now):
        until = _aware(item.embargo_until).astimezone(KST).isoformat(timespec="minutes")
        return _skipped(item, SkipReason.EMBARGO, f"embargoed until {until}")
    return None


def is_exportable(item: ExportItem, *, all_licenses: bool, now: datetime) -> bool:
    return skip_reason(item, all_licenses=all_licenses, now=now) is None


def _skipped(item: ExportItem, reason: SkipReason, detail: str) -> SkippedItem:
    title = str(item.post.front_matter.get("title", ""))
    return SkippedItem(item.source, item.external_id, title, reason, detail)


def _aware(moment: datetime) -> datetime:
    # Stored times are Seoul times; a naive one would otherwise not compare at all.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=KST)


def assign_filenames(
    items: Iterable[ExportItem], owners: dict[str, ArticleKey], *, taken: Iterable[str] = ()
) -> dict[ArticleKey, str]:
    """The file name of each item; never one name for two articles, never a name in `taken`.

    `owners` maps existing post files to the article that owns them; `taken` names files that
    belong to no article (hand-written posts), which are never touched. Each item's candidates
    are its post's file name, then that name with `-<source>-<external_id>`, then with a hash
    of its id too. An item keeps the first candidate it already owns, so a re-export renames
    nothing; the others, in (source, external_id) order (so the order of `items` does not matter),
    take their first candidate nobody owns.
    """
    batch = {item.key: item for item in items}
    blocked = set(taken) | set(owners)
    owned_by: dict[ArticleKey, set[str]] = {}
    for name, key in owners.items():
        owned_by.setdefault(key, set()).add(name)
    names: dict[ArticleKey, str] = {}
    for key, item in sorted(batch.items()):
        if key in owned_by:
            owned = next((name for name in _candidates(item) if name in owned_by[key]), None)
            if owned is not None:
                names[key] = owned
    used = set(names.values())
    for key, item in sorted(batch.items()):
        if key not in names:
            free = next((n for n in _candidates(item) if n not in blocked and n not in used), None)
            if free is None:
                raise ExportError(
                    f"{item.source}/{item.external_id}: every file name it could take is in use in the "
                    "posts folder; move the look-alike files away and export again"
                )
            names[key] = free
            used.add(free)
    return names


_MAX_CANDIDATES = 100


def _candidates(item: ExportItem) -> Iterator[str]:
    yield item.post.filename
    suffix = f"-{slugify(item.source)}-{slugify(item.external_id)}"
    yield _suffixed_name(item.post, suffix)
    # Two ids can slugify alike ("a_b", "a-b"): the hash of the exact id tells them apart.
    digest = hashlib.sha256("\0".join(item.key).encode("utf-8")).hexdigest()
    yield _suffixed_name(item.post, f"{suffix}-{digest[:10]}")
    for n in range(2, _MAX_CANDIDATES):  # only a folder full of hand-made look-alikes gets here
        yield _suffixed_name(item.post, f"{suffix}-{digest[:10]}-{n}")


def _suffixed_name(post: Post, suffix: str) -> str:
    prefix = f"{post.date.isoformat()}-"
    budget = _MAX_NAME_BYTES - len(f"{prefix}{suffix}.md".encode())
    slug = truncate(post.slug, max_chars=len(post.slug), max_bytes=budget) or FALLBACK
    return f"{prefix}{slug}{suffix}.md"


# --- files ----------------------------------------------------------------------------------------


@contextmanager
def _locked(out_dir: Path) -> Iterator[None]:
    """Hold the output folder's export lock: a second export waits for the first to finish."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / LOCK_NAME, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _inside(posts_dir: Path, name: str) -> Path:
    """`posts_dir / name`, refusing any name that would leave the directory."""
    path = posts_dir / name
    if "/" in name or "\\" in name or name.startswith(".") or path.resolve().parent != posts_dir.resolve():
        raise ExportError(f"refusing to write {name!r}: not a plain file name inside {posts_dir}")
    return path


def _write_if_changed(path: Path, text: str) -> bool:
    """Atomically replace `path` with `text` unless it already holds exactly that; True if written."""
    data = text.encode("utf-8")
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    write_atomic(path, data)
    return True


def skipped_report(skipped: Iterable[SkippedItem], *, verbose: bool) -> list[str]:
    """Lines telling the user what was left out: each article with its reason, or a count per reason."""
    items = list(skipped)
    if not items:
        return []
    if verbose:
        return [f"skipped {s.source}/{s.external_id} {s.title!r}: {s.detail}" for s in items]
    counts: dict[str, int] = {}
    for s in items:
        counts[s.detail] = counts.get(s.detail, 0) + 1
    width = len(str(max(counts.values())))
    lines = [f"  {count:>{width}}  {detail}" for detail, count in sorted(counts.items())]
    return ["skipped (--verbose lists each article):", *lines]
