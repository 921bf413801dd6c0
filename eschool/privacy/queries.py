"""Reads of privacy: the registry, the access record, retention settings and the audit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.access import require_role
from eschool.errors import NotFound
from eschool.i18n import gettext as _
from eschool.models import MAX_ID, Enrolment, Role, SchoolClass, User
from eschool.privacy.models import (
    DEFAULT_RETENTION_DAYS,
    RETENTION_KEYS,
    AccessClassPublic,
    AccessRecord,
    AccessRecordPublic,
    PersonalTablePublic,
    PersonRefPublic,
    PrivacyAudit,
    PrivacySettings,
    RegistryColumnPublic,
    RegistryPackagePublic,
)
from eschool.privacy.registry import PersonalTable, providers
from eschool.timeutil import iso


def registry_public() -> list[RegistryPackagePublic]:
    """What each package stores about a person: ``[{"package", "tables": [...]}]``."""
    return [
        RegistryPackagePublic(
            package=package, tables=[personal_table_public(table) for table in module.TABLES]
        )
        for package, module in providers()
    ]


def personal_table_public(table: PersonalTable) -> PersonalTablePublic:
    """A table's declaration on the wire, for ``GET /api/v1/privacy/registry``."""
    return PersonalTablePublic(
        table=table.table,
        columns=[
            RegistryColumnPublic(name=name, holds=holds) for name, holds in table.columns.items()
        ],
        purpose=table.purpose,
        erasure=table.erasure,
        erasure_note=table.erasure_note,
        retention=table.retention,
    )


async def pupil_of_school(session: AsyncSession, *, actor: User, pupil_id: int) -> User:
    """A pupil of the admin's school (active or not); 404 for anyone else."""
    require_role(actor, Role.admin)
    if not 0 < pupil_id <= MAX_ID:
        raise NotFound(_("No such pupil."))
    pupil = await session.get(User, pupil_id)
    if pupil is None or pupil.school_id != actor.school_id or pupil.role != Role.pupil:
        raise NotFound(_("No such pupil."))
    return pupil


def about_pupil(pupil_id: int) -> Any:
    """Access records about a pupil: their diary, and the journals and reports of their
    classes."""
    classes = select(Enrolment.class_id).where(Enrolment.pupil_id == pupil_id)
    return or_(
        col(AccessRecord.pupil_id) == pupil_id,
        col(AccessRecord.class_id).in_(classes),
    )


async def access_log_list(
    session: AsyncSession,
    *,
    school_id: int,
    pupil_id: int | None = None,
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[AccessRecordPublic], int]:
    """The school's access record, newest first, optionally only what concerns one pupil."""
    actor = aliased(User)
    pupil = aliased(User)
    where = [AccessRecord.school_id == school_id]
    if pupil_id is not None:
        where.append(about_pupil(pupil_id))
    total = (await session.exec(select(func.count()).select_from(AccessRecord).where(*where))).one()
    rows = await session.exec(
        select(AccessRecord, actor, pupil, SchoolClass.name)
        .join(actor, col(actor.id) == AccessRecord.actor_id)
        .outerjoin(pupil, col(pupil.id) == AccessRecord.pupil_id)
        .outerjoin(SchoolClass, col(SchoolClass.id) == AccessRecord.class_id)
        .where(*where)
        .order_by(col(AccessRecord.at).desc(), col(AccessRecord.id).desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    items = [
        access_public(record, actor=who, pupil=whose, class_name=class_name)
        for record, who, whose, class_name in rows.all()
    ]
    return items, int(total)


def _person(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.id, "name": user.name, "role": user.role}


def _person_ref(user: User | None) -> PersonRefPublic | None:
    return PersonRefPublic.model_validate(user) if user is not None else None


def access_public(
    record: AccessRecord, *, actor: User | None, pupil: User | None, class_name: str | None
) -> AccessRecordPublic:
    """``{"id","at","actor","what","pupil","class","target_id","detail"}``."""
    school_class = None
    if record.class_id:
        school_class = AccessClassPublic(id=record.class_id, name=class_name or "")
    return AccessRecordPublic.model_validate(
        {
            "id": record.id,
            "at": iso(record.at),
            "actor": _person_ref(actor),
            "what": record.what,
            "pupil": _person_ref(pupil),
            "class": school_class,
            "target_id": record.target_id,
            "detail": record.detail,
        }
    )


async def retention_get(session: AsyncSession, *, school_id: int) -> dict[str, int | None]:
    """The school's retention in days per kind (``None``: kept for ever)."""
    row = await session.get(PrivacySettings, school_id)
    if row is None:
        return dict(DEFAULT_RETENTION_DAYS)
    return {key: getattr(row, f"{key}_days") for key in RETENTION_KEYS}


async def audit_recent(
    session: AsyncSession, *, school_id: int, limit: int = 20
) -> list[dict[str, Any]]:
    """The school's latest privacy audit entries, newest first."""
    actor = aliased(User)
    rows = await session.exec(
        select(PrivacyAudit, actor)
        .outerjoin(actor, col(actor.id) == PrivacyAudit.actor_id)
        .where(PrivacyAudit.school_id == school_id)
        .order_by(col(PrivacyAudit.at).desc(), col(PrivacyAudit.id).desc())
        .limit(limit)
    )
    return [audit_public(entry, actor=who) for entry, who in rows.all()]


def audit_public(entry: PrivacyAudit, *, actor: User | None) -> dict[str, Any]:
    """``{"id","at","actor","action","subject_id","detail"}``."""
    return {
        "id": entry.id,
        "at": iso(entry.at),
        "actor": _person(actor),
        "action": entry.action,
        "subject_id": entry.subject_id,
        "detail": entry.detail,
    }


async def erased(session: AsyncSession, *, pupil_id: int) -> bool:
    """Whether the pupil has been erased already."""
    found = await session.exec(
        select(PrivacyAudit.id).where(
            PrivacyAudit.subject_id == pupil_id, PrivacyAudit.action == "erase"
        )
    )
    return found.first() is not None


async def people_by_id(
    session: AsyncSession, ids: set[int | None]
) -> dict[int, dict[str, Any] | None]:
    """``{id: {"id","name","role"}}`` of the people named in an export (one query)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = await session.exec(select(User).where(col(User.id).in_(wanted)))
    return {user.id or 0: _person(user) for user in rows.all()}
