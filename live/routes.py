"""Routes of live lessons: the table of every HTTP route and the room's WebSocket, and the
:func:`lifespan` that builds the hub (and the durable log that feeds it) and the media on
``app.state``.

The JSON API is :mod:`live.api_routes`, the pages :mod:`live.page_routes` (what they share:
:mod:`live.route_helpers`), the socket's session :mod:`live.socket_session`; the board's, the
rubrics' and the replay's routes are in their own modules.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Route, WebSocketRoute

from live import services
from live.api_routes import (
    api_end,
    api_journal,
    api_media,
    api_observer_join,
    api_protocol_schema,
    api_report,
    api_running,
    api_start,
    moved_to_api,
    recording_file,
)
from live.board_routes import routes as board_routes
from live.hub import Hub
from live.log_writer import DirectLogWriter
from live.media import MediaSignalling
from live.page_routes import (
    asset_file,
    join_page,
    join_submit,
    live_page,
    live_start_form,
    present_page,
    pupil_page,
    qr_image,
    report_endpoint,
    watch_page,
)
from live.replay_routes import routes as replay_routes
from live.route_helpers import recordings_dir
from live.rtc_types import rtc_config
from live.rubric_routes import routes as rubric_routes
from live.socket_session import live_socket


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    """Build the hub, the durable log and the media (``app.state.media``, the process's
    ``MediaHub``, and ``app.state.live_media``, its signalling) on ``app.state``; close them on
    shutdown."""
    settings = app.state.settings
    log = services.EventLog(
        app.state.sessionmaker,
        app.state.broker,
        drop_ended=settings.broker_url.startswith("memory"),
        direct=DirectLogWriter.for_url(settings.database_url),
        reads=app.state.direct_reads,
    )
    hub = Hub(
        app.state.broker,
        load_room=services.room_loader(app.state.sessionmaker, app.state.direct_reads),
        log=log,
        outbox_size=settings.live_outbox_size,
        presence_tick=settings.live_presence_tick,
    )
    app.state.live_log = log
    app.state.live_code_guesses = services.CodeGuesses()
    app.state.hub = hub
    signalling = MediaSignalling(
        config=rtc_config(settings),
        hub=hub,
        broker=app.state.broker,
        recordings_dir=recordings_dir(app),
    )
    await signalling.start()
    app.state.live_media = signalling
    app.state.media = signalling.media
    try:
        yield
    finally:
        await signalling.close()
        await hub.close()
        await log.close()


routes: list[BaseRoute] = [
    Route("/api/v1/live", api_start, methods=["POST"]),
    Route("/api/v1/live", api_running, methods=["GET"]),
    Route("/live", live_page, methods=["GET"]),
    Route("/live", live_start_form, methods=["POST"]),
    Route("/join", join_page, methods=["GET"]),
    Route("/join", join_submit, methods=["POST"]),
    Route("/live/{code}", pupil_page, methods=["GET"]),
    Route("/live/{code}/present", present_page, methods=["GET"]),
    Route("/live/{code}/watch", watch_page, methods=["GET"]),
    Route("/live/{code}/qr.svg", qr_image, methods=["GET"]),
    Route("/live/{code}/assets/{sha}", asset_file, methods=["GET"]),
    Route("/api/v1/live/protocol.schema.json", api_protocol_schema, methods=["GET"]),
    Route("/api/v1/live/{code}/join", api_observer_join, methods=["POST"]),
    Route("/api/v1/live/{code}/end", api_end, methods=["POST"]),
    Route("/api/v1/live/{code}/media", api_media, methods=["GET"]),
    Route("/api/v1/live/{code}/report", api_report, methods=["GET"]),
    Route("/api/v1/live/{code}/journal", api_journal, methods=["POST"]),
    # The same JSON at the old bare paths, for one release (Deprecation header).
    Route("/live/{code}/join", moved_to_api(api_observer_join), methods=["POST"]),
    Route("/live/{code}/end", moved_to_api(api_end), methods=["POST"]),
    Route("/live/{code}/media", moved_to_api(api_media), methods=["GET"]),
    Route("/live/{code}/journal", moved_to_api(api_journal), methods=["POST"]),
    Route("/live/{code}/recordings/{name}", recording_file, methods=["GET"]),
    Route("/live/{code}/report", report_endpoint, methods=["GET"]),
    WebSocketRoute("/live/{code}/ws", live_socket),
    *board_routes,
    *rubric_routes,
    *replay_routes,
]
