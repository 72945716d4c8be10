"""`briefing run`: one process hosting the crawl schedule, the crawl manager and the HTTP API.

Read `serve()` top to bottom: open storage (migrating it unless BRIEFING_AUTO_MIGRATE=false)
→ listen → start the API → start the schedule → wait for SIGTERM/SIGINT → stop in reverse: the
schedule, then the crawl children (gracefully), then the API, then storage. Scrapy never loads
here; every crawl is a child process. Once started, the service outlives database outages:
/healthz reports the database down, ticks are skipped, and run outcomes are recorded when the
database answers again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import sys
from collections.abc import AsyncIterator, Callable, Generator
from dataclasses import dataclass
from datetime import timedelta

import uvicorn
from sqlalchemy.exc import SQLAlchemyError

from crawler.logs import setup_logging
from scheduler.after_run import AfterRun
from scheduler.app import create_app
from scheduler.crawls import pid_alive
from scheduler.manager import CrawlManager
from scheduler.schedule import Schedule
from scheduler.settings import Settings
from storage import Database, close_orphaned_runs
from storage.migrate import SchemaError

logger = logging.getLogger(__name__)

API_SHUTDOWN_SECONDS = 5  # open HTTP requests get this long once the children are gone


class ServiceError(Exception):
    """The service cannot start as configured; the message says what to change."""


class ApiServer(uvicorn.Server):
    """uvicorn without its own signal handling: the service owns SIGTERM/SIGINT and stops it."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        # uvicorn would replace our handlers and re-raise the signal after serving.
        yield


@dataclass(frozen=True, slots=True)
class Service:
    """The running parts, for whoever holds the lifecycle (the CLI, tests)."""

    settings: Settings
    db: Database
    manager: CrawlManager
    schedule: Schedule
    url: str


def open_storage(settings: Settings) -> Database:
    """The migrated database, with runs left open by dead processes marked interrupted."""
    try:
        db = Database(settings.database_url, migrate=settings.auto_migrate, options=settings.engine_options())
    except SchemaError as exc:
        raise ServiceError(str(exc)) from exc
    except SQLAlchemyError as exc:
        reason = str(exc).splitlines()[0]
        raise ServiceError(f"cannot open the database ({type(exc).__name__}: {reason})") from exc
    try:
        with db.session() as session:
            closed = close_orphaned_runs(
                session=session, is_alive=pid_alive, lease=timedelta(seconds=settings.lease_seconds)
            )
    except BaseException:
        db.dispose()
        raise
    for run_id in closed:
        logger.warning("run left open by a previous process marked interrupted", extra={"run_id": run_id})
    return db


def listen(host: str, port: int) -> socket.socket:
    """Bind the API socket here, so a busy port is a clear error and port 0 can be reported."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0][0]
        sock = socket.create_server((host, port), family=family, backlog=128)
        # asyncio sets TCP_NODELAY only on sockets whose proto is IPPROTO_TCP, which these are
        # not; accepted connections inherit it from the listener (Linux). Without it, every
        # keep-alive response after the first waited 40 ms for the client's delayed ACK.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock
    except OSError as exc:
        raise ServiceError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc


def _url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@contextlib.asynccontextmanager
async def api_running(server: ApiServer, sock: socket.socket) -> AsyncIterator[asyncio.Task[None]]:
    """uvicorn serving on `sock` until the block exits; fails fast if it cannot start."""
    task = asyncio.create_task(server.serve(sockets=[sock]), name="http-api")
    while not server.started and not task.done():
        await asyncio.sleep(0.01)
    if task.done():
        task.result()
        raise ServiceError("the HTTP API stopped while starting")
    try:
        yield task
    finally:
        server.should_exit = True
        await task


@contextlib.asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[Service]:
    """Every long-running part, started in order and stopped in reverse when the block exits."""
    error = settings.bind_error()
    if error:
        raise ServiceError(error)
    async with contextlib.AsyncExitStack() as stack:
        db = await asyncio.to_thread(open_storage, settings)
        stack.callback(db.dispose)
        manager = CrawlManager(db, settings)
        manager.after_run = AfterRun.from_settings(settings, db)  # [notify], [publish] after_crawl
        try:
            schedule = Schedule(settings, manager)
        except ValueError as exc:
            raise ServiceError(str(exc)) from exc
        sock = listen(settings.host, settings.port)
        stack.callback(sock.close)
        config = uvicorn.Config(
            create_app(settings, db, manager, schedule, bound_url=_url(sock)),
            lifespan="off",  # this context manager is the lifespan
            log_config=None,
            server_header=False,
            timeout_graceful_shutdown=API_SHUTDOWN_SECONDS,
        )
        # The API starts before the schedule so a busy port fails before any crawl, and it
        # stops after the children so clients can watch their runs end.
        await stack.enter_async_context(api_running(ApiServer(config), sock))
        stack.push_async_callback(manager.stop_all, settings.grace_seconds)
        await schedule.start()
        stack.push_async_callback(schedule.stop)
        yield Service(settings=settings, db=db, manager=manager, schedule=schedule, url=_url(sock))
        logger.info("stopping: schedule, then crawl children, then the HTTP API")


async def serve(settings: Settings, *, on_ready: Callable[[Service], None] | None = None) -> None:
    """Run until SIGTERM or SIGINT, then stop gracefully."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()

    def on_signal(sig: signal.Signals) -> None:
        if stop.is_set():
            logger.warning(f"{sig.name} again: already stopping, children get their grace period")
        else:
            logger.info(f"{sig.name} received: stopping")
        stop.set()

    # Installed first: a signal during start-up still unwinds through `running`.
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_signal, sig)
    try:
        async with running(settings) as service:
            logger.info(f"serving {service.url} (OpenAPI at {service.url}/docs)", extra={"url": service.url})
            if on_ready is not None:
                on_ready(service)
            await stop.wait()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)


def announce(service: Service) -> None:
    # One machine-readable line on stdout, like the test replica's: tests start us on port 0.
    sys.stdout.write(f"SERVICE_URL {service.url}\n")
    sys.stdout.flush()


def main(settings: Settings) -> int:
    """The `briefing run` process: exit 0 after a clean stop, 2 when it cannot start."""
    setup_logging(settings.log_format)
    try:
        asyncio.run(serve(settings, on_ready=announce))
    except ServiceError as exc:
        logger.error(f"cannot start: {exc}")
        return 2
    logger.info("stopped")
    return 0
