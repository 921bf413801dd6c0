"""The school's gradebook structure over the API: subjects, courses, work types, settings, the
timetable, holidays and the lesson slots."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from eschool.api_schema import ItemList, operation
from eschool.errors import NotFound
from eschool.i18n import gettext as _
from eschool.models import Role
from eschool.queries import classes_visible, term_public
from eschool.web import (
    acting_user,
    api_endpoint,
    db,
    json_list,
    json_ok,
    path_int,
    read_json,
    read_query,
)
from gradebook import (
    public,
    queries,
    slot_services,
    structure_services,
)
from gradebook.models import (
    CourseCreate,
    CourseUpdate,
    HolidayCreate,
    SettingsUpdate,
    SlotsGenerate,
    SubjectCreate,
    TimetableIn,
    WorkTypeSave,
)
from gradebook.queries import CourseView
from gradebook.ref_models import CoursePublic, GradeScale, SubjectPublic, WorkTypePublic
from gradebook.route_helpers import STAFF
from gradebook.scales import SCALES
from gradebook.setup import services as setup_services
from gradebook.structure_models import (
    CoursesQuery,
    HolidayPublic,
    SettingsPublic,
    SlotDetailPublic,
    SlotsGeneratedPublic,
    TimetableEntryPublic,
)

ADMIN = (Role.admin,)


def _course(view: CourseView) -> CoursePublic:
    """A course as the API answers it: the journal's shape (`public.course_public`)."""
    return CoursePublic.model_validate(public.course_public(view))


@api_endpoint()
@operation("GET", "The school's subjects", responses={200: ItemList[SubjectPublic]})
@operation(
    "POST",
    "Add a subject",
    description="Without `short_name` one is made from the name's first letters.",
    body=SubjectCreate,
    roles=ADMIN,
    responses={201: SubjectPublic},
    errors=(409,),
)
async def api_subjects(request: Request) -> Response:
    """GET: the school's subjects. POST (admin): `{"name","short_name"}` → 201."""
    actor = acting_user(request)
    if request.method == "POST":
        data = await read_json(request, SubjectCreate)
        subject = await setup_services.subject_add(
            db(request), actor=actor, name=data.name, short_name=data.short_name
        )
        return json_ok(SubjectPublic.model_validate(subject), status=201)
    subjects = await queries.subjects_of_school(db(request), school_id=actor.school_id)
    return json_list([SubjectPublic.model_validate(s) for s in subjects], len(subjects))


@api_endpoint()
@operation(
    "GET",
    "The courses the caller may see",
    description="Teachers see the courses they teach and those of the class they tutor; "
    "pupils and parents the courses of their own classes.",
    query=CoursesQuery,
    responses={200: ItemList[CoursePublic]},
)
@operation(
    "POST",
    "Add a course: a class taking a subject",
    body=CourseCreate,
    roles=ADMIN,
    responses={201: CoursePublic},
    errors=(404,),
)
async def api_courses(request: Request) -> Response:
    """GET `?class=&teacher=me`: the courses the caller may see. POST (admin) → 201."""
    actor = acting_user(request)
    session = db(request)
    if request.method == "POST":
        data = await read_json(request, CourseCreate)
        course = await structure_services.course_create(
            session,
            actor=actor,
            class_id=data.class_id,
            subject_id=data.subject_id,
            teacher_ids=data.teacher_ids,
            scale=data.scale,
        )
        view = await queries.course_get(session, actor=actor, course_id=course.id or 0)
        return json_ok(_course(view), status=201)
    query = read_query(request, CoursesQuery)
    views = await queries.courses_list(
        session, actor=actor, class_ref=query.class_ref, mine=query.teacher == "me"
    )
    return json_list([_course(v) for v in views], len(views))


@api_endpoint(*STAFF)
@operation("GET", "A course", roles=STAFF, responses={200: CoursePublic})
@operation(
    "PATCH",
    "Change a course's teachers or grade scale",
    description="Only what is sent changes; the scale only while the course has no marks.",
    body=CourseUpdate,
    roles=ADMIN,
    responses={200: CoursePublic},
    errors=(409,),
)
async def api_course(request: Request) -> Response:
    """GET a course; PATCH (admin) `{"teacher_ids","scale"}`."""
    actor = acting_user(request)
    course_id = path_int(request, "id")
    if request.method == "PATCH":
        data = await read_json(request, CourseUpdate)
        await setup_services.course_change(
            db(request),
            actor=actor,
            course_id=course_id,
            teacher_ids=data.teacher_ids,
            scale=data.scale,
        )
    view = await queries.course_get(db(request), actor=actor, course_id=course_id)
    return json_ok(_course(view))


@api_endpoint()
@operation(
    "GET", "The school's work types with their weights", responses={200: ItemList[WorkTypePublic]}
)
@operation(
    "PUT",
    "Add or change a work type",
    body=WorkTypeSave,
    roles=ADMIN,
    responses={200: ItemList[WorkTypePublic]},
)
async def api_work_types(request: Request) -> Response:
    """GET: the school's work types with weights. PUT (admin): add or change one."""
    actor = acting_user(request)
    if request.method == "PUT":
        data = await read_json(request, WorkTypeSave)
        await structure_services.work_type_save(
            db(request),
            actor=actor,
            code=data.code,
            name=data.name,
            weight=data.weight,
            position=data.position,
        )
    kinds = await queries.work_types_of_school(db(request), school_id=actor.school_id)
    return json_list(
        [WorkTypePublic.model_validate(public.work_type_public(k)) for k in kinds], len(kinds)
    )


@api_endpoint()
@operation("GET", "The school's gradebook settings", responses={200: SettingsPublic})
@operation(
    "PATCH",
    "Change the gradebook settings",
    description="Only what is sent changes; in `mark_bands` a scale set to null returns to "
    "the default bands.",
    body=SettingsUpdate,
    roles=ADMIN,
    responses={200: SettingsPublic},
)
async def api_settings(request: Request) -> Response:
    """GET: the school's gradebook settings. PATCH (admin) `{"rounding_threshold",
    "mark_bands": {"<scale>": {"<value>": least share} | null}}` (only what is sent)."""
    actor = acting_user(request)
    session = db(request)
    if request.method == "PATCH":
        data = await read_json(request, SettingsUpdate)
        await structure_services.settings_update(
            session,
            actor=actor,
            rounding_threshold=data.rounding_threshold,
            mark_bands=data.mark_bands,
        )
    threshold = await queries.rounding_threshold(session, school_id=actor.school_id)
    bands = await queries.mark_bands_of_school(session, school_id=actor.school_id)
    scales = [GradeScale.model_validate(s.as_dict()) for s in SCALES.values()]
    return json_ok(SettingsPublic(rounding_threshold=threshold, mark_bands=bands, scales=scales))


@api_endpoint(*STAFF)
@operation(
    "GET",
    "A class's weekly timetable",
    roles=STAFF,
    responses={200: ItemList[TimetableEntryPublic]},
)
@operation(
    "PUT",
    "Replace a class's weekly timetable",
    description="An entry without times takes its period's bell times. A teacher in two "
    "places at once → 409 `teacher_busy` listing every clash. Slots change only when "
    "they are generated again.",
    body=TimetableIn,
    roles=ADMIN,
    responses={200: ItemList[TimetableEntryPublic]},
    errors=(409,),
)
async def api_timetable(request: Request) -> Response:
    """GET: a class's weekly timetable. PUT (admin) `{"entries":[…]}` replaces it."""
    actor = acting_user(request)
    class_id = path_int(request, "id")
    if request.method == "PUT":
        data = await read_json(request, TimetableIn)
        await structure_services.timetable_set(
            db(request), actor=actor, class_id=class_id, entries=data.entries
        )
    elif class_id not in {c.id for c in await classes_visible(db(request), actor=actor)}:
        raise NotFound(_("No such class."))
    rows = await queries.timetable_of_class(
        db(request), school_id=actor.school_id, class_id=class_id
    )
    return json_list([public.timetable_entry_public(r) for r in rows], len(rows))


@api_endpoint()
@operation("GET", "The school's holidays", responses={200: ItemList[HolidayPublic]})
@operation(
    "POST",
    "Add a holiday",
    description="Within an academic year, not ending before it starts.",
    body=HolidayCreate,
    roles=ADMIN,
    responses={201: HolidayPublic},
)
async def api_holidays(request: Request) -> Response:
    """GET: the school's holidays. POST (admin) `{"name","starts","ends"}` → 201."""
    actor = acting_user(request)
    if request.method == "POST":
        data = await read_json(request, HolidayCreate)
        holiday = await setup_services.holiday_create(db(request), actor=actor, data=data)
        return json_ok(public.holiday_public(holiday), status=201)
    holidays = await queries.holidays_of_school(db(request), school_id=actor.school_id)
    return json_list([public.holiday_public(h) for h in holidays], len(holidays))


@api_endpoint(Role.admin)
@operation("DELETE", "Remove a holiday", roles=ADMIN, responses={204: None})
async def api_holiday(request: Request) -> Response:
    """DELETE (admin) a holiday → 204."""
    await structure_services.holiday_remove(
        db(request), actor=acting_user(request), holiday_id=path_int(request, "id")
    )
    return Response(status_code=204)


@api_endpoint(Role.admin)
@operation(
    "POST",
    "(Re)generate a term's lesson slots from the timetables",
    description="Skips holidays; a slot the timetable no longer has is removed only when "
    "it holds nothing.",
    body=SlotsGenerate,
    roles=ADMIN,
    responses={200: SlotsGeneratedPublic},
    errors=(404,),
)
async def api_slots_generate(request: Request) -> Response:
    """POST (admin) `{"term_id","class_id"?}`: (re)generate the term's slots from timetables."""
    data = await read_json(request, SlotsGenerate)
    result = await slot_services.slots_generate(
        db(request), actor=acting_user(request), term_id=data.term_id, class_id=data.class_id
    )
    return json_ok(SlotsGeneratedPublic(term_id=data.term_id, **result.as_dict()))


@api_endpoint(*STAFF)
@operation(
    "GET", "A lesson slot with its course and term", roles=STAFF, responses={200: SlotDetailPublic}
)
async def api_slot(request: Request) -> Response:
    """GET a slot. (PATCH, which may link a library lesson, is classwork's: `classwork.routes`.)"""
    actor = acting_user(request)
    slot_id = path_int(request, "id")
    view = await queries.slot_get(db(request), actor=actor, slot_id=slot_id)
    return json_ok(
        SlotDetailPublic.model_validate(
            {
                **public.slot_public(view.slot),
                "course": _course(view.course),
                "term": term_public(view.term),
            }
        )
    )


routes: list[BaseRoute] = [
    Route("/api/v1/subjects", api_subjects, methods=["GET", "POST"]),
    Route("/api/v1/courses", api_courses, methods=["GET", "POST"]),
    Route("/api/v1/courses/{id:int}", api_course, methods=["GET", "PATCH"]),
    Route("/api/v1/work-types", api_work_types, methods=["GET", "PUT"]),
    Route("/api/v1/gradebook/settings", api_settings, methods=["GET", "PATCH"]),
    Route("/api/v1/classes/{id:int}/timetable", api_timetable, methods=["GET", "PUT"]),
    Route("/api/v1/holidays", api_holidays, methods=["GET", "POST"]),
    Route("/api/v1/holidays/{id:int}", api_holiday, methods=["DELETE"]),
    Route("/api/v1/slots/generate", api_slots_generate, methods=["POST"]),
    Route("/api/v1/slots/{id:int}", api_slot, methods=["GET"]),
]
