"""Routes of messaging: the threads and news API, and the pages (``/messages``, ``/news``).
Thin: parse, call one service or query, answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from markupsafe import Markup
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from eschool.api_schema import ItemList, operation
from eschool.errors import DomainError
from eschool.web import (
    acting_user,
    api_endpoint,
    db,
    json_list,
    json_ok,
    page_endpoint,
    pagination,
    path_int,
    query_int,
    read_json,
    read_query,
    render,
)
from messaging import news_services, queries, services
from messaging.forms import message_form, news_form, read_fields, thread_data
from messaging.models import (
    BroadcastStartedPublic,
    MessageCreate,
    MessagePublic,
    NewsCreate,
    NewsPublic,
    NewsQuery,
    RecipientsPublic,
    ThreadCreate,
    ThreadDetailPublic,
    ThreadListPublic,
    ThreadsQuery,
    ThreadStarted,
    ThreadStartedPublic,
)
from messaging.news_queries import news_classes_for, news_list, news_public
from messaging.present import when

HOME_NEWS = 3


def _when(request: Request) -> Any:
    timezone = request.app.state.settings.timezone
    return lambda moment: when(moment, timezone)


def _page(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    return render(request, template, status=status, when=_when(request), **context)


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    """Let thread participants fetch the files attached in their threads, and put the news
    and unread messages on every home page."""
    app.state.file_audiences.append(queries.attachment_audience)
    panels = getattr(app.state, "home_panels", None)
    if panels is None:
        panels = app.state.home_panels = []
    panels.append(home_panel)
    yield


async def home_panel(request: Request) -> Markup:
    """The home pages' box: the latest news the person may see and their unread messages."""
    actor = acting_user(request)
    session = db(request)
    news, total = await news_list(session, actor=actor, per_page=HOME_NEWS)
    unread = await queries.unread_total(session, user=actor)
    template = request.app.state.templates.get_template("messaging/_home_panel.html")
    # The template escapes what it shows (autoescape): its output is markup.
    html = template.render(news=news, total=total, unread=unread, when=_when(request))
    return Markup(html)  # noqa: S704


async def _started(
    request: Request, started: services.Started
) -> ThreadStartedPublic | BroadcastStartedPublic:
    if started.broadcast_id is not None:
        return BroadcastStartedPublic(
            kind="broadcast",
            id=started.broadcast_id,
            threads=started.thread_ids,
            url=f"/messages?broadcast={started.broadcast_id}",
        )
    view = await queries.thread_view(
        db(request), actor=acting_user(request), thread_id=started.thread_ids[0]
    )
    detail = await queries.thread_detail(db(request), view=view)
    return ThreadStartedPublic(kind="thread", **dict(detail))


# --- JSON API -------------------------------------------------------------------------------


@api_endpoint()
@operation(
    "GET",
    "My threads, latest first, with unread counts",
    description="The family threads of my own class broadcasts are one entry per broadcast "
    "(`kind` `broadcast`); `?broadcast=` lists its threads instead.",
    query=ThreadsQuery,
    responses={200: ThreadListPublic},
)
@operation(
    "POST",
    "Start a thread, or write to every family of a class",
    description="`to` (people I may write to) starts one thread; `class_parents` (a class "
    "I teach) starts one private thread per family (`kind` `broadcast`).",
    body=ThreadCreate,
    responses={201: ThreadStarted},
    errors=(403,),
)
async def api_threads(request: Request) -> Response:
    """GET ``?page=&per_page=&broadcast=``: my threads, latest first, with unread counts.
    POST ``{"to":[ids] | "class_parents": id, "subject", "text", "attachments"?}`` → 201."""
    actor = acting_user(request)
    session = db(request)
    if request.method == "POST":
        data = await read_json(request, ThreadCreate)
        started = await services.thread_create(session, actor=actor, data=data)
        return json_ok(await _started(request, started), status=201)
    query = read_query(request, ThreadsQuery)
    listing = await queries.threads_list(
        session,
        actor=actor,
        page=query.page,
        per_page=query.per_page,
        broadcast_id=query.broadcast,
    )
    return json_ok(listing)


@api_endpoint()
@operation("GET", "Whom I may write to", responses={200: RecipientsPublic})
async def api_recipients(request: Request) -> Response:
    """GET: whom I may write to, grouped, and the classes whose parents I may write to."""
    return json_ok(await queries.recipients(db(request), actor=acting_user(request)))


@api_endpoint()
@operation("GET", "A thread and its messages", responses={200: ThreadDetailPublic})
async def api_thread(request: Request) -> Response:
    """GET: the thread and its messages (participants only; 404 for anyone else); marks it
    read."""
    session = db(request)
    view = await queries.thread_view(
        session, actor=acting_user(request), thread_id=path_int(request, "thread_id")
    )
    detail = await queries.thread_detail(session, view=view)
    await services.thread_mark_read(session, view=view)
    return json_ok(detail)


@api_endpoint()
@operation("POST", "Write in a thread", body=MessageCreate, responses={201: MessagePublic})
async def api_thread_messages(request: Request) -> Response:
    """POST ``{"text","attachments"?}`` (a participant) → 201 the message."""
    data = await read_json(request, MessageCreate)
    actor = acting_user(request)
    session = db(request)
    thread_id = path_int(request, "thread_id")
    message = await services.message_post(session, actor=actor, thread_id=thread_id, data=data)
    view = await queries.thread_view(session, actor=actor, thread_id=thread_id)
    detail = await queries.thread_detail(session, view=view)
    return json_ok(next(m for m in detail.messages if m.id == message.id), status=201)


@api_endpoint()
@operation(
    "GET",
    "The news I may see, newest first",
    query=NewsQuery,
    responses={200: ItemList[NewsPublic]},
)
@operation(
    "POST",
    "Publish news",
    description="Administrators (to the school or to classes); form tutors to their class.",
    body=NewsCreate,
    responses={201: NewsPublic},
    errors=(403,),
)
async def api_news(request: Request) -> Response:
    """GET ``?page=&per_page=``: the news I may see. POST ``{"title","text","roles"?,
    "class_ids"?}`` (administrators; form tutors for their class) → 201."""
    actor = acting_user(request)
    session = db(request)
    if request.method == "POST":
        data = await read_json(request, NewsCreate)
        item = await news_services.news_create(session, actor=actor, data=data)
        return json_ok((await news_public(session, actor=actor, items=[item]))[0], status=201)
    query = read_query(request, NewsQuery)
    items, total = await news_list(session, actor=actor, page=query.page, per_page=query.per_page)
    return json_list(items, total, page=query.page, per_page=query.per_page)


@api_endpoint()
@operation(
    "DELETE",
    "Delete a news item",
    description="Its author or an administrator.",
    responses={204: None},
    errors=(403,),
)
async def api_news_item(request: Request) -> Response:
    """DELETE (the author or an administrator) → 204."""
    await news_services.news_delete(
        db(request), actor=acting_user(request), news_id=path_int(request, "news_id")
    )
    return Response(status_code=204)


# --- pages ----------------------------------------------------------------------------------


@page_endpoint()
async def messages_page(request: Request) -> Response:
    """``/messages``: my conversations (``?broadcast=`` one broadcast's family threads)."""
    page, per_page = pagination(request)
    broadcast = query_int(request, "broadcast")
    listing = await queries.threads_list(
        db(request),
        actor=acting_user(request),
        page=page,
        per_page=per_page,
        broadcast_id=broadcast,
    )
    return _page(request, "messaging/list.html", listing=listing, broadcast=broadcast)


@page_endpoint()
async def new_thread_page(request: Request) -> Response:
    """``/messages/new``: the recipient picker (only whom I may write to) and the form."""
    actor = acting_user(request)
    session = db(request)
    form: dict[str, Any] = {}
    error = None
    status = 200
    if request.method == "POST":
        fields: dict[str, str] = {}
        lists: dict[str, list[str]] = {}
        try:
            fields, lists = await read_fields(request, "to", "attachments")
            data = thread_data(fields, lists)
            started = await services.thread_create(session, actor=actor, data=data)
        except DomainError as exc:
            error, status = exc.message, exc.status
            form = {**fields, "to": lists.get("to", [])}
        else:
            target = (
                f"/messages?broadcast={started.broadcast_id}"
                if started.broadcast_id is not None
                else f"/messages/{started.thread_ids[0]}"
            )
            return RedirectResponse(target, status_code=303)
    choices = await queries.recipients(session, actor=actor)
    wanted = query_int(request, "to")
    if wanted and not form:
        form = {"to": [str(wanted)]}
    return _page(
        request, "messaging/new.html", status=status, choices=choices, form=form, error=error
    )


@page_endpoint()
async def thread_page(request: Request) -> Response:
    """``/messages/{id}``: the conversation (participants only), marked read; a reply form."""
    actor = acting_user(request)
    session = db(request)
    thread_id = path_int(request, "thread_id")
    error = None
    status = 200
    if request.method == "POST":
        try:
            data = await message_form(request)
            await services.message_post(session, actor=actor, thread_id=thread_id, data=data)
        except DomainError as exc:
            if exc.status == 404:
                raise
            error, status = exc.message, exc.status
        else:
            return RedirectResponse(f"/messages/{thread_id}#last", status_code=303)
    view = await queries.thread_view(session, actor=actor, thread_id=thread_id)
    detail = await queries.thread_detail(session, view=view)
    await services.thread_mark_read(session, view=view)
    return _page(request, "messaging/thread.html", status=status, thread=detail, error=error)


@page_endpoint()
async def news_page(request: Request) -> Response:
    """``/news``: the news I may see; administrators and form tutors publish and delete."""
    actor = acting_user(request)
    session = db(request)
    error = None
    status = 200
    if request.method == "POST":
        try:
            form = await news_form(request)
            if form.delete is not None:
                await news_services.news_delete(session, actor=actor, news_id=form.delete)
            elif form.data is not None:
                await news_services.news_create(session, actor=actor, data=form.data)
        except DomainError as exc:
            error, status = exc.message, exc.status
        else:
            return RedirectResponse("/news", status_code=303)
    page, per_page = pagination(request)
    items, total = await news_list(session, actor=actor, page=page, per_page=per_page)
    tutor_of = await news_classes_for(session, actor=actor)
    return _page(
        request,
        "messaging/news.html",
        status=status,
        items=items,
        total=total,
        page=page,
        per_page=per_page,
        classes=tutor_of,
        error=error,
    )


routes: list[BaseRoute] = [
    Route("/api/v1/threads", api_threads, methods=["GET", "POST"]),
    Route("/api/v1/threads/recipients", api_recipients, methods=["GET"]),
    Route("/api/v1/threads/{thread_id:int}", api_thread, methods=["GET"]),
    Route("/api/v1/threads/{thread_id:int}/messages", api_thread_messages, methods=["POST"]),
    Route("/api/v1/news", api_news, methods=["GET", "POST"]),
    Route("/api/v1/news/{news_id:int}", api_news_item, methods=["DELETE"]),
    Route("/messages", messages_page, methods=["GET"]),
    Route("/messages/new", new_thread_page, methods=["GET", "POST"]),
    Route("/messages/{thread_id:int}", thread_page, methods=["GET", "POST"]),
    Route("/news", news_page, methods=["GET", "POST"]),
]
