"""The HTTP API: routers by resource (crawls, articles, the Atom feed, health and metrics).

`create_app` builds the application; everything else is reached through it.
"""

from scheduler.api.app import create_app

__all__ = ["create_app"]
