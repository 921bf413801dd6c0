"""The diary: its JSON API (the week, the term summary, what is new, seen), its calendar feeds
(a signed-in one and a secret link) and the page families read it on."""

from __future__ import annotations

from datetime import date, timedelta

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from eschool.api_schema import operation
from eschool.conditional import not_modified, with_etag
from eschool.errors import NotFound
from eschool.i18n import gettext as _
from eschool.models import Role
from eschool.privacy.services import access_record
from eschool.timeutil import iso, parse_date, utcnow
from eschool.web import (
    acting_user,
    api_endpoint,
    db,
    json_ok,
    page_endpoint,
    path_int,
    query_int,
    read_query,
    render,
)
from gradebook import diary, diary_access, diary_cache, diary_services
from gradebook.diary_models import (
    CALENDAR,
    DiaryNewsPublic,
    DiarySeenQuery,
    DiarySummaryPublic,
    DiaryWeekPublic,
    DiaryWeekQuery,
    FeedLink,
    FeedStatus,
)
from gradebook.journal_models import TermQuery
from gradebook.legend import attendance_codes
from gradebook.route_helpers import STAFF, term_param, terms_of_year, today_of
from gradebook.timetable import week_bounds


def _cache(request: Request) -> diary_cache.DiaryCaches:
    return diary_cache.cache_of(request.app.state)


async def _conditional(
    request: Request, answer: diary_cache.DiaryAnswer, media_type: str
) -> Response:
    """The answer (kept, else built) with its tag, a hash of its bytes: 304 when the client
    has them. A hash rather than the version: a classmate's mark changes the version of the
    pupil's courses, not the pupil's diary or feed, which a client then need not download."""
    body, etag = await answer.rendered()
    unchanged = not_modified(request, etag)
    if unchanged is not None:
        return unchanged
    return with_etag(Response(body, media_type=media_type), etag)


async def _diary_read(request: Request, pupil_id: int, what: str, detail: str = "") -> None:
    """Record who read whose diary (the access record; not a pupil's own)."""
    await access_record(
        db(request), actor=acting_user(request), what=what, pupil_id=pupil_id, detail=detail
    )


def _week_range(request: Request) -> tuple[date, date]:
    query = read_query(request, DiaryWeekQuery)
    start, end = query.start, query.end
    if start is None and end is None:
        return week_bounds(today_of(request))
    if start is None:
        start = week_bounds(end)[0]  # type: ignore[arg-type]
    if end is None:
        end = start + timedelta(days=6)
    return start, end


@api_endpoint()
@operation(
    "GET",
    "A pupil's diary: the lessons of a week with marks, attendance and homework",
    query=DiaryWeekQuery,
    responses={200: DiaryWeekPublic, 304: None},
)
async def api_diary(request: Request) -> Response:
    """`?from=&to=` (default: this week) → `{"pupil","from","to","days":[…]}`."""
    start, end = _week_range(request)
    pupil_id = path_int(request, "pupil_id")
    answer = await diary_cache.week_answer(
        db(request),
        _cache(request),
        actor=acting_user(request),
        pupil_id=pupil_id,
        start=start,
        end=end,
    )
    response = await _conditional(request, answer, "application/json")
    await _diary_read(request, pupil_id, "diary", f"{start}..{end}")
    return response


@api_endpoint()
@operation(
    "GET",
    "A pupil's term per subject: marks, averages, term marks, attendance",
    query=TermQuery,
    responses={200: DiarySummaryPublic, 304: None},
)
async def api_diary_summary(request: Request) -> Response:
    """`?term=` → the pupil's subjects with marks, averages, term marks and attendance."""
    pupil_id = path_int(request, "pupil_id")
    answer = await diary_cache.summary_answer(
        db(request),
        _cache(request),
        actor=acting_user(request),
        pupil_id=pupil_id,
        term_id=read_query(request, TermQuery).term,
        today=today_of(request),
    )
    response = await _conditional(request, answer, "application/json")
    await _diary_read(request, pupil_id, "diary.summary")
    return response


@api_endpoint()
@operation(
    "GET",
    "What is new in a pupil's diary since the caller's last visit",
    responses={200: DiaryNewsPublic, 304: None},
)
async def api_diary_news(request: Request) -> Response:
    """What is new since the caller's last visit (marks and homework)."""
    pupil_id = path_int(request, "pupil_id")
    answer = await diary_cache.news_answer(
        db(request), _cache(request), actor=acting_user(request), pupil_id=pupil_id
    )
    response = await _conditional(request, answer, "application/json")
    await _diary_read(request, pupil_id, "diary.news")
    return response


@api_endpoint()
@operation(
    "POST",
    "The caller has seen the diary's news",
    query=DiarySeenQuery,
    responses={204: None},
)
async def api_diary_seen(request: Request) -> Response:
    """POST ``?at=`` (the moment the page showed the news; default now): the caller has seen
    the diary's news up to then → 204. The diary page sends it when the reader marks the
    news as seen or leaves, as a beacon (a form body with ``csrf_token``: no headers)."""
    at = read_query(request, DiarySeenQuery).at
    await diary_services.diary_seen(
        db(request), actor=acting_user(request), pupil_id=path_int(request, "pupil_id"), at=at
    )
    return Response(status_code=204)


async def _ics_response(request: Request, version: diary_cache.DiaryVersion) -> Response:
    """The feed from the first day of the current term to the end of the last one; a calendar
    app polling an unchanged feed gets 304."""
    answer = await diary_cache.feed_answer(
        db(request),
        _cache(request),
        version=version,
        today=today_of(request),
        tz=request.app.state.settings.timezone,
    )
    return await _conditional(request, answer, "text/calendar; charset=utf-8")


@api_endpoint()
@operation(
    "GET",
    "A pupil's diary as a calendar feed",
    responses={200: CALENDAR, 304: None},
)
async def api_diary_ics(request: Request) -> Response:
    """The pupil's timetable with homework as iCalendar, for a caller who may see the diary."""
    caches = _cache(request)
    version = await diary_cache.version_for(
        db(request),
        actor=acting_user(request),
        pupil_id=path_int(request, "pupil_id"),
        reads=caches.reads,
        kept=caches.versions,
    )
    response = await _ics_response(request, version)
    await _diary_read(request, version.pupil.id, "diary.ics")
    return response


@api_endpoint()
@operation("GET", "Whether the caller has a secret calendar link", responses={200: FeedStatus})
@operation(
    "POST",
    "Make a new secret calendar link (shown once; the old one stops working)",
    responses={201: FeedLink},
    roles=("pupil", "parent"),
)
@operation(
    "DELETE",
    "Revoke the secret calendar link",
    responses={204: None},
    roles=("pupil", "parent"),
)
async def api_diary_feed(request: Request) -> Response:
    """GET: whether the caller has a calendar link. POST → 201 `{"url","webcal","active"}`
    (a new secret link, shown once; `webcal` is the same link for calendar apps to subscribe
    to). DELETE → 204 (the link stops working)."""
    actor = acting_user(request)
    pupil_id = path_int(request, "pupil_id")
    session = db(request)
    if request.method == "POST":
        secret = await diary_services.feed_create(session, actor=actor, pupil_id=pupil_id)
        url = str(request.base_url).rstrip("/") + f"/feeds/{secret}.ics"
        return json_ok(FeedLink(url=url, webcal=diary.webcal_url(url), active=True), status=201)
    if request.method == "DELETE":
        await diary_services.feed_revoke(session, actor=actor, pupil_id=pupil_id)
        return Response(status_code=204)
    feed = await diary_access.feed_active(session, actor=actor, pupil_id=pupil_id)
    return json_ok(
        FeedStatus(active=feed is not None, created_at=feed.created_at if feed else None)
    )


async def feed_ics(request: Request) -> Response:
    """`/feeds/{secret}.ics`: the calendar behind a secret link; no sign-in needed."""
    session = db(request)
    gone = NotFound(_("This calendar link does not exist or was revoked."))
    owner = await diary_access.feed_owner(
        session,
        secret=request.path_params["secret"],
        reads=_cache(request).reads,
        kept=_cache(request).versions,
    )
    if owner is None:
        raise gone
    try:
        version = await diary_cache.diary_version(
            session,
            actor_id=owner.owner_id,
            role=owner.role,
            school_id=owner.school_id,
            pupil_id=owner.pupil_id,
            reads=_cache(request).reads,
            kept=_cache(request).versions,
        )
    except NotFound:
        raise gone from None
    return await _ics_response(request, version)


@page_endpoint()
async def diary_page(request: Request) -> Response:
    """The diary: a week of lessons, the term per subject and what is new since last time."""
    actor = acting_user(request)
    session = db(request)
    choices = await diary_access.diary_pupils(session, actor=actor)
    pupil_id = query_int(request, "pupil")
    if pupil_id is None:
        if not choices:
            if actor.role in STAFF:
                return RedirectResponse("/journal", status_code=303)
            return render(request, "gradebook/diary.html", pupil=None, choices=[])
        pupil_id = choices[0].id or 0
    today = today_of(request)
    anchor = parse_date(request.query_params.get("week"), name="week") or today
    monday, sunday = week_bounds(anchor)
    cache = _cache(request)
    version = await diary_cache.version_for(
        session, actor=actor, pupil_id=pupil_id, reads=cache.reads, kept=cache.versions
    )
    week_answer = await diary_cache.week_answer(
        session, cache, actor=actor, pupil_id=pupil_id, start=monday, end=sunday, version=version
    )
    week = diary_cache.parsed(await week_answer.body())
    await _diary_read(request, pupil_id, "diary", f"{monday}..{sunday}")
    summary_answer = await diary_cache.summary_answer(
        session,
        cache,
        actor=actor,
        pupil_id=pupil_id,
        term_id=term_param(request),
        today=today,
        version=version,
    )
    summary = diary_cache.parsed(await summary_answer.body())
    # The news stays until the reader marks it as seen or leaves the page (diary.js sends
    # "seen up to the moment it was shown"): reloading, another week or another language
    # keep it.
    shown_at = utcnow()
    news_answer = await diary_cache.news_answer(
        session, cache, actor=actor, pupil_id=pupil_id, version=version
    )
    news = diary_cache.parsed(await news_answer.body())
    feed = None
    if actor.role in (Role.pupil, Role.parent):
        feed = await diary_access.feed_of(session, owner_id=actor.id or 0, pupil_id=pupil_id)
    terms = await terms_of_year(session, school_id=actor.school_id, term_id=summary["term"]["id"])
    for item in (*news["marks"], *news["homework"]):
        item["day"] = date.fromisoformat(item["date"])
    return render(
        request,
        "gradebook/diary.html",
        pupil=week["pupil"],
        choices=choices,
        days=[{**day, "day": date.fromisoformat(day["date"])} for day in week["days"]],
        week_end=sunday,
        summary=summary,
        news=news,
        # Exact to the microsecond: news written within the same second as the page must not
        # count as seen (iso() drops the fraction).
        news_shown_at=shown_at.isoformat().replace("+00:00", "Z"),
        today=iso(today),
        monday_iso=iso(monday),
        prev_week=iso(monday - timedelta(days=7)),
        next_week=iso(monday + timedelta(days=7)),
        this_week=iso(week_bounds(today)[0]),
        feed=feed,
        can_link=actor.role in (Role.pupil, Role.parent),
        terms=terms,
        codes=attendance_codes(),
    )


routes: list[BaseRoute] = [
    Route("/diary", diary_page),
    Route("/feeds/{secret}.ics", feed_ics),
    # The feed first: tests/api_conformance.py reads `{pupil_id}` as any text, `5.ics` too.
    Route("/api/v1/diary/{pupil_id:int}.ics", api_diary_ics),
    Route("/api/v1/diary/{pupil_id:int}", api_diary),
    Route("/api/v1/diary/{pupil_id:int}/summary", api_diary_summary),
    Route("/api/v1/diary/{pupil_id:int}/news", api_diary_news),
    Route("/api/v1/diary/{pupil_id:int}/seen", api_diary_seen, methods=["POST"]),
    Route("/api/v1/diary/{pupil_id:int}/feed", api_diary_feed, methods=["GET", "POST", "DELETE"]),
]
