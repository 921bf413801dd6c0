"""What the gradebook's route modules share: who is staff, today at school, the term asked for."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request

from eschool.models import Role
from eschool.queries import terms_of_school
from eschool.web import query_int

STAFF = (Role.admin, Role.teacher)


def today_of(request: Request) -> date:
    """Today in the school's time zone (`settings.timezone`)."""
    return datetime.now(ZoneInfo(request.app.state.settings.timezone)).date()


def term_param(request: Request) -> int | None:
    """The ``?term=`` asked for, or None for the current term."""
    return query_int(request, "term")


async def terms_of_year(session: Any, *, school_id: int, term_id: int) -> list[Any]:
    """The terms of the academic year that `term_id` belongs to."""
    terms = await terms_of_school(session, school_id=school_id)
    year = next((t.year_id for t in terms if t.id == term_id), None)
    return [t for t in terms if t.year_id == year]
