"""The web pages: one route function and one template per page, over the API's storage functions.

Pages live under /web (the articles list also at /), assets under /web/static, and /docs is the
OpenAPI console from those same static files: nothing is loaded from any other host. Reading
works without JavaScript; a running crawl's page refreshes itself with a meta refresh.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from crawler.posts.normalize import clean_title
from crawler.posts.render import PostRenderer
from crawler.posts.slug import slugify
from crawler.registry import SOURCE_KINDS
from domain.article import KST
from scheduler.api.deps import Crawls, ScheduleState
from scheduler.crawls import default_window
from scheduler.manager import AlreadyRunning, ShuttingDown
from scheduler.schedule import jobs_from_settings
from scheduler.settings import Settings
from scheduler.targets import parse_target
from scheduler.web import labels
from scheduler.web.forms import article_filter_from, local_path, read_form
from scheduler.web.preview import preview
from scheduler.web.session import SessionState, WebSessions, csrf_ok
from storage import (
    CrawlRun,
    Database,
    StoredArticle,
    count_matching,
    get_article,
    get_run,
    last_runs,
    list_articles,
    list_errors,
    list_revisions,
    list_runs,
    source_states,
)
from storage.articles import decode_cursor

HERE = Path(__file__).parent
STATIC_URL = "/web/static"
PAGE_SIZE = 20
COUNT_CAP = 1000
REFRESH_SECONDS = 2
ACTIVE = ("queued", "running")
NAV = {
    "articles.html": "articles",
    "article.html": "articles",
    "sources.html": "sources",
    "runs.html": "runs",
    "run.html": "runs",
}
# Everything from this origin; inline styles and scripts refused (the pages have none).
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def _templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=HERE / "templates")
    env = templates.env
    env.filters["kst"] = labels.kst
    env.filters["number"] = labels.number
    env.globals.update(
        labels=labels,
        static=STATIC_URL,
        duration=labels.duration,
        license_label=labels.license_label,
    )
    return templates


@dataclasses.dataclass(frozen=True, slots=True)
class SourceRow:
    name: str
    schedule: str
    next_run: datetime | None
    last_run: CrawlRun | None
    active_run: int | None
    status: str
    reason: str | None


def _schedule_text(minutes: float | None, cron: str | None) -> str:
    if minutes is not None:
        return f"{minutes:g}분마다"
    return f"cron {cron} (KST)"


def web_router(
    *, settings: Settings, db: Database, manager: Crawls, schedule: ScheduleState, openapi_url: str | None
) -> APIRouter:
    """The web pages and /docs; state-changing forms obey the API's access rule (may_trigger)."""
    router = APIRouter(include_in_schema=False)
    templates = _templates()
    sessions = WebSessions(settings)
    renderer = PostRenderer.from_path(settings.profile)

    def page(
        request: Request, state: SessionState, name: str, context: Mapping[str, Any], status_code: int = 200
    ) -> Response:
        values = {
            "csrf": state.csrf,
            "signed_in": state.signed_in,
            "needs_sign_in": sessions.needs_sign_in,
            "may_act": sessions.may_act(request, state),
            "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
            "nav": NAV.get(name),
            "refresh_seconds": REFRESH_SECONDS,
            **context,
        }
        response = templates.TemplateResponse(request, name, values, status_code=status_code)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["Cache-Control"] = "no-store"
        sessions.save(request, response, state)
        return response

    def error(request: Request, state: SessionState, status_code: int, message: str) -> Response:
        return page(request, state, "error.html", {"message": message, "status": status_code}, status_code)

    def csrf_refused(request: Request, state: SessionState) -> Response:
        return error(request, state, 403, "보안 토큰이 맞지 않습니다. 페이지를 새로 고친 뒤 다시 시도하세요.")

    def redirect(request: Request, state: SessionState, url: str) -> Response:
        response = RedirectResponse(url, status_code=303)
        sessions.save(request, response, state)
        return response

    # --- articles ------------------------------------------------------------------------------

    @router.get("/", response_class=HTMLResponse)
    @router.get("/web/articles", response_class=HTMLResponse)
    def articles_page(request: Request) -> Response:
        state = sessions.load(request)
        fields = ("q", "source", "category", "ministry", "since", "until", "license")
        params = {k: request.query_params.get(k, "").strip() for k in fields}
        cursor = request.query_params.get("cursor") or None
        context: dict[str, Any] = {
            "params": params,
            "sources": sorted(SOURCE_KINDS),
            "sections": sorted({s for kind in SOURCE_KINDS.values() for s in kind.sections}),
            "items": [],
            "count": None,
            "count_cap": COUNT_CAP,
            "next_url": None,
            "first_url": None,
            "problem": None,
        }
        try:
            where = article_filter_from(params)
            if cursor:
                stamp, _ = decode_cursor(cursor)
                if stamp.tzinfo is None:
                    raise ValueError("cursor: 이전 페이지의 '다음' 링크를 쓰세요")
        except ValueError as exc:
            context["problem"] = str(exc)
            return page(request, state, "articles.html", context, 422)
        with db.session(read_only=True) as session:
            found = list_articles(session=session, where=where, limit=PAGE_SIZE, cursor=cursor)
            count = count_matching(session=session, where=where, cap=COUNT_CAP)
        kept = {k: v for k, v in params.items() if v}
        context.update(
            items=found.items,
            count=count,
            next_url=f"/?{urlencode(kept | {'cursor': found.next_cursor})}" if found.next_cursor else None,
            first_url=(f"/?{urlencode(kept)}" if kept else "/") if cursor else None,
        )
        return page(request, state, "articles.html", context)

    def _stored_or_404(article_id: int) -> StoredArticle | None:
        if not 1 <= article_id <= 2**31 - 1:
            return None
        with db.session(read_only=True) as session:
            return get_article(session=session, article_id=article_id)

    def _post_text(found: StoredArticle) -> tuple[str, bool]:
        """The stored post, or one rendered now with the service's profile (True when stored)."""
        if found.post_text:
            return found.post_text, True
        return renderer.render(found.article)[0], False

    def _post_filename(found: StoredArticle) -> str:
        day = found.article.published_at.astimezone(KST).date()
        return f"{day.isoformat()}-{slugify(clean_title(found.article.title))}.md"

    # Declared before the page so "12.md" is not read as a (bad) integer id.
    @router.get("/web/articles/{article_id}.md")
    def article_post(article_id: int) -> Response:
        found = _stored_or_404(article_id)
        if found is None:
            raise HTTPException(404, detail=f"no article {article_id}")
        text, _ = _post_text(found)
        name = _post_filename(found)
        return Response(
            text,
            media_type="text/markdown; charset=utf-8",
            headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
        )

    @router.get("/web/articles/{article_id}", response_class=HTMLResponse)
    def article_page(request: Request, article_id: int) -> Response:
        state = sessions.load(request)
        found = _stored_or_404(article_id)
        if found is None:
            return error(request, state, 404, f"기사 {article_id}이(가) 없습니다.")
        with db.session(read_only=True) as session:
            revisions = list_revisions(session=session, article_id=article_id)
        text, stored = _post_text(found)
        context = {
            "item": found,
            "a": found.article,
            "revisions": list(reversed(revisions)),
            "post": preview(text),
            "post_stored": stored,
            "post_filename": _post_filename(found),
        }
        return page(request, state, "article.html", context)

    # --- sources -------------------------------------------------------------------------------

    @router.get("/web/sources", response_class=HTMLResponse)
    def sources_page(request: Request) -> Response:
        state = sessions.load(request)
        problem = None
        try:
            jobs = jobs_from_settings(settings)
        except ValueError as exc:  # the sources file was edited into something invalid
            jobs, problem = [], str(exc)
        with db.session(read_only=True) as session:
            last = last_runs(session=session)
            states = source_states(session=session)
        next_times = schedule.next_run_times()
        active = manager.active_run_ids
        scheduled = {job.target.name: job for job in jobs}
        rows = []
        for name in [*scheduled, *sorted(set(last) - set(scheduled))]:
            job = scheduled.get(name)
            known = states.get(name) or states.get(name.split(":")[0])
            run = last.get(name)
            status, reason = (known.status, known.error) if known else ("ok", None)
            if status == "ok" and run is not None and run.status == "failed":
                status, reason = "error", run.reason  # the last run failed: say so here too
            rows.append(
                SourceRow(
                    name=name,
                    schedule=_schedule_text(job.minutes, job.cron) if job else "예약 없음",
                    next_run=next_times.get(name),
                    last_run=run,
                    active_run=active.get(name),
                    status=status,
                    reason=reason,
                )
            )
        refresh = any(r.active_run for r in rows)
        context = {
            "rows": rows,
            "problem": problem,
            "scheduler_running": schedule.running,
            "refresh": refresh,
        }
        return page(request, state, "sources.html", context)

    @router.post("/web/sources/crawl")
    async def crawl_now(request: Request) -> Response:
        state = sessions.load(request)
        form = await read_form(request)
        if not csrf_ok(state, form.get("csrf")):
            return csrf_refused(request, state)
        if not sessions.may_act(request, state):
            if sessions.needs_sign_in:
                return redirect(request, state, "/web/signin?" + urlencode({"next": "/web/sources"}))
            return error(request, state, 403, "API 토큰이 없으면 이 컴퓨터에서만 수집을 시작할 수 있습니다.")
        try:
            target = parse_target(form.get("source", ""), settings=settings)
        except ValueError as exc:
            return error(request, state, 422, f"출처를 알 수 없습니다: {exc}")
        since, until = default_window(settings.default_window_days)
        try:
            run = await manager.submit(target, since, until, "web")
        except AlreadyRunning as busy:
            return redirect(request, state, f"/web/runs/{busy.run.id}?busy=1")
        except ShuttingDown:
            return error(request, state, 503, "서비스가 종료 중입니다. 잠시 후 다시 시도하세요.")
        return redirect(request, state, f"/web/runs/{run.id}")

    # --- runs ----------------------------------------------------------------------------------

    @router.get("/web/runs", response_class=HTMLResponse)
    def runs_page(request: Request) -> Response:
        state = sessions.load(request)
        source = (request.query_params.get("source") or "")[:100] or None
        with db.session(read_only=True) as session:
            runs = list_runs(session=session, source=source, limit=50)
        refresh = any(r.status in ACTIVE for r in runs)
        return page(request, state, "runs.html", {"runs": runs, "source": source, "refresh": refresh})

    @router.get("/web/runs/{run_id}", response_class=HTMLResponse)
    def run_page(request: Request, run_id: int) -> Response:
        state = sessions.load(request)
        with db.session(read_only=True) as session:
            run = get_run(session=session, run_id=run_id) if 1 <= run_id <= 2**31 - 1 else None
            failures = list_errors(session=session, run_id=run_id) if run else []
        if run is None:
            return error(request, state, 404, f"수집 실행 {run_id}이(가) 없습니다.")
        context = {
            "run": run,
            "failures": failures,
            "refresh": run.status in ACTIVE,
            "busy": request.query_params.get("busy") == "1",
        }
        return page(request, state, "run.html", context)

    # --- sign-in -------------------------------------------------------------------------------

    @router.get("/web/signin", response_class=HTMLResponse)
    def signin_page(request: Request) -> Response:
        state = sessions.load(request)
        target = local_path(request.query_params.get("next"), "/web/sources")
        return page(request, state, "signin.html", {"next": target, "failed": False})

    @router.post("/web/signin", response_class=HTMLResponse)
    async def signin(request: Request) -> Response:
        state = sessions.load(request)
        form = await read_form(request)
        target = local_path(form.get("next"), "/web/sources")
        if not csrf_ok(state, form.get("csrf")):
            return csrf_refused(request, state)
        if not sessions.needs_sign_in:
            return redirect(request, state, target)
        if not sessions.sign_in(state, form.get("token", "")):
            return page(request, state, "signin.html", {"next": target, "failed": True}, 401)
        return redirect(request, state, target)

    @router.post("/web/signout")
    async def signout(request: Request) -> Response:
        state = sessions.load(request)
        form = await read_form(request)
        if not csrf_ok(state, form.get("csrf")):
            return csrf_refused(request, state)
        sessions.sign_out(state)
        return redirect(request, state, "/")

    # --- the OpenAPI console, offline ----------------------------------------------------------

    if openapi_url:

        @router.get("/docs", response_class=HTMLResponse)
        def docs() -> HTMLResponse:
            return get_swagger_ui_html(
                openapi_url=openapi_url,
                title="briefing API",
                swagger_js_url=f"{STATIC_URL}/swagger-ui/swagger-ui-bundle.js",
                swagger_css_url=f"{STATIC_URL}/swagger-ui/swagger-ui.css",
                swagger_favicon_url=f"{STATIC_URL}/favicon.svg",
                # No spec validator badge: it would send the spec to validator.swagger.io.
                swagger_ui_parameters={"validatorUrl": None},
            )

    return router


def mount_web(
    app: FastAPI, *, settings: Settings, db: Database, manager: Crawls, schedule: ScheduleState
) -> None:
    """Serve the web pages, their static files and the offline /docs from `app`."""
    app.mount(STATIC_URL, StaticFiles(directory=HERE / "static"), name="web-static")
    app.include_router(
        web_router(settings=settings, db=db, manager=manager, schedule=schedule, openapi_url=app.openapi_url)
    )
