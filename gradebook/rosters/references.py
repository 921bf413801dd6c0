"""Every sourcedId a OneRoster record points at must be in the upload or imported before;
agents link a student with a parent; a student is in one school class."""

from __future__ import annotations

from typing import Any

from gradebook.rosters.csv_reader import Problems
from gradebook.rosters.records import Known, Record, Roster

MISSING = {
    "org": "No org with sourcedId '{value}'.",
    "academic session": "No academic session with sourcedId '{value}'.",
    "course": "No course with sourcedId '{value}'.",
    "class": "No class with sourcedId '{value}'.",
    "user": "No user with sourcedId '{value}'.",
}


def check_references(roster: Roster, known: Known, problems: Problems) -> None:
    """Every sourcedId a record points at must be in the upload or imported before."""
    broken = {name: dict.fromkeys(ids, "") for name, ids in roster.ids.items()}
    orgs = known.orgs | set(broken.get("orgs.csv", {}))
    schools = [r for r in roster.of("orgs.csv") if r.data["type"] == "school" and not r.deleted]
    for extra in schools[1:]:
        problems.add("orgs.csv", extra.line, "type", "Only one school per upload: it is yours.")
    sessions = (
        dict(known.sessions)
        | broken.get("academicSessions.csv", {})
        | {r.sourced_id: r.data["type"] for r in roster.of("academicSessions.csv")}
    )
    courses = known.courses | set(broken.get("courses.csv", {}))
    classes = (
        dict(known.classes)
        | dict.fromkeys(broken.get("classes.csv", {}), ("", ""))
        | {r.sourced_id: (r.data["type"], r.data["name"]) for r in roster.of("classes.csv")}
    )
    users = dict(known.users) | broken.get("users.csv", {})
    users |= {r.sourced_id: r.data["role"] for r in roster.of("users.csv")}

    def need(record: Record, column: str, value: str, pool: Any, what: str) -> bool:
        if value and value not in pool:
            problems.add(
                record.file,
                record.line,
                column,
                MISSING[what],
                value=value,
            )
            return False
        return True

    for record in roster.of("orgs.csv"):
        need(record, "parentSourcedId", record.data["parent"], orgs, "org")
    parents = {r.sourced_id: r.data["parent"] for r in roster.of("academicSessions.csv")}
    for record in roster.of("academicSessions.csv"):
        if record.data["type"] == "schoolYear":
            continue
        if not record.data["parent"]:
            problems.add(
                record.file,
                record.line,
                "parentSourcedId",
                "A term needs the school year it belongs to.",
            )
        elif need(record, "parentSourcedId", record.data["parent"], sessions, "academic session"):
            chain, current = set(), record.data["parent"]
            while (
                current in parents
                and sessions.get(current) != "schoolYear"
                and current not in chain
            ):
                chain.add(current)
                current = parents[current]
            if sessions.get(current) != "schoolYear":
                problems.add(
                    record.file,
                    record.line,
                    "parentSourcedId",
                    "The session's parents never reach a school year.",
                )
    for record in roster.of("courses.csv"):
        need(record, "orgSourcedId", record.data["org"], orgs, "org")
        need(record, "schoolYearSourcedId", record.data["year"], sessions, "academic session")
    for record in roster.of("classes.csv"):
        need(record, "courseSourcedId", record.data["course"], courses, "course")
        need(record, "schoolSourcedId", record.data["school"], orgs, "org")
        for term in record.data["terms"]:
            need(record, "termSourcedIds", term, sessions, "academic session")
    for record in roster.of("users.csv"):
        for org in record.data["orgs"]:
            need(record, "orgSourcedIds", org, orgs, "org")
        for agent in record.data["agents"]:
            if need(record, "agentSourcedIds", agent, users, "user"):
                pair = {record.data["role"], users[agent]}
                if users[agent] and pair != {"pupil", "parent"}:
                    problems.add(
                        record.file,
                        record.line,
                        "agentSourcedIds",
                        "'{value}': agents link a student with a parent or guardian.",
                        value=agent,
                    )
    _check_enrollments(roster, problems, classes, users, orgs, need)


def _check_enrollments(
    roster: Roster, problems: Problems, classes: dict, users: dict, orgs: set, need: Any
) -> None:
    homes: dict[str, tuple[str, int]] = {}  # pupil → (class name, line of first enrolment)
    for record in roster.of("enrollments.csv"):
        need(record, "schoolSourcedId", record.data["school"], orgs, "org")
        ok = need(record, "classSourcedId", record.data["class"], classes, "class")
        ok = need(record, "userSourcedId", record.data["user"], users, "user") and ok
        if not ok:
            continue
        role, user_role = record.data["role"], users[record.data["user"]]
        if not user_role:
            continue  # the person's own line has the problem
        if role == "student" and user_role != "pupil":
            problems.add(
                record.file, record.line, "role", "Only a student is enrolled as a student."
            )
        elif role in ("teacher", "aide") and user_role not in ("teacher", "admin"):
            problems.add(record.file, record.line, "role", "Only staff teach a class.")
        elif role == "student" and not record.deleted:
            name = classes[record.data["class"]][1]
            first = homes.setdefault(record.data["user"], (name, record.line))
            if name and first[0] and first[0] != name:
                problems.add(
                    record.file,
                    record.line,
                    "classSourcedId",
                    "The student is in class {name} (line {other}); a pupil is in one class.",
                    name=first[0],
                    other=first[1],
                )
