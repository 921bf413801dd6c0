"""The OneRoster 1.1 results export: a term's marks as ``categories.csv``, ``lineItems.csv``
and ``results.csv`` with a ``manifest.csv``, zipped.

One line item per lesson (slot) and work type that has marks: what a OneRoster consumer's
gradebook shows as one assignment column. sourcedIds are stable: the imported one where a
record came from an import (classes, students, terms), ``eschool-…-<id>`` otherwise.
"""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.access import require_role
from eschool.errors import NotFound
from eschool.i18n import gettext as _
from eschool.models import Role, Term, User
from eschool.timeutil import iso
from gradebook.models import Course, Mark, Slot, Subject
from gradebook.queries import work_types_of_school
from gradebook.rosters.models import RosterSource
from gradebook.scales import SCALES, get_scale

RESULT_FILES = ("categories.csv", "lineItems.csv", "results.csv")
HEADERS = {
    "categories.csv": ("sourcedId", "status", "dateLastModified", "title"),
    "lineItems.csv": (
        "sourcedId",
        "status",
        "dateLastModified",
        "title",
        "description",
        "assignDate",
        "dueDate",
        "classSourcedId",
        "categorySourcedId",
        "gradingPeriodSourcedId",
        "resultValueMin",
        "resultValueMax",
    ),
    "results.csv": (
        "sourcedId",
        "status",
        "dateLastModified",
        "lineItemSourcedId",
        "studentSourcedId",
        "scoreStatus",
        "score",
        "scoreDate",
        "comment",
        "metadata.eschool.value",
    ),
}
ALL_FILES = (
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
)


def category_id(code: str) -> str:
    """The sourcedId of a work type."""
    return f"eschool-category-{code}"


def line_item_id(slot_id: int, work_type: str) -> str:
    """The sourcedId of a lesson's marks of one work type."""
    return f"eschool-lineitem-{slot_id}-{work_type}"


def mark_id(mark: int) -> str:
    """The sourcedId of a mark."""
    return f"eschool-mark-{mark}"


async def _sourced(session: AsyncSession, school_id: int, kind: str) -> dict[int, str]:
    rows = await session.exec(
        select(RosterSource.local_id, RosterSource.sourced_id)
        .where(RosterSource.school_id == school_id, RosterSource.kind == kind)
        .order_by(col(RosterSource.active), col(RosterSource.id))  # an active mapping wins
    )
    return dict(rows.all())


def _csv(header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


async def results_zip(session: AsyncSession, *, actor: User, term_id: int) -> tuple[str, bytes]:
    """The file name and the bytes of the term's results export (admin)."""
    require_role(actor, Role.admin)
    school_id = actor.school_id
    term = await session.get(Term, term_id)
    if term is None or term.school_id != school_id:
        raise NotFound(_("No such term."))
    users = await _sourced(session, school_id, "user")
    classes = await _sourced(session, school_id, "class.scheduled")
    terms = await _sourced(session, school_id, "session.term")
    kinds = await work_types_of_school(session, school_id=school_id)
    rows = (
        await session.exec(
            select(Mark, Slot, Course, Subject)
            .join(Slot, col(Slot.id) == Mark.slot_id)
            .join(Course, col(Course.id) == Slot.course_id)
            .join(Subject, col(Subject.id) == Course.subject_id)
            .where(
                Mark.school_id == school_id, Slot.term_id == term_id, col(Mark.deleted_at).is_(None)
            )
            .order_by(
                col(Slot.date),
                col(Slot.period),
                col(Slot.id),
                col(Mark.work_type),
                col(Mark.pupil_id),
                col(Mark.id),
            )
        )
    ).all()
    names = {k.code: k.name for k in kinds}
    categories = [(category_id(k.code), "", "", k.name) for k in kinds]
    for code in sorted({m.work_type for m, *_rest in rows} - set(names)):
        categories.append((category_id(code), "", "", code))
    grading_period = terms.get(term_id, f"eschool-term-{term_id}")
    items: dict[str, tuple[Any, ...]] = {}
    results: list[tuple[Any, ...]] = []
    for mark, slot, course, subject in rows:
        item = line_item_id(slot.id or 0, mark.work_type)
        scale = get_scale(course.scale) if course.scale in SCALES else None
        numbers = list(scale.numbers.values()) if scale is not None and scale.integer_input else []
        if item not in items:
            title = f"{subject.name} {iso(slot.date)} · {names.get(mark.work_type, mark.work_type)}"
            items[item] = (
                item,
                "",
                "",
                title[:255],
                slot.topic[:255],
                iso(slot.date),
                iso(slot.date),
                classes.get(course.id or 0, f"eschool-course-{course.id}"),
                category_id(mark.work_type),
                grading_period,
                _number(min(numbers)) if numbers else "",
                _number(max(numbers)) if numbers else "",
            )
        score = scale.numeric(mark.value) if scale is not None and scale.integer_input else None
        results.append(
            (
                mark_id(mark.id or 0),
                "",
                "",
                item,
                users.get(mark.pupil_id, f"eschool-user-{mark.pupil_id}"),
                "fully graded",
                _number(score),
                iso(mark.created_at.date()),
                mark.comment or "",
                mark.value,
            )
        )
    manifest = [("manifest.version", "1.0"), ("oneroster.version", "1.1")]
    for name in ALL_FILES:
        manifest.append((f"file.{name}", "bulk" if f"{name}.csv" in RESULT_FILES else "absent"))
    manifest += [("source.systemName", "eschool"), ("source.systemCode", f"school-{school_id}")]
    files = {
        "manifest.csv": _csv(("propertyName", "value"), manifest),
        "categories.csv": _csv(HEADERS["categories.csv"], categories),
        "lineItems.csv": _csv(HEADERS["lineItems.csv"], list(items.values())),
        "results.csv": _csv(HEADERS["results.csv"], results),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return f"oneroster-results-term-{term_id}.zip", buffer.getvalue()
