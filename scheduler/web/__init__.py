"""The web pages for people: articles, one article's post preview, sources, runs, sign-in, /docs."""

from scheduler.web.routes import mount_web, web_router

__all__ = ["mount_web", "web_router"]
