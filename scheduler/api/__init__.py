"""The HTTP API: routers by resource (crawls, articles, the Atom feed, health and metrics).

`scheduler.app.create_app` assembles these routers and the web pages into one application.
"""
