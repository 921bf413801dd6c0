"""The ``eschool`` command: serve, init, demo, purge, and managing people."""

from __future__ import annotations

import argparse
import asyncio
import gc
import getpass
import logging
import sys
import time
from typing import TYPE_CHECKING

from eschool.db import create_engine, create_sessionmaker
from eschool.errors import DomainError
from eschool.migrate import migrate
from eschool.settings import Settings

if TYPE_CHECKING:
    from starlette.applications import Starlette

DESCRIPTION = """\
eschool: a lesson library, an electronic gradebook and live open lessons in one server.

Settings come from environment variables: ESCHOOL_DATABASE_URL (default: SQLite in
ESCHOOL_DATA_DIR, which defaults to ./var), ESCHOOL_BROKER_URL (memory:// or redis://...),
ESCHOOL_SECRET_KEY (generated into the data dir when unset).
"""


# The WebSocket protocol ``eschool serve`` runs (see live.ws_server).
WS_PROTOCOL = "live.ws_server:LiveWebSocketProtocol"


def _settings() -> Settings:
    return Settings.from_env()


async def _init_database(settings: Settings) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_engine(settings.database_url)
    try:
        await migrate(engine)
    finally:
        await engine.dispose()


# The collector's thresholds while serving: a young collection after this many new objects
# (Python's default is 700), then as Python does (an older one every ten of the younger).
# A class joining a live lesson makes some hundred objects per socket that live on: with the
# default, two thousand joins cost two full collections (45-80 ms each, every socket's
# objects walked) and three hundred young ones, some 8 % of a join's CPU; with this, no full
# one and twenty young ones (~4 ms each), under half the time.
GC_YOUNG_THRESHOLD = 10_000


def served_app() -> Starlette:
    """The application ``eschool serve`` runs (in each worker): built, then what exists by
    now (the modules, routes and templates: some 200k objects) frozen out of the garbage
    collector, so that a full collection under load walks only what serving made, not the whole
    import graph (else a pause of 100-300 ms now and then, felt by every live room); and the
    collector's young generation made larger (:data:`GC_YOUNG_THRESHOLD`)."""
    from eschool.app import create_app

    app = create_app()
    gc.collect()
    gc.freeze()
    _young, older, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, older, oldest)
    return app


# What uvicorn runs, in each worker.
SERVED: dict[str, object] = {
    "app": "eschool.cli:served_app",
    "factory": True,
    # uvicorn's websockets-sansio, plus a send the live fan-out need not wait on; no
    # compression (live frames are small, and a compressor costs tens of KiB a socket).
    "ws": WS_PROTOCOL,
    "ws_per_message_deflate": False,
    "access_log": False,
    "proxy_headers": False,  # X-Forwarded-* only from ESCHOOL_TRUSTED_PROXIES (the app decides)
    "log_level": "info",
    # Open notification streams (SSE) never end by themselves: cut them on shutdown.
    "timeout_graceful_shutdown": 5,
}


def _serve(settings: Settings, host: str, port: int, workers: int) -> None:
    import uvicorn

    from eschool import serve_workers

    settings.with_secret()  # generate the key once, before workers race for it
    if workers > 1 and serve_workers.available():
        serve_workers.serve(host, port, workers, SERVED)  # a listening socket each
        return
    uvicorn.run(host=host, port=port, workers=workers if workers > 1 else None, **SERVED)  # type: ignore[arg-type]


def cmd_init(args: argparse.Namespace) -> int:
    settings = _settings()
    asyncio.run(_init_database(settings))
    print(f"Database ready: {_safe_url(settings.database_url)}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    settings = _settings()
    asyncio.run(_init_database(settings))
    _serve(settings, args.host, args.port, args.workers)
    return 0


async def _seed(settings: Settings) -> None:
    from eschool.demo import seed_demo

    engine = create_engine(settings.database_url)
    try:
        await migrate(engine)
        async with create_sessionmaker(engine)() as session:
            await seed_demo(session, settings=settings)
    finally:
        await engine.dispose()


def cmd_demo(args: argparse.Namespace) -> int:
    from eschool.demo import logins_text

    settings = _settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    asyncio.run(_seed(settings))
    print(logins_text(f"http://{args.host}:{args.port}/"), flush=True)
    if not args.seed_only:
        _serve(settings, args.host, args.port, 1)
    return 0


async def _user_add(settings: Settings, args: argparse.Namespace) -> str | None:
    from eschool import services
    from eschool.models import UserCreate
    from eschool.schools import school_find
    from eschool.web import parse_model

    engine = create_engine(settings.database_url)
    try:
        await migrate(engine)
        async with create_sessionmaker(engine)() as session:
            school = await school_find(session, args.school)
            data = {"login": args.login, "name": args.name, "role": args.role}
            if args.password:
                data["password"] = args.password
            if args.class_name:
                data["class"] = args.class_name
            _user, generated = await services.user_create(
                session, actor=None, data=parse_model(UserCreate, data), school_id=school.id
            )
            return generated
    finally:
        await engine.dispose()


def cmd_user_add(args: argparse.Namespace) -> int:
    generated = asyncio.run(_user_add(_settings(), args))
    print(f"Added {args.login}.")
    if generated:
        print(f"Password: {generated}")
    return 0


async def _school_add(settings: Settings, args: argparse.Namespace):
    from eschool.schools import school_add

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_engine(settings.database_url)
    try:
        await migrate(engine)
        async with create_sessionmaker(engine)() as session:
            return await school_add(
                session,
                name=args.name,
                admin_login=args.admin_login,
                admin_name=args.admin_name,
                term_system=args.term_system,
            )
    finally:
        await engine.dispose()


def cmd_school_add(args: argparse.Namespace) -> int:
    added = asyncio.run(_school_add(_settings(), args))
    print(f"Added the school {added.school.name!r} (id {added.school.id}).")
    print(f"Its admin: {added.admin.login}")
    print(f"Password: {added.password}")
    print("The password is shown only this once; the admin can change it after signing in.")
    return 0


async def _school_list(settings: Settings) -> list[tuple[int, str, str]]:
    from eschool.schools import schools_all

    engine = create_engine(settings.database_url)
    try:
        await migrate(engine)
        async with create_sessionmaker(engine)() as session:
            return [(s.id or 0, s.slug, s.name) for s in await schools_all(session)]
    finally:
        await engine.dispose()


def cmd_school_list(args: argparse.Namespace) -> int:
    for school_id, slug, name in asyncio.run(_school_list(_settings())):
        print(f"{school_id}\t{slug}\t{name}")
    return 0


async def _user_passwd(settings: Settings, login: str, password: str | None) -> str:
    from eschool import queries, services

    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            user = await queries.user_by_login(session, login)
            if user is None:
                raise DomainError(f"There is no user {login!r}.")
            return await services.user_password_set(
                session, actor=None, user_id=user.id or 0, password=password
            )
    finally:
        await engine.dispose()


def cmd_user_passwd(args: argparse.Namespace) -> int:
    password = args.password
    if password is None and sys.stdin.isatty():
        password = getpass.getpass("New password (empty: generate one): ") or None
        if password is not None and getpass.getpass("Repeat it: ") != password:
            print("The two passwords differ; nothing changed.", file=sys.stderr)
            return 1
    new_password = asyncio.run(_user_passwd(_settings(), args.login, password))
    print(f"Password of {args.login} changed; every session of theirs is signed out.")
    if password is None:
        print(f"Password: {new_password}")
    return 0


async def _purge(settings: Settings) -> dict[int, dict[str, int]]:
    from eschool.privacy.services import retention_purge

    engine = create_engine(settings.database_url)
    try:
        await migrate(engine)
        async with create_sessionmaker(engine)() as session:
            return await retention_purge(session, settings=settings)
    finally:
        await engine.dispose()


def cmd_purge(args: argparse.Namespace) -> int:
    done = asyncio.run(_purge(_settings()))
    for school_id, counts in done.items():
        removed = ", ".join(f"{kind} {count}" for kind, count in sorted(counts.items())) or "-"
        print(f"school {school_id}: deleted {removed}")
    return 0


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command."""
    parser = argparse.ArgumentParser(
        prog="eschool", description=DESCRIPTION, formatter_class=argparse.RawTextHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="migrate the database, then serve the school")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (8000)")
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes (use >1 only with PostgreSQL and ESCHOOL_BROKER_URL=redis://)",
    )
    serve.set_defaults(handler=cmd_serve)

    init = commands.add_parser("init", help="create or migrate the database (no serving)")
    init.set_defaults(handler=cmd_init)

    demo = commands.add_parser(
        "demo", help="create the demo school (idempotent), print the logins, then serve"
    )
    demo.add_argument("--seed-only", action="store_true", help="create the school, don't serve")
    demo.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    demo.add_argument("--port", type=int, default=8000, help="port to listen on (8000)")
    demo.set_defaults(handler=cmd_demo)

    purge = commands.add_parser(
        "purge",
        help="delete live event logs, recordings and access records older than each school "
        "keeps (the server also does this hourly)",
    )
    purge.set_defaults(handler=cmd_purge)

    school = commands.add_parser("school", help="add a school with its first admin; list them")
    school_commands = school.add_subparsers(dest="school_command", required=True, metavar="ACTION")
    school_add = school_commands.add_parser(
        "add", help="create a school and its first admin (prints the password once)"
    )
    school_add.add_argument("--name", required=True, help='the school\'s name, e.g. "Лицей № 2"')
    school_add.add_argument(
        "--admin-login", required=True, help="the admin's sign-in name (unique on the server)"
    )
    school_add.add_argument("--admin-name", help='the admin\'s full name (default "Administrator")')
    school_add.add_argument(
        "--term-system",
        choices=["quarters", "trimesters", "halves"],
        default="quarters",
        help="how the academic year is split (quarters)",
    )
    school_add.set_defaults(handler=cmd_school_add)
    school_list = school_commands.add_parser("list", help="the schools: id, slug and name")
    school_list.set_defaults(handler=cmd_school_list)

    user = commands.add_parser("user", help="add people or set passwords")
    user_commands = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    add = user_commands.add_parser("add", help="add a person (prints a generated password)")
    add.add_argument("--login", required=True, help="sign-in name: lowercase letters, digits . - _")
    add.add_argument("--name", required=True, help='full name, e.g. "Anna Petrova"')
    add.add_argument(
        "--role", required=True, choices=["admin", "teacher", "pupil", "parent"], help="one role"
    )
    add.add_argument("--password", help="initial password (8+ characters); generated if absent")
    add.add_argument("--class", dest="class_name", help="for a pupil: the class, e.g. 7A")
    add.add_argument(
        "--school", help="school id, slug or name (needed when the server holds several)"
    )
    add.set_defaults(handler=cmd_user_add)
    passwd = user_commands.add_parser(
        "passwd", help="set a new password (asks for it, or generates one)"
    )
    passwd.add_argument("--login", required=True, help="whose password")
    passwd.add_argument("--password", help="the new password (else asked for, or generated)")
    passwd.set_defaults(handler=cmd_user_passwd)
    return parser


class _LogFormatter(logging.Formatter):
    """The log's lines as ``logging``'s own formatter writes them, the date and time made once
    a second (the access log has a line for every request and socket)."""

    _second = -1
    _stamp = ""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        if datefmt:
            return super().formatTime(record, datefmt)
        second = int(record.created)
        if second != self._second:
            self._stamp = time.strftime(self.default_time_format, self.converter(second))
            self._second = second
        return f"{self._stamp},{int(record.msecs):03d}"


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``eschool`` console script."""
    handler = logging.StreamHandler()
    handler.setFormatter(_LogFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except DomainError as exc:
        print(f"eschool: {exc.message}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"eschool: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
