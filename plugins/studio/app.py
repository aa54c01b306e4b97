"""The studio's ASGI application: the HTTP API (OpenAPI at ``/docs``) and the web pages.

Both are thin over :class:`plugins.studio.jobs.JobManager`; pages are Jinja2 templates
(autoescaped: every piece of user text is escaped) with one local script and stylesheet.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import mimetypes
import re
import secrets
import shutil
import time
import uuid
import zipfile
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, File, Form, Request, UploadFile
from fastapi.responses import (FileResponse, HTMLResponse, JSONResponse, RedirectResponse,
                               Response, StreamingResponse)
from fastapi.staticfiles import StaticFiles
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.templating import Jinja2Templates
from swagger_ui_bundle import swagger_ui_path
from starlette.middleware.trustedhost import TrustedHostMiddleware

from engine.errors import RecipeError, RemixerError
from engine.plugins import build_registry
from engine.report import REPORT
from engine.runner import MANIFEST, assign_slugs
from plugins.studio import intake, security
from plugins.studio.catalog import Catalog, overrides_from_form, problems_by_field
from plugins.studio.jobs import JobManager, Settings
from plugins.studio.store import FINISHED

HERE = Path(__file__).resolve().parent
TEXT_EXTS = {"md", "txt", "srt", "vtt", "json", "xml"}
AUDIO_EXTS = {"mp3", "wav", "m4a", "ogg", "opus", "flac"}
VIDEO_EXTS = {"mp4", "webm", "mov"}
IMAGE_EXTS = {"png", "jpg", "jpeg", "webp"}
mimetypes.add_type("text/markdown", ".md")
mimetypes.add_type("text/vtt", ".vtt")
mimetypes.add_type("application/x-subrip", ".srt")
CSP = ("default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'; "
       "script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
PUBLIC_PATHS = ("/login", "/static/")
LOCAL_NAMES = ("127.0.0.1", "localhost", "::1", "[::1]")


class Problems(Exception):
    """A request the studio refuses, with the one-line reasons (recipe problems located)."""

    def __init__(self, status: int, message: str, problems: list[str] | None = None,
                 located: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.status, self.message, self.problems = status, message, problems or []
        #: the problems by form field (``STEP.PARAM``; ``""`` for the rest)
        self.located = located or {}


def create_app(settings: Settings) -> FastAPI:
    registry = build_registry(settings.plugin_config)
    manager = JobManager(settings, registry)
    catalog = Catalog(registry, settings.recipes_dir)
    templates = Jinja2Templates(directory=str(HERE / "templates"))

    @asynccontextmanager
    async def lifespan(app):
        manager.loop = asyncio.get_running_loop()
        manager.start()
        yield
        manager.stop()

    app = FastAPI(title="remixer studio", lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Run remixer recipes over uploaded files, addresses, text or "
                              "server paths; follow progress; fetch outputs.")
    app.state.manager = manager
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.mount("/docs-assets", StaticFiles(directory=swagger_ui_path), name="docs-assets")
    app.add_middleware(security.BodyLimit, limit=settings.max_upload + 1_000_000)
    if not settings.public:
        # a local studio answers only to local names: a page elsewhere cannot reach it by
        # rebinding its own domain name to 127.0.0.1 (DNS rebinding)
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(LOCAL_NAMES))

    # ------------------------------------------------------------------ middleware

    @app.middleware("http")
    async def guard(request: Request, call_next):
        path = request.url.path
        length = request.headers.get("content-length", "0")
        if not length.isdigit():
            return _problem(400, "Content-Length is not a number")
        if int(length) > settings.max_upload + 1_000_000:
            return _problem(413, f"the request is over the upload limit of "
                                 f"{settings.max_upload // 1_000_000} MB")
        if not path.startswith(PUBLIC_PATHS) and not security.authenticated(request, settings.token):
            if path.startswith(("/api/", "/docs")) or path == "/openapi.json":
                return _problem(401, "this server needs a token: send Authorization: Bearer TOKEN")
            return RedirectResponse("/login?next=" + _quote_path(path), status_code=303)
        response = await call_next(request)
        if getattr(request.state, "new_csrf", None):
            response.set_cookie(security.CSRF_COOKIE, request.state.new_csrf, httponly=True,
                                samesite="strict", path="/")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if path != "/docs":  # Swagger UI's page starts itself with an inline script
            response.headers.setdefault("Content-Security-Policy", CSP)
        return response

    @app.exception_handler(Problems)
    async def problems_handler(request: Request, exc: Problems):
        return _problem(exc.status, exc.message, exc.problems)

    async def check_csrf(request: Request) -> None:
        if not await security.csrf_ok(request, settings.token):
            raise Problems(403, "missing or wrong CSRF token: submit the form from the studio's page")

    def job_or_404(job_id: str):
        job = manager.store.get(job_id) if re.fullmatch(r"[0-9a-f]{12}", job_id) else None
        if job is None:
            raise Problems(404, f"no job {job_id!r}")
        return job

    # ------------------------------------------------------------------ creating jobs

    async def create_job(recipe_id: str, overrides: list[str], uploads: list[UploadFile],
                         urls: str, text: str, paths: str, webhook_url: str):
        try:
            entry = catalog.get(recipe_id)
        except RemixerError as exc:
            raise Problems(422, str(exc)) from None
        if webhook_url and not re.match(r"^https?://", webhook_url):
            raise Problems(422, "webhook: give an http(s) address")
        try:  # the same validation, and the same located messages, as the CLI
            await asyncio.to_thread(manager.recipe_from, entry.path, overrides)
        except RecipeError as exc:
            raise Problems(422, f"{entry.id} is invalid", [str(p) for p in exc.problems],
                           problems_by_field(exc.problems, entry)) from None
        job_id = uuid.uuid4().hex[:12]
        inbox = manager.job_dir(job_id) / "in"
        found: list[tuple[Path, str]] = []
        try:
            for upload in uploads:
                if upload.filename:
                    found.append(await asyncio.to_thread(
                        intake.store_upload, upload.file, upload.filename, inbox, registry,
                        settings.max_upload))
            for url in filter(None, (u.strip() for u in urls.splitlines())):
                found.append(await asyncio.to_thread(intake.fetch_url, url, inbox, registry,
                                                     settings.max_upload))
            if text.strip():
                found.append(await asyncio.to_thread(intake.store_text, text, inbox))
            for line in filter(None, (p.strip() for p in paths.splitlines())):
                for path in intake.under_root(line, settings.allow_root, registry):
                    found.append((path, path.name))
        except intake.TooLarge as exc:
            _discard(inbox)
            raise Problems(413, str(exc)) from None
        except RemixerError as exc:
            _discard(inbox)
            raise Problems(422, str(exc)) from None
        if not found:
            raise Problems(422, "no sources: upload a file, paste an address or text, or give a path")
        slugs = assign_slugs([p for p, _ in found])
        sources = [{"path": str(p), "name": name, "slug": slug}
                   for (p, name), slug in zip(found, slugs)]
        return manager.create(recipe_name=entry.name, recipe_path=entry.path,
                              overrides=overrides, sources=sources, webhook_url=webhook_url,
                              job_id=job_id)

    # ------------------------------------------------------------------ API

    @app.get("/docs", include_in_schema=False)
    def docs():
        """Swagger UI from the swagger-ui-bundle wheel: no CDN, works offline."""
        return get_swagger_ui_html(openapi_url="/openapi.json", title="remixer studio API",
                                   swagger_js_url="/docs-assets/swagger-ui-bundle.js",
                                   swagger_css_url="/docs-assets/swagger-ui.css",
                                   swagger_favicon_url="/docs-assets/favicon-32x32.png")

    @app.get("/api/recipes", tags=["recipes"], summary="Recipes and their parameters")
    def api_recipes() -> list[dict[str, Any]]:
        return [{"id": e.id, "name": e.name, "description": e.description, "origin": e.origin,
                 "steps": [{"id": s.id, "use": s.use, "summary": s.summary,
                            "parameters": {f.name: {"value": f.value, "type": f.kind,
                                                    "description": f.description}
                                           for f in s.fields}} for s in e.steps]}
                for e in catalog.entries()]

    @app.post("/api/jobs", tags=["jobs"], status_code=201, summary="Create a job",
              dependencies=[Depends(check_csrf)])
    async def api_create(
            recipe: str = Form(..., description="a recipe id from /api/recipes, e.g. article-text"),
            files: list[UploadFile] = File(default=[], description="source files to upload"),
            urls: str = Form("", description="addresses to fetch, one a line"),
            text: str = Form("", description="text to use as a Markdown source"),
            paths: str = Form("", description="server paths under --allow-root, one a line"),
            set: list[str] = Form(default=[], description="STEP.PARAM=VALUE, as remixer run --set"),
            webhook: str = Form("", description="called with the job's summary when it finishes"),
    ) -> dict[str, Any]:
        job = await create_job(recipe, list(set), files, urls, text, paths, webhook)
        return manager.summary(job.id)

    @app.get("/api/jobs", tags=["jobs"], summary="Every job, newest first")
    def api_jobs() -> list[dict[str, Any]]:
        return [{"id": j.id, "state": j.state, "recipe": j.recipe_name, "created": j.created,
                 "sources": [s["name"] for s in j.sources], "error": j.error}
                for j in manager.store.all()]

    @app.get("/api/jobs/{job_id}", tags=["jobs"], summary="A job's status, sources and steps")
    def api_job(job_id: str) -> dict[str, Any]:
        job_or_404(job_id)
        return manager.summary(job_id)

    @app.get("/api/jobs/{job_id}/steps", tags=["jobs"], summary="Every source's steps")
    def api_steps(job_id: str) -> list[dict[str, Any]]:
        job_or_404(job_id)
        return manager.summary(job_id)["sources"]

    @app.get("/api/jobs/{job_id}/outputs", tags=["outputs"], summary="The files a job wrote")
    def api_outputs(job_id: str) -> list[dict[str, Any]]:
        job_or_404(job_id)
        out = manager.out_dir(job_id)
        return [{"path": p.relative_to(out).as_posix(), "bytes": p.stat().st_size,
                 "url": f"/api/jobs/{job_id}/outputs/{p.relative_to(out).as_posix()}"}
                for p in sorted(out.rglob("*")) if p.is_file() and not p.name.startswith(".")]

    @app.get("/api/jobs/{job_id}/outputs/{path:path}", tags=["outputs"], summary="Fetch an output",
             response_class=FileResponse)
    def api_output(job_id: str, path: str, download: bool = False):
        job_or_404(job_id)
        return _serve(manager.out_dir(job_id), path, download)

    @app.get("/api/jobs/{job_id}/zip", tags=["outputs"], summary="Every output as a zip")
    def api_zip(job_id: str):
        job_or_404(job_id)
        return _zip(manager.out_dir(job_id), job_id)

    @app.get("/api/jobs/{job_id}/events", tags=["jobs"],
             summary="Live progress (server-sent events): the job's summary on every change")
    async def api_events(job_id: str, request: Request):
        job_or_404(job_id)
        return StreamingResponse(_events(manager, job_id, request), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    @app.post("/api/jobs/{job_id}/cancel", tags=["jobs"], summary="Cancel a job",
              dependencies=[Depends(check_csrf)])
    def api_cancel(job_id: str) -> dict[str, Any]:
        job_or_404(job_id)
        manager.cancel(job_id)
        return manager.summary(job_id)

    @app.post("/api/jobs/{job_id}/resume", tags=["jobs"],
              summary="Run a finished, cancelled or interrupted job again (cached steps are free)",
              dependencies=[Depends(check_csrf)])
    def api_resume(job_id: str) -> dict[str, Any]:
        job_or_404(job_id)
        _act(manager.resume, job_id)
        return manager.summary(job_id)

    @app.post("/api/jobs/{job_id}/edits", tags=["jobs"],
              summary="Replace a step's text output and re-run what depends on it",
              dependencies=[Depends(check_csrf)])
    def api_edit(job_id: str, source: str = Form(...), step: str = Form(...),
                 text: str = Form(...)) -> dict[str, Any]:
        job_or_404(job_id)
        _act(manager.edit, job_id, source, step, text)
        return manager.summary(job_id)

    @app.delete("/api/jobs/{job_id}", tags=["jobs"], status_code=204, summary="Delete a job",
                dependencies=[Depends(check_csrf)])
    def api_delete(job_id: str):
        job_or_404(job_id)
        _act(manager.delete, job_id)
        return Response(status_code=204)

    # ------------------------------------------------------------------ pages

    def page(request: Request, name: str, status: int = 200, **context) -> HTMLResponse:
        context.update(csrf=security.csrf_token_of(request), token_required=bool(settings.token))
        return templates.TemplateResponse(request, name, context, status_code=status)

    @app.get("/login", include_in_schema=False)
    def login_page(request: Request, next: str = "/"):
        return page(request, "login.html", next=_local(next), error="")

    @app.post("/login", include_in_schema=False, dependencies=[Depends(check_csrf)])
    async def login(request: Request):
        form = await request.form()
        given, target = str(form.get("token", "")), _local(str(form.get("next", "/")))
        if not settings.token or not secrets.compare_digest(given, settings.token):
            return page(request, "login.html", 401, next=target, error="wrong token")
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(security.SESSION_COOKIE, security.session_value(settings.token),
                            httponly=True, samesite="strict", path="/")
        return response

    @app.get("/", include_in_schema=False)
    def home(request: Request):
        return page(request, "home.html", jobs=manager.store.all())

    @app.get("/new", include_in_schema=False)
    def new_page(request: Request, recipe: str = ""):
        entries = catalog.entries()
        return page(request, "new.html", recipes=entries, chosen=recipe or _default(entries),
                    errors={}, message="", values={})

    @app.post("/new", include_in_schema=False, dependencies=[Depends(check_csrf)])
    async def new_submit(request: Request):
        form = await request.form()
        recipe_id = str(form.get("recipe", ""))
        values = {k: str(form.getlist(k)[-1]) for k in form.keys()
                  if k.startswith("p:") or k in ("urls", "text")}
        entries = catalog.entries()
        try:
            entry = catalog.get(recipe_id)
            overrides = overrides_from_form(entry, values)
            uploads = [u for u in form.getlist("files") if hasattr(u, "filename")]
            job = await create_job(recipe_id, overrides, uploads, str(form.get("urls", "")),
                                   str(form.get("text", "")), "", "")
        except RemixerError as exc:
            return page(request, "new.html", 422, recipes=entries, chosen=recipe_id, errors={},
                        message=str(exc), values=values)
        except Problems as exc:
            return page(request, "new.html", exc.status, recipes=entries, chosen=recipe_id,
                        errors=exc.located, message=exc.message, values=values)
        return RedirectResponse(f"/jobs/{job.id}", status_code=303)

    @app.get("/jobs/{job_id}", include_in_schema=False)
    def job_page(request: Request, job_id: str):
        job = job_or_404(job_id)
        summary = manager.summary(job_id)
        views = {s["slug"]: {st["id"]: _views(manager.out_dir(job_id), s["slug"], st["files"])
                             for st in s["steps"]} for s in summary["sources"]}
        batch = sorted(p.name for p in manager.out_dir(job_id).glob("*")
                       if p.is_file() and not p.name.startswith(".") and p.name != REPORT)
        return page(request, "job.html", job=job, summary=summary, views=views, batch=batch,
                    summary_json=json.dumps(summary))

    @app.get("/jobs/{job_id}/{slug}/{node_id}", include_in_schema=False)
    def step_page(request: Request, job_id: str, slug: str, node_id: str):
        job = job_or_404(job_id)
        summary = manager.summary(job_id)
        source = next((s for s in summary["sources"] if s["slug"] == slug), None)
        step = next((st for st in (source or {}).get("steps", []) if st["id"] == node_id), None)
        if step is None:
            raise Problems(404, f"no step {node_id!r} of {slug!r} in job {job_id}")
        try:
            text = manager.editable(job, slug, node_id) if step["status"] == "ok" else None
            text_error = ""
        except RemixerError as exc:
            text, text_error = None, str(exc)
        manifest = _read_manifest(manager.out_dir(job_id) / slug)
        detail = next((s for s in manifest.get("steps", []) if s.get("id") == node_id), {})
        return page(request, "step.html", job=job, source=source, step=step, text=text,
                    text_error=text_error, views=_views(manager.out_dir(job_id), slug, step["files"]),
                    detail=json.dumps(detail, indent=2, ensure_ascii=False),
                    chapters=_chapters(manager.out_dir(job_id) / slug, step["files"]))

    @app.post("/jobs/{job_id}/{slug}/{node_id}/edit", include_in_schema=False,
              dependencies=[Depends(check_csrf)])
    async def edit_submit(request: Request, job_id: str, slug: str, node_id: str):
        job_or_404(job_id)
        form = await request.form()
        action = form.get("action", "save")
        if action == "revert":
            _act(manager.revert, job_id, slug, node_id)
        else:
            _act(manager.edit, job_id, slug, node_id, str(form.get("text", "")))
        return RedirectResponse(f"/jobs/{job_id}", status_code=303)

    @app.post("/jobs/{job_id}/{action}", include_in_schema=False,
              dependencies=[Depends(check_csrf)])
    def job_action(job_id: str, action: str):
        job_or_404(job_id)
        if action == "cancel":
            manager.cancel(job_id)
        elif action == "resume":
            _act(manager.resume, job_id)
        elif action == "delete":
            _act(manager.delete, job_id)
            return RedirectResponse("/", status_code=303)
        else:
            raise Problems(404, f"no action {action!r}")
        return RedirectResponse(f"/jobs/{job_id}", status_code=303)

    return app


# ---------------------------------------------------------------------- helpers

def _problem(status: int, message: str, problems: list[str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message, "problems": problems or []}, status_code=status)


def _act(fn, *args):
    """Run a manager action; its refusals become one-line HTTP errors."""
    try:
        return fn(*args)
    except LookupError as exc:
        raise Problems(404, f"not found: {exc}") from None
    except RemixerError as exc:
        raise Problems(409, str(exc)) from None


def _discard(inbox: Path) -> None:
    """Remove the folder of a job that was refused before it existed."""
    shutil.rmtree(inbox.parent, ignore_errors=True)


def _quote_path(path: str) -> str:
    return quote(path, safe="/")


def _local(target: str) -> str:
    """A redirect target on this server only (no //evil.example)."""
    return target if target.startswith("/") and not target.startswith("//") else "/"


def _default(entries) -> str:
    ids = [e.id for e in entries]
    return "article-text" if "article-text" in ids else (ids[0] if ids else "")


def _serve(base: Path, relative: str, download: bool) -> FileResponse:
    """A file of a job's output folder; anything else (``..``, absolute, links out) is 404."""
    base = base.resolve()
    parts = relative.split("/")
    if not relative or any(p in ("", ".", "..") or "\\" in p for p in parts):
        raise Problems(404, "no such output")
    target = (base / relative).resolve()
    if not target.is_relative_to(base) or not target.is_file() or target.name.startswith("."):
        raise Problems(404, "no such output")
    media_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    if media_type.startswith("text/") or media_type in ("application/json", "application/xml"):
        media_type += "; charset=utf-8"
    return FileResponse(target, media_type=media_type, filename=target.name,
                        content_disposition_type="attachment" if download else "inline")


def _zip(out: Path, job_id: str) -> Response:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(out.rglob("*")) if out.is_dir() else []:
            if path.is_file() and not path.name.startswith("."):
                archive.write(path, path.relative_to(out).as_posix())
    return Response(buffer.getvalue(), media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="remixer-{job_id}.zip"'})


def _views(folder: Path, slug: str, files: list[str]) -> list[dict[str, Any]]:
    """How each output file is shown: text, audio, video (with its captions) or a link."""
    views = []
    names = set(files)
    for name in files:
        ext = name.rsplit(".", 1)[-1].lower()
        view: dict[str, Any] = {"name": name, "href": f"{slug}/{name}", "kind": "file"}
        if ext in AUDIO_EXTS:
            view["kind"] = "audio"
        elif ext in IMAGE_EXTS:
            view["kind"] = "image"
        elif ext in VIDEO_EXTS:
            view["kind"] = "video"
            vtt = name.rsplit(".", 1)[0] + ".vtt"
            view["captions"] = f"{slug}/{vtt}" if vtt in names else ""
        elif ext in TEXT_EXTS and ext != "json" or (ext == "json" and len(files) == 1):
            path = folder / slug / name
            view["kind"] = "text"
            view["text"] = path.read_text(encoding="utf-8", errors="replace")[:200_000] \
                if path.is_file() else ""
        views.append(view)
    return views


def _chapters(folder: Path, files: list[str]) -> list[dict[str, Any]]:
    """Chapters of a podcast or narration, from the JSON sidecar beside its audio."""
    for name in files:
        if name.endswith(".json"):
            try:
                data = json.loads((folder / name).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            chapters = data.get("chapters") if isinstance(data, dict) else None
            if isinstance(chapters, list):
                return [{"title": str(c["title"]), "start": float(c.get("start", c.get("startTime", 0)))}
                        for c in chapters if isinstance(c, dict) and "title" in c]
    return []


def _read_manifest(folder: Path) -> dict[str, Any]:
    try:
        return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


async def _events(manager: JobManager, job_id: str, request: Request):
    """The job's summary whenever it changes (the manager wakes this stream), at most
    ten times a second; ends after the job finishes."""
    changed = asyncio.Event()
    manager.watch(job_id, changed)
    last, sent = None, 0.0
    try:
        while not await request.is_disconnected():
            changed.clear()
            version = await asyncio.to_thread(manager.version, job_id)
            if version[0] is None:
                yield "event: gone\ndata: {}\n\n"
                return
            if version != last:
                wait = sent + 0.1 - time.monotonic()
                if wait > 0 and version[0] not in FINISHED:
                    # a burst of events becomes one update, but the job finishing ends
                    # the wait at once
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(changed.wait(), timeout=wait)
                    continue
                last, sent = version, time.monotonic()
                summary = await asyncio.to_thread(manager.summary, job_id)
                yield f"event: progress\ndata: {json.dumps(summary)}\n\n"
                if summary["state"] in FINISHED:
                    yield "event: finished\ndata: {}\n\n"
                    return
            with contextlib.suppress(asyncio.TimeoutError):  # else look again anyway
                await asyncio.wait_for(changed.wait(), timeout=5)
    finally:
        manager.unwatch(job_id, changed)
