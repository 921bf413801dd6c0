"""The fixed cost of a signed-in request: ``GET /api/v1/me`` with a session cookie and with a
bearer token, against ``/healthz`` of the same app in the same run (the baseline).

``/api/v1/me`` does little beyond finding who is signed in (one statement of its own: the
reader's classes), so its ratio to ``/healthz`` is mostly what every signed-in request pays
before its own work: reading the cookie or token, the lookup of the session and its user
(straight on the driver, :mod:`eschool.direct_read`), the request's database session,
routing. ``signed_in_404`` is that fixed cost alone: a signed-in request for an API path
that does not exist (the lookup, the middleware and routing, a 404; no handler). The
reader is the demo school's ``pupil``; the cookie is a browser session row like the
sign-in form makes. ``<name>_cpu_ratio`` is ``/healthz``'s server CPU per request over the
endpoint's (medians of the rounds), the steadier figure on a busy machine.
Each endpoint's latency is first probed alone, then the endpoints are loaded in turn,
``/healthz`` first in every round, by :mod:`bench.lean_http` processes; medians over rounds.
The SQL statements of each request made alone are counted (the server is
:mod:`bench.counting_app`).

SQLite by default; ``--database postgres`` uses a scratch database on
``ESCHOOL_BENCH_POSTGRES_URL`` / ``ESCHOOL_TEST_POSTGRES_URL``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

import httpx

from bench.common import options_from_argv, run_async, work_dir
from bench.figures import emit, medians
from bench.journal import _database_url, count_statements
from bench.lean_http import LoadPlan, compare_endpoints, endpoint_ratios, probe_endpoints
from bench.seeded_school import School, seed_school
from bench.servers import app_server

BASELINE = "healthz"
READER = "pupil"
ME = "/api/v1/me"
MISSING = "/api/v1/no-such-thing"
SESSION_COOKIE = "eschool_session"


@dataclass
class AuthOverheadOptions:
    """The sizes of the benchmark."""

    connections: int = 8
    seconds: float = 2.0  # of load per endpoint and round, after the warm-up
    warmup: float = 0.5
    rounds: int = 3
    load_processes: int = 1
    min_requests: int = 20  # a slow endpoint is measured longer to get at least these…
    max_seconds: float = 10.0  # …but no longer than this
    probe_requests: int = 4  # requests made alone per endpoint (the first one not counted)
    database: str = "sqlite"  # or "postgres"
    keep: bool = False


async def cookie_session(school: School, login: str) -> str:
    """A browser session (``kind="cookie"``, stored as a digest like the sign-in form's) for
    ``login``; returns the cookie's value."""
    from sqlalchemy import insert

    from eschool.db import create_engine, create_sessionmaker
    from eschool.models import AuthSession
    from eschool.security import digest, new_secret
    from eschool.timeutil import utcnow

    secret, now = new_secret(), utcnow()
    engine = create_engine(school.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            row = {
                "id": digest(secret),
                "user_id": school.user_ids[login],
                "kind": "cookie",
                "csrf_token": new_secret(24),
                "label": None,
                "created_at": now,
                "expires_at": now + timedelta(days=2),
                "revoked_at": None,
            }
            await (await session.connection()).execute(insert(AuthSession), [row])
            await session.commit()
    finally:
        await engine.dispose()
    return secret


def endpoints(school: School, cookie: str) -> dict[str, list[dict[str, Any]]]:
    """The requests of each measured endpoint."""
    accept = {"Accept": "application/json"}
    return {
        BASELINE: [{"method": "GET", "path": "/healthz", "headers": {}}],
        "me_cookie": [
            {
                "method": "GET",
                "path": ME,
                "headers": {**accept, "Cookie": f"{SESSION_COOKIE}={cookie}"},
            }
        ],
        "me_bearer": [
            {"method": "GET", "path": ME, "headers": {**accept, **school.bearer(READER)}}
        ],
        "signed_in_404": [
            {"method": "GET", "path": MISSING, "headers": {**accept, **school.bearer(READER)}}
        ],
    }


async def run(options: AuthOverheadOptions) -> dict[str, Any]:
    """Run the benchmark; returns its figures (see the module docstring)."""
    with work_dir("auth_overhead", keep=options.keep) as tmp:
        async with _database_url(options.database) as database_url:
            school = await seed_school(
                tmp / "data", database_url=database_url, token_logins=(READER,)
            )
            cookie = await cookie_session(school, READER)
            requests = endpoints(school, cookie)
            with app_server(school, counting=True, log_dir=tmp) as server:
                sql: dict[str, Any] = {}
                async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as client:
                    for name, (request,) in requests.items():
                        if name == BASELINE:
                            continue
                        response = await client.request(
                            request["method"], request["path"], headers=request["headers"]
                        )
                        if request["path"] == MISSING:
                            if response.status_code != 404:
                                raise RuntimeError(f"{name}: {response.status_code}, not 404")
                        elif response.json().get("login") != READER:
                            raise RuntimeError(f"{name}: not signed in as {READER}")
                        sql[name] = await count_statements(client, request)
                load = LoadPlan(
                    connections=options.connections,
                    seconds=options.seconds,
                    warmup=options.warmup,
                    rounds=options.rounds,
                    processes=options.load_processes,
                    min_requests=options.min_requests,
                    max_seconds=options.max_seconds,
                )
                alone = await probe_endpoints(server, requests, count=options.probe_requests)
                runs = await compare_endpoints(server, requests, load)
    figures = {name: {**medians(measured), **alone[name]} for name, measured in runs.items()}
    return {
        "benchmark": "auth_overhead",
        "database": options.database,
        "options": asdict(options),
        **endpoint_ratios(figures, BASELINE),
        **cpu_ratios(figures, BASELINE),
        "sql_statements": sql,
        "endpoints": figures,
        "runs": runs,
    }


def cpu_ratios(figures: dict[str, dict[str, Any]], baseline: str) -> dict[str, float | None]:
    """``<name>_cpu_ratio``: the baseline's server CPU per request over the endpoint's."""
    base = figures[baseline].get("server_cpu_ms_per_request")
    ratios: dict[str, float | None] = {}
    for name, figure in figures.items():
        cpu = figure.get("server_cpu_ms_per_request")
        if name != baseline:
            ratios[f"{name}_cpu_ratio"] = round(base / cpu, 3) if base and cpu else None
    return ratios


def parse_args(argv: list[str] | None = None) -> AuthOverheadOptions:
    """Options from the command line."""
    return options_from_argv(AuthOverheadOptions, argv, __doc__.splitlines()[0])


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point: print the figures as JSON."""
    emit(run_async(run(parse_args(argv))))


if __name__ == "__main__":
    main()
