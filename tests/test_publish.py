"""`briefing publish` against a local bare repository standing in for the blog's remote."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from domain.article import KST
from scheduler.publish import (
    PublishError,
    PublishTarget,
    Remote,
    commit_message,
    load_target,
    publish,
    redact,
)
from tests.factories import export_item as item
from tests.git_http import git_http_remote

NOW = datetime(2026, 5, 20, 12, 0, tzinfo=KST)


def run_git(*args: str, cwd: Path | None = None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    bare = tmp_path / "blog.git"
    run_git("init", "--quiet", "--bare", "--initial-branch=main", str(bare))
    return bare


def commits(bare: Path) -> list[str]:
    done = subprocess.run(["git", "--git-dir", str(bare), "log", "--format=%s", "main"],
                          capture_output=True, text=True)
    return done.stdout.splitlines() if done.returncode == 0 else []


def files(bare: Path) -> list[str]:
    return run_git("-c", "core.quotePath=false", "--git-dir", str(bare), "ls-tree", "-r", "--name-only",
                   "main").splitlines()


def changed_files(bare: Path) -> list[str]:
    return run_git("-c", "core.quotePath=false", "--git-dir", str(bare), "show", "--name-only", "--format=",
                   "main").split()


def target(tmp_path: Path, remote: Path) -> PublishTarget:
    return PublishTarget(repo=tmp_path / "work", remote_url=str(remote))


def test_publish_commits_pushes_and_repeats_nothing(tmp_path: Path, remote: Path) -> None:
    where = target(tmp_path, remote)
    items = [item("1"), item("2"), item("3")]
    first = publish(items, where, now=NOW)
    assert first.pushed and first.committed and first.pending == 0
    assert commits(remote) == ["briefing: publish 3 posts"]
    posted = [name for name in files(remote) if name.startswith("_posts/")]
    assert len(posted) == 3
    assert ".briefing-manifest.json" in files(remote)
    assert ".briefing-export.lock" not in files(remote)
    message = run_git("--git-dir", str(remote), "log", "-1", "--format=%B", "main")
    assert "- added 2026-05-12-정책-소식-1.md: 정책 소식 1" in message

    again = publish(items, where, now=NOW)
    assert again.committed is None and not again.pushed and again.push_error is None
    assert len(commits(remote)) == 1

    edited = [item("1"), item("2", body="<p>고친 본문이다.</p>"), item("3")]
    third = publish(edited, where, now=NOW)
    assert third.pushed
    assert commits(remote)[0] == "briefing: publish 1 post"
    assert changed_files(remote) == ["_posts/2026-05-12-정책-소식-2.md"]


def test_embargoed_article_appears_only_after_its_time(tmp_path: Path, remote: Path) -> None:
    where = target(tmp_path, remote)
    until = NOW + timedelta(hours=2)
    items = [item("1"), item("9", title="엠바고 기사", embargo_until=until)]
    publish(items, where, now=NOW)
    assert not any("엠바고" in name for name in files(remote))
    publish(items, where, now=until - timedelta(minutes=1))
    assert len(commits(remote)) == 1
    later = publish(items, where, now=until + timedelta(minutes=1))
    assert later.pushed
    assert "_posts/2026-05-12-엠바고-기사.md" in files(remote)
    assert set(changed_files(remote)) == {"_posts/2026-05-12-엠바고-기사.md", ".briefing-manifest.json"}


def test_refused_push_is_retried_and_nothing_is_lost(tmp_path: Path, remote: Path) -> None:
    flag = tmp_path / "refuse-once"
    flag.touch()
    hook = remote / "hooks" / "pre-receive"
    hook.write_text(f'#!/bin/sh\nif [ -e "{flag}" ]; then rm "{flag}"; echo "refused" >&2; exit 1; fi\n')
    hook.chmod(0o755)
    where = target(tmp_path, remote)
    items = [item("1"), item("2")]

    first = publish(items, where, now=NOW)
    assert first.committed and not first.pushed
    assert first.push_error is not None and "pre-receive hook declined" in first.push_error
    assert first.pending == 1
    assert commits(remote) == []

    # the next run, a new article on top: the waiting commit is pushed along with the new one
    second = publish([*items, item("3")], where, now=NOW)
    assert second.pushed and second.pending == 0
    assert commits(remote) == ["briefing: publish 1 post", "briefing: publish 2 posts"]
    assert len([name for name in files(remote) if name.startswith("_posts/")]) == 3


def test_publish_into_an_existing_working_copy_keeps_the_blogs_files(tmp_path: Path, remote: Path) -> None:
    seed = tmp_path / "seed"
    run_git("clone", "--quiet", str(remote), str(seed))
    (seed / "_config.yml").write_text("title: my blog\n")
    (seed / "_posts").mkdir()
    (seed / "_posts" / "2026-01-01-hello.md").write_text("---\ntitle: hello\n---\nhi\n")
    run_git("add", "-A", cwd=seed)
    run_git("-c", "user.name=me", "-c", "user.email=me@example.com", "commit", "-qm", "blog", cwd=seed)
    run_git("push", "-q", "origin", "HEAD:main", cwd=seed)
    # the user's own draft, not committed: publish never stages it
    (seed / "_posts" / "2026-01-02-draft.md").write_text("---\ntitle: draft\n---\n")

    result = publish([item("1")], PublishTarget(repo=seed), now=NOW)
    assert result.pushed
    assert "_posts/2026-01-01-hello.md" in files(remote)
    assert "_posts/2026-01-02-draft.md" not in files(remote)
    assert commits(remote) == ["briefing: publish 1 post", "blog"]


def test_remote_changes_are_rebased_under_our_commit(tmp_path: Path, remote: Path) -> None:
    where = target(tmp_path, remote)
    publish([item("1")], where, now=NOW)
    other = tmp_path / "other"
    run_git("clone", "--quiet", str(remote), str(other))
    (other / "about.md").write_text("about\n")
    run_git("add", "-A", cwd=other)
    run_git("-c", "user.name=me", "-c", "user.email=me@example.com", "commit", "-qm", "about page", cwd=other)
    run_git("push", "-q", "origin", "HEAD:main", cwd=other)
    result = publish([item("1"), item("2")], where, now=NOW)
    assert result.pushed
    assert commits(remote)[:2] == ["briefing: publish 1 post", "about page"]


def test_credentials_never_reach_errors_or_the_working_copy(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("BLOG_TOKEN", "s3cret-token")
    where = PublishTarget(repo=tmp_path / "work", remote_url="http://user:${BLOG_TOKEN}@127.0.0.1:9/blog.git")
    with pytest.raises(PublishError) as caught:
        publish([item("1")], where, now=NOW)
    assert "s3cret-token" not in str(caught.value)
    assert redact("clone https://u:p@example.com/x.git and ssh://git@host/y") == (
        "clone https://***@example.com/x.git and ssh://***@host/y"
    )


def _logging_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A `git` first on PATH that writes its command line to a file, then runs the real git: what
    `ps` would have shown."""
    real = shutil.which("git")
    assert real is not None
    log, shim = tmp_path / "argv.log", tmp_path / "bin" / "git"
    shim.parent.mkdir()
    shim.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{log}"\nexec "{real}" "$@"\n')
    shim.chmod(0o755)
    monkeypatch.setenv("PATH", f"{shim.parent}{os.pathsep}{os.environ['PATH']}")
    return log


def test_a_password_in_remote_url_reaches_git_by_its_environment_never_its_command_line(
    tmp_path: Path, remote: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The token in `remote_url` once went on git's argv (clone, ls-remote, fetch, push), where
    `ps` shows it to every user of the machine."""
    argv = _logging_git(tmp_path, monkeypatch)
    monkeypatch.setenv("BLOG_TOKEN", "s3cret-token")
    with git_http_remote(tmp_path, "blog.git", "blogger", "s3cret-token") as server:
        url = server.url.replace("http://", "http://blogger:${BLOG_TOKEN}@")
        where = PublishTarget(repo=tmp_path / "work", remote_url=url)
        first = publish([item("1")], where, now=NOW)
        second = publish([item("1"), item("2")], where, now=NOW + timedelta(hours=1))
    assert first.pushed and second.pushed  # the remote took the credentials (it answers 401 without)
    assert commits(remote) == ["briefing: publish 1 post", "briefing: publish 1 post"]
    logged = argv.read_text()
    assert "push" in logged and "ls-remote" in logged and "clone" in logged
    assert "s3cret-token" not in logged
    assert "s3cret-token" not in (tmp_path / "work" / ".git" / "config").read_text()


def test_a_wrong_password_is_refused_by_the_remote_and_redacted(
    tmp_path: Path, remote: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BLOG_TOKEN", "wrong-token")
    with git_http_remote(tmp_path, "blog.git", "blogger", "s3cret-token") as server:
        url = server.url.replace("http://", "http://blogger:${BLOG_TOKEN}@")
        with pytest.raises(PublishError) as caught:
            publish([item("1")], PublishTarget(repo=tmp_path / "work", remote_url=url), now=NOW)
        assert server.refused
    assert "wrong-token" not in str(caught.value)
    assert commits(remote) == []


def test_remote_split_keeps_only_the_address_for_the_command_line() -> None:
    split = Remote.parse("https://me%40home:p%2Fss@git.example.com:8443/blog.git")
    assert split == Remote("https://git.example.com:8443/blog.git", "me@home", "p/ss")
    assert "p/ss" not in " ".join(split.options())
    assert split.environment()["BRIEFING_GIT_PASSWORD"] == "p/ss"
    plain_remotes = ("https://git.example.com/blog.git", "git@github.com:me/blog.git", "/srv/b.git", "origin")
    for plain in plain_remotes:
        assert Remote.parse(plain) == Remote(plain) and Remote(plain).options() == []


def test_publish_table_is_read_from_the_profile(tmp_path: Path) -> None:
    profile = tmp_path / "blog.toml"
    profile.write_text(
        'heading = "## 새 소식"\n[publish]\nrepo = "blog"\nbranch = "gh-pages"\nafter_crawl = true\n'
    )
    loaded = load_target(profile)
    assert loaded == PublishTarget(repo=tmp_path / "blog", branch="gh-pages", after_crawl=True)
    profile.write_text('[publish]\nrepo = "blog"\nbrnach = "x"\n')
    with pytest.raises(PublishError, match="unknown key"):
        load_target(profile)


def test_commit_message_lists_each_post() -> None:
    message = commit_message(["A _posts/a.md", "M _posts/b.md", "M .briefing-manifest.json"], {"a.md": "가"})
    assert message == (
        "briefing: publish 2 posts\n\n- added a.md: 가\n- updated b.md\n"
        "- 1 other file(s) (the manifest, images)\n"
    )


def test_profile_loader_leaves_the_service_tables_alone(tmp_path: Path) -> None:
    from crawler.posts.profile import ProfileError, load_profile

    profile = tmp_path / "blog.toml"
    profile.write_text('heading = "## 새 소식"\n[publish]\nrepo = "blog"\n[[notify.webhooks]]\nurl = "http://x/"\n')
    assert load_profile(profile).heading == "## 새 소식"
    profile.write_text('publish = "yes"\n')
    with pytest.raises(ProfileError, match="publish"):
        load_profile(profile)


def seeded_remote(tmp_path: Path, remote: Path) -> Path:
    seed = tmp_path / "seed"
    run_git("clone", "--quiet", str(remote), str(seed))
    (seed / "_config.yml").write_text("title: my blog\n")
    run_git("add", "-A", cwd=seed)
    run_git("-c", "user.name=me", "-c", "user.email=me@example.com", "commit", "-qm", "blog", cwd=seed)
    run_git("push", "-q", "origin", "HEAD:main", cwd=seed)
    return seed


def test_a_working_copy_on_another_branch_is_not_switched(tmp_path: Path, remote: Path) -> None:
    seed = seeded_remote(tmp_path, remote)
    run_git("switch", "-q", "-c", "drafts", cwd=seed)
    with pytest.raises(PublishError, match="on branch drafts"):
        publish([item("1")], PublishTarget(repo=seed), now=NOW)
    assert run_git("branch", "--show-current", cwd=seed).strip() == "drafts"


def test_a_managed_clone_publishes_to_a_new_branch(tmp_path: Path, remote: Path) -> None:
    seeded_remote(tmp_path, remote)
    where = PublishTarget(repo=tmp_path / "work", remote_url=str(remote), branch="gh-pages")
    assert publish([item("1")], where, now=NOW).pushed
    listed = run_git("-c", "core.quotePath=false", "--git-dir", str(remote), "ls-tree", "-r", "--name-only",
                     "gh-pages").split()
    assert listed == [".briefing-manifest.json", "_posts/2026-05-12-정책-소식-1.md"]
    assert commits(remote) == ["blog"]  # main untouched
