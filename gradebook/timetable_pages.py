"""The admin's weekly timetable grid (`/admin/timetable?class=`) and the bell-times API.

The page renders the grid; `static/js/gradebook/timetable.js` saves it through
`PUT /api/v1/classes/{id}/timetable`, the bell times through `PUT /api/v1/bell-times`,
and generates a term's slots through `POST /api/v1/slots/generate`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from eschool.api_schema import operation
from eschool.errors import Forbidden, NotFound
from eschool.i18n import gettext as _
from eschool.models import Role
from eschool.queries import classes_visible, term_current, terms_of_school
from eschool.web import (
    acting_user,
    api_endpoint,
    db,
    json_ok,
    page_endpoint,
    query_int,
    read_json,
    render,
)
from gradebook import public, queries
from gradebook.bell_times import (
    BellTimesIn,
    bell_times_public,
    bell_times_set,
    bells_effective,
    bells_of_school,
)
from gradebook.structure_models import BellTimesPublic, BellTimesSavedPublic
from gradebook.timetable_conflicts import WEEKDAY_NAMES

GRID_WEEKDAYS = range(6)  # Monday … Saturday


@api_endpoint()
@operation("GET", "The school's bell times", responses={200: BellTimesPublic})
@operation(
    "PUT",
    "Replace the school's bell times",
    description="Rows in increasing period order, not overlapping, each within the day (else "
    "422 naming the row); `[]` goes back to the defaults. Timetable entries that followed the "
    "old bells follow the new ones: `timetable_updated` counts them.",
    body=BellTimesIn,
    roles=(Role.admin,),
    responses={200: BellTimesSavedPublic},
)
async def api_bell_times(request: Request) -> Response:
    """GET: the school's bell times (`"default": true` when it has set none). PUT (admin)
    `{"periods":[{"period","starts":"08:30","ends":"09:15"}]}` replaces them: rows in
    increasing period order, not overlapping, each within the day (else 422 naming the row);
    `[]` goes back to the defaults. The answer adds `timetable_updated`: the timetable
    entries that followed the old bells and now follow the new ones."""
    actor = acting_user(request)
    session = db(request)
    moved = None
    if request.method == "PUT":
        if actor.role != Role.admin:
            raise Forbidden(_("Your role may not do this."))
        data = await read_json(request, BellTimesIn)
        _bells, moved = await bell_times_set(session, actor=actor, periods=data.periods)
    own = await bells_of_school(session, school_id=actor.school_id)
    body = bell_times_public(
        own or await bells_effective(session, school_id=actor.school_id), default=not own
    )
    if moved is not None:
        return json_ok(BellTimesSavedPublic(**body.model_dump(), timetable_updated=moved))
    return json_ok(body)


def _course_labels(views: list[queries.CourseView]) -> list[dict[str, Any]]:
    """`{"id","label"}` per course: the subject, with the teachers only where the class has
    the subject twice (two groups), so that a narrow cell still shows what matters."""
    counts: dict[int, int] = {}
    for view in views:
        counts[view.subject.id or 0] = counts.get(view.subject.id or 0, 0) + 1
    labels = []
    for view in views:
        label = view.subject.name
        if counts[view.subject.id or 0] > 1 and view.teachers:
            label += " — " + ", ".join(t.name for t in view.teachers)
        labels.append({"id": view.course.id, "label": label})
    return labels


async def _grid_context(request: Request) -> dict[str, Any]:
    actor = acting_user(request)
    session = db(request)
    classes = await classes_visible(session, actor=actor)
    class_id = query_int(request, "class")
    if class_id is None:
        chosen = next((c for c in classes if c.active), classes[0] if classes else None)
    else:
        chosen = next((c for c in classes if c.id == class_id), None)
        if chosen is None:
            raise NotFound(_("No such class."))
    own = await bells_of_school(session, school_id=actor.school_id)
    bells = own or await bells_effective(session, school_id=actor.school_id)
    context: dict[str, Any] = {
        "classes": classes,
        "chosen": chosen,
        "bells": bell_times_public(bells, default=not own),
        "weekdays": [(day, _(WEEKDAY_NAMES[day])) for day in GRID_WEEKDAYS],
    }
    if chosen is None:
        return context
    courses = await queries.courses_list(session, actor=actor, class_ref=str(chosen.id))
    entries = await queries.timetable_of_class(
        session, school_id=actor.school_id, class_id=chosen.id or 0
    )
    cells: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        cells.setdefault(f"{entry.weekday}:{entry.period}", []).append(
            public.timetable_entry_public(entry).model_dump()
        )
    periods = sorted(set(bells) | {e.period for e in entries if e.weekday in GRID_WEEKDAYS})
    terms = [
        t
        for t in await terms_of_school(session, school_id=actor.school_id)
        if t.year_id == chosen.year_id
    ]
    today = datetime.now(ZoneInfo(request.app.state.settings.timezone)).date()
    current = await term_current(session, school_id=actor.school_id, today=today)
    context.update(
        courses=_course_labels(courses),
        cells=cells,
        # Entries the grid does not show (Sunday) go back unchanged on save.
        hidden=[
            public.timetable_entry_public(e).model_dump()
            for e in entries
            if e.weekday not in GRID_WEEKDAYS
        ],
        periods=[(n, bells.get(n)) for n in periods],
        terms=terms,
        current_term_id=current.id if current and current in terms else None,
    )
    return context


@page_endpoint(Role.admin)
async def admin_timetable(request: Request) -> Response:
    """The weekly timetable of a class as a grid (periods × Monday–Saturday), the school's
    bell times, and the generation of a term's lesson slots."""
    return render(request, "gradebook/admin_timetable.html", **await _grid_context(request))


routes: list[BaseRoute] = [
    Route("/admin/timetable", admin_timetable),
    Route("/api/v1/bell-times", api_bell_times, methods=["GET", "PUT"]),
]
