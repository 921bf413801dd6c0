"""Browser-test support: a real demo server in a subprocess and Debian's Chromium.

Used by every package's browser tests through the fixtures in ``tests/conftest.py``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]
OUTPUT_ROOT = Path(__file__).resolve().parent.parent / "test-output"


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def require_chromium() -> None:
    """Skip (or, in CI, fail) when Debian's Chromium is not installed."""
    if Path(CHROMIUM).exists():
        return
    message = f"{CHROMIUM} not found: install Debian's chromium package for browser tests"
    if os.environ.get("ESCHOOL_REQUIRE_BROWSER"):
        pytest.fail(message)
    pytest.skip(message)


def wait_healthy(base_url: str, process: subprocess.Popen, timeout: float = 120) -> None:
    """Wait until the server answers /healthz."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not become healthy")


@contextmanager
def demo_server(data_dir: Path, *, env: dict[str, str] | None = None) -> Iterator[str]:
    """``eschool demo`` on a free port with its own data dir; yields the base URL."""
    port = free_port()
    log = (data_dir / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "eschool.cli", "demo", "--port", str(port)],
        env={
            **os.environ,
            "ESCHOOL_DATA_DIR": str(data_dir),
            "ESCHOOL_DATABASE_URL": "",
            **(env or {}),
        },
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base_url, process)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def output_dir(node_name: str) -> Path:
    """The folder for one test's screenshots: ``test-output/<test name>/``."""
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in node_name)
    folder = OUTPUT_ROOT / safe
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def sign_in(
    page, base_url: str, login: str, password: str = "demo", *, lang: str | None = None
) -> None:
    """Sign in through the login form like a person would; with ``lang``, then choose that
    language in the page's switcher (a signed-in person's choice is stored with them, and the
    demo server is shared: another test may have left a different one)."""
    page.goto(f"{base_url}/login")
    page.fill("#login", login)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    if lang is not None and page.evaluate("document.documentElement.lang") != lang:
        with page.expect_navigation():  # the switcher may be folded in a phone's menu
            page.evaluate(
                "(lang) => { const s = document.getElementById('lang-select');"
                " s.value = lang; s.form.submit(); }",
                lang,
            )
