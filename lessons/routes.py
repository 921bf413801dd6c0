"""Routes of the lesson library: the JSON API and the pages (files: ``eschool.uploads``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from eschool.api_schema import BINARY, Body, ItemList, operation
from eschool.errors import Forbidden
from eschool.i18n import gettext as _
from eschool.models import Role
from eschool.uploads.queries import uploads_info
from eschool.uploads.store import receive_upload
from eschool.web import (
    acting_user,
    api_endpoint,
    db,
    json_list,
    json_ok,
    page_endpoint,
    pagination,
    parse_model,
    path_int,
    read_json,
    read_query,
    render,
)
from lessons import queries, search_queries, services
from lessons.blocks import block_assets
from lessons.markdown import render_markdown
from lessons.models import (
    DEFAULT_LANGUAGE,
    LICENCES,
    MAX_GRADE,
    MIN_GRADE,
    SORTS,
    LessonCreate,
    LessonFilters,
    LessonStatus,
    LessonUpdate,
    MarkdownPreview,
)
from lessons.public_models import (
    ImportReportPublic,
    LessonExportQuery,
    LessonImportedPublic,
    LessonImportQuery,
    LessonPublic,
    LessonSearchQuery,
    LessonSummaryPublic,
    LessonVersionPublic,
    MarkdownHtml,
    PublishedPublic,
)
from lessons.zip_schema import lesson_zip_schema_text

LIBRARY = (Role.admin, Role.teacher, Role.pupil)
AUTHORS = (Role.admin, Role.teacher)
IMPORT_FILE = Body(
    "multipart/form-data",
    "The file in the form field `file`: our lesson zip, a QTI 3.0 / 2.1 or Common Cartridge "
    "package, a QTI item, a GIFT or an Aiken text (the format is told from the content).",
    {"type": "object", "properties": {"file": BINARY}, "required": ["file"]},
)
EXPORTED = (
    Body("application/zip", "Our lesson zip or a QTI 3.0 package, as an attachment."),
    Body("application/vnd.ims.imsccv1p3", "A Common Cartridge 1.3, as an attachment."),
)


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    """Let the shell serve a lesson's files to those who may see the lesson."""
    app.state.file_audiences.append(queries.lesson_file_audience)
    yield


def _settings(request: Request) -> Any:
    return request.app.state.settings


# --- JSON API -------------------------------------------------------------------------


@api_endpoint(*LIBRARY)
@operation(
    "GET",
    "Search the library",
    query=LessonSearchQuery,
    responses={200: ItemList[LessonSummaryPublic]},
    roles=LIBRARY,
)
async def api_lessons(request: Request) -> Response:
    """``GET /api/v1/lessons``: search the library."""
    filters = parse_model(LessonFilters, dict(request.query_params))
    page, per_page = pagination(request)
    answer = await search_queries.lessons_search_json(
        db(request),
        actor=acting_user(request),
        filters=filters,
        page=page,
        per_page=per_page,
        reads=getattr(request.app.state, "direct_reads", None),
    )
    # ``json_list``'s answer, rendered once per kept answer (``lessons.search_cache``).
    return Response(answer, media_type="application/json")


@api_endpoint(*AUTHORS)
@operation(
    "POST", "Add a draft lesson", body=LessonCreate, responses={201: LessonPublic}, roles=AUTHORS
)
async def api_lesson_create(request: Request) -> Response:
    """``POST /api/v1/lessons`` → 201 with the new draft."""
    data = await read_json(request, LessonCreate)
    lesson = await services.lesson_create(db(request), actor=acting_user(request), data=data)
    body = await queries.lesson_read(
        db(request), actor=acting_user(request), lesson_id=lesson.id or 0
    )
    return json_ok(body, 201, headers={"Location": f"/api/v1/lessons/{lesson.id}"})


@api_endpoint(*LIBRARY)
@operation("GET", "A lesson, as the caller sees it", responses={200: LessonPublic}, roles=LIBRARY)
async def api_lesson(request: Request) -> Response:
    """``GET /api/v1/lessons/{id}``."""
    body = await queries.lesson_read(
        db(request), actor=acting_user(request), lesson_id=path_int(request, "id")
    )
    return json_ok(body)


@api_endpoint(*LIBRARY)
@operation(
    "PUT",
    "Save the working copy (the author)",
    body=LessonUpdate,
    responses={200: LessonPublic},
    roles=LIBRARY,
    errors=(409,),
)
async def api_lesson_update(request: Request) -> Response:
    """``PUT /api/v1/lessons/{id}``: the whole lesson with the revision it started from."""
    data = await read_json(request, LessonUpdate)
    lesson_id = path_int(request, "id")
    await services.lesson_update(
        db(request), actor=acting_user(request), lesson_id=lesson_id, data=data
    )
    return json_ok(
        await queries.lesson_read(db(request), actor=acting_user(request), lesson_id=lesson_id)
    )


@api_endpoint(*LIBRARY)
@operation("DELETE", "Archive a lesson", responses={204: None}, roles=LIBRARY)
async def api_lesson_archive(request: Request) -> Response:
    """``DELETE /api/v1/lessons/{id}``: archive (204)."""
    await services.lesson_archive(
        db(request), actor=acting_user(request), lesson_id=path_int(request, "id")
    )
    return Response(status_code=204)


@api_endpoint(*LIBRARY)
@operation(
    "POST",
    "Publish the working copy as a new version",
    responses={200: PublishedPublic},
    roles=LIBRARY,
    errors=(409, 422),
)
async def api_lesson_publish(request: Request) -> Response:
    """``POST /api/v1/lessons/{id}/publish`` → ``{"version": n}``."""
    number = await services.lesson_publish(
        db(request), actor=acting_user(request), lesson_id=path_int(request, "id")
    )
    return json_ok(PublishedPublic(version=number))


@api_endpoint(*LIBRARY)
@operation(
    "GET",
    "A lesson's published versions, newest first",
    responses={200: ItemList[LessonVersionPublic]},
    roles=LIBRARY,
)
async def api_lesson_versions(request: Request) -> Response:
    """``GET /api/v1/lessons/{id}/versions``: newest first."""
    items = await queries.lesson_versions(
        db(request), actor=acting_user(request), lesson_id=path_int(request, "id")
    )
    return json_list(items, len(items))


@api_endpoint(*LIBRARY)
@operation("GET", "One published version", responses={200: LessonPublic}, roles=LIBRARY)
async def api_lesson_version(request: Request) -> Response:
    """``GET /api/v1/lessons/{id}/versions/{n}``: one published snapshot."""
    body = await queries.lesson_read(
        db(request),
        actor=acting_user(request),
        lesson_id=path_int(request, "id"),
        version=path_int(request, "n"),
    )
    return json_ok(body)


@api_endpoint(*LIBRARY)
@operation(
    "POST",
    "Copy a lesson into a draft of the caller's",
    responses={201: LessonPublic},
    roles=LIBRARY,
)
async def api_lesson_copy(request: Request) -> Response:
    """``POST /api/v1/lessons/{id}/copy`` → 201, a draft of the caller's."""
    copy = await services.lesson_copy(
        db(request), actor=acting_user(request), lesson_id=path_int(request, "id")
    )
    body = await queries.lesson_read(
        db(request), actor=acting_user(request), lesson_id=copy.id or 0
    )
    return json_ok(body, 201, headers={"Location": f"/api/v1/lessons/{copy.id}"})


@api_endpoint(*LIBRARY)
@operation(
    "GET",
    "Export a lesson as a file",
    query=LessonExportQuery,
    responses={200: EXPORTED},
    roles=LIBRARY,
)
async def api_lesson_export(request: Request) -> Response:
    """``GET /api/v1/lessons/{id}/export?format=eschool|qti3|cc13``: the lesson as a file
    (our exchange zip by default)."""
    name, media_type, exported = await services.lesson_export(
        db(request),
        actor=acting_user(request),
        lesson_id=path_int(request, "id"),
        uploads_dir=_settings(request).uploads_dir,
        format=request.query_params.get("format") or "eschool",
    )
    return Response(
        exported,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@api_endpoint(*AUTHORS)
@operation(
    "POST",
    "Import a lesson from a file",
    body=IMPORT_FILE,
    query=LessonImportQuery,
    responses={200: ImportReportPublic, 201: LessonImportedPublic},
    roles=AUTHORS,
)
async def api_lesson_import(request: Request) -> Response:
    """``POST /api/v1/lessons/import`` (multipart ``file``: our zip, a QTI or Common Cartridge
    package, a QTI item, a GIFT or Aiken text) → 201, a draft of the caller's with the
    import's report under ``"import"``; ``?dry_run=1`` → 200, the report only, nothing stored."""
    query = read_query(request, LessonImportQuery)
    settings = _settings(request)
    upload = await receive_upload(request, limit=settings.upload_limit)
    try:
        data = await upload.read()
    finally:
        await upload.close()
    actor = acting_user(request)
    report = await services.import_read(
        db(request),
        actor=actor,
        data=data,
        filename=upload.filename or "",
        max_total=settings.upload_limit,
    )
    preview = ImportReportPublic.model_validate(report.public())
    if query.dry_run:
        return json_ok(preview)
    lesson = await services.lesson_import_report(
        db(request), actor=actor, uploads_dir=settings.uploads_dir, report=report
    )
    read = await queries.lesson_read(db(request), actor=actor, lesson_id=lesson.id or 0)
    body = LessonImportedPublic(**dict(read), imported=preview)
    return json_ok(body, 201, headers={"Location": f"/api/v1/lessons/{lesson.id}"})


@api_endpoint(*AUTHORS)
@operation(
    "POST",
    "Render Markdown as a text block shows it",
    body=MarkdownPreview,
    responses={200: MarkdownHtml},
    roles=AUTHORS,
)
async def api_markdown_preview(request: Request) -> Response:
    """``POST /api/v1/lessons/preview`` ``{"text"}`` → ``{"html"}``, as a text block shows it."""
    data = await read_json(request, MarkdownPreview)
    return json_ok(MarkdownHtml(html=render_markdown(data.text)))


@operation(
    "GET",
    "The JSON Schema of lesson.json in our lesson zip",
    description="Generated from the model the importer reads `lesson.json` with "
    "(docs/lesson-zip.md); no sign-in needed.",
    public=True,
    responses={
        200: Body("application/schema+json", "A JSON Schema (2020-12).", {"type": "object"})
    },
)
async def api_lesson_zip_schema(request: Request) -> Response:
    """``GET /api/v1/lessons/zip.schema.json``: what a producer of our lesson zip must write."""
    return Response(lesson_zip_schema_text(), media_type="application/schema+json")


# --- pages ----------------------------------------------------------------------------


def _page_links(request: Request, page: int, per_page: int, total: int) -> dict[str, Any]:
    last = max(1, (total + per_page - 1) // per_page)
    params = {k: v for k, v in request.query_params.items() if k != "page" and v}

    def href(number: int) -> str:
        return "?" + urlencode({**params, "page": number})

    return {
        "page": page,
        "last": last,
        "prev": href(page - 1) if page > 1 else None,
        "next": href(page + 1) if page < last else None,
    }


@page_endpoint(*LIBRARY)
async def library_page(request: Request) -> Response:
    """``/lessons``: browse and search the library."""
    user = acting_user(request)
    session = db(request)
    filters = parse_model(LessonFilters, dict(request.query_params))
    page, per_page = pagination(request, default_per_page=24)
    items, total = await search_queries.lessons_search(
        session, actor=user, filters=filters, page=page, per_page=per_page
    )
    return render(
        request,
        "lessons/library.html",
        items=[item.model_dump(mode="json") for item in items],
        total=total,
        filters=filters,
        subjects=await search_queries.library_subjects(session, actor=user),
        authors=[a.model_dump() for a in await search_queries.library_authors(session, actor=user)],
        grades=range(MIN_GRADE, MAX_GRADE + 1),
        sorts=SORTS,
        statuses=list(LessonStatus),
        pages=_page_links(request, page, per_page, total),
        untag_href="?"
        + urlencode(
            {k: v for k, v in request.query_params.items() if k not in ("tag", "page") and v}
        ),
        may_author=user.role in AUTHORS,
    )


async def _lesson_context(request: Request, *, version: int | None) -> dict[str, Any]:
    user = acting_user(request)
    session = db(request)
    lesson_id = path_int(request, "id")
    shown = await queries.lesson_read(session, actor=user, lesson_id=lesson_id, version=version)
    lesson = shown.model_dump(mode="json")
    assets = await uploads_info(
        session, school_id=user.school_id, shas=block_assets(lesson["blocks"])
    )
    return {"lesson": lesson, "assets": assets, "is_author": lesson["author"]["id"] == user.id}


def _version_param(request: Request) -> int | None:
    raw = request.query_params.get("version", "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


@page_endpoint(*LIBRARY)
async def lesson_page(request: Request) -> Response:
    """``/lessons/{id}``: the lesson, its actions and versions (``?version=n`` for one)."""
    context = await _lesson_context(request, version=_version_param(request))
    versions = await queries.lesson_versions(
        db(request), actor=acting_user(request), lesson_id=path_int(request, "id")
    )
    listed = [version.model_dump(mode="json") for version in versions]
    return render(request, "lessons/lesson.html", versions=listed, **context)


@page_endpoint(*LIBRARY)
async def present_page(request: Request) -> Response:
    """``/lessons/{id}/present``: one block per slide, for the classroom board."""
    context = await _lesson_context(request, version=_version_param(request))
    return render(request, "lessons/present.html", **context)


@page_endpoint(*AUTHORS)
async def editor_new_page(request: Request) -> Response:
    """``/lessons/new``: the editor for a lesson not saved yet."""
    return render(
        request,
        "lessons/editor.html",
        lesson=None,
        licences=LICENCES,
        assets={},
        default_language=acting_user(request).lang or DEFAULT_LANGUAGE,
    )


@page_endpoint(*AUTHORS)
async def editor_page(request: Request) -> Response:
    """``/lessons/{id}/edit``: the editor (the author only)."""
    user = acting_user(request)
    session = db(request)
    shown = await queries.lesson_read(session, actor=user, lesson_id=path_int(request, "id"))
    lesson = shown.model_dump(mode="json")
    if not lesson["can_edit"]:
        raise Forbidden(_("Only the author may edit this lesson."))
    assets = await uploads_info(
        session, school_id=user.school_id, shas=block_assets(lesson["blocks"])
    )
    return render(
        request,
        "lessons/editor.html",
        lesson=lesson,
        licences=LICENCES,
        assets=assets,
        default_language=lesson["language"],
    )


routes: list[BaseRoute] = [
    Route("/api/v1/lessons", api_lessons, methods=["GET"]),
    Route("/api/v1/lessons", api_lesson_create, methods=["POST"]),
    Route("/api/v1/lessons/preview", api_markdown_preview, methods=["POST"]),
    Route("/api/v1/lessons/import", api_lesson_import, methods=["POST"]),
    Route("/api/v1/lessons/zip.schema.json", api_lesson_zip_schema, methods=["GET"]),
    Route("/api/v1/lessons/{id:int}", api_lesson, methods=["GET"]),
    Route("/api/v1/lessons/{id:int}", api_lesson_update, methods=["PUT"]),
    Route("/api/v1/lessons/{id:int}", api_lesson_archive, methods=["DELETE"]),
    Route("/api/v1/lessons/{id:int}/publish", api_lesson_publish, methods=["POST"]),
    Route("/api/v1/lessons/{id:int}/versions", api_lesson_versions, methods=["GET"]),
    Route("/api/v1/lessons/{id:int}/versions/{n:int}", api_lesson_version, methods=["GET"]),
    Route("/api/v1/lessons/{id:int}/copy", api_lesson_copy, methods=["POST"]),
    Route("/api/v1/lessons/{id:int}/export", api_lesson_export, methods=["GET"]),
    Route("/lessons", library_page, methods=["GET"]),
    Route("/lessons/new", editor_new_page, methods=["GET"]),
    Route("/lessons/{id:int}", lesson_page, methods=["GET"]),
    Route("/lessons/{id:int}/edit", editor_page, methods=["GET"]),
    Route("/lessons/{id:int}/present", present_page, methods=["GET"]),
]
