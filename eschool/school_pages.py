"""Academic years and terms: the admin page `/admin/terms` and the JSON API it uses.

`GET|POST /api/v1/years`, `PATCH /api/v1/years/{id}`, `POST /api/v1/terms`,
`PATCH /api/v1/terms/{id}`. The page works without JavaScript (its forms post here);
with it, `static/js/admin/setup_forms.js` sends the same forms to the API and shows
its errors next to the fields.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from eschool import queries
from eschool.api_schema import ItemList, operation
from eschool.errors import DomainError, Forbidden
from eschool.i18n import gettext as _
from eschool.models import Role, TermPublic, TermSystem, YearPublic
from eschool.school_setup import (
    TermChange,
    TermCreate,
    YearCreate,
    YearUpdate,
    term_add,
    term_change,
    year_add,
    year_change,
    year_gaps,
    year_public,
)
from eschool.web import (
    acting_user,
    api_endpoint,
    db,
    form_id,
    json_list,
    json_ok,
    page_endpoint,
    parse_model,
    path_int,
    read_form,
    read_json,
    render,
)


def form_failure(key: str, exc: DomainError, values: dict[str, str]) -> dict[str, Any]:
    """What a page shows when one of its forms was refused: the message, each field's own
    message (from `details`) and the values typed, to fill the form in again."""
    fields: dict[str, str] = {}
    for item in exc.details or []:
        if isinstance(item, dict) and item.get("loc"):
            fields.setdefault(str(item["loc"][-1]), str(item.get("message", "")))
    return {"form": key, "message": exc.message, "fields": fields, "values": values}


def _fields(form: dict[str, str], *names: str) -> dict[str, str]:
    return {name: form[name] for name in names if form.get(name)}


# --- API ---------------------------------------------------------------------------------

ADMIN = (Role.admin,)


@api_endpoint()
@operation(
    "GET",
    "The school's academic years, newest first, with their terms and the days no term covers",
    responses={200: ItemList[YearPublic]},
)
@operation(
    "POST",
    "Add an academic year",
    description="`split` makes its terms at once (`quarters`, `trimesters`, `halves`; the "
    "school's own system when left out; `none` for no terms). A year lasts at most 400 days "
    "and overlaps no other year of the school.",
    body=YearCreate,
    roles=ADMIN,
    responses={201: YearPublic},
    errors=(409,),
)
async def api_years(request: Request) -> Response:
    """GET: the school's academic years with their terms and the days no term covers.
    POST (admin) `{"name","starts","ends","split"?}` → 201."""
    actor = acting_user(request)
    session = db(request)
    if request.method == "POST":
        if actor.role != Role.admin:
            raise Forbidden(_("Your role may not do this."))
        data = await read_json(request, YearCreate)
        year = await year_add(session, actor=actor, data=data)
        terms = await queries.terms_of_school(session, school_id=actor.school_id)
        return json_ok(year_public(year, terms), status=201)
    years = await queries.years_of_school(session, school_id=actor.school_id)
    terms = await queries.terms_of_school(session, school_id=actor.school_id)
    return json_list([year_public(y, terms) for y in years], len(years))


@api_endpoint(Role.admin)
@operation(
    "PATCH",
    "Rename an academic year or move its dates (its terms must stay inside)",
    body=YearUpdate,
    roles=ADMIN,
    responses={200: YearPublic},
    errors=(409,),
)
async def api_year(request: Request) -> Response:
    """PATCH (admin) `{"name","starts","ends"}` (only what is sent); its terms stay inside."""
    actor = acting_user(request)
    data = await read_json(request, YearUpdate)
    year = await year_change(db(request), actor=actor, year_id=path_int(request, "id"), data=data)
    terms = await queries.terms_of_school(db(request), school_id=actor.school_id)
    return json_ok(year_public(year, terms))


@api_endpoint()
@operation("GET", "The school's terms, oldest first", responses={200: ItemList[TermPublic]})
@operation(
    "POST",
    "Add a term to an academic year",
    description="It lies inside its year and overlaps none of the year's terms; terms are "
    "numbered by their start dates.",
    body=TermCreate,
    roles=ADMIN,
    responses={201: TermPublic},
)
async def api_terms(request: Request) -> Response:
    """GET: the school's terms. POST (admin) `{"year_id","name","starts","ends"}` → 201."""
    actor = acting_user(request)
    if request.method == "POST":
        if actor.role != Role.admin:
            raise Forbidden(_("Your role may not do this."))
        data = await read_json(request, TermCreate)
        term = await term_add(db(request), actor=actor, data=data)
        return json_ok(queries.term_public(term), status=201)
    terms = await queries.terms_of_school(db(request), school_id=actor.school_id)
    return json_list([queries.term_public(t) for t in terms], len(terms))


@api_endpoint(Role.admin)
@operation(
    "PATCH",
    "Rename a term, move its dates inside its year, or close or reopen it",
    body=TermChange,
    roles=ADMIN,
    responses={200: TermPublic},
)
async def api_term(request: Request) -> Response:
    """PATCH (admin) `{"name","starts","ends","closed"}` (only what is sent)."""
    data = await read_json(request, TermChange)
    term = await term_change(
        db(request), actor=acting_user(request), term_id=path_int(request, "id"), data=data
    )
    return json_ok(queries.term_public(term))


# --- the page ----------------------------------------------------------------------------


async def _page(request: Request, *, status: int = 200, **extra: Any) -> Response:
    actor = acting_user(request)
    session = db(request)
    years = await queries.years_of_school(session, school_id=actor.school_id)
    terms = await queries.terms_of_school(session, school_id=actor.school_id)
    gaps = {y.id: year_gaps(y, [t for t in terms if t.year_id == y.id]) for y in years}
    return render(
        request,
        "admin/terms.html",
        status=status,
        school=await queries.school_get(session, actor.school_id),
        years=years,
        terms=terms,
        gaps=gaps,
        systems=[s.value for s in TermSystem],
        failed=extra.get("failed"),
        notice=request.query_params.get("done") and _("Saved."),
    )


async def _page_action(request: Request, form: dict[str, str]) -> None:
    """Run one form of the page through the same services as the API."""
    actor = acting_user(request)
    session = db(request)
    action = form.get("action") or "term_close"
    if action == "year_add":
        new_year = parse_model(YearCreate, _fields(form, "name", "starts", "ends", "split"))
        await year_add(session, actor=actor, data=new_year)
    elif action == "year_change":
        year_id = form_id(form, "year_id")
        year_data = parse_model(YearUpdate, _fields(form, "name", "starts", "ends"))
        await year_change(session, actor=actor, year_id=year_id, data=year_data)
    elif action == "term_add":
        values = _fields(form, "year_id", "name", "starts", "ends")
        await term_add(session, actor=actor, data=parse_model(TermCreate, values))
    else:  # change, close or reopen a term
        term_id = form_id(form, "term_id")
        if action == "term_change":
            term_data = parse_model(TermChange, _fields(form, "name", "starts", "ends"))
        else:
            term_data = TermChange(closed=form.get("closed") == "1")
        await term_change(session, actor=actor, term_id=term_id, data=term_data)


def _form_key(form: dict[str, str]) -> str:
    action = form.get("action") or "term_close"
    if action == "year_add":
        return "year-new"
    if action == "year_change":
        return f"year-{form.get('year_id', '')}"
    if action == "term_add":
        return f"term-new-{form.get('year_id', '')}"
    return f"term-{form.get('term_id', '')}"


@page_endpoint(Role.admin)
async def admin_terms(request: Request) -> Response:
    """Academic years and terms: add and edit them, close or reopen a term."""
    if request.method == "POST":
        form = await read_form(request)
        try:
            await _page_action(request, form)
        except DomainError as exc:
            if exc.status == 404:
                raise
            failure = form_failure(_form_key(form), exc, form)
            return await _page(request, status=exc.status, failed=failure)
        return RedirectResponse("/admin/terms?done=1", status_code=303)
    return await _page(request)


routes: list[BaseRoute] = [
    Route("/admin/terms", admin_terms, methods=["GET", "POST"]),
    Route("/api/v1/years", api_years, methods=["GET", "POST"]),
    Route("/api/v1/years/{id:int}", api_year, methods=["PATCH"]),
    Route("/api/v1/terms", api_terms, methods=["GET", "POST"]),
    Route("/api/v1/terms/{id:int}", api_term, methods=["PATCH"]),
]
