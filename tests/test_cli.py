"""The `briefing` CLI over a seeded database: output shapes, exit codes and messages."""

from __future__ import annotations

import json
from pathlib import Path

import frontmatter
import pytest
import yaml
from typer.testing import CliRunner

import storage
from crawler.posts.render import PostRenderer
from scheduler.cli import app
from storage import Database
from tests.factories import make_article
from tests.local_server import serve_files

runner = CliRunner()


@pytest.fixture
def cli_env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:

    monkeypatch.chdir(tmp_path)  # no stray .env or ./data from the repo
    return {"BRIEFING_DATABASE_URL": db_url, "BRIEFING_DATA_DIR": str(tmp_path / "data")}


def seed(db_url: str, *articles) -> list[int]:  # type: ignore[no-untyped-def]
    db = Database(db_url)
    with db.session() as session:
        result = storage.upsert_articles(
            session=session, articles=list(articles), render_post=PostRenderer.from_path(None).render
        )
    db.dispose()
    return result.ids


def invoke(env: dict[str, str], *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), env=env, catch_exceptions=False)


def test_articles_list_json_has_the_documented_fields(cli_env, db_url) -> None:  # type: ignore[no-untyped-def]
    seed(db_url, make_article(1), make_article(2, tags=("AI", "예산")))
    result = invoke(cli_env, "articles", "list", "--format", "json", "--limit", "5")
    assert result.exit_code == 0, result.output
    items = json.loads(result.output)
    assert [i["external_id"] for i in items] == ["148900002", "148900001"]
    required = {"id", "source", "external_id", "url", "title", "subtitle", "published_at", "ministry", "tags"}
    assert required | {"license", "body_html"} <= set(items[0])
    assert items[0]["tags"] == ["AI", "예산"] and items[0]["license"] == "KOGL-1"
    assert items[0]["published_at"].endswith("+00:00") or "+" in items[0]["published_at"]


def test_articles_list_table_and_limit(cli_env, db_url) -> None:  # type: ignore[no-untyped-def]
    seed(db_url, *(make_article(n) for n in range(1, 5)))
    result = invoke(cli_env, "articles", "list", "--limit", "2")
    assert result.exit_code == 0
    assert "정책 기사 4" in result.output and "정책 기사 3" in result.output
    assert "정책 기사 2" not in result.output


def test_articles_show_json_md_and_unknown(cli_env, db_url) -> None:  # type: ignore[no-untyped-def]
    (article_id,) = seed(db_url, make_article(1))
    shown = json.loads(invoke(cli_env, "articles", "show", str(article_id)).output)
    assert shown["revisions"] == 1 and shown["body_html"] == "<p>기사 1의 본문입니다.</p>"
    post = invoke(cli_env, "articles", "show", str(article_id), "--format", "md").output
    assert post.startswith("---\ntitle: 정책 기사 1\n")
    assert frontmatter.loads(post)["categories"] == ["News"]
    missing = runner.invoke(app, ["articles", "show", "999"], env=cli_env)
    assert (missing.exit_code, missing.output) == (
        1, "briefing: no article with id 999 (see `briefing articles list`)\n")


def test_posts_rebuild_follows_the_profile(cli_env, db_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    (article_id,) = seed(db_url, make_article(1))
    profile = tmp_path / "blog.toml"
    profile.write_text('heading = "## 우리 블로그 속보"\ndefault_category = "정책"\n', encoding="utf-8")
    assert "1 changed" in invoke(cli_env, "posts", "rebuild", "--profile", str(profile)).output
    assert "0 changed, 1 unchanged" in invoke(cli_env, "posts", "rebuild", "--profile", str(profile)).output
    post = invoke(cli_env, "articles", "show", str(article_id), "--format", "md").output
    meta = yaml.safe_load(post.split("---\n")[1])
    assert meta["categories"] == ["정책"] and meta["feature_text"].startswith("## 우리 블로그 속보\n")
    env = cli_env | {"BRIEFING_PROFILE": str(profile)}
    assert "0 changed" in invoke(env, "posts", "rebuild").output  # the env var picks the same profile


def test_bad_profile_is_a_clear_error(cli_env, db_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    profile = tmp_path / "bad.toml"
    profile.write_text('headline = "typo"\n', encoding="utf-8")
    result = runner.invoke(app, ["posts", "rebuild", "--profile", str(profile)], env=cli_env)
    assert result.exit_code == 2
    assert result.output.startswith(f"briefing: --profile: {profile}: unknown key 'headline'; known keys: ")
    assert result.output.count("\n") == 1


def test_export_writes_once_then_only_what_changed(cli_env, db_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    seed(db_url, make_article(1), make_article(2), make_article(3, license_type=4))
    out = tmp_path / "site"
    first = invoke(cli_env, "export", "--out", str(out))
    assert "2 written, 0 unchanged, 1 skipped" in first.output
    files = sorted((out / "_posts").iterdir())
    assert len(files) == 2 and all(f.name.startswith("2026-11-20-") for f in files)
    before = {f.name: f.read_bytes() for f in files}
    assert "0 written, 2 unchanged, 1 skipped" in invoke(cli_env, "export", "--out", str(out)).output
    seed(db_url, make_article(2, body_html="<p>고친 본문</p>"))
    assert "1 written, 1 unchanged, 1 skipped" in invoke(cli_env, "export", "--out", str(out)).output
    after = {f.name: f.read_bytes() for f in sorted((out / "_posts").iterdir())}
    changed = [name for name in after if after[name] != before.get(name)]
    assert len(changed) == 1 and "고친 본문" in after[changed[0]].decode()
    everything = invoke(cli_env, "export", "--out", str(out), "--all-licenses")
    assert "1 written, 2 unchanged, 0 skipped" in everything.output


def test_export_date_window(cli_env, db_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # make_article(n) is published at 2026-11-20 09:00 KST + n hours
    seed(db_url, make_article(1), make_article(20))
    out = tmp_path / "site"
    result = invoke(cli_env, "export", "--out", str(out), "--since", "2026-11-21", "--until", "2026-11-21")
    assert "1 written" in result.output
    assert [f.name[:10] for f in (out / "_posts").iterdir()] == ["2026-11-21"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["crawl", "korea_kr", "--section", "sports"],
         "briefing: unknown section 'sports' for korea_kr; known sections: policy, press, briefing, fact"),
        (["crawl", "korea_kr", "--since", "2026-11-22", "--until", "2026-11-20"],
         "briefing: --since 2026-11-22 is after --until 2026-11-20"),
        (["crawl", "korea_kr", "--since", "yesterday"],
         "briefing: --since yesterday: not a day (expected YYYY-MM-DD, e.g. 2026-11-20)"),
        (["crawl", "korea_kr", "--until", "2026-13-01"],
         "briefing: --until 2026-13-01: not a day (month must be in 1..12; "
         "expected YYYY-MM-DD, e.g. 2026-11-20)"),
        (["crawl", "korea_kr", "--base-url", "not-a-url"],
         "briefing: --base-url not-a-url: must be an http:// or https:// URL, e.g. https://www.korea.kr"),
        (["crawl", "korea_kr", "--profile", "missing.toml"],
         "briefing: --profile missing.toml: no such file; copy profiles/default.toml and give its path"),
        (["crawl", "korea_kr", "--via", "127.0.0.1:8080"],
         "briefing: --via 127.0.0.1:8080: not an http(s) URL; give the service's address, e.g. "
         "http://127.0.0.1:8080"),
    ],
)
def test_crawl_rejects_bad_arguments(cli_env, args, message) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(app, args, env=cli_env)
    assert (result.exit_code, result.output) == (2, message + "\n")


def test_crawl_names_an_unknown_source(cli_env) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(app, ["crawl", "nowhere"], env=cli_env)
    assert result.exit_code == 2
    # The list of known kinds belongs to the registry; the line names the source and stays one line.
    assert result.output.startswith("briefing: unknown source 'nowhere'; known sources: ")
    assert result.output.count("\n") == 1


def test_crawl_refuses_a_source_that_is_already_being_crawled(cli_env, db_url) -> None:  # type: ignore[no-untyped-def]
    import os

    db = Database(db_url)
    with db.session() as session:
        run = storage.create_run(session=session, source="korea_kr:policy")
        storage.mark_running(session=session, run_id=run.id, pid=os.getpid())  # a live process
    db.dispose()
    result = runner.invoke(app, ["crawl", "korea_kr"], env=cli_env)
    assert (result.exit_code, result.output) == (
        1, f"briefing: korea_kr:policy is already being crawled by run {run.id} (running); "
           "wait for it to end (see `briefing runs`)\n")


def test_export_copies_pictures_when_the_profile_asks_for_local_images(  # type: ignore[no-untyped-def]
    cli_env, db_url, tmp_path
) -> None:
    """`briefing export` once left a local_images profile's pictures linked at korea.kr (only
    `briefing publish` copied them)."""
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    with serve_files({"/photo.png": ("image/png", png)}) as origin:
        picture = f"{origin}/photo.png"
        seed(db_url, make_article(1, body_html=f'<p><img src="{picture}" alt="사진"></p><p>본문</p>',
                                  license_text_only=False))
        profile = tmp_path / "blog.toml"
        profile.write_text('local_images = true\nassets_dir = "assets/img/news"\n', encoding="utf-8")
        out = tmp_path / "site"
        env = cli_env | {"BRIEFING_ALLOWED_PRIVATE_NETWORKS": '["127.0.0.1/32"]'}
        result = invoke(env, "export", "--out", str(out), "--profile", str(profile))
    assert "1 written" in result.output and "images: 1 copied" in result.output, result.output
    (copy,) = [p for p in (out / "assets/img/news").iterdir() if p.suffix == ".png"]
    assert copy.read_bytes() == png
    (post,) = (out / "_posts").iterdir()
    text = post.read_text(encoding="utf-8")
    assert f'src="/assets/img/news/{copy.name}"' in text and picture not in text
    # Again: nothing fetched or written twice.
    again = invoke(env, "export", "--out", str(out), "--profile", str(profile))
    assert "0 written, 1 unchanged" in again.output and "images:" not in again.output
