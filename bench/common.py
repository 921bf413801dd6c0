"""What every benchmark shares: processes on free ports, their CPU and memory, a seeded school,
Redis and PostgreSQL isolation, statistics and the JSON output.

Everything started here runs in its own process group and is stopped in ``finally`` blocks, so
an error or a timeout leaves nothing behind. Traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit, urlunsplit

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
HOST = "127.0.0.1"
BENCH_PASSWORD = "bench-password"  # noqa: S105 - the password of the generated bench accounts
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
_PR_SET_PDEATHSIG = 1
T = TypeVar("T")


# --- processes --------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _stat_fields(pid: int) -> list[str]:
    raw = Path(f"/proc/{pid}/stat").read_text()
    # The command name may hold spaces and parentheses: the fields start after the last ")".
    return raw[raw.rindex(")") + 2 :].split()


# The CPU time each descendant under a measured root had at its last reading: a descendant
# that exits takes its time out of the tree, so it keeps counting with what it had used.
_seen_processes: dict[tuple[int, int], float] = {}


def _process_cpu_clock(pid: int) -> int:
    """The clock id of ``pid``'s CPU-time clock, as ``clock_getcpuclockid(3)`` makes it
    (Linux: the pid inverted, shifted by three, the scheduler's clock)."""
    return ((~pid) << 3) | 2


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process so far, every thread counted, the exited
    ones too, to the nanosecond (the scheduler's own sum, read through the process's CPU
    clock). ``/proc/<pid>/stat`` counts in 10 ms ticks, too coarse for a short measurement:
    it is only the fallback where the clock cannot be read. 0.0 for a process that is gone.
    """
    try:
        return time.clock_gettime(_process_cpu_clock(pid))
    except OSError:
        pass
    try:
        fields = _stat_fields(pid)
    except (FileNotFoundError, ProcessLookupError, ValueError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def process_tree(pid: int) -> list[int]:
    """``pid`` and every descendant of it (uvicorn's workers, for instance)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int(_stat_fields(int(entry.name))[1])
        except (FileNotFoundError, ProcessLookupError, ValueError, IndexError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        queue.extend(children.get(current, []))
    return found


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of a process and its descendants (a descendant that has exited since an
    earlier call counts with what it had used then)."""
    live = {p: cpu_seconds(p) for p in process_tree(pid)}
    for child, used in live.items():
        _seen_processes[(pid, child)] = used
    gone = sum(
        used for (root, child), used in _seen_processes.items() if root == pid and child not in live
    )
    return sum(live.values()) + gone


def rss_bytes(pid: int) -> int:
    """Resident memory of one process in bytes (0 once it has gone)."""
    try:
        resident = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except (FileNotFoundError, ProcessLookupError, ValueError, IndexError):
        return 0
    return resident * _PAGE_SIZE


def die_with_parent() -> None:
    """In a child before ``exec``: ask Linux to SIGTERM it when the benchmark process dies,
    so even a benchmark killed with SIGKILL leaves no server or receiver behind."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def stop_process_group(pid: int, sig: int = signal.SIGKILL) -> None:
    """Send ``sig`` to the process group led by ``pid`` (started with a new session)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


@dataclass
class Child:
    """A process started by a benchmark in its own process group, its output in a log file."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        """The process id (also its process group id)."""
        return self.process.pid

    def cpu_seconds(self) -> float:
        """CPU seconds of the process and its descendants so far."""
        return tree_cpu_seconds(self.pid)

    def rss_bytes(self) -> int:
        """Resident memory of the process itself."""
        return rss_bytes(self.pid)

    def alive(self) -> bool:
        """Whether it still runs."""
        return self.process.poll() is None

    def log_tail(self, lines: int = 20) -> str:
        """The end of its log, for error messages."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout: float = 15) -> None:
        """SIGTERM to the whole group, then SIGKILL to what is left after ``timeout``."""
        if self.process.poll() is None:
            stop_process_group(self.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout)
        # Whatever the group still holds (workers of a stopped parent too) is killed.
        stop_process_group(self.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(5)


def start_child(
    name: str, args: Sequence[str], *, log_path: Path, env: Mapping[str, str] | None = None
) -> Child:
    """Start ``args`` in a new process group with its output going to ``log_path``."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            list(args),
            cwd=PROJECT_ROOT,
            env={**os.environ, **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
    return Child(name, process, log_path)


def wait_http(url: str, child: Child, *, timeout: float = 120) -> None:
    """Wait until ``url`` answers 200; raise with the child's log if it dies or never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not child.alive():
            raise RuntimeError(f"{child.name} exited early:\n{child.log_tail()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - 127.0.0.1
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{child.name} did not answer {url} in {timeout:.0f}s:\n{child.log_tail()}")


def wait_port(port: int, child: Child, *, timeout: float = 60) -> None:
    """Wait until something listens on ``port``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not child.alive():
            raise RuntimeError(f"{child.name} exited early:\n{child.log_tail()}")
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=1):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{child.name} did not listen on {port}:\n{child.log_tail()}")


@contextlib.contextmanager
def work_dir(prefix: str, keep: bool = False) -> Iterator[Path]:
    """A fresh temporary directory, removed afterwards unless ``keep``."""
    path = Path(tempfile.mkdtemp(prefix=f"eschool-bench-{prefix}-"))
    try:
        yield path
    finally:
        if not keep:
            shutil.rmtree(path, ignore_errors=True)


# --- statistics -------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0..100) by nearest rank; ``None`` for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def latency_figures(seconds: Sequence[float]) -> dict[str, float | None]:
    """``p50_ms``, ``p99_ms`` and ``max_ms`` of latencies given in seconds."""

    def ms(value: float | None) -> float | None:
        return None if value is None else round(value * 1000, 3)

    return {
        "p50_ms": ms(percentile(seconds, 50)),
        "p99_ms": ms(percentile(seconds, 99)),
        "max_ms": ms(max(seconds) if seconds else None),
    }


def median_of(values: Iterable[float | None]) -> float | None:
    """The median of the values that are not ``None``."""
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def ratio(numerator: float | None, denominator: float | None, digits: int = 3) -> float | None:
    """``numerator / denominator`` rounded, or ``None`` when either is missing or zero."""
    if numerator is None or not denominator:
        return None
    return round(numerator / denominator, digits)


def medians(runs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Per key, the median over runs of every numeric figure (other values from the first run)."""
    if not runs:
        return {}
    merged: dict[str, Any] = {}
    for key, first in runs[0].items():
        if (isinstance(first, int | float) and not isinstance(first, bool)) or first is None:
            value = median_of(run.get(key) for run in runs)
            merged[key] = round(value, 6) if isinstance(value, float) else value
        else:
            merged[key] = first
    return merged


def alternate(rounds: int, *names: str) -> list[str]:
    """The order of runs: A B A B … (``rounds`` of each)."""
    return [name for _ in range(rounds) for name in names]


# --- running ----------------------------------------------------------------------------------


def options_from_argv(options_type: type[T], argv: list[str] | None, description: str) -> T:
    """A benchmark's options dataclass from the command line: one ``--flag`` per field with the
    field's default (a bool is a switch, ``database`` is ``sqlite`` or ``postgres``)."""
    parser = argparse.ArgumentParser(description=description)
    for name, value in asdict(options_type()).items():
        flag = "--" + name.replace("_", "-")
        if isinstance(value, bool):
            parser.add_argument(flag, action="store_true")
        elif name == "database":
            parser.add_argument(flag, choices=["sqlite", "postgres"], default=value)
        else:
            parser.add_argument(flag, type=type(value), default=value)
    return options_type(**vars(parser.parse_args(argv)))


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` where SIGTERM cancels the benchmark, so its ``finally`` blocks stop
    everything it started."""

    async def guarded() -> T:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        loop.add_signal_handler(signal.SIGTERM, task.cancel)
        try:
            return await coroutine
        finally:
            loop.remove_signal_handler(signal.SIGTERM)

    return asyncio.run(guarded())


# --- output -----------------------------------------------------------------------------------


def emit(result: Mapping[str, Any]) -> None:
    """Print one benchmark's figures as a JSON object on stdout."""
    sys.stdout.write(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def ratio_keys(result: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Every ``…ratio`` key of a nested result, flattened to ``a.b.c`` paths."""
    found: dict[str, Any] = {}
    for key, value in result.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            found.update(ratio_keys(value, f"{path}."))
        elif key.endswith("ratio"):
            found[path] = value
    return found


# --- Redis and PostgreSQL ---------------------------------------------------------------------


def redis_base_url() -> str | None:
    """The Redis to use: ``ESCHOOL_BENCH_REDIS_URL``, else ``ESCHOOL_TEST_REDIS_URL``."""
    return os.environ.get("ESCHOOL_BENCH_REDIS_URL") or os.environ.get("ESCHOOL_TEST_REDIS_URL")


def redis_reachable(url: str) -> bool:
    """Whether a Redis answers at ``url``."""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except (redis.RedisError, OSError):
        return False


def with_namespace(url: str, namespace: str) -> str:
    """``url`` with ``?namespace=`` set (the broker prefixes every key with it)."""
    parts = urlsplit(url)
    query = "&".join(q for q in [parts.query, urlencode({"namespace": namespace})] if q)
    return urlunsplit(parts._replace(query=query))


@contextlib.contextmanager
def redis_namespace(url: str) -> Iterator[str]:
    """A broker URL on ``url`` with a fresh ``bench-…`` namespace, whose keys are deleted after."""
    import redis

    namespace = f"bench-{uuid.uuid4().hex[:12]}"
    try:
        yield with_namespace(url, namespace)
    finally:
        with contextlib.suppress(redis.RedisError, OSError):
            client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=10)
            try:
                keys = list(client.scan_iter(match=f"{namespace}:*", count=1000))
                for start in range(0, len(keys), 1000):
                    client.delete(*keys[start : start + 1000])
            finally:
                client.close()


def postgres_base_url() -> str | None:
    """The PostgreSQL to use: ``ESCHOOL_BENCH_POSTGRES_URL``, else ``ESCHOOL_TEST_POSTGRES_URL``."""
    return os.environ.get("ESCHOOL_BENCH_POSTGRES_URL") or os.environ.get(
        "ESCHOOL_TEST_POSTGRES_URL"
    )


@contextlib.asynccontextmanager
async def postgres_database(base_url: str) -> AsyncIterator[str]:
    """A scratch database on the server of ``base_url``, dropped afterwards; yields its URL."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from eschool.db import create_engine

    name = f"eschool_bench_{uuid.uuid4().hex[:10]}"
    base = make_url(base_url)
    admin = create_engine(base.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield base.set(database=name).render_as_string(hide_password=False)
        finally:
            async with admin.connect() as connection:
                await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


# --- a seeded school ---------------------------------------------------------------------------


@dataclass
class School:
    """A migrated, seeded database in a data dir, and bearer tokens of people in it."""

    data_dir: Path
    database_url: str
    tokens: dict[str, str] = field(default_factory=dict)  # login -> bearer token
    user_ids: dict[str, int] = field(default_factory=dict)  # login -> user id
    pupils: list[str] = field(default_factory=list)  # logins of the generated pupils
    teachers: list[str] = field(default_factory=list)  # logins of the generated teachers

    def env(self, broker_url: str = "memory://") -> dict[str, str]:
        """The environment a server of this school runs with."""
        return {
            "ESCHOOL_DATA_DIR": str(self.data_dir),
            "ESCHOOL_DATABASE_URL": self.database_url,
            "ESCHOOL_BROKER_URL": broker_url,
            "ESCHOOL_SECRET_KEY": "",
        }

    def bearer(self, login: str) -> dict[str, str]:
        """The Authorization header of ``login``."""
        return {"Authorization": f"Bearer {self.tokens[login]}"}


_demo_template: Path | None = None


@contextlib.asynccontextmanager
async def demo_template() -> AsyncIterator[Path]:
    """Seed the demo school once (SQLite) for a series of benchmarks: while the block runs,
    :func:`seed_school` copies it instead of seeding the demo again (several seconds each)."""
    global _demo_template
    with work_dir("template") as directory:
        await seed_school(directory / "data")
        _demo_template = directory / "data"
        try:
            yield _demo_template
        finally:
            _demo_template = None


def sqlite_url(data_dir: Path) -> str:
    """The default SQLite database of a data dir."""
    return f"sqlite+aiosqlite:///{data_dir / 'eschool.db'}"


async def seed_school(
    data_dir: Path,
    *,
    database_url: str | None = None,
    pupils: int = 0,
    teachers: int = 0,
    pupil_class: str = "7A",
    token_logins: Iterable[str] = ("admin", "teacher"),
    demo: bool = True,
) -> School:
    """Migrate and seed a school: the demo school (``demo``), plus ``pupils`` generated pupils
    of ``pupil_class`` and ``teachers`` generated teachers, with a bearer token for each of them
    and for ``token_logins``.

    People are inserted in bulk with one password hash (argon2 is slow on purpose).
    """
    from eschool.db import create_engine, create_sessionmaker
    from eschool.migrate import migrate
    from eschool.settings import Settings

    copied = demo and database_url is None and _demo_template is not None
    if copied:
        assert _demo_template is not None
        shutil.copytree(_demo_template, data_dir, dirs_exist_ok=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    url = database_url or sqlite_url(data_dir)
    settings = Settings.from_env({"ESCHOOL_DATA_DIR": str(data_dir), "ESCHOOL_DATABASE_URL": url})
    settings = settings.with_secret()
    engine = create_engine(url)
    school = School(data_dir=data_dir, database_url=url)
    try:
        await migrate(engine)
        async with create_sessionmaker(engine)() as session:
            if demo and not copied:
                from eschool.demo import seed_demo

                await seed_demo(session, settings=settings)
            prefix = f"b{uuid.uuid4().hex[:6]}"
            school.pupils = [f"{prefix}.pupil{n}" for n in range(pupils)]
            school.teachers = [f"{prefix}.teacher{n}" for n in range(teachers)]
            await add_people(
                session, pupils=school.pupils, teachers=school.teachers, class_name=pupil_class
            )
            logins = [*token_logins, *school.pupils, *school.teachers]
            school.tokens, school.user_ids = await issue_tokens(session, logins)
    finally:
        await engine.dispose()
    return school


async def analyze(school: School) -> None:
    """PostgreSQL: ``ANALYZE`` the freshly seeded database, as its autovacuum would soon after
    a bulk load, so that the planner has statistics (without them it takes, say, the school's
    index over the primary key); nothing on SQLite, whose planner needs none."""
    if not school.database_url.startswith("postgresql"):
        return
    from sqlalchemy import text

    from eschool.db import create_engine

    engine = create_engine(school.database_url)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("ANALYZE"))
            await connection.commit()
    finally:
        await engine.dispose()


async def add_people(
    session: Any, *, pupils: Sequence[str], teachers: Sequence[str], class_name: str
) -> None:
    """Insert pupils (enrolled in ``class_name``) and teachers of the demo school in bulk."""
    from sqlalchemy import insert
    from sqlmodel import col, select

    from eschool.models import Enrolment, Role, School, SchoolClass, User
    from eschool.security import hash_password
    from eschool.timeutil import utcnow

    if not pupils and not teachers:
        return
    school = (await session.exec(select(School).order_by(col(School.id)))).first()
    if school is None:
        raise RuntimeError("no school to add people to: seed the demo school first")
    password_hash = hash_password(BENCH_PASSWORD)
    now = utcnow()
    rows = [
        {
            "school_id": school.id,
            "login": login,
            "name": f"Bench {role.value.title()} {login.rsplit('.', 1)[-1]}",
            "role": role.value,
            "email": None,
            "password_hash": password_hash,
            "active": True,
            "lang": None,
            "created_at": now,
            "password_changed_at": now,
        }
        for logins, role in ((pupils, Role.pupil), (teachers, Role.teacher))
        for login in logins
    ]
    for start in range(0, len(rows), 2_000):
        await (await session.connection()).execute(insert(User), rows[start : start + 2_000])
    if pupils:
        school_class = (
            await session.exec(
                select(SchoolClass).where(
                    SchoolClass.school_id == school.id, SchoolClass.name == class_name
                )
            )
        ).first()
        if school_class is None:
            raise RuntimeError(f"the school has no class {class_name}")
        ids = (await session.exec(select(User.id).where(col(User.login).in_(pupils)))).all()
        enrolments = [
            {"class_id": school_class.id, "pupil_id": pupil_id, "enrolled_at": now}
            for pupil_id in ids
        ]
        for start in range(0, len(enrolments), 2_000):
            await (await session.connection()).execute(
                insert(Enrolment), enrolments[start : start + 2_000]
            )
    await session.commit()


async def issue_tokens(
    session: Any, logins: Sequence[str]
) -> tuple[dict[str, str], dict[str, int]]:
    """Bearer tokens (stored as digests, like the API's) for ``logins``; returns
    ``(login -> token, login -> user id)``."""
    from sqlalchemy import insert
    from sqlmodel import col, select

    from eschool.models import AuthSession, User
    from eschool.security import digest, new_secret
    from eschool.timeutil import utcnow

    wanted = list(dict.fromkeys(logins))
    ids: dict[str, int] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        found = await session.exec(select(User.login, User.id).where(col(User.login).in_(chunk)))
        ids.update({login: user_id for login, user_id in found.all()})
    missing = [login for login in wanted if login not in ids]
    if missing:
        raise RuntimeError(f"no such users: {missing[:5]}")
    now = utcnow()
    tokens = {login: new_secret() for login in wanted}
    rows = [
        {
            "id": digest(tokens[login]),
            "user_id": ids[login],
            "kind": "token",
            "csrf_token": new_secret(24),
            "label": "bench",
            "created_at": now,
            "expires_at": now + timedelta(days=2),
            "revoked_at": None,
        }
        for login in wanted
    ]
    for start in range(0, len(rows), 2_000):
        await (await session.connection()).execute(insert(AuthSession), rows[start : start + 2_000])
    await session.commit()
    return tokens, ids


# --- the app under test -------------------------------------------------------------------------


@dataclass
class Server:
    """A running server of the app (or a baseline) on 127.0.0.1."""

    child: Child
    port: int

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://{HOST}:{self.port}"

    @property
    def pid(self) -> int:
        """The server's process id."""
        return self.child.pid

    def cpu_seconds(self) -> float:
        """CPU seconds of the server (and its workers) so far."""
        return self.child.cpu_seconds()


@contextlib.contextmanager
def app_server(
    school: School,
    *,
    broker_url: str = "memory://",
    workers: int = 1,
    counting: bool = False,
    log_dir: Path | None = None,
    name: str = "app",
) -> Iterator[Server]:
    """Serve ``school`` with ``eschool serve`` (or the SQL-counting wrapper of
    :mod:`bench.counting_app`) on a free port; stopped when the block ends.

    With ``ESCHOOL_BENCH_PROFILE=<dir>`` a one-worker server runs under cProfile and leaves
    ``<dir>/<name>-<port>.prof`` behind (read it with ``python -m pstats``)."""
    port = free_port()
    if counting:
        args = ["-m", "bench.counting_app", "--port", str(port)]
    else:
        args = ["-m", "eschool.cli", "serve", "--port", str(port)]
        if workers > 1:
            args += ["--workers", str(workers)]
    profile_dir = os.environ.get("ESCHOOL_BENCH_PROFILE")
    if profile_dir and workers == 1:
        Path(profile_dir).mkdir(parents=True, exist_ok=True)
        profile = Path(profile_dir).resolve() / f"{name}-{port}.prof"
        args = ["-m", "bench.profile_server", str(profile), *args[1:]]
    args = [sys.executable, *args]
    log_path = (log_dir or school.data_dir) / f"{name}-{port}.log"
    child = start_child(name, args, log_path=log_path, env=school.env(broker_url))
    try:
        wait_http(f"http://{HOST}:{port}/healthz", child)
        yield Server(child, port)
    finally:
        child.stop()


@contextlib.contextmanager
def baseline_server(*, log_dir: Path, name: str = "baseline") -> Iterator[Server]:
    """The bare ``websockets`` broadcast server of :mod:`bench.baseline_ws` on a free port."""
    port = free_port()
    args = [sys.executable, "-m", "bench.baseline_ws", "--port", str(port)]
    child = start_child(name, args, log_path=log_dir / f"{name}-{port}.log")
    try:
        wait_port(port, child)
        yield Server(child, port)
    finally:
        child.stop()
