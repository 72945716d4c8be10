"""`briefing init` (a blog's profile and sources.toml) and `briefing publish` (posts to its git repo)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from scheduler.cli.core import ExitCode, app, fail, load_settings, usage_error

PROFILE_HELP = "Site profile TOML with a [publish] table (default: BRIEFING_PROFILE)."


def _categories(values: list[str]) -> dict[str, str]:
    found = {}
    for value in values:
        section, sep, category = value.partition("=")
        if not sep or not section.strip() or not category.strip():
            raise usage_error(f"--category {value}: write it as SECTION=Category, e.g. press=보도자료")
        found[section.strip()] = category.strip()
    return found


def _sections(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


@app.command("init")
def init(
    directory: Annotated[
        Path, typer.Argument(help="Where to write profiles/<name>.toml and sources.toml.")
    ] = Path(),
    name: Annotated[str | None, typer.Option(help="The blog's name.")] = None,
    heading: Annotated[str | None, typer.Option(help="First line of feature_text ('## …').")] = None,
    footer: Annotated[str | None, typer.Option(help="Last line of every post (HTML); '' for none.")] = None,
    hero_image: Annotated[
        str | None, typer.Option(help="Image at the top of every post; '' for none.")
    ] = None,
    hero_alt: Annotated[str | None, typer.Option(help="Its alt text.")] = None,
    image: Annotated[
        str | None, typer.Option(help="The front matter image of every post; '' for none.")
    ] = None,
    category: Annotated[list[str] | None, typer.Option(help="SECTION=Category (repeatable).")] = None,
    default_category: Annotated[str | None, typer.Option(help="Category of unmapped sections.")] = None,
    timezone: Annotated[
        str | None, typer.Option(help="The blog's time zone (its _config.yml timezone).")
    ] = None,
    sections: Annotated[str | None, typer.Option(help="korea.kr sections to crawl: policy,press,…")] = None,
    repo: Annotated[
        str | None, typer.Option(help="The blog's git working copy (folder); '' for none.")
    ] = None,
    remote_url: Annotated[
        str | None, typer.Option(help="Clone from / push to this URL ('' = origin).")
    ] = None,
    branch: Annotated[str | None, typer.Option(help="Branch to publish to.")] = None,
    markdown: Annotated[
        str | None, typer.Option(help="The blog's Jekyll markdown engine: kramdown or CommonMark.")
    ] = None,
    after_crawl: Annotated[
        bool | None,
        typer.Option("--after-crawl/--no-after-crawl", help="The service publishes after each crawl."),
    ] = None,
    local_images: Annotated[
        bool | None,
        typer.Option("--local-images/--no-local-images", help="Copy licensed images into the blog."),
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Ask nothing: defaults for every answer not given.")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace files that exist.")] = False,
) -> None:
    """Set up your own blog: a neutral site profile with your answers, and a sources.toml.

    Asks for each answer not given as an option (nothing with --yes). Prints the lines your
    Jekyll _config.yml needs. Example: briefing init ~/briefing --name "내 블로그" --repo ~/blog --yes
    """
    from scheduler.blog_init import BlogAnswers, InitError, jekyll_settings, write_files

    ask = not yes

    def answer(given: str | None, question: str, default: str) -> str:
        if given is not None:
            return given
        return str(typer.prompt(question, default=default, show_default=True)) if ask else default

    def choice(given: bool | None, question: str) -> bool:
        if given is not None:
            return given
        return bool(typer.confirm(question, default=False)) if ask else False

    blog_name = answer(name, "Blog name", directory.resolve().name or "blog")
    hero = answer(hero_image, "Image at the top of every post (empty for none)", "")
    repo_answer = answer(repo, "The blog's git working copy (folder; empty for none)", "")
    answers = BlogAnswers(
        name=blog_name,
        heading=answer(heading, "Heading above each summary (empty for none)", ""),
        footer_html=answer(footer, "Footer HTML of every post (empty for none)", ""),
        hero_image_src=hero,
        hero_image_alt=answer(hero_alt, "Its alt text", "") if hero else "",
        default_image=answer(image, "Front matter image of every post (empty for none)", ""),
        categories=_categories(category or []),
        default_category=answer(default_category, "Category of posts", "News"),
        timezone=answer(timezone, "The blog's time zone (its _config.yml timezone)", "Asia/Seoul"),
        sections=_sections(answer(sections, "korea.kr sections (policy,press,briefing,fact)", "policy")),
        repo=str(Path(repo_answer).expanduser().resolve()) if repo_answer else "",
        remote_url=answer(remote_url, "Remote URL to clone from and push to (empty: the copy's origin)", "")
        if repo_answer else "",
        branch=answer(branch, "Branch to publish to", "main") if repo_answer else "main",
        after_crawl=choice(after_crawl, "Publish after every crawl?") if repo_answer else False,
        local_images=choice(local_images, "Copy licensed images into the blog?"),
        markdown=answer(markdown, "The blog's markdown engine (kramdown or CommonMark)", "kramdown"),
    )
    try:
        written = write_files(answers, directory, force=force)
    except InitError as exc:
        raise usage_error(f"init: {exc}") from None
    except OSError as exc:
        problem = f"init: cannot write in {directory}: {exc.strerror or exc}"
        raise fail(problem, ExitCode.UNAVAILABLE) from None
    profile, sources = written
    typer.echo(f"wrote {profile}\nwrote {sources}")
    typer.echo("\nAdd these lines to your blog's _config.yml:\n")
    typer.echo(jekyll_settings(answers))
    typer.echo("Then:")
    typer.echo(f"  export BRIEFING_PROFILE={profile} BRIEFING_SOURCES_FILE={sources}")
    typer.echo("  briefing crawl korea_kr:policy")
    if answers.repo:
        typer.echo("  briefing publish        # commit and push the posts to the blog's repository")
    else:
        typer.echo("  briefing export --out PATH/TO/BLOG")


@app.command("publish")
def publish(
    profile: Annotated[Path | None, typer.Option(help=PROFILE_HELP)] = None,
    all_licenses: Annotated[
        bool, typer.Option("--all-licenses", help="Also publish articles not under KOGL type 1.")
    ] = False,
) -> None:
    """Write new and changed posts into the blog's git repository, commit them and push.

    A push that fails is retried by the next publish; the commit waits in the working copy.
    Example: briefing publish --profile profiles/my-blog.toml
    """
    from crawler.posts.profile import ProfileError
    from scheduler.publish import PublishError, publish_stored

    settings = load_settings()
    path = profile or settings.profile
    if path is None:
        raise usage_error("publish: no profile; pass --profile or set BRIEFING_PROFILE (`briefing init`)")
    if not path.is_file():
        raise usage_error(f"publish: {path}: no such file")
    try:
        result = publish_stored(
            settings.database_url, path, now=datetime.now(UTC),
            allowed_private_networks=[str(n) for n in settings.allowed_private_networks],
            all_licenses=all_licenses,
        )
    except ProfileError as exc:
        raise usage_error(f"publish: {exc}") from None
    except PublishError as exc:
        raise fail(f"publish: {exc}") from None
    exported = result.export
    if exported is not None:
        counts = f"{exported.written} written, {exported.unchanged} unchanged, {exported.skipped} skipped"
        typer.echo(f"posts: {counts}")
    typer.echo(f"committed {result.committed[:12]} ({len(result.changed)} file(s))" if result.committed
               else "nothing to commit")
    if result.push_error:
        raise fail(f"publish: push failed, {result.pending} commit(s) kept and retried on the next publish: "
                   f"{result.push_error}")
    typer.echo("pushed" if result.pushed else "nothing to push")
