"""create_app(): the Starlette application with every package's routes mounted."""

from __future__ import annotations

import importlib
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from types import ModuleType

from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from eschool import errorpages
from eschool.auth_cache import AuthCache
from eschool.broker import create_broker
from eschool.db import create_engine, create_sessionmaker
from eschool.direct_read import DirectReads
from eschool.driver_tx import DriverWrites
from eschool.errors import DomainError
from eschool.middleware import AccessLogMiddleware, AuthMiddleware, ProxyHeadersMiddleware
from eschool.notifications import routes as notification_routes
from eschool.packages import DOMAIN_PACKAGES
from eschool.privacy import access_log as access_log_module
from eschool.privacy import routes as privacy_routes
from eschool.privacy.access_log import AccessLog
from eschool.route_index import IndexedRouter
from eschool.routes import routes as eschool_routes
from eschool.settings import Settings
from eschool.templating import create_templates
from eschool.uploads.queries import FileAudience

log = logging.getLogger("eschool")


def _domain_route_modules() -> list[ModuleType]:
    """Each domain package's ``routes`` module: ``routes`` and, optionally, ``lifespan(app)``."""
    return [importlib.import_module(f"{name}.routes") for name in DOMAIN_PACKAGES]


def create_app(settings: Settings | None = None) -> Starlette:
    """Build the application; the engine, broker and hub are made in its lifespan."""
    settings = (settings or Settings.from_env()).with_secret()
    # The shell's privacy part is mounted like a package: its routes and its purge lifespan.
    # Notifications first: their lifespan makes app.state.notification_daily for the domains'.
    modules = [notification_routes, privacy_routes, *_domain_route_modules()]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        settings.uploads_dir.mkdir(parents=True, exist_ok=True)
        engine = create_engine(settings.database_url)
        app.state.engine = engine
        # Reads of pupils' data are recorded by group commit (eschool.privacy.access_log).
        access_log = AccessLog(engine)
        app.state.sessionmaker = create_sessionmaker(
            engine, info={access_log_module.SESSION_INFO_KEY: access_log}
        )
        # The sign-in lookup of every request, straight on the driver (eschool.direct_read).
        app.state.direct_reads = direct_reads = DirectReads(engine)
        # The hottest writes (a new mark), straight on the driver (eschool.driver_tx).
        app.state.driver_writes = driver_writes = DriverWrites(engine)
        access_log.pool = driver_writes.pool  # its lines too (PostgreSQL)
        # Who is signed in, kept by the process on PostgreSQL (eschool.auth_cache).
        app.state.auth_cache = auth_cache = AuthCache.for_engine(
            engine, max_age=settings.sign_in_keep_seconds
        )
        if auth_cache is not None:
            auth_cache.start()
        app.state.broker = create_broker(settings.broker_url)
        # Who may fetch a stored file besides its uploader: each package appends its own in
        # its lifespan below (eschool.uploads.queries.FileAudience), per app, never globally.
        file_audiences: list[FileAudience] = []
        app.state.file_audiences = file_audiences
        # Boxes on the home pages, each ``async (request) -> Markup``, appended by packages.
        app.state.home_panels = []
        await app.state.broker.connect()
        try:
            async with AsyncExitStack() as stack:
                for module in modules:
                    package_lifespan = getattr(module, "lifespan", None)
                    if package_lifespan is not None:
                        await stack.enter_async_context(package_lifespan(app))
                yield
        finally:
            await app.state.broker.disconnect()
            await access_log.close()
            driver_writes.close()
            direct_reads.close()
            if auth_cache is not None:
                await auth_cache.close()
            await engine.dispose()

    routes: list[BaseRoute] = list(eschool_routes)
    for module in modules:
        routes.extend(module.routes)
    routes.append(Mount("/static", app=StaticFiles(directory=settings.static_dir), name="static"))

    app = Starlette(
        middleware=[
            Middleware(ProxyHeadersMiddleware, trusted=settings.trusted_proxies),
            Middleware(AccessLogMiddleware),
            Middleware(AuthMiddleware),
        ],
        exception_handlers={
            DomainError: errorpages.domain_error,
            HTTPException: errorpages.http_error,
            PoolTimeout: errorpages.database_busy,
            Exception: errorpages.server_error,
        },
    )
    # Each request tries only the routes its path can match, in order (eschool.route_index).
    app.router = IndexedRouter(routes, lifespan=lifespan)
    app.state.settings = settings
    app.state.templates = create_templates()
    return app
