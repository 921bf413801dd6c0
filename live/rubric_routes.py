"""Observation rubrics over HTTP: the JSON API and the admin's pages (docs/open-lessons.md).

- ``GET /api/v1/rubrics`` (teachers and admins) → ``{"items":[rubric…],"total"}``;
  ``POST /api/v1/rubrics`` (admins) ``{"title","criteria":[{"id","title","levels"}]}`` → 201.
- ``GET /api/v1/rubrics/{id}``, ``PUT`` (admins, the whole rubric), ``DELETE`` (admins,
  archives: lessons that used it keep their copy) → 204.
- ``/admin/rubrics``: list, add, and ``/admin/rubrics/{id}``: edit the criteria and their
  levels (one level per line), delete.

The feedback and notes endpoints of a lesson (:mod:`live.feedback_routes`) are mounted with
these.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from eschool.api_schema import ItemList, operation
from eschool.errors import DomainError
from eschool.models import Role
from eschool.web import (
    acting_user,
    api_endpoint,
    db,
    json_list,
    json_ok,
    page_endpoint,
    parse_model,
    path_int,
    read_form,
    read_json,
    render,
)
from live.feedback_routes import routes as feedback_routes
from live.models import MAX_CRITERIA, RubricCreate, RubricPublic
from live.rubrics import (
    rubric_create,
    rubric_delete,
    rubric_get,
    rubric_public,
    rubric_update,
    rubrics_list,
)

# Empty rows the edit form offers for new criteria (more for a new rubric).
SPARE_ROWS = 2
NEW_ROWS = 5

# --- JSON API ------------------------------------------------------------------------------


@api_endpoint(Role.admin, Role.teacher)
@operation(
    "GET",
    "The school's observation rubrics",
    responses={200: ItemList[RubricPublic]},
    roles=(Role.admin, Role.teacher),
)
@operation(
    "POST",
    "Add an observation rubric",
    body=RubricCreate,
    responses={201: RubricPublic},
    roles=(Role.admin,),
)
async def api_rubrics(request: Request) -> Response:
    """``GET /api/v1/rubrics``: the school's rubrics; ``POST`` (admins): add one → 201."""
    user = acting_user(request)
    if request.method == "POST":
        data = await read_json(request, RubricCreate)
        rubric = await rubric_create(db(request), actor=user, data=data)
        body = rubric_public(rubric)
        return json_ok(body, 201, headers={"Location": f"/api/v1/rubrics/{body.id}"})
    found = await rubrics_list(db(request), actor=user)
    return json_list([rubric_public(rubric) for rubric in found], len(found))


@api_endpoint(Role.admin, Role.teacher)
@operation(
    "GET", "An observation rubric", responses={200: RubricPublic}, roles=(Role.admin, Role.teacher)
)
@operation(
    "PUT",
    "Replace an observation rubric",
    description="Lessons already run keep the rubric as it was.",
    body=RubricCreate,
    responses={200: RubricPublic},
    roles=(Role.admin,),
)
@operation(
    "DELETE",
    "Delete (archive) an observation rubric",
    description="Lessons that used it keep their copy.",
    responses={204: None},
    roles=(Role.admin,),
)
async def api_rubric(request: Request) -> Response:
    """``GET/PUT/DELETE /api/v1/rubrics/{id}`` (writing: admins)."""
    user = acting_user(request)
    rubric_id = path_int(request, "id")
    session = db(request)
    if request.method == "PUT":
        data = await read_json(request, RubricCreate)
        rubric = await rubric_update(session, actor=user, rubric_id=rubric_id, data=data)
        return json_ok(rubric_public(rubric))
    if request.method == "DELETE":
        await rubric_delete(session, actor=user, rubric_id=rubric_id)
        return Response(status_code=204)
    return json_ok(rubric_public(await rubric_get(session, actor=user, rubric_id=rubric_id)))


# --- the admin's pages -----------------------------------------------------------------------


def _rows(criteria: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The form's criterion rows: the rubric's and a few empty ones (20 at most)."""
    rows = [
        {"id": c.get("id", ""), "title": c.get("title", ""), "levels": "\n".join(c["levels"])}
        for c in criteria
    ]
    return rows + _empty(min(SPARE_ROWS, MAX_CRITERIA - len(rows)))


def _empty(count: int) -> list[dict[str, Any]]:
    return [{"id": "", "title": "", "levels": ""} for _ in range(max(0, count))]


def _from_form(form: dict[str, str]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The rubric the form describes, and its rows as typed (to show them again)."""
    criteria: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    for n in range(MAX_CRITERIA):
        title = form.get(f"c{n}_title", "").strip()
        slug = form.get(f"c{n}_id", "").strip().lower()
        levels_text = form.get(f"c{n}_levels", "")
        if not title and not slug and not levels_text.strip():
            continue
        rows.append({"id": slug, "title": title, "levels": levels_text})
        levels = [line.strip() for line in levels_text.splitlines() if line.strip()]
        criteria.append({"id": slug or f"c{len(criteria) + 1}", "title": title, "levels": levels})
    return {"title": form.get("title", ""), "criteria": criteria}, rows


def _page(
    request: Request,
    *,
    rubric: dict[str, Any] | None,
    title: str,
    rows: list[dict[str, Any]],
    error: str | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        "live/rubric_edit.html",
        status=status,
        rubric=rubric,
        title=title,
        rows=rows,
        error=error,
        max_criteria=MAX_CRITERIA,
    )


@page_endpoint(Role.admin)
async def admin_rubrics(request: Request) -> Response:
    """``/admin/rubrics``: the school's rubrics; ``POST`` adds one (the edit form, empty)."""
    user = acting_user(request)
    session = db(request)
    if request.method == "POST":
        body, rows = _from_form(await read_form(request))
        try:
            data = parse_model(RubricCreate, body)
            rubric = await rubric_create(session, actor=user, data=data)
        except DomainError as exc:
            return _page(
                request,
                rubric=None,
                title=body["title"],
                rows=rows or _empty(NEW_ROWS),
                error=exc.message,
                status=exc.status,
            )
        return RedirectResponse(f"/admin/rubrics/{rubric.id}?saved=1", status_code=303)
    found = [
        rubric_public(rubric).model_dump(mode="json")
        for rubric in await rubrics_list(session, actor=user)
    ]
    if request.query_params.get("new") == "1":
        return _page(request, rubric=None, title="", rows=_empty(NEW_ROWS))
    return render(
        request,
        "live/rubrics.html",
        rubrics=found,
        deleted=request.query_params.get("deleted") == "1",
    )


@page_endpoint(Role.admin)
async def admin_rubric(request: Request) -> Response:
    """``/admin/rubrics/{id}``: edit a rubric; ``POST`` saves it, or deletes it with
    ``action=delete``."""
    user = acting_user(request)
    session = db(request)
    found = await rubric_get(session, actor=user, rubric_id=path_int(request, "id"))
    rubric = rubric_public(found).model_dump(mode="json")
    if request.method == "POST":
        form = await read_form(request)
        if form.get("action") == "delete":
            await rubric_delete(session, actor=user, rubric_id=rubric["id"])
            return RedirectResponse("/admin/rubrics?deleted=1", status_code=303)
        body, rows = _from_form(form)
        try:
            data = parse_model(RubricCreate, body)
            await rubric_update(session, actor=user, rubric_id=rubric["id"], data=data)
        except DomainError as exc:
            if exc.status == 404:
                raise
            return _page(
                request,
                rubric=rubric,
                title=body["title"],
                rows=rows,
                error=exc.message,
                status=exc.status,
            )
        return RedirectResponse(f"/admin/rubrics/{rubric['id']}?saved=1", status_code=303)
    return _page(request, rubric=rubric, title=rubric["title"], rows=_rows(rubric["criteria"]))


routes: list[BaseRoute] = [
    Route("/api/v1/rubrics", api_rubrics, methods=["GET", "POST"]),
    Route("/api/v1/rubrics/{id:int}", api_rubric, methods=["GET", "PUT", "DELETE"]),
    Route("/admin/rubrics", admin_rubrics, methods=["GET", "POST"]),
    Route("/admin/rubrics/{id:int}", admin_rubric, methods=["GET", "POST"]),
    *feedback_routes,
]
