"""`briefing run`: the service (schedule, crawl manager, HTTP API) in this process."""

from __future__ import annotations

from typing import Annotated

import typer

from scheduler.cli.core import app, load_settings, usage_error


@app.command()
def run(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (BRIEFING_HOST; default 127.0.0.1).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(min=0, max=65535, help="Port (BRIEFING_PORT; default 8080).")
    ] = None,
) -> None:
    """Run the service: scheduled crawls and the HTTP API (OpenAPI at /docs) until SIGTERM/SIGINT.

    Example: BRIEFING_API_TOKEN=secret briefing run --host 0.0.0.0 --port 8080
    """
    from scheduler import service  # uvicorn and APScheduler load only for this command

    settings = load_settings(host=host, port=port)
    error = settings.bind_error()
    if error:
        raise usage_error(error)
    typer.echo(f"briefing: database {settings.database_location}", err=True)
    raise typer.Exit(service.main(settings))
