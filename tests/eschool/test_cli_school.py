"""`eschool school add` / `school list` and `user add --school`, run as an operator would (in
this process, through the command's ``main``: that ``python -m eschool.cli`` starts it and
passes its exit status on is checked in ``test_cli``)."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from tests.eschool.cli_support import eschool_cli


def test_school_add_then_people_in_the_chosen_school(tmp_path: Path) -> None:
    first = eschool_cli(
        tmp_path, "school", "add", "--name", "Лицей № 2", "--admin-login", "l2.admin"
    )
    assert first.returncode == 0, first.stderr
    assert "l2.admin" in first.stdout
    password = re.search(r"^Password: (\S+)$", first.stdout, re.M)
    assert password and len(password.group(1)) >= 12
    assert first.stdout.count(password.group(1)) == 1  # printed once

    for args, message in (
        (("--name", "   ", "--admin-login", "x.admin"), "must not be empty"),
        (("--name", "Гимназия", "--admin-login", "l2.admin"), "is taken"),
        (("--name", "Лицей № 2", "--admin-login", "y.admin"), "exists already"),
        (("--name", "Гимназия", "--admin-login", "Not A Login"), "login"),
    ):
        refused = eschool_cli(tmp_path, "school", "add", *args)
        assert refused.returncode == 2, (args, refused.stderr)
        assert message in refused.stderr and "Traceback" not in refused.stderr

    # With one school, `user add` needs no --school.
    only = eschool_cli(
        tmp_path, "user", "add", "--login", "t.one", "--name", "T One", "--role", "teacher"
    )
    assert only.returncode == 0, only.stderr

    second = eschool_cli(
        tmp_path, "school", "add", "--name", "Gymnasium 9", "--admin-login", "g9.admin"
    )
    assert second.returncode == 0, second.stderr
    listed = eschool_cli(tmp_path, "school", "list").stdout.splitlines()
    assert [line.split("\t")[2] for line in listed] == ["Лицей № 2", "Gymnasium 9"]
    gymnasium_id = listed[1].split("\t")[0]

    ambiguous = eschool_cli(
        tmp_path, "user", "add", "--login", "t.two", "--name", "T", "--role", "teacher"
    )
    assert ambiguous.returncode == 2 and "--school" in ambiguous.stderr
    for ref, login in (
        (gymnasium_id, "t.two"),
        ("gymnasium 9", "t.three"),
        ("Лицей № 2", "t.four"),
    ):
        added = eschool_cli(
            tmp_path, "user", "add", "--login", login, "--name", "T", "--role", "teacher",
            "--school", ref,
        )  # fmt: skip
        assert added.returncode == 0, (ref, added.stderr)
    unknown = eschool_cli(
        tmp_path, "user", "add", "--login", "t.five", "--name", "T", "--role", "teacher",
        "--school", "Nowhere",
    )  # fmt: skip
    assert unknown.returncode == 2 and "no school" in unknown.stderr

    with sqlite3.connect(tmp_path / "eschool.db") as conn:
        rows = conn.execute(
            "SELECT users.login, schools.name FROM users JOIN schools ON schools.id = "
            "users.school_id ORDER BY users.id"
        ).fetchall()
    assert rows == [
        ("l2.admin", "Лицей № 2"),
        ("t.one", "Лицей № 2"),
        ("g9.admin", "Gymnasium 9"),
        ("t.two", "Gymnasium 9"),
        ("t.three", "Gymnasium 9"),
        ("t.four", "Лицей № 2"),
    ]
