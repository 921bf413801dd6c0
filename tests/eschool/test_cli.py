"""The ``eschool`` command line, run as a newcomer would run it: as ``python -m eschool.cli``
where the process matters (its exit status, what reaches its error output), else in this
process through the command's ``main`` (the same code, without a second and a half of start-up
for each command)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.eschool.cli_support import eschool_cli


def _process(data_dir: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "ESCHOOL_DATA_DIR": str(data_dir)}
    env.pop("ESCHOOL_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "eschool.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        input=stdin,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("cli")
    first = eschool_cli(data_dir, "demo", "--seed-only")
    assert first.returncode == 0, first.stderr
    assert "teacher" in first.stdout
    assert "password: demo" in first.stdout
    return data_dir


def test_demo_seed_is_idempotent(seeded: Path) -> None:
    db = seeded / "eschool.db"
    with sqlite3.connect(db) as conn:
        before = {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # noqa: S608
            for t in ("schools", "users", "classes", "enrolments", "terms")
        }
    second = eschool_cli(seeded, "demo", "--seed-only")
    assert second.returncode == 0, second.stderr
    with sqlite3.connect(db) as conn:
        after = {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # noqa: S608
            for t in before
        }
        pupils = dict(
            conn.execute(
                "SELECT c.name, count(*) FROM enrolments e JOIN classes c ON c.id = e.class_id "
                "GROUP BY c.name"
            ).fetchall()
        )
    assert before == after
    assert after["schools"] == 1
    assert pupils["7A"] >= 25
    assert pupils["7B"] >= 25


def test_user_add_prints_a_generated_password(seeded: Path) -> None:
    result = eschool_cli(
        seeded,
        "user",
        "add",
        "--login",
        "m.orlova",
        "--name",
        "Мария Орлова",
        "--role",
        "pupil",
        "--class",
        "7A",
    )
    assert result.returncode == 0, result.stderr
    assert "Password: " in result.stdout
    again = eschool_cli(
        seeded, "user", "add", "--login", "m.orlova", "--name", "X", "--role", "pupil"
    )
    assert again.returncode == 2
    assert "taken" in again.stderr


def test_user_add_refuses_bad_input_clearly(seeded: Path) -> None:
    result = _process(
        seeded, "user", "add", "--login", "BAD LOGIN", "--name", "X", "--role", "teacher"
    )
    assert result.returncode == 2
    assert "login" in result.stderr
    assert "Traceback" not in result.stderr


def test_user_passwd_sets_a_password(seeded: Path) -> None:
    result = eschool_cli(
        seeded, "user", "passwd", "--login", "teacher2", "--password", "new-secret-1"
    )
    assert result.returncode == 0, result.stderr
    generated = eschool_cli(seeded, "user", "passwd", "--login", "teacher2")
    assert "Password: " in generated.stdout
    missing = eschool_cli(seeded, "user", "passwd", "--login", "nobody")
    assert missing.returncode == 2


def test_help_explains_the_commands(tmp_path: Path) -> None:
    result = _process(tmp_path, "--help")
    assert result.returncode == 0
    for word in ("serve", "init", "demo", "user", "ESCHOOL_DATABASE_URL"):
        assert word in result.stdout


def test_init_creates_the_database(tmp_path: Path) -> None:
    result = eschool_cli(tmp_path, "init")
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(tmp_path / "eschool.db") as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert {"users", "schools", "classes", "terms", "alembic_version"} <= tables


def test_log_lines_read_as_loggings_own_across_seconds() -> None:
    import logging

    from eschool.cli import _LogFormatter

    line = "%(asctime)s %(levelname)s %(name)s %(message)s"
    ours, theirs = _LogFormatter(line), logging.Formatter(line)
    # The same second twice (its stamp made once), the next one, and a minute later.
    for created in (1_790_000_000.123, 1_790_000_000.987, 1_790_000_001.004, 1_790_000_060.5):
        record = logging.LogRecord(
            "eschool.access", logging.INFO, __file__, 1, "GET %s", ("/",), None
        )
        record.created, record.msecs = created, (created - int(created)) * 1000
        assert ours.format(record) == theirs.format(record)
