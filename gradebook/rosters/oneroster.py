"""OneRoster 1.1 CSV: the files, their columns, and every row parsed and checked.

:func:`parse_roster` turns the members of an uploaded zip into a :class:`Roster` of plain
records, collecting every problem (``{"file","line","column","message"}``) instead of
stopping at the first. References may point at records of the same upload or at records
an earlier import brought in (``Known``), which is what a delta upload relies on.
Nothing here touches the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from eschool.models import LOGIN_PATTERN
from gradebook.rosters.csv_reader import ZIP_FILE, Problems, Row, Table, read_csv
from gradebook.rosters.records import Known, Record, Roster, class_name_of, login_of, split_list
from gradebook.rosters.references import check_references

MANIFEST = "manifest.csv"
# The files this import reads, in the order their records depend on each other.
ROSTER_FILES = (
    "orgs.csv",
    "academicSessions.csv",
    "courses.csv",
    "classes.csv",
    "users.csv",
    "enrollments.csv",
)
OTHER_FILES = (
    "demographics.csv",  # read by nobody here: personal data the journal does not need
    "categories.csv",
    "classResources.csv",
    "courseResources.csv",
    "lineItems.csv",
    "resources.csv",
    "results.csv",
)
BASE_COLUMNS = ("sourcedId", "status", "dateLastModified")
# The columns of the OneRoster 1.1 CSV binding, in the spec's order; those a file must have.
COLUMNS: dict[str, tuple[str, ...]] = {
    "orgs.csv": (*BASE_COLUMNS, "name", "type", "identifier", "parentSourcedId"),
    "academicSessions.csv": (
        *BASE_COLUMNS,
        "title",
        "type",
        "startDate",
        "endDate",
        "parentSourcedId",
        "schoolYear",
    ),
    "courses.csv": (
        *BASE_COLUMNS,
        "schoolYearSourcedId",
        "title",
        "courseCode",
        "grades",
        "orgSourcedId",
        "subjects",
        "subjectCodes",
    ),
    "classes.csv": (
        *BASE_COLUMNS,
        "title",
        "grades",
        "courseSourcedId",
        "classCode",
        "classType",
        "location",
        "schoolSourcedId",
        "termSourcedIds",
        "subjects",
        "subjectCodes",
        "periods",
    ),
    "users.csv": (
        *BASE_COLUMNS,
        "enabledUser",
        "orgSourcedIds",
        "role",
        "username",
        "userIds",
        "givenName",
        "familyName",
        "middleName",
        "identifier",
        "email",
        "sms",
        "phone",
        "agentSourcedIds",
        "grades",
        "password",
    ),
    "enrollments.csv": (
        *BASE_COLUMNS,
        "classSourcedId",
        "schoolSourcedId",
        "userSourcedId",
        "role",
        "primary",
        "beginDate",
        "endDate",
    ),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "orgs.csv": ("sourcedId", "name", "type"),
    "academicSessions.csv": ("sourcedId", "title", "type", "startDate", "endDate"),
    "courses.csv": ("sourcedId", "title", "orgSourcedId"),
    "classes.csv": ("sourcedId", "title", "courseSourcedId", "classType", "schoolSourcedId"),
    "users.csv": ("sourcedId", "role", "username", "givenName", "familyName"),
    "enrollments.csv": ("sourcedId", "classSourcedId", "userSourcedId", "role"),
}
ORG_TYPES = {"department", "school", "district", "local", "state", "national"}
SESSION_TYPES = {"schoolYear", "term", "semester", "gradingPeriod"}
CLASS_TYPES = {"homeroom", "scheduled"}
# OneRoster role → eschool role
USER_ROLES = {
    "student": "pupil",
    "teacher": "teacher",
    "aide": "teacher",
    "proctor": "teacher",
    "administrator": "admin",
    "parent": "parent",
    "guardian": "parent",
    "relative": "parent",
}
ENROLLMENT_ROLES = {"student", "teacher", "aide", "administrator", "proctor"}
MODES = {"bulk", "delta", "absent"}
_LOGIN = re.compile(LOGIN_PATTERN)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _manifest(contents: dict[str, bytes], problems: Problems) -> dict[str, str] | None:
    if MANIFEST not in contents:
        problems.add(MANIFEST, None, None, "The archive has no manifest.csv.")
        return None
    table = read_csv(MANIFEST, contents[MANIFEST], problems, required=("propertyName", "value"))
    if table is None or "propertyName" not in table.header or "value" not in table.header:
        return None
    properties: dict[str, tuple[str, int]] = {}
    for row in table.rows:
        properties[row.get("propertyName")] = (row.get("value"), row.line)
    version, line = properties.get("oneroster.version", ("", None))
    if version != "1.1":
        problems.add(MANIFEST, line, "value", "oneroster.version must be 1.1.")
    modes: dict[str, str] = {}
    for name in (*ROSTER_FILES, *OTHER_FILES):
        mode, line = properties.get("file." + name.removesuffix(".csv"), ("absent", None))
        if mode not in MODES:
            problems.add(
                MANIFEST,
                line,
                "value",
                "file.{name} must be bulk, delta or absent.",
                name=name[:-4],
            )
            continue
        if mode != "absent" and name not in contents:
            problems.add(
                name,
                None,
                None,
                "The manifest lists {name} as {mode}; it is missing.",
                name=name,
                mode=mode,
            )
        elif mode == "absent" and name in contents:
            problems.add(
                MANIFEST, line, "value", "{name} is in the archive but marked absent.", name=name
            )
        modes[name] = mode
    if not any(modes.get(name, "absent") != "absent" for name in ROSTER_FILES):
        problems.add(MANIFEST, None, None, "The manifest lists none of the roster files.")
    return modes


@dataclass
class _Checker:
    """Checks the rows of one file, reporting each problem at its line and column."""

    table: Table
    delta: bool
    problems: Problems
    ok: bool = True

    def bad(self, row: Row, column: str | None, message: str, **values: Any) -> None:
        self.problems.add(self.table.name, row.line, column, message, **values)
        self.ok = False

    def base(self, row: Row, seen: set[str]) -> tuple[str, bool]:
        """The sourcedId and whether the row is to be deleted (a problem is reported when
        the row is unusable: ``ok`` is then False)."""
        self.ok = True
        sourced_id = row.get("sourcedId")
        if not sourced_id:
            self.bad(row, "sourcedId", "sourcedId is required.")
        elif len(sourced_id) > 255:
            self.bad(row, "sourcedId", "sourcedId is longer than 255 characters.")
        elif sourced_id in seen:
            self.bad(
                row,
                "sourcedId",
                "The sourcedId '{value}' appears twice in this file.",
                value=sourced_id,
            )
        seen.add(sourced_id)
        status = row.get("status").lower()
        if status not in ("", "active", "tobedeleted", "inactive"):
            self.bad(row, "status", "status must be active or tobedeleted.")
        elif self.delta and not status:
            self.bad(row, "status", "A delta file needs a status on every line.")
        modified = row.get("dateLastModified")
        if modified and _datetime(modified) is None:
            self.bad(row, "dateLastModified", "dateLastModified is not an ISO 8601 date and time.")
        elif self.delta and not modified:
            self.bad(row, "dateLastModified", "A delta file needs dateLastModified on every line.")
        return sourced_id, status in ("tobedeleted", "inactive")

    def required(self, row: Row, *columns: str) -> None:
        for column in columns:
            if not row.get(column):
                self.bad(row, column, "{field} is required.", field=column)

    def date(self, row: Row, column: str, *, required: bool = False) -> date | None:
        value = row.get(column)
        if not value:
            if required:
                self.bad(row, column, "{field} is required.", field=column)
            return None
        parsed = _date(value)
        if parsed is None:
            self.bad(row, column, "{field} must be a date like 2026-09-01.", field=column)
        return parsed

    def boolean(self, row: Row, column: str) -> bool | None:
        value = row.get(column).lower()
        if value in ("", "true", "false"):
            return None if not value else value == "true"
        self.bad(row, column, "{field} must be true or false.", field=column)
        return None

    def one_of(self, row: Row, column: str, allowed: set[str] | dict[str, str]) -> str:
        value = row.get(column)
        if value and value not in allowed:
            self.bad(
                row,
                column,
                "Unknown {field} '{value}'; allowed: {allowed}.",
                field=column,
                value=value,
                allowed=", ".join(sorted(allowed)),
            )
        return value


def _date(value: str) -> date | None:
    if not _DATE.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _datetime(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def parse_roster(contents: dict[str, bytes], problems: Problems, known: Known) -> Roster:
    """Read the manifest and every roster file it lists; check every row and reference."""
    modes = _manifest(contents, problems)
    roster = Roster(modes=modes or {})
    if modes is None:
        return roster
    tables: dict[str, Table] = {}
    unreadable = False  # a file without its header: its rows and references are not checked
    for name in ROSTER_FILES:
        if modes.get(name, "absent") == "absent" or name not in contents:
            continue
        table = read_csv(name, contents[name], problems, required=REQUIRED[name])
        if table is None or not set(REQUIRED[name]) <= set(table.header):
            unreadable = True
            continue
        tables[name] = table
    for name, table in tables.items():
        roster.ids[name] = {row.get("sourcedId") for row in table.rows}
        roster.records[name] = _PARSERS[name](_Checker(table, modes[name] == "delta", problems))
    if not unreadable:
        check_references(roster, known, problems)
    return roster


def _orgs(check: _Checker) -> list[Record]:
    records: list[Record] = []
    seen: set[str] = set()
    for row in check.table.rows:
        sourced_id, deleted = check.base(row, seen)
        check.required(row, "name", "type")
        org_type = check.one_of(row, "type", ORG_TYPES)
        data = {
            "name": row.get("name")[:200],
            "type": org_type,
            "parent": row.get("parentSourcedId"),
        }
        if check.ok:
            records.append(Record(check.table.name, row.line, sourced_id, deleted, data))
    return records


def _sessions(check: _Checker) -> list[Record]:
    records: list[Record] = []
    seen: set[str] = set()
    for row in check.table.rows:
        sourced_id, deleted = check.base(row, seen)
        check.required(row, "title", "type")
        kind = check.one_of(row, "type", SESSION_TYPES)
        starts = check.date(row, "startDate", required=True)
        ends = check.date(row, "endDate", required=True)
        if starts and ends and ends < starts:
            check.bad(row, "endDate", "endDate is before startDate.")
        year = row.get("schoolYear")
        if year and not re.fullmatch(r"\d{4}", year):
            check.bad(row, "schoolYear", "schoolYear must be a year like 2027.")
        if kind == "schoolYear" and len(row.get("title")) > 32:
            check.bad(row, "title", "A school year's title may have at most 32 characters.")
        data = {
            "title": row.get("title")[:64],
            "type": kind,
            "starts": starts,
            "ends": ends,
            "parent": row.get("parentSourcedId"),
        }
        if check.ok:
            records.append(Record(check.table.name, row.line, sourced_id, deleted, data))
    return records


def _courses(check: _Checker) -> list[Record]:
    records: list[Record] = []
    seen: set[str] = set()
    for row in check.table.rows:
        sourced_id, deleted = check.base(row, seen)
        check.required(row, "title", "orgSourcedId")
        subjects = split_list(row.get("subjects"))
        codes = split_list(row.get("subjectCodes"))
        name = " ".join((subjects[0] if subjects else row.get("title")).split())[:100]
        data = {
            "subject": name,
            "short_name": (codes[0] if codes else "")[:32],
            "org": row.get("orgSourcedId"),
            "year": row.get("schoolYearSourcedId"),
        }
        if check.ok:
            records.append(Record(check.table.name, row.line, sourced_id, deleted, data))
    return records


def _classes(check: _Checker) -> list[Record]:
    records: list[Record] = []
    seen: set[str] = set()
    for row in check.table.rows:
        sourced_id, deleted = check.base(row, seen)
        check.required(row, "title", "courseSourcedId", "classType", "schoolSourcedId")
        class_type = check.one_of(row, "classType", CLASS_TYPES)
        name = class_name_of(row.get("classCode"), row.get("title"))
        if name is None:
            column = "classCode" if row.get("classCode") else "title"
            check.bad(row, column, "Neither classCode nor title starts with a class name like 7A.")
        grades = split_list(row.get("grades"))
        if name and grades:
            grade = grades[0].lstrip("0")
            if grade.isdigit() and int(grade) != int(re.match(r"\d+", name).group()):  # type: ignore[union-attr]
                check.bad(
                    row,
                    "grades",
                    "Class {name} is not in grade {grade}.",
                    name=name,
                    grade=grades[0],
                )
        data = {
            "type": class_type,
            "name": name,
            "course": row.get("courseSourcedId"),
            "school": row.get("schoolSourcedId"),
            "terms": split_list(row.get("termSourcedIds")),
        }
        if check.ok:
            records.append(Record(check.table.name, row.line, sourced_id, deleted, data))
    return records


def _users(check: _Checker) -> list[Record]:
    records: list[Record] = []
    seen: set[str] = set()
    logins: dict[str, int] = {}
    for row in check.table.rows:
        sourced_id, deleted = check.base(row, seen)
        check.required(row, "role", "username")
        role = check.one_of(row, "role", USER_ROLES)
        login = login_of(row.get("username"))
        if login and not _LOGIN.match(login):
            check.bad(
                row, "username", "username must be 2-64 letters a-z, digits, '.', '_' or '-'."
            )
        elif login in logins:
            check.bad(row, "username", "The username is also on line {other}.", other=logins[login])
        logins.setdefault(login, row.line)
        parts = [row.get("familyName"), row.get("givenName"), row.get("middleName")]
        name = " ".join(" ".join(parts).split())
        if not (row.get("familyName") or row.get("givenName")):
            check.bad(row, "givenName", "A person needs a givenName or a familyName.")
        email = row.get("email")
        if len(email) > 254:
            check.bad(row, "email", "email is longer than 254 characters.")
        enabled = check.boolean(row, "enabledUser")
        data = {
            "role": USER_ROLES.get(role, ""),
            "login": login,
            "name": name[:200],
            "email": email or None,
            "enabled": enabled is not False,
            "orgs": split_list(row.get("orgSourcedIds")),
            "agents": split_list(row.get("agentSourcedIds")),
        }
        if check.ok:
            records.append(Record(check.table.name, row.line, sourced_id, deleted, data))
    return records


def _enrollments(check: _Checker) -> list[Record]:
    records: list[Record] = []
    seen: set[str] = set()
    for row in check.table.rows:
        sourced_id, deleted = check.base(row, seen)
        check.required(row, "classSourcedId", "userSourcedId", "role")
        role = check.one_of(row, "role", ENROLLMENT_ROLES)
        begins = check.date(row, "beginDate")
        ends = check.date(row, "endDate")
        if begins and ends and ends < begins:
            check.bad(row, "endDate", "endDate is before beginDate.")
        primary = check.boolean(row, "primary")
        data = {
            "class": row.get("classSourcedId"),
            "user": row.get("userSourcedId"),
            "school": row.get("schoolSourcedId"),
            "role": role,
            "primary": bool(primary),
        }
        if check.ok:
            records.append(Record(check.table.name, row.line, sourced_id, deleted, data))
    return records


_PARSERS = {
    "orgs.csv": _orgs,
    "academicSessions.csv": _sessions,
    "courses.csv": _courses,
    "classes.csv": _classes,
    "users.csv": _users,
    "enrollments.csv": _enrollments,
}


__all__ = ["ZIP_FILE", "Known", "Record", "Roster", "parse_roster"]
