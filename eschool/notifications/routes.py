"""Routes of notifications: the JSON API, the live stream (Server-Sent Events), the page, the
settings form on the account page — and the lifespan that runs the delivery."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from eschool.api_schema import Body, operation
from eschool.errors import BadRequest, Invalid, TooLarge, UnsupportedType
from eschool.i18n import current_language
from eschool.i18n import gettext as _
from eschool.models import User, UserUpdate
from eschool.notifications import queries, services
from eschool.notifications.delivery import DailyTask, Delivery
from eschool.notifications.live import LiveStreams
from eschool.notifications.mail import Mailer
from eschool.notifications.models import (
    CHANNELS,
    KINDS,
    NotificationListPublic,
    NotificationSettingsPublic,
    NotificationSettingsUpdate,
    NotificationsQuery,
    NotificationsRead,
    NotificationsReadPublic,
)
from eschool.notifications.outbox import Outbox
from eschool.notifications.pending import DELIVERY_KEY
from eschool.notifications.present import KIND_LABELS, notification_public, settings_context
from eschool.services import user_update
from eschool.web import (
    acting_user,
    api_endpoint,
    db,
    json_ok,
    page_endpoint,
    pagination,
    parse_json,
    parse_model,
    path_int,
    read_form,
    read_json,
    read_query,
    render,
)

HEARTBEAT_SECONDS = 20.0
# A stream ends after this long and the browser reconnects (signed in again: a revoked
# session stops getting notifications within this time).
MAX_STREAM_SECONDS = 15 * 60
MAX_SETTINGS_BODY = 16 * 1024
EVENT_STREAM = Body(
    "text/event-stream",
    'Server-Sent Events: `unread` `{"unread": N}` on connect (and again after pushes were '
    "dropped for a slow reader), then `notification` — a notification as "
    "`GET /api/v1/notifications` lists it, plus `unread` — for each new one; comments as "
    "heartbeats. The stream ends after 15 minutes; reconnect.",
    {"type": "string"},
)


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    """Make the delivery (live push, e-mail outbox, daily work), put it on ``app.state`` and in
    every session the app's sessionmaker makes; stop it on shutdown.

    ``app.state.notification_daily`` is the list a domain appends its daily task to in its
    own lifespan (classwork: assignments due tomorrow). ``app.state.notification_streams`` is
    the process's one broker subscription feeding every open stream (see ``live``)."""
    settings = app.state.settings
    mailer = Mailer.from_url(settings.smtp_url) if settings.smtp_url else None
    sessionmaker = app.state.sessionmaker
    outbox = None
    if mailer is not None:
        outbox = Outbox(
            sessionmaker,
            mailer,
            base_url=settings.public_url,
            retry_seconds=settings.notify_retry_seconds,
        )
    daily: list[DailyTask] = []
    app.state.notification_daily = daily
    delivery = Delivery(
        broker=app.state.broker,
        sessionmaker=sessionmaker,
        outbox=outbox,
        timezone=settings.timezone,
        digest_hour=settings.digest_hour,
        daily_tasks=daily,
    )
    app.state.notifications = delivery
    sessionmaker.configure(info={**(sessionmaker.kw.get("info") or {}), DELIVERY_KEY: delivery})
    streams = LiveStreams(app.state.broker)
    app.state.notification_streams = streams
    await streams.start()
    delivery.start()
    try:
        yield
    finally:
        await streams.close()
        await delivery.close()


# --- JSON API ---------------------------------------------------------------------------------


@api_endpoint()
@operation(
    "GET",
    "The reader's notifications",
    query=NotificationsQuery,
    responses={200: NotificationListPublic},
)
async def api_list(request: Request) -> Response:
    """``GET /api/v1/notifications?unread=1&page=&per_page=``: the reader's notifications,
    newest first, with how many are unread."""
    actor = acting_user(request)
    query = read_query(request, NotificationsQuery)
    session = db(request)
    rows, total = await queries.notifications_of(
        session,
        user_id=actor.id or 0,
        unread_only=query.unread,
        page=query.page,
        per_page=query.per_page,
    )
    lang = current_language()
    return json_ok(
        NotificationListPublic(
            items=[notification_public(row, lang) for row in rows],
            total=total,
            unread=await queries.unread_count(session, user_id=actor.id or 0),
            page=query.page,
            per_page=query.per_page,
        )
    )


@api_endpoint()
@operation(
    "POST",
    "Mark notifications read",
    body=NotificationsRead,
    responses={200: NotificationsReadPublic},
)
async def api_read(request: Request) -> Response:
    """``POST /api/v1/notifications/read`` ``{"ids":[…]}`` or ``{"all":true}``."""
    actor = acting_user(request)
    body = await read_json(request, NotificationsRead)
    if not body.all and not body.ids:
        raise Invalid(_("Give the ids to mark read, or all."))
    session = db(request)
    changed = await services.notifications_mark_read(
        session, actor=actor, ids=body.ids, every=body.all
    )
    unread = await queries.unread_count(session, user_id=actor.id or 0)
    return json_ok(NotificationsReadPublic(changed=changed, unread=unread))


@api_endpoint()
@operation(
    "GET",
    "The reader's channel for every kind of notification",
    responses={200: NotificationSettingsPublic},
)
@operation(
    "PUT",
    "Choose channels for some kinds of notification",
    body=NotificationSettingsUpdate,
    responses={200: NotificationSettingsPublic},
)
async def api_settings(request: Request) -> Response:
    """``GET/PUT /api/v1/notification-settings`` ``{"<kind>": "app"|"email"|"digest"|"off"}``."""
    actor = acting_user(request)
    session = db(request)
    if request.method == "PUT":
        if "json" not in request.headers.get("content-type", ""):
            raise UnsupportedType(_("Send the body as application/json."))
        raw = await request.body()
        if len(raw) > MAX_SETTINGS_BODY:
            raise TooLarge(_("The request body is too large."))
        body = parse_json(raw)
        if not isinstance(body, dict):
            raise Invalid(_("Send an object of kinds and channels."))
        chosen = dict[str, str](parse_model(NotificationSettingsUpdate, body).root.items())
        settings = await services.notification_settings_set(session, actor=actor, chosen=chosen)
    else:
        settings = await queries.settings_of(session, user_id=actor.id or 0)
    return json_ok(NotificationSettingsPublic.model_validate(settings))


def _event(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


async def _stream(request: Request, user: User, lang: str) -> AsyncIterator[str]:
    """The reader's unread count first, then each new notification as it is committed (fed by
    the process's one broker subscription, see ``live``); the count again after pushes were
    dropped for a slow page."""
    sessionmaker = request.app.state.sessionmaker
    streams: LiveStreams = request.app.state.notification_streams
    user_id = user.id or 0
    with streams.listen(user_id) as listener:
        async with sessionmaker() as session:
            unread = await queries.unread_count(session, user_id=user_id)
        yield "retry: 3000\n\n" + _event("unread", {"unread": unread})
        ends = asyncio.get_running_loop().time() + MAX_STREAM_SECONDS
        while asyncio.get_running_loop().time() < ends:
            try:
                async with asyncio.timeout(HEARTBEAT_SECONDS):
                    ids = await listener.next()
            except TimeoutError:
                if listener.take_missed():
                    async with sessionmaker() as session:
                        unread = await queries.unread_count(session, user_id=user_id)
                    yield _event("unread", {"unread": unread})
                else:
                    yield ": ping\n\n"
                continue
            if ids is None:  # the process shuts down: the browser reconnects
                return
            listener.take_missed()  # the count sent with these rows is the fresh one
            async with sessionmaker() as session:
                rows = await queries.notifications_by_id(session, user_id=user_id, ids=ids)
                unread = await queries.unread_count(session, user_id=user_id)
            if not rows:
                yield _event("unread", {"unread": unread})
            for row in rows:
                pushed = notification_public(row, lang).model_dump(mode="json")
                yield _event("notification", {**pushed, "unread": unread})


@api_endpoint()
@operation(
    "GET",
    "New notifications as they come (Server-Sent Events)",
    description="Ask with `Accept: text/event-stream` (400 otherwise).",
    responses={200: EVENT_STREAM},
    errors=(400,),
)
async def api_stream(request: Request) -> Response:
    """``GET /api/v1/notifications/stream``: Server-Sent Events — ``unread`` ``{"unread"}``
    on connect, then ``notification`` (an item plus ``unread``) for each new one."""
    user = acting_user(request)
    if "text/event-stream" not in request.headers.get("accept", ""):
        raise BadRequest(_("This is an event stream: ask for it with Accept: text/event-stream."))
    # The stream stays open long: give the request's connection back to the pool now.
    await db(request).close()
    return StreamingResponse(
        _stream(request, user, current_language()),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


# --- pages ------------------------------------------------------------------------------------


def _safe_target(url: str) -> str:
    """Only a path on this site (never ``//host`` or a scheme): no open redirect."""
    return url if url.startswith("/") and not url.startswith(("//", "/\\")) else "/notifications"


@page_endpoint()
async def notifications_page(request: Request) -> Response:
    """The reader's notifications with links; the form marks them all read."""
    actor = acting_user(request)
    session = db(request)
    if request.method == "POST":
        await read_form(request)
        await services.notifications_mark_read(session, actor=actor, every=True)
        return RedirectResponse("/notifications", status_code=303)
    page, per_page = pagination(request, default_per_page=30)
    rows, total = await queries.notifications_of(
        session, user_id=actor.id or 0, unread_only=False, page=page, per_page=per_page
    )
    lang = current_language()
    zone = ZoneInfo(request.app.state.settings.timezone)
    return render(
        request,
        "notifications/list.html",
        items=[
            {
                **notification_public(row, lang).model_dump(),
                "when": row.created_at.astimezone(zone).strftime("%d.%m.%Y %H:%M"),
            }
            for row in rows
        ],
        total=total,
        unread=await queries.unread_count(session, user_id=actor.id or 0),
        page=page,
        per_page=per_page,
        kind_labels={key: _(label) for key, label in KIND_LABELS.items()},
    )


@page_endpoint()
async def notification_open(request: Request) -> Response:
    """Follow a notification's link, marking it read."""
    actor = acting_user(request)
    session = db(request)
    found = await queries.notifications_by_id(
        session, user_id=actor.id or 0, ids=[path_int(request, "id")]
    )
    if not found:
        return RedirectResponse("/notifications", status_code=303)
    target = _safe_target(found[0].url)
    await services.notifications_mark_read(session, actor=actor, ids=[found[0].id or 0])
    return RedirectResponse(target, status_code=303)


@page_endpoint()
async def settings_form(request: Request) -> Response:
    """``POST /account/notifications``: the settings section of the account page. An address
    that cannot be one shows the form again (422) with what was typed and the reason next to
    the field; nothing is saved then."""
    actor = acting_user(request)
    form = await read_form(request)
    session = db(request)
    chosen = {kind: form[kind] for kind in KINDS if form.get(kind) in CHANNELS}
    if "email" in form and (form["email"].strip() or None) != actor.email:
        try:
            update = parse_model(UserUpdate, {"email": form["email"]})
        except Invalid:
            current = await queries.settings_of(session, user_id=actor.id or 0)
            return render(
                request,
                "account.html",
                status=422,
                email_error=_("Enter an e-mail address like name@example.org, or leave it empty."),
                email_typed=form["email"][:254],
                **settings_context({**current, **chosen}),
            )
        await user_update(session, actor=actor, user_id=actor.id or 0, data=update)
    await services.notification_settings_set(session, actor=actor, chosen=chosen)
    return RedirectResponse("/account?notifications=saved#notifications", status_code=303)


routes: list[BaseRoute] = [
    Route("/notifications", notifications_page, methods=["GET", "POST"]),
    Route("/notifications/{id:int}/open", notification_open),
    Route("/account/notifications", settings_form, methods=["POST"]),
    Route("/api/v1/notifications", api_list),
    Route("/api/v1/notifications/read", api_read, methods=["POST"]),
    Route("/api/v1/notifications/stream", api_stream),
    Route("/api/v1/notification-settings", api_settings, methods=["GET", "PUT"]),
]
