"""OneRoster 1.1 CSV sets built in memory, per the specification's CSV binding.

``realistic_set(today)``: one school org (under a district), the academic year containing
``today`` with two semesters of two grading periods each, six subject courses and a
homeroom course, six homerooms and 36 scheduled classes (6 subjects × 6 school classes),
1 administrator, 12 teachers, 150 students and 180 guardians/parents linked through
``agentSourcedIds`` from both sides, and 1,092 enrolments.
``small_set(today)``: the same shapes at a few rows each, for malformed-input tests.
``to_zip(files)``: the zip with its ``manifest.csv`` (CRLF, quoting as needed).
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date

from eschool.seed import academic_year_bounds
from eschool.services import split_year
from gradebook.rosters.oneroster import COLUMNS

Rows = list[dict[str, str]]
SUBJECTS = (
    ("math", "Mathematics", "MATH"),
    ("rus", "Russian language", "RUS"),
    ("eng", "English", "ENG"),
    ("hist", "History", "HIST"),
    ("bio", "Biology", "BIO"),
    ("phys", "Physics", "PHYS"),
)
CLASSES = ("5A", "5B", "6A", "6B", "7A", "7B")
GIVEN = ("Anna", "Boris", "Vera", "Gleb", "Darya", "Egor", "Zoya", "Ivan", "Kira", "Lev")
FAMILY = ("Ivanov", "Petrov", "Sidorov", "Smirnov", "Kuznetsov", "Popov", "Sokolov", "Orlov")


def sessions(today: date) -> Rows:
    """A school year, two semesters, four grading periods (the terms here)."""
    name, starts, ends = academic_year_bounds(today)
    rows = [_session("sy", name, "schoolYear", starts, ends, "", str(ends.year))]
    halves = split_year(starts, ends, 2)
    quarters = split_year(starts, ends, 4)
    for number, (first, last) in enumerate(halves, start=1):
        rows.append(
            _session(
                f"sem{number}", f"Semester {number}", "semester", first, last, "sy", str(ends.year)
            )
        )
    for number, (first, last) in enumerate(quarters, start=1):
        parent = "sem1" if number <= 2 else "sem2"
        rows.append(
            _session(
                f"q{number}",
                f"Quarter {number}",
                "gradingPeriod",
                first,
                last,
                parent,
                str(ends.year),
            )
        )
    return rows


def _session(
    sid: str, title: str, kind: str, first: date, last: date, parent: str, year: str
) -> dict[str, str]:
    return {
        "sourcedId": sid,
        "title": title,
        "type": kind,
        "startDate": first.isoformat(),
        "endDate": last.isoformat(),
        "parentSourcedId": parent,
        "schoolYear": year,
    }


def realistic_set(today: date, *, per_class: int = 25) -> dict[str, Rows]:
    """The big set (see the module's docstring)."""
    orgs = [
        {"sourcedId": "district", "name": "City district", "type": "district"},
        {
            "sourcedId": "org1",
            "name": "School No. 1\n(main building), Central",
            "type": "school",
            "identifier": "S-1",
            "parentSourcedId": "district",
        },
    ]
    courses = [
        {
            "sourcedId": "c-home",
            "title": "Homeroom",
            "courseCode": "HOME",
            "orgSourcedId": "org1",
            "schoolYearSourcedId": "sy",
        }
    ]
    for code, name, short in SUBJECTS:
        courses.append(
            {
                "sourcedId": f"c-{code}",
                "title": f"{name}, grades 5-7",
                "courseCode": short,
                "orgSourcedId": "org1",
                "subjects": name,
                "subjectCodes": short,
                "schoolYearSourcedId": "sy",
            }
        )
    users: Rows = [_user("adm", "administrator", "director", "Olga", "Mironova")]
    teachers = [
        _user(
            f"t{n}", "teacher", f"teacher{n}", GIVEN[n % len(GIVEN)], FAMILY[n % len(FAMILY)] + "a"
        )
        for n in range(12)
    ]
    users += teachers
    classes: Rows = []
    enrollments: Rows = []
    guardians: Rows = []
    for index, name in enumerate(CLASSES):
        grade = name[0].zfill(2)
        tutor = teachers[index]["sourcedId"]
        classes.append(
            {
                "sourcedId": f"k-{name}",
                "title": f"{name} homeroom",
                "grades": grade,
                "courseSourcedId": "c-home",
                "classCode": name,
                "classType": "homeroom",
                "schoolSourcedId": "org1",
                "termSourcedIds": "sy",
            }
        )
        enrollments.append(_enrol(f"e-{name}-tutor", f"k-{name}", tutor, "teacher", primary="true"))
        students = []
        for number in range(per_class):
            sid = f"s-{name}-{number:02d}"
            given, family = GIVEN[(index + number) % len(GIVEN)], FAMILY[number % len(FAMILY)]
            student = _user(
                sid, "student", f"{name.lower()}.{number:02d}", given, family, grades=grade
            )
            parent_ids = [f"g-{name}-{number:02d}"]
            if number % 5 == 0:
                parent_ids.append(f"g2-{name}-{number:02d}")
            student["agentSourcedIds"] = ",".join(parent_ids)
            for k, pid in enumerate(parent_ids):
                role = "parent" if k == 0 else "guardian"
                guardian = _user(
                    pid,
                    role,
                    f"p.{name.lower()}.{number:02d}{'' if k == 0 else '.b'}",
                    GIVEN[(number + 3) % len(GIVEN)],
                    family,
                )
                guardian["agentSourcedIds"] = sid
                guardians.append(guardian)
            students.append(student)
            enrollments.append(_enrol(f"e-{name}-home-{number:02d}", f"k-{name}", sid, "student"))
        users += students
        for s_index, (code, _subject, short) in enumerate(SUBJECTS):
            class_sid = f"k-{name}-{code}"
            terms = "sem1,sem2" if s_index % 2 else "q1,q2,q3,q4"
            classes.append(
                {
                    "sourcedId": class_sid,
                    "title": f"{name} {_subject}",
                    "grades": grade,
                    "courseSourcedId": f"c-{code}",
                    "classCode": f"{name}-{short}",
                    "classType": "scheduled",
                    "location": f"Room {10 + s_index}",
                    "schoolSourcedId": "org1",
                    "termSourcedIds": terms,
                    "periods": "1,2",
                }
            )
            teacher = teachers[(index + s_index * 2) % len(teachers)]["sourcedId"]
            enrollments.append(
                _enrol(f"e-{class_sid}-t", class_sid, teacher, "teacher", primary="true")
            )
            for student in students:
                enrollments.append(
                    _enrol(
                        f"e-{class_sid}-{student['sourcedId']}",
                        class_sid,
                        student["sourcedId"],
                        "student",
                    )
                )
    users += guardians
    return {
        "orgs.csv": orgs,
        "academicSessions.csv": sessions(today),
        "courses.csv": courses,
        "classes.csv": classes,
        "users.csv": users,
        "enrollments.csv": enrollments,
        "demographics.csv": [{"sourcedId": "s-5A-00", "birthDate": "2015-04-02", "sex": "female"}],
    }


def small_set(today: date) -> dict[str, Rows]:
    """Two school classes with a math course each, three students, two parents."""
    data = realistic_set(today, per_class=2)
    keep_classes = {"k-5A", "k-5B", "k-5A-math", "k-5B-math"}
    data["classes.csv"] = [c for c in data["classes.csv"] if c["sourcedId"] in keep_classes]
    data["courses.csv"] = [c for c in data["courses.csv"] if c["sourcedId"] in ("c-home", "c-math")]
    keep_users = {
        "adm",
        "t0",
        "t1",
        "s-5A-00",
        "s-5A-01",
        "s-5B-00",
        "g-5A-00",
        "g2-5A-00",
        "g-5A-01",
        "g-5B-00",
    }
    users = [u for u in data["users.csv"] if u["sourcedId"] in keep_users]
    for user in users:
        user["agentSourcedIds"] = ",".join(
            a for a in user.get("agentSourcedIds", "").split(",") if a in keep_users
        )
    data["users.csv"] = users
    data["enrollments.csv"] = [
        e
        for e in data["enrollments.csv"]
        if e["classSourcedId"] in keep_classes and e["userSourcedId"] in keep_users
    ]
    del data["demographics.csv"]
    return data


def _user(
    sid: str, role: str, username: str, given: str, family: str, *, grades: str = ""
) -> dict[str, str]:
    return {
        "sourcedId": sid,
        "enabledUser": "true",
        "orgSourcedIds": "org1",
        "role": role,
        "username": username,
        "givenName": given,
        "familyName": family,
        "grades": grades,
        "email": f"{username}@school.example" if role != "student" else "",
    }


def _enrol(sid: str, class_sid: str, user: str, role: str, *, primary: str = "") -> dict[str, str]:
    return {
        "sourcedId": sid,
        "classSourcedId": class_sid,
        "schoolSourcedId": "org1",
        "userSourcedId": user,
        "role": role,
        "primary": primary,
    }


def csv_bytes(
    name: str, rows: Rows, *, header: list[str] | None = None, bom: bool = False
) -> bytes:
    """One file: the spec's header (or ``header``), CRLF lines, quoting where needed."""
    columns = header or list(COLUMNS.get(name, ())) or sorted({k for row in rows for k in row})
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return ("\ufeff" if bom else "").encode() + out.getvalue().encode("utf-8")


def manifest(modes: dict[str, str]) -> bytes:
    """``manifest.csv``: the version and each file's mode (unlisted files are absent)."""
    rows = [("manifest.version", "1.0"), ("oneroster.version", "1.1")]
    for name in (
        "academicSessions",
        "categories",
        "classes",
        "classResources",
        "courses",
        "courseResources",
        "demographics",
        "enrollments",
        "lineItems",
        "orgs",
        "resources",
        "results",
        "users",
    ):
        rows.append((f"file.{name}", modes.get(f"{name}.csv", "absent")))
    rows += [("source.systemName", "tests"), ("source.systemCode", "tests")]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(("propertyName", "value"))
    writer.writerows(rows)
    return out.getvalue().encode()


def to_zip(
    files: dict[str, Rows],
    *,
    mode: str = "bulk",
    raw: dict[str, bytes] | None = None,
    manifest_bytes: bytes | None = None,
) -> bytes:
    """The zip of a set: ``users.csv`` with a BOM and its columns in another order than the
    spec's (the header names them); ``raw`` replaces or adds members byte for byte."""
    members: dict[str, bytes] = {}
    for name, rows in files.items():
        header = None
        if name == "users.csv":
            header = list(reversed(COLUMNS[name]))
        members[name] = csv_bytes(name, rows, header=header, bom=name == "users.csv")
    members.update(raw or {})
    modes = {name: mode for name in files}
    members["manifest.csv"] = manifest_bytes if manifest_bytes is not None else manifest(modes)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()
