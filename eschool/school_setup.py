"""Academic years and terms as the administrator sets them up: create and edit, validated.

A year spans at most 400 days and overlaps no other year of the school; a term lies inside
its year and overlaps none of the year's other terms. Terms are numbered by their start
date, so a term added before another moves it up a number. Gaps between terms are allowed
(one adds them one at a time) and shown on the page (`year_gaps`).

Errors name the field they are about (`details: [{"loc": [field], "message"}]`), so a page
can show them next to that field, like a request body's validation errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from pydantic import AliasChoices, field_validator
from pydantic import Field as WireField
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool import queries
from eschool.access import require_role
from eschool.errors import Conflict, Invalid, NotFound
from eschool.i18n import gettext as _
from eschool.models import (
    AcademicYear,
    DaySpanPublic,
    Role,
    School,
    Term,
    TermName,
    TermSystem,
    User,
    WireModel,
    YearName,
    YearPublic,
)
from eschool.services import TERM_COUNTS, TERM_NAMES, split_year
from eschool.timeutil import iso

YEAR_MAX_DAYS = 400


# --- wire models ---------------------------------------------------------------------------


def _name(value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(value.split())
    if not value:
        raise ValueError("must not be blank")
    return value


class YearCreate(WireModel):
    """A new year; `split` makes its terms at once (the school's own system when omitted,
    `none` for no terms)."""

    name: YearName
    starts: date = WireField(validation_alias=AliasChoices("starts", "start"))
    ends: date = WireField(validation_alias=AliasChoices("ends", "end"))
    split: str | None = WireField(default=None, max_length=16)

    _clean = field_validator("name")(_name)

    @field_validator("split")
    @classmethod
    def _known_split(cls, value: str | None) -> str | None:
        if value in (None, "", "none") or value in TERM_COUNTS:
            return value or None
        raise ValueError("must be quarters, trimesters, halves or none")


class YearUpdate(WireModel):
    """Only what is sent changes."""

    name: YearName | None = None
    starts: date | None = WireField(default=None, validation_alias=AliasChoices("starts", "start"))
    ends: date | None = WireField(default=None, validation_alias=AliasChoices("ends", "end"))

    _clean = field_validator("name")(_name)


class TermCreate(WireModel):
    year_id: int = WireField(ge=1, le=2**31 - 1)
    name: TermName
    starts: date = WireField(validation_alias=AliasChoices("starts", "start"))
    ends: date = WireField(validation_alias=AliasChoices("ends", "end"))

    _clean = field_validator("name")(_name)


class TermChange(WireModel):
    """Only what is sent changes; `closed` locks or reopens the term."""

    name: TermName | None = None
    starts: date | None = WireField(default=None, validation_alias=AliasChoices("starts", "start"))
    ends: date | None = WireField(default=None, validation_alias=AliasChoices("ends", "end"))
    closed: bool | None = None

    _clean = field_validator("name")(_name)


# --- wire forms ----------------------------------------------------------------------------


def year_public(year: AcademicYear, terms: Sequence[Term]) -> YearPublic:
    """A year with its own terms (of ``terms``) and the days none of them covers."""
    own = [t for t in terms if t.year_id == year.id]
    return YearPublic(
        id=year.id or 0,
        name=year.name,
        start=year.starts,
        end=year.ends,
        terms=[queries.term_public(t) for t in own],
        gaps=[DaySpanPublic(start=a, end=b) for a, b in year_gaps(year, own)],
    )


def year_gaps(year: AcademicYear, terms: Sequence[Term]) -> list[tuple[date, date]]:
    """The days of the year that no term covers, as inclusive ranges."""
    gaps: list[tuple[date, date]] = []
    cursor = year.starts
    for term in sorted(terms, key=lambda t: t.starts):
        if term.starts > cursor:
            gaps.append((cursor, term.starts - timedelta(days=1)))
        cursor = max(cursor, term.ends + timedelta(days=1))
    if cursor <= year.ends:
        gaps.append((cursor, year.ends))
    return gaps


# --- checks --------------------------------------------------------------------------------


def field_invalid(field: str, message: str, code: str = "invalid") -> Invalid:
    """A 422 about one field of the request, with `details` naming it."""
    return Invalid(message, code=code, details=[{"loc": [field], "message": message}])


def _check_span(starts: date, ends: date, *, what: str) -> None:
    if ends < starts:
        raise field_invalid("ends", _("The end must not be before the start."))
    if what == "year" and (ends - starts).days + 1 > YEAR_MAX_DAYS:
        raise field_invalid(
            "ends", _("An academic year lasts at most {days} days.", days=YEAR_MAX_DAYS)
        )


async def _year_of_school(session: AsyncSession, *, actor: User, year_id: int) -> AcademicYear:
    year = await session.get(AcademicYear, year_id)
    if year is None or year.school_id != actor.school_id:
        raise NotFound(_("No such academic year."))
    return year


async def _check_year_free(
    session: AsyncSession, *, actor: User, name: str, starts: date, ends: date, skip: int | None
) -> None:
    for other in await queries.years_of_school(session, school_id=actor.school_id):
        if other.id == skip:
            continue
        if other.name == name:
            raise Conflict(
                _("There is already an academic year named {name}.", name=name),
                details=[{"loc": ["name"], "message": _("This name is taken.")}],
            )
        if starts <= other.ends and other.starts <= ends:
            raise field_invalid(
                "starts", _("The dates overlap the academic year {name}.", name=other.name)
            )


def _check_term_place(
    year: AcademicYear, siblings: Sequence[Term], *, starts: date, ends: date
) -> None:
    _check_span(starts, ends, what="term")
    if starts < year.starts:
        raise field_invalid(
            "starts", _("A term starts on or after its year: {date}.", date=iso(year.starts))
        )
    if ends > year.ends:
        raise field_invalid(
            "ends", _("A term ends on or before its year: {date}.", date=iso(year.ends))
        )
    for other in siblings:
        if starts <= other.ends and other.starts <= ends:
            raise field_invalid(
                "starts", _("The dates overlap the term {name}.", name=_(other.name))
            )


async def _terms_of_year(session: AsyncSession, *, year_id: int) -> list[Term]:
    rows = await session.exec(
        select(Term).where(Term.year_id == year_id).order_by(col(Term.starts))
    )
    return list(rows.all())


def _renumber(terms: Sequence[Term]) -> None:
    for number, term in enumerate(sorted(terms, key=lambda t: t.starts), start=1):
        term.number = number


# --- services ------------------------------------------------------------------------------


async def year_add(session: AsyncSession, *, actor: User, data: YearCreate) -> AcademicYear:
    """A new academic year (admin), split into terms unless `split` is `none`."""
    require_role(actor, Role.admin)
    _check_span(data.starts, data.ends, what="year")
    await _check_year_free(
        session, actor=actor, name=data.name, starts=data.starts, ends=data.ends, skip=None
    )
    school = await session.get(School, actor.school_id)
    assert school is not None  # the actor's school exists
    system = data.split if data.split is not None else school.term_system
    if data.split is None and system not in TERM_COUNTS:
        system = TermSystem.quarters
    year = AcademicYear(
        school_id=actor.school_id, name=data.name, starts=data.starts, ends=data.ends
    )
    session.add(year)
    await session.flush()
    if system in TERM_COUNTS and data.ends > data.starts:
        count = TERM_COUNTS[TermSystem(system)]
        for number, (first, last) in enumerate(split_year(data.starts, data.ends, count), 1):
            session.add(
                Term(
                    school_id=actor.school_id,
                    year_id=year.id or 0,
                    number=number,
                    name=f"{TERM_NAMES[TermSystem(system)]} {number}",
                    starts=first,
                    ends=last,
                )
            )
    await session.commit()
    return year


async def year_change(
    session: AsyncSession, *, actor: User, year_id: int, data: YearUpdate
) -> AcademicYear:
    """Rename an academic year or move its dates (admin); its terms must stay inside."""
    require_role(actor, Role.admin)
    year = await _year_of_school(session, actor=actor, year_id=year_id)
    name = data.name or year.name
    starts, ends = data.starts or year.starts, data.ends or year.ends
    _check_span(starts, ends, what="year")
    await _check_year_free(session, actor=actor, name=name, starts=starts, ends=ends, skip=year.id)
    terms = await _terms_of_year(session, year_id=year.id or 0)
    if terms and starts > terms[0].starts:
        raise field_invalid(
            "starts", _("The term {name} starts before that date.", name=_(terms[0].name))
        )
    if terms and ends < max(t.ends for t in terms):
        last = max(terms, key=lambda t: t.ends)
        raise field_invalid("ends", _("The term {name} ends after that date.", name=_(last.name)))
    year.name, year.starts, year.ends = name, starts, ends
    session.add(year)
    await session.commit()
    return year


async def term_add(session: AsyncSession, *, actor: User, data: TermCreate) -> Term:
    """A new term inside its year, overlapping none of the year's terms (admin)."""
    require_role(actor, Role.admin)
    year = await _year_of_school(session, actor=actor, year_id=data.year_id)
    siblings = await _terms_of_year(session, year_id=year.id or 0)
    _check_term_place(year, siblings, starts=data.starts, ends=data.ends)
    term = Term(
        school_id=actor.school_id,
        year_id=year.id or 0,
        number=0,
        name=data.name,
        starts=data.starts,
        ends=data.ends,
    )
    _renumber([*siblings, term])
    session.add_all([*siblings, term])
    await session.commit()
    return term


async def term_change(
    session: AsyncSession, *, actor: User, term_id: int, data: TermChange
) -> Term:
    """Rename a term, move its dates inside its year, or close or reopen it (admin).

    Lesson slots follow new dates only when they are regenerated."""
    require_role(actor, Role.admin)
    term = await session.get(Term, term_id)
    if term is None or term.school_id != actor.school_id:
        raise NotFound(_("No such term."))
    if data.starts is not None or data.ends is not None:
        year = await _year_of_school(session, actor=actor, year_id=term.year_id)
        siblings = [t for t in await _terms_of_year(session, year_id=year.id or 0) if t is not term]
        starts, ends = data.starts or term.starts, data.ends or term.ends
        _check_term_place(year, siblings, starts=starts, ends=ends)
        term.starts, term.ends = starts, ends
        _renumber([*siblings, term])
        session.add_all(siblings)
    if data.name is not None:
        term.name = data.name
    if data.closed is not None:
        term.closed = data.closed
    session.add(term)
    await session.commit()
    return term
