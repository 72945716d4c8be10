"""`briefing publish`: posts written into the blog's git repository, committed and pushed.

The working copy is the user's own clone, or one briefing clones and keeps (`[publish] repo`
missing: cloned from `remote_url`). Each publish:

    sync (fetch, rebase our unpushed commits onto the remote branch)
      → export (crawler.posts.export: only new and changed posts, embargo and licence checks)
      → stage only what export owns (its posts, the manifest, the images folder)
      → commit when something changed, the message listing the posts
      → push whenever the branch is ahead of the remote

A push that fails leaves the commit in the working copy; the next publish pushes it (the branch
is still ahead), so a post is never lost. git runs as a subprocess with GIT_TERMINAL_PROMPT=0:
credentials come from the environment (credential helpers, GIT_ASKPASS, an SSH agent, or
`${VARIABLE}`s in `remote_url`, expanded at run time) and every URL that reaches a log or an
error has its user and password replaced by `***`. A user and password in `remote_url` never
reach git's command line, which `ps` shows to every user of the machine: git gets the URL
without them and asks for them through a credential helper that reads them from its own
environment.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import subprocess
import tomllib
import urllib.parse
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from crawler.posts.export import LOCK_NAME, ExportError, ExportItem, ExportResult, export_posts
from crawler.posts.manifest import MANIFEST_NAME, ManifestError, read_manifest

if TYPE_CHECKING:
    from crawler.posts.images import ImageStore
    from crawler.posts.profile import Profile

log = logging.getLogger(__name__)

GIT_TIMEOUT_SECONDS = 300
DEFAULT_AUTHOR = ("briefing", "briefing@localhost")
_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]+@")


class PublishError(RuntimeError):
    """Publishing cannot go on; the message (credentials redacted) says what to fix."""


def redact(text: str) -> str:
    """`text` with the user and password of every URL in it replaced by `***`."""
    return _USERINFO.sub(r"\g<scheme>***@", text)


@dataclass(frozen=True, slots=True)
class PublishTarget:
    """The profile's `[publish]` table: where the blog's repository is and how to reach it."""

    repo: Path  # the working copy (cloned from remote_url when it does not exist yet)
    remote_url: str | None = None  # None: the working copy's own `remote`
    remote: str = "origin"
    branch: str = "main"
    site_dir: str = ""  # the Jekyll site inside the repository ("" = its root; e.g. "docs")
    after_crawl: bool = False  # the service publishes after every crawl that stored something
    author_name: str = DEFAULT_AUTHOR[0]
    author_email: str = DEFAULT_AUTHOR[1]

    @property
    def site(self) -> Path:
        return self.repo / self.site_dir if self.site_dir else self.repo


_KEYS = {"repo", "remote_url", "remote", "branch", "site_dir", "after_crawl", "author_name", "author_email"}


def target_from_table(table: dict[str, Any], *, origin: str, base: Path) -> PublishTarget:
    """A target from a parsed `[publish]` table; relative `repo` paths are relative to `base`."""
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise PublishError(f"{origin}: [publish] has unknown key(s) {', '.join(unknown)}; "
                           f"known: {', '.join(sorted(_KEYS))}")
    for key, value in table.items():
        wanted = bool if key == "after_crawl" else str
        if not isinstance(value, wanted):
            raise PublishError(f"{origin}: [publish] {key} must be a {wanted.__name__}")
    if "repo" not in table:
        raise PublishError(f"{origin}: [publish] needs repo = the blog's working copy (a folder)")
    site_dir = str(table.get("site_dir", ""))
    if site_dir.startswith("/") or ".." in PurePosixPath(site_dir).parts:
        raise PublishError(f"{origin}: [publish] site_dir must be a folder inside the repository")
    values = {key: value for key, value in table.items() if key != "repo"}
    return PublishTarget(repo=(base / str(table["repo"])).expanduser(), **values)


def load_target(profile_path: Path) -> PublishTarget | None:
    """The `[publish]` table of a profile file, or None when it has none."""
    try:
        data = tomllib.loads(profile_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise PublishError(f"{profile_path}: cannot read profile: {exc}") from exc
    table = data.get("publish")
    if table is None:
        return None
    if not isinstance(table, dict):
        raise PublishError(f"{profile_path}: publish must be a table ([publish])")
    return target_from_table(table, origin=str(profile_path), base=profile_path.parent)


@dataclass(frozen=True, slots=True)
class PublishResult:
    export: ExportResult | None
    committed: str | None = None  # the new commit's id, when there was something to commit
    changed: tuple[str, ...] = ()  # "A _posts/…", "M _posts/…", "D _posts/…"
    pushed: bool = False
    push_error: str | None = None  # redacted; the commit waits in the working copy for the next run
    pending: int = 0  # commits not on the remote after this run
    notes: list[str] = field(default_factory=list)


# --- git --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Remote:
    """A remote URL split for git's command line: `url` holds no password; the user and
    password go to git through `CREDENTIAL_HELPER`, in the environment of git alone."""

    url: str
    username: str | None = None
    password: str | None = None

    @classmethod
    def parse(cls, url: str) -> Remote:
        parts = urllib.parse.urlsplit(url)
        if parts.password is None or parts.hostname is None:
            return cls(url)  # nothing secret in it (ssh's user@host: no password either)
        host = parts.netloc.rpartition("@")[2]
        bare = urllib.parse.urlunsplit(parts._replace(netloc=host))
        return cls(bare, urllib.parse.unquote(parts.username or ""), urllib.parse.unquote(parts.password))

    def options(self) -> list[str]:
        """git's `-c` options: ours the only credential helper for this command."""
        if self.password is None:
            return []
        return ["-c", "credential.helper=", "-c", f"credential.helper={CREDENTIAL_HELPER}"]

    def environment(self) -> dict[str, str]:
        if self.password is None:
            return {}
        return {"BRIEFING_GIT_USERNAME": self.username or "", "BRIEFING_GIT_PASSWORD": self.password}


# A shell helper (git runs `!...` helpers with sh): it answers `get` from its environment.
CREDENTIAL_HELPER = (
    '!f() { test "$1" = get || exit 0; '
    'printf "username=%s\\npassword=%s\\n" "$BRIEFING_GIT_USERNAME" "$BRIEFING_GIT_PASSWORD"; }; f'
)


def _environment(remote: Remote | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["GIT_TERMINAL_PROMPT"] = "0"  # never wait for a password nobody will type
    env.setdefault("GIT_ASKPASS", "")  # no GUI prompt either, unless the user configured one
    env["LC_ALL"] = "C"  # messages we match on, in English
    env.update(remote.environment() if remote else {})
    return env


def git(
    args: Sequence[str], *, cwd: Path | None, check: bool = True, remote: Remote | None = None
) -> subprocess.CompletedProcess[str]:
    """Run git; a failure (with `check`) raises PublishError with its redacted message. A
    `remote` whose URL is in `args` brings its credentials (never on the command line)."""
    options = remote.options() if remote else []
    try:
        done = subprocess.run(
            ["git", *options, *args], cwd=cwd, env=_environment(remote), capture_output=True, text=True,
            timeout=GIT_TIMEOUT_SECONDS, check=False,
        )
    except FileNotFoundError as exc:
        raise PublishError("git is not installed; install it (apt-get install git)") from exc
    except subprocess.TimeoutExpired as exc:
        what = redact(" ".join(args[:2]))
        raise PublishError(f"git {what} took longer than {GIT_TIMEOUT_SECONDS}s") from exc
    if check and done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        # a refused push says why on its "[remote rejected]" line, not on its last one
        telling = [line for line in lines if "rejected" in line] or lines[-1:]
        message = redact(telling[0].strip()) if telling else f"exit {done.returncode}"
        raise PublishError(f"git {redact(args[0])} failed: {message}")
    return done


def _remote_url(target: PublishTarget) -> str | None:
    return os.path.expandvars(target.remote_url) if target.remote_url else None


def _push_to(target: PublishTarget) -> Remote:
    """What to fetch from and push to: the expanded URL (never stored in .git/config), or the remote."""
    return Remote.parse(_remote_url(target) or target.remote)


def ensure_working_copy(target: PublishTarget) -> Path:
    """The working copy, cloned from `remote_url` first when the folder does not exist (or is empty)."""
    repo = target.repo
    if (repo / ".git").exists():
        return repo
    if repo.exists() and any(repo.iterdir()):
        raise PublishError(f"{repo} is not a git working copy; set [publish] repo to the blog's clone")
    url = _remote_url(target)
    if url is None:
        raise PublishError(f"{repo} does not exist; clone the blog there or set [publish] remote_url")
    repo.parent.mkdir(parents=True, exist_ok=True)
    log.info("cloning %s into %s", redact(url), repo)
    remote = Remote.parse(url)
    git(["clone", "--quiet", "--origin", target.remote, remote.url, str(repo)], cwd=None, remote=remote)
    # Only the user and password-free form stays in .git/config; the real URL is expanded per run.
    git(["remote", "set-url", target.remote, target.remote_url or url], cwd=repo)
    # a fresh clone is ours: put it on the branch we publish to (the remote's, or a new one)
    if git(["rev-parse", "--verify", "--quiet", f"refs/remotes/{target.remote}/{target.branch}"], cwd=repo,
           check=False).returncode == 0:
        git(["checkout", "--quiet", "-B", target.branch, f"{target.remote}/{target.branch}"], cwd=repo)
    elif _has_commits(repo):
        git(["checkout", "--quiet", "--orphan", target.branch], cwd=repo)
        git(["rm", "-r", "--quiet", "--cached", "--ignore-unmatch", "."], cwd=repo)
    else:
        git(["symbolic-ref", "HEAD", f"refs/heads/{target.branch}"], cwd=repo)
    return repo


def _has_commits(repo: Path) -> bool:
    return git(["rev-parse", "--verify", "--quiet", "HEAD"], cwd=repo, check=False).returncode == 0


def _remote_head(target: PublishTarget, repo: Path) -> str | None:
    """The remote branch's commit id, fetched into the working copy; None when it has none yet."""
    remote = _push_to(target)
    listed = git(["ls-remote", "--heads", remote.url, target.branch], cwd=repo, remote=remote).stdout.split()
    if not listed:
        return None
    git(["fetch", "--quiet", remote.url, f"+refs/heads/{target.branch}"], cwd=repo, remote=remote)
    return listed[0]


def sync(target: PublishTarget, repo: Path) -> str | None:
    """Put our branch on top of the remote one (rebasing unpushed commits); the remote head or None."""
    current = git(["symbolic-ref", "--quiet", "--short", "HEAD"], cwd=repo, check=False).stdout.strip()
    if current != target.branch:
        if _has_commits(repo):
            # never switch the branch of someone's working copy under them
            raise PublishError(
                f"{repo} is on branch {current or '(detached)'}, not {target.branch}; "
                f"switch it (git switch {target.branch}) or set [publish] branch"
            )
        git(["symbolic-ref", "HEAD", f"refs/heads/{target.branch}"], cwd=repo)
    head = _remote_head(target, repo)
    if head is None:
        return None
    if not _has_commits(repo):
        git(["reset", "--quiet", "--hard", "FETCH_HEAD"], cwd=repo)
        return head
    if git(["merge-base", "--is-ancestor", "FETCH_HEAD", "HEAD"], cwd=repo, check=False).returncode == 0:
        return head  # nothing new on the remote
    rebased = git(["-c", f"user.name={target.author_name}", "-c", f"user.email={target.author_email}",
                   "rebase", "--quiet", "--autostash", "FETCH_HEAD"], cwd=repo, check=False)
    if rebased.returncode != 0:
        git(["rebase", "--abort"], cwd=repo, check=False)
        raise PublishError(
            f"{repo}: our unpushed commits conflict with the remote branch {target.branch}; "
            "resolve it in the working copy (git pull --rebase) and publish again"
        )
    return head


def _exclude_lock(repo: Path, site: Path) -> None:
    """Keep export's lock file out of `git status` (the repository's own exclude file, not .gitignore)."""
    exclude = repo / ".git" / "info" / "exclude"
    line = "/" + (site / LOCK_NAME).relative_to(repo).as_posix()
    existing = exclude.read_text(encoding="utf-8") if exclude.exists() else ""
    if line not in existing.splitlines():
        exclude.parent.mkdir(parents=True, exist_ok=True)
        exclude.write_text(existing + ("" if existing.endswith("\n") or not existing else "\n") + line + "\n",
                           encoding="utf-8")


def commit_message(changed: Sequence[str], titles: dict[str, str]) -> str:
    """`briefing: publish N posts`, then one line per post file: added/updated/removed, its title."""
    words = {"A": "added", "M": "updated", "D": "removed", "R": "renamed"}
    posts = [line for line in changed if "/_posts/" in f"/{line.split(maxsplit=1)[1]}"]
    lines = []
    for line in posts:
        status, path = line.split(maxsplit=1)
        name = PurePosixPath(path).name
        title = titles.get(name)
        lines.append(f"- {words.get(status[0], status)} {name}" + (f": {title}" if title else ""))
    others = len(changed) - len(posts)
    if others:
        lines.append(f"- {others} other file(s) (the manifest, images)")
    count = len(posts)
    return f"briefing: publish {count} post{'s' if count != 1 else ''}\n\n" + "\n".join(lines) + "\n"


def publish(
    items: Iterable[ExportItem],
    target: PublishTarget,
    *,
    now: datetime,
    all_licenses: bool = False,
    extra_paths: Iterable[Path] = (),
) -> PublishResult:
    """Export `items` into the blog's working copy, commit what changed and push what is not pushed.

    `extra_paths`: further files or folders of briefing's inside the site (the local images folder)
    to stage with the posts.
    """
    repo = ensure_working_copy(target)
    with _publish_lock(repo):
        return _publish_locked(items, target, repo, now=now, all_licenses=all_licenses,
                               extra_paths=extra_paths)


@contextmanager
def _publish_lock(repo: Path) -> Iterator[None]:
    """One publish at a time per working copy (the service after a crawl, a user's `briefing publish`)."""
    with open(repo / ".git" / "briefing-publish.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _publish_locked(
    items: Iterable[ExportItem],
    target: PublishTarget,
    repo: Path,
    *,
    now: datetime,
    all_licenses: bool,
    extra_paths: Iterable[Path],
) -> PublishResult:
    sync(target, repo)
    site = target.site
    _exclude_lock(repo, site)
    batch = list(items)
    try:
        before = set(read_manifest(site) or {})
        result = export_posts(batch, site, all_licenses=all_licenses, now=now)
        owners = read_manifest(site) or {}
    except (ExportError, ManifestError) as exc:
        raise PublishError(f"{site}: {exc}") from exc
    after = set(owners)
    stage = [path for path in (*result.paths, site / MANIFEST_NAME, *extra_paths) if path.exists()]
    if stage:
        git(["add", "--all", "--", *(str(p.relative_to(repo)) for p in stage)], cwd=repo)
    gone = [site / "_posts" / name for name in sorted(before - after)]
    if gone:
        git(["rm", "--cached", "--quiet", "--ignore-unmatch", "--",
             *(str(p.relative_to(repo)) for p in gone)], cwd=repo)
    listed = git(["-c", "core.quotePath=false", "diff", "--cached", "--name-status", "--no-renames"],
                 cwd=repo)
    changed = tuple(listed.stdout.splitlines())
    committed = None
    if changed:
        by_key = {item.key: str(item.post.front_matter.get("title", "")) for item in batch}
        titles = {name: by_key[key] for name, key in owners.items() if key in by_key}
        message = commit_message([" ".join(line.split("\t", 1)) for line in changed], titles)
        git(["-c", f"user.name={target.author_name}", "-c", f"user.email={target.author_email}",
             "commit", "--quiet", "--no-verify", "-m", message], cwd=repo)
        committed = git(["rev-parse", "HEAD"], cwd=repo).stdout.strip()
        log.info("committed %d file(s) in %s: %s", len(changed), repo, message.splitlines()[0])
    pushed, push_error = _push(target, repo)
    pending = _ahead(target, repo) if not pushed else 0
    return PublishResult(
        export=result, committed=committed, changed=changed, pushed=pushed, push_error=push_error,
        pending=pending,
    )


def _ahead(target: PublishTarget, repo: Path) -> int:
    """Commits on our branch that the remote branch lacks (all of them when it has none)."""
    if not _has_commits(repo):
        return 0
    remote = _remote_head(target, repo)
    spec = "HEAD" if remote is None else f"{remote}..HEAD"
    done = git(["rev-list", "--count", spec], cwd=repo, check=False)
    return int(done.stdout.strip() or 0) if done.returncode == 0 else 0


def _push(target: PublishTarget, repo: Path) -> tuple[bool, str | None]:
    """Push when the branch is ahead; (pushed anything, the redacted error of a failed push)."""
    remote = _push_to(target)
    try:
        if _ahead(target, repo) == 0:
            return False, None
        git(["push", "--quiet", remote.url, f"HEAD:refs/heads/{target.branch}"], cwd=repo, remote=remote)
    except PublishError as exc:
        log.warning("push to %s failed, retried on the next publish: %s", redact(remote.url), exc)
        return False, str(exc)
    log.info("pushed %s to %s", target.branch, redact(remote.url))
    return True, None


# --- from storage -----------------------------------------------------------------------------


def image_store(profile: Profile, site: Path, allowed_private_networks: Iterable[str]) -> ImageStore | None:
    """Where `briefing export` and `briefing publish` copy a post's pictures into the site, under
    the crawler's outbound policy; None when the profile keeps them linked at their source."""
    from crawler.outbound import Policy
    from crawler.posts.images import ImageStore

    if not profile.local_images:
        return None
    return ImageStore(site, profile.assets_dir, policy=Policy.build(networks=allowed_private_networks))


def publish_stored(
    database_url: str,
    profile_path: Path,
    *,
    now: datetime,
    allowed_private_networks: Iterable[str] = (),
    all_licenses: bool = False,
) -> PublishResult:
    """Publish every stored article through the profile at `profile_path` and its `[publish]` table.

    Every stored article is rendered (the export writes only what changed), with local images
    when the profile asks for them.
    """
    from crawler.posts.images import localize
    from crawler.posts.normalize import normalize
    from crawler.posts.profile import load_profile
    from storage import Database, iter_articles

    profile = load_profile(profile_path)
    target = load_target(profile_path)
    if target is None:
        raise PublishError(f"{profile_path}: no [publish] table; run `briefing init` or add one (README)")
    ensure_working_copy(target)  # images are written into it before the export
    store = image_store(profile, target.site, allowed_private_networks)
    db = Database(database_url)
    try:
        with db.session(read_only=True) as session:
            items = []
            for stored in iter_articles(session=session):
                post = normalize(stored.article, profile)
                if store is not None:
                    post = localize(post, stored.article, profile, store)
                items.append(ExportItem(stored.source, stored.article.external_id, post,
                                        stored.article.license_type, stored.article.embargo_until))
    finally:
        db.dispose()
    if store is not None:
        store.save_index()
    extra = [store.folder] if store is not None and store.folder.exists() else []
    # oldest first: when two articles want one file name, the older keeps it (as `briefing export`)
    return publish(reversed(items), target, now=now, all_licenses=all_licenses, extra_paths=extra)
