"""Running the ``eschool`` command in the test's own process, as ``python -m eschool.cli``
would run it, without starting Python and importing the app anew for each command (about a
second and a half each)."""

from __future__ import annotations

import concurrent.futures
import contextlib
import io
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from eschool.cli import main


def eschool_cli(
    data_dir: Path, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``eschool <args>`` with ``ESCHOOL_DATA_DIR=data_dir`` (and no database URL, so SQLite in
    it) through :func:`eschool.cli.main`: its exit status (argparse's ``SystemExit`` included),
    its standard output and its error output, as a finished process would give them. It runs in
    a worker thread, so that its ``asyncio.run`` works even while a test's event loop runs here;
    the logging set up by ``main`` is undone afterwards."""
    out, err = io.StringIO(), io.StringIO()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    with (
        pytest.MonkeyPatch.context() as env,
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool,
    ):
        env.setenv("ESCHOOL_DATA_DIR", str(data_dir))
        env.delenv("ESCHOOL_DATABASE_URL", raising=False)
        env.setattr(sys, "stdin", io.StringIO(stdin or ""))
        try:
            status = pool.submit(_exit_status, list(args)).result()
        finally:
            root.handlers[:] = handlers
            root.setLevel(level)
    return subprocess.CompletedProcess(
        ["eschool", *args], status, stdout=out.getvalue(), stderr=err.getvalue()
    )


def _exit_status(argv: list[str]) -> int:
    """What ``sys.exit(main(argv))`` would exit with."""
    try:
        return main(argv)
    except SystemExit as exit_:
        code = exit_.code
        return 0 if code is None else code if isinstance(code, int) else 1
