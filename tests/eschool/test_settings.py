"""The typed settings of live lessons and the purge: read from ``ESCHOOL_*`` variables, each
checked at start-up with an error that names the variable."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

from eschool.settings import Settings


def test_the_tunables_are_read_from_their_variables() -> None:
    env = {
        "ESCHOOL_LIVE_OUTBOX_SIZE": "64",
        "ESCHOOL_LIVE_PRESENCE_TICK": "0.5",
        "ESCHOOL_LIVE_IDLE_SECONDS": "90",
        "ESCHOOL_LIVE_RATE_PER_SECOND": "5",
        "ESCHOOL_LIVE_RATE_BURST": "12",
        "ESCHOOL_LIVE_PING_SECONDS": "30",
        "ESCHOOL_PURGE_INTERVAL_SECONDS": "600",
    }
    settings = Settings.from_env(env)
    assert settings.live_outbox_size == 64
    assert isinstance(settings.live_outbox_size, int)
    assert settings.live_presence_tick == 0.5
    assert settings.live_idle_seconds == 90
    assert (settings.live_rate_per_second, settings.live_rate_burst) == (5, 12)
    assert settings.live_ping_seconds == 30
    assert settings.purge_interval_seconds == 600
    defaults = Settings.from_env({"ESCHOOL_LIVE_OUTBOX_SIZE": " "})
    assert defaults.live_outbox_size == Settings.live_outbox_size
    assert defaults.purge_interval_seconds == Settings.purge_interval_seconds


@pytest.mark.parametrize(
    ("variable", "raw"),
    [
        ("ESCHOOL_LIVE_OUTBOX_SIZE", "0"),
        ("ESCHOOL_LIVE_OUTBOX_SIZE", "12.5"),
        ("ESCHOOL_LIVE_OUTBOX_SIZE", "many"),
        ("ESCHOOL_LIVE_PRESENCE_TICK", "-1"),
        ("ESCHOOL_LIVE_IDLE_SECONDS", "inf"),
        ("ESCHOOL_LIVE_RATE_PER_SECOND", "nan"),
        ("ESCHOOL_LIVE_RATE_BURST", "0.5"),
        ("ESCHOOL_LIVE_PING_SECONDS", "0"),
        ("ESCHOOL_PURGE_INTERVAL_SECONDS", "1e9"),
    ],
)
def test_a_bad_value_is_refused_naming_its_variable(variable: str, raw: str) -> None:
    with pytest.raises(ValueError, match=variable):
        Settings.from_env({variable: raw})


def test_a_ping_slower_than_the_idle_limit_is_refused(tmp_path: Path) -> None:
    env = {"ESCHOOL_LIVE_IDLE_SECONDS": "10", "ESCHOOL_LIVE_PING_SECONDS": "10"}
    with pytest.raises(ValueError, match=r"ESCHOOL_LIVE_PING_SECONDS.*ESCHOOL_LIVE_IDLE_SECONDS"):
        Settings.from_env(env)
    built = Settings(data_dir=tmp_path, database_url="sqlite+aiosqlite://")
    with pytest.raises(ValueError, match="ESCHOOL_LIVE_OUTBOX_SIZE"):
        dataclasses.replace(built, live_outbox_size=3)


def test_the_server_refuses_to_start_with_a_bad_outbox_size(tmp_path: Path) -> None:
    env = {**os.environ, "ESCHOOL_DATA_DIR": str(tmp_path), "ESCHOOL_LIVE_OUTBOX_SIZE": "-5"}
    env.pop("ESCHOOL_DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "eschool.cli", "serve", "--port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "ESCHOOL_LIVE_OUTBOX_SIZE" in done.stderr
    assert not (tmp_path / "eschool.db").exists()  # stopped before anything was made
