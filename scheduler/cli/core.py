"""What every `briefing` command shares: the command tree, settings, dates, the database, exit codes.

Command modules import this module and nothing else of the CLI. A mistake the user can make
(an option, a setting, a file, a database that cannot be reached or written) ends the command
with one line on stderr, `briefing: <what> ...: <what to do>`, and an exit code of `ExitCode`.
"""

from __future__ import annotations

import errno
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, time, timedelta
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from pydantic import ValidationError
from pydantic_settings import SettingsError
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from typer.core import TyperGroup

from domain.article import KST
from scheduler.settings import Settings
from storage import Database

if TYPE_CHECKING:
    from crawler.posts.render import PostRenderer


class ExitCode(IntEnum):
    """The exit codes of every command, for scripts, cron and systemd (documented in --help)."""

    OK = 0
    FAILED = 1  # the work was done and did not succeed: a failed run, a check that found differences
    USAGE = 2  # a mistake in an option, a setting or a configuration file: nothing was done
    UNAVAILABLE = 3  # the database cannot be reached or written, or a file cannot be written
    INTERRUPTED = 130  # stopped by Ctrl-C or SIGTERM


EXIT_CODES = (
    "Exit codes: 0 ok; 1 the run failed (or a check found a difference); "
    "2 a mistake in an option, setting or configuration file; "
    "3 the database cannot be reached or written, or the disk is full or read-only; "
    "130 interrupted."
)


def exit_code_of(status: str, child_exit: int | None = None) -> ExitCode:
    """The exit code of a command whose run ended in `status` (a crawl run's status).

    `child_exit` is the crawl child's own code (crawler.protocol.ExitCode, kept in the run's
    record): the CLI documents fewer codes, so it maps that one onto them here, and only here.
    """
    from crawler.protocol import ExitCode as ChildExit

    if status == "succeeded":
        return ExitCode.OK
    if status == "interrupted":
        return ExitCode.INTERRUPTED
    if child_exit == ChildExit.STORAGE:
        return ExitCode.UNAVAILABLE
    return ExitCode.FAILED


class Format(StrEnum):
    table = "table"
    json = "json"


FORMAT_HELP = "table or json."


def fail(message: str, code: ExitCode = ExitCode.FAILED) -> typer.Exit:
    """Print `briefing: message` on stderr; raise the result to end the command with `code`."""
    typer.echo(f"briefing: {message}", err=True)
    return typer.Exit(int(code))


def usage_error(message: str) -> typer.Exit:
    return fail(message, ExitCode.USAGE)


# --- settings ---------------------------------------------------------------------------------

# Settings that commands take as options: an invalid value is named as the option.
OPTION_OF = {"korea_kr_base_url": "--base-url", "profile": "--profile", "host": "--host", "port": "--port"}


def load_settings(**overrides: object) -> Settings:
    """The settings (environment, .env), with the options given on the command line on top."""
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**given)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise usage_error(_setting_problem(exc, given)) from None
    except UnicodeDecodeError:
        raise usage_error(".env: not UTF-8 text; save the file as UTF-8") from None
    except SettingsError as exc:
        # pydantic-settings could not decode a value (JSON settings such as BRIEFING_SCHEDULES).
        field = re.search(r'field "(\w+)"', str(exc))
        name = f"BRIEFING_{field.group(1).upper()}" if field else "a setting"
        raise usage_error(f"{name}: not valid JSON; fix it in the environment or .env") from None


def _setting_problem(exc: ValidationError, given: dict[str, object]) -> str:
    error = exc.errors()[0]
    field = str(error["loc"][0]) if error["loc"] else ""
    message = error["msg"].removeprefix("Value error, ")
    if field in given:
        return f"{OPTION_OF.get(field, '--' + field.replace('_', '-'))} {given[field]!s}: {message}"
    name = "BRIEFING_DATABASE_URL" if field == "DATABASE_URL" else f"BRIEFING_{field.upper()}"
    return f"{name}={error.get('input')!s}: {message} (set in the environment or .env)"


def load_renderer(settings: Settings, option: Path | None) -> PostRenderer:
    """The post renderer of the profile; a bad profile is named as the option or setting it came from."""
    from crawler.posts.profile import ProfileError
    from crawler.posts.render import PostRenderer

    path = option or settings.profile
    name = "--profile" if option else "BRIEFING_PROFILE"
    if path is not None and not path.is_file():
        raise usage_error(f"{name} {path}: no such file; copy profiles/default.toml and give its path")
    try:
        return PostRenderer.from_path(path)
    except ProfileError as exc:
        raise usage_error(f"{name}: {exc}") from None


# --- dates ------------------------------------------------------------------------------------

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_day(option: str, value: str | None) -> date | None:
    """A `--since/--until` value as a day; a mistake names the option and the expected form."""
    if not value:
        return None
    try:
        if not _DAY.match(value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError as exc:
        why = f"{exc}; " if str(exc) else ""
        raise usage_error(
            f"{option} {value}: not a day ({why}expected YYYY-MM-DD, e.g. 2026-11-20)"
        ) from None


def parse_days(since: str | None, until: str | None) -> tuple[date | None, date | None]:
    """`--since` and `--until` as days, the first not after the last."""
    first, last = parse_day("--since", since), parse_day("--until", until)
    check_order(first, last)
    return first, last


def check_order(first: date | None, last: date | None) -> None:
    if first is not None and last is not None and first > last:
        raise usage_error(f"--since {first} is after --until {last}")


def kst_range(first: date | None, last: date | None) -> tuple[datetime | None, datetime | None]:
    """KST days [first, last] as aware datetimes [start, end), for storage filters."""
    start = datetime.combine(first, time(), KST) if first else None
    end = datetime.combine(last + timedelta(days=1), time(), KST) if last else None
    return start, end


def kst(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored moment as KST, the one time zone of the CLI's output (columns say "(KST)")."""
    return moment.astimezone(KST).strftime(fmt) if moment else ""


# --- the database -----------------------------------------------------------------------------

# The database the running command opened, so that a failure anywhere in it can name the place.
_opened: ContextVar[str | None] = ContextVar("briefing_database", default=None)


@contextmanager
def database(settings: Settings, *, create: bool = True) -> Iterator[Database]:
    """The configured database with the service's engine options, disposed at the end.

    `create=False` leaves the schema alone (the `db` commands inspect it as it is).
    """
    _opened.set(settings.database_location)
    try:
        db = Database(settings.database_url, create=create, options=settings.engine_options())
    except (SQLAlchemyError, OSError) as exc:
        raise fail(environment_problem(exc, settings.database_location), ExitCode.UNAVAILABLE) from None
    try:
        yield db
    finally:
        db.dispose()


def environment_problem(exc: BaseException, where: str | None) -> str:
    """One line for a database or file system failure: what failed, where, and what to do."""
    place = where or "the database"
    if isinstance(exc, OSError) and not isinstance(exc, DBAPIError):
        target = exc.filename or place
        if exc.errno == errno.ENOSPC:
            return f"cannot write {target}: the disk is full; free some space"
        if exc.errno in (errno.EEXIST, errno.ENOTDIR):
            return (f"cannot make the folder {target}: a file is in the way; move it or set "
                    "BRIEFING_DATA_DIR (or BRIEFING_DATABASE_URL) to another place")
        reason = "read-only" if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS) else exc.strerror or exc
        return (f"cannot write {target}: {reason}; make it writable or set BRIEFING_DATA_DIR "
                "(or BRIEFING_DATABASE_URL) to a writable folder")
    text = str(getattr(exc, "orig", None) or exc)
    lowered = text.lower()
    if "disk is full" in lowered or "no space" in lowered:
        return f"cannot write the database {place}: the disk is full; free some space"
    if "readonly" in lowered or "read-only" in lowered:
        return (
            f"cannot write the database {place}: it or its folder is read-only; make it writable "
            "or set BRIEFING_DATABASE_URL to a writable place"
        )
    if "unable to open database file" in lowered:
        return (
            f"cannot open the database {place}: its folder is missing or not writable; "
            "check BRIEFING_DATABASE_URL / BRIEFING_DATA_DIR"
        )
    return (
        f"cannot use the database {place}: {_first_line(text)}; check BRIEFING_DATABASE_URL and "
        "that the database server is running"
    )


def _first_line(exc: object) -> str:
    text = str(exc).strip()
    return text.splitlines()[0].rstrip(".") if text else type(exc).__name__


# --- the command tree ---------------------------------------------------------------------------


class BriefingGroup(TyperGroup):
    """The root group: a failure of the environment in any command becomes one line, not a traceback."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (SQLAlchemyError, OSError) as exc:
            _exit(environment_problem(exc, _opened.get()), ExitCode.UNAVAILABLE)
        except Exception as exc:
            from crawler.posts.profile import ProfileError
            from scheduler.sources import SourcesError

            if isinstance(exc, SourcesError | ProfileError):
                _exit(str(exc), ExitCode.USAGE)
            raise


def _exit(message: str, code: ExitCode) -> NoReturn:
    raise fail(message, code) from None


app = typer.Typer(
    cls=BriefingGroup,
    help="briefing: crawl 정책브리핑 (korea.kr) and feeds into a database and Jekyll posts.",
    epilog=EXIT_CODES,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # a bug's traceback must not print settings (tokens)
)
articles_app = typer.Typer(help="Query stored articles.", no_args_is_help=True)
sources_app = typer.Typer(
    help="Sources to crawl, from the sources file (BRIEFING_SOURCES_FILE, default ./sources.toml).",
    no_args_is_help=True,
)
posts_app = typer.Typer(help="Rendered posts.", no_args_is_help=True)
db_app = typer.Typer(
    help="The database schema (Alembic migrations; BRIEFING_DATABASE_URL names the database).",
    no_args_is_help=True,
)
app.add_typer(articles_app, name="articles")
app.add_typer(sources_app, name="sources")
app.add_typer(posts_app, name="posts")
app.add_typer(db_app, name="db")
