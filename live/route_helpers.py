"""What the live lesson's HTTP routes share (:mod:`live.api_routes`, :mod:`live.page_routes`):
the session named in the path, who is asking, a visitor's join and the lesson's recordings."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.requests import Request

from eschool.errors import NotFound
from eschool.models import User
from eschool.privacy.services import access_record
from eschool.web import client_address, current_user, db
from live import board_pass, queries, services
from live.hub import Hub
from live.media import MediaSignalling
from live.models import LiveSession
from live.privacy import RECORDINGS
from live.recordings import recordings_of
from live.room import Actor


def today(request: Request) -> date:
    """Today where the school is."""
    return datetime.now(ZoneInfo(request.app.state.settings.timezone)).date()


def hub_of(app: Starlette) -> Hub:
    return app.state.hub


def log_of(app: Starlette) -> services.EventLog:
    return app.state.live_log


def media_of(app: Starlette) -> MediaSignalling:
    return app.state.live_media


def secret_of(app: Starlette) -> str:
    return app.state.settings.secret_key


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def recordings_dir(app: Starlette) -> Path:
    """Where the lessons' video recordings are kept: ``<data dir>/recordings/<code>/``."""
    return app.state.settings.data_dir / RECORDINGS


async def recordings(request: Request, live: LiveSession) -> list[dict[str, Any]]:
    """The lesson's video recordings, each with the ``url`` it is played from."""
    found = await asyncio.to_thread(recordings_of, recordings_dir(request.app), live.code)
    code = queries.code_display(live.code)
    return [{**item, "url": f"/live/{code}/recordings/{item['name']}"} for item in found]


async def session_for(request: Request) -> LiveSession:
    """The session whose code is in the path (in the signed-in user's school)."""
    user = current_user(request)
    return await queries.session_by_code(
        db(request),
        code=str(request.path_params["code"]),
        school_id=None if user is None else user.school_id,
    )


async def observer_join(request: Request, *, code: str, name: str) -> tuple[Any, str, Actor]:
    """Let a visitor in, counting wrong codes per address (see ``services.CodeGuesses``)."""
    guesses: services.CodeGuesses = request.app.state.live_code_guesses
    address = client_address(request)
    await guesses.check(db(request), address)
    try:
        return await services.observer_join(
            db(request), code=code, name=name, secret=secret_of(request.app)
        )
    except NotFound:
        await guesses.failed(db(request), address)
        raise


async def participant(request: Request, live: LiveSession, token: str | None = None) -> Actor:
    """Who is asking, as the room sees them (a board pass is a participant too:
    :mod:`live.board_pass`)."""
    return await board_pass.participant(
        db(request),
        live=live,
        user=current_user(request),
        token=token,
        secret=secret_of(request.app),
    )


def where_to(live: LiveSession, actor: Actor) -> str:
    """The page of the lesson that ``actor``'s role sees."""
    code = queries.code_display(live.code)
    if actor.role == "teacher":
        return f"/live/{code}/present"
    if actor.role == "pupil":
        return f"/live/{code}"
    if actor.role == "board":
        return f"/live/{code}/board"
    return f"/live/{code}/watch"


async def read_report(request: Request, live: LiveSession, user: User) -> dict[str, Any]:
    """The lesson's report for the teacher or an admin, its reading kept in the access record
    (it names pupils and their answers)."""
    body = await services.session_report(
        db(request), actor=user, live=live, broker=request.app.state.broker
    )
    await access_record(
        db(request), actor=user, what="live.report", class_id=live.class_id, target_id=live.id
    )
    return body
