"""The shell's personal data: people, enrolment, guardians, sign-in, uploads, the access
record and the privacy audit (see :mod:`eschool.privacy.registry` for the contract)."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.models import (
    AcademicYear,
    AuthSession,
    Enrolment,
    Guardianship,
    LoginFailure,
    School,
    SchoolClass,
    User,
)
from eschool.notifications import privacy as notification_privacy
from eschool.privacy.models import AccessRecord, PrivacyAudit
from eschool.privacy.queries import about_pupil, access_public, audit_public
from eschool.privacy.registry import Erasure, ExportFile, PackageExport, PersonalTable
from eschool.settings import Settings
from eschool.timeutil import iso, utcnow
from eschool.uploads.models import Upload
from eschool.uploads.store import stored_path

TABLES = (
    PersonalTable(
        "users",
        {
            "id": "the person",
            "login": "sign-in name",
            "name": "full name",
            "email": "e-mail address",
            "password_hash": "argon2id hash of the password",
            "lang": "interface language",
        },
        purpose="Who belongs to the school and signs in, in which role.",
        erasure=Erasure.anonymise,
        erasure_note="The name becomes “Former pupil #N”, the login is freed, the e-mail, "
        "language and password are cleared; the row stays so that marks keep their pupil.",
    ),
    PersonalTable(
        "classes",
        {"form_tutor_id": "the class's form tutor (staff)"},
        purpose="Who looks after a class.",
        erasure=Erasure.keep,
        erasure_note="Staff only: a pupil has no rows here.",
    ),
    PersonalTable(
        "enrolments",
        {"pupil_id": "the pupil", "enrolled_at": "when they joined the class"},
        purpose="Which class a pupil is in: the journal, the diary and the live lessons follow it.",
        erasure=Erasure.keep,
        erasure_note="Kept, pointing at the anonymised account: class statistics stay whole.",
    ),
    PersonalTable(
        "class_teaching",
        {"teacher_id": "a teacher of the class"},
        purpose="Who teaches in a class (who may see its pupils).",
        erasure=Erasure.keep,
        erasure_note="Staff only: a pupil has no rows here.",
    ),
    PersonalTable(
        "guardianships",
        {"parent_id": "the parent", "child_id": "the child"},
        purpose="Which parent sees which child's diary.",
        erasure=Erasure.delete,
        erasure_note="The pupil's links to their parents are removed.",
    ),
    PersonalTable(
        "auth_sessions",
        {
            "user_id": "whose session or API token",
            "label": "a token's label",
            "created_at": "when they signed in",
        },
        purpose="Signed-in browsers and API tokens (only a digest of each secret).",
        erasure=Erasure.delete,
        erasure_note="Every session and token of the pupil is removed (signed out).",
    ),
    PersonalTable(
        "login_failures",
        {"login": "the login tried", "address": "the network address it came from"},
        purpose="Slowing down password guessing.",
        erasure=Erasure.delete,
        erasure_note="Failures recorded under the pupil's login are removed.",
    ),
    PersonalTable(
        "assets",
        {"uploaded_by": "who uploaded the file", "filename": "the file's name"},
        purpose="Uploaded files: lesson pictures, homework attachments.",
        erasure=Erasure.delete,
        erasure_note="The pupil's uploads are removed, and their content when nobody else "
        "uploaded the same file.",
    ),
    PersonalTable(
        "privacy_access_log",
        {
            "actor_id": "who read",
            "pupil_id": "whose diary",
            "class_id": "whose class's journal or live report",
        },
        purpose="Accountability: who opened whose diary, journal and live report.",
        erasure=Erasure.keep,
        erasure_note="Kept, pointing at the anonymised account, until retention removes it.",
        retention="access_log",
    ),
    PersonalTable(
        "privacy_audit",
        {"actor_id": "the admin who acted", "subject_id": "the pupil concerned"},
        purpose="Accountability: exports, erasures, retention changes and purges.",
        erasure=Erasure.keep,
        erasure_note="Kept without the erased name or login.",
    ),
    *notification_privacy.TABLES,
)


def _user_brief(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.id, "name": user.name, "role": user.role}


def export_filename(upload: Upload) -> str:
    """An upload's name inside the export zip: unique (its sha256) and readable."""
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in upload.filename)[-80:]
    return f"{upload.sha256[:16]}-{safe or 'file'}"


async def export_pupil(session: AsyncSession, *, pupil: User, settings: Settings) -> PackageExport:
    """The pupil's profile, school, classes, parents, sign-ins, uploads and who read their data."""
    pupil_id = pupil.id or 0
    school = await session.get(School, pupil.school_id)
    classes = await session.exec(
        select(Enrolment, SchoolClass, AcademicYear)
        .join(SchoolClass, col(SchoolClass.id) == Enrolment.class_id)
        .join(AcademicYear, col(AcademicYear.id) == SchoolClass.year_id)
        .where(Enrolment.pupil_id == pupil_id)
        .order_by(col(AcademicYear.starts), col(SchoolClass.name))
    )
    parents = await session.exec(
        select(User)
        .join(Guardianship, col(Guardianship.parent_id) == User.id)
        .where(Guardianship.child_id == pupil_id)
        .order_by(User.name)
    )
    sessions = await session.exec(
        select(AuthSession)
        .where(AuthSession.user_id == pupil_id)
        .order_by(col(AuthSession.created_at))
    )
    failures = await session.exec(
        select(LoginFailure).where(LoginFailure.login == pupil.login).order_by(col(LoginFailure.at))
    )
    uploads = list(
        (
            await session.exec(
                select(Upload).where(Upload.uploaded_by == pupil_id).order_by(col(Upload.id))
            )
        ).all()
    )
    reader, whose = aliased(User), aliased(User)
    reads = await session.exec(
        select(AccessRecord, reader, whose, SchoolClass.name)
        .join(reader, col(reader.id) == AccessRecord.actor_id)
        .outerjoin(whose, col(whose.id) == AccessRecord.pupil_id)
        .outerjoin(SchoolClass, col(SchoolClass.id) == AccessRecord.class_id)
        .where(AccessRecord.school_id == pupil.school_id, about_pupil(pupil_id))
        .order_by(col(AccessRecord.at), col(AccessRecord.id))
    )
    audit = await session.exec(
        select(PrivacyAudit)
        .where(PrivacyAudit.subject_id == pupil_id)
        .order_by(col(PrivacyAudit.id))
    )
    files = [
        ExportFile(export_filename(u), stored_path(settings.uploads_dir, u.sha256)) for u in uploads
    ]
    data = {
        "profile": {
            "id": pupil.id,
            "login": pupil.login,
            "name": pupil.name,
            "role": pupil.role,
            "email": pupil.email,
            "active": pupil.active,
            "lang": pupil.lang,
            "created_at": iso(pupil.created_at),
            "password_changed_at": iso(pupil.password_changed_at),
        },
        "school": {"id": pupil.school_id, "name": school.name if school else None},
        "enrolments": [
            {
                "class_id": school_class.id,
                "class": school_class.name,
                "grade": school_class.grade,
                "year": year.name,
                "enrolled_at": iso(enrolment.enrolled_at),
            }
            for enrolment, school_class, year in classes.all()
        ],
        "guardians": [_user_brief(parent) for parent in parents.all()],
        "sign_ins": [
            {
                "kind": auth.kind,
                "label": auth.label,
                "created_at": iso(auth.created_at),
                "expires_at": iso(auth.expires_at),
                "revoked_at": iso(auth.revoked_at),
            }
            for auth in sessions.all()
        ],
        "login_failures": [{"at": iso(f.at), "address": f.address} for f in failures.all()],
        "uploads": [
            {
                "sha256": upload.sha256,
                "filename": upload.filename,
                "mime": upload.mime,
                "size": upload.size,
                "created_at": iso(upload.created_at),
                "file": f"files/{file.name}",
            }
            for upload, file in zip(uploads, files, strict=True)
        ],
        "access_record": [
            access_public(record, actor=who, pupil=pupil_row, class_name=class_name).model_dump(
                mode="json", by_alias=True
            )
            for record, who, pupil_row, class_name in reads.all()
        ],
        "privacy_audit": [audit_public(entry, actor=None) for entry in audit.all()],
        **await notification_privacy.export_part(session, pupil=pupil),
    }
    return PackageExport(data=data, files=files)


async def erase_pupil(session: AsyncSession, *, pupil: User, label: str) -> dict[str, int]:
    """Anonymise the account, sign it out everywhere, unlink the parents, forget login
    failures and uploads. The caller commits."""
    pupil_id = pupil.id or 0
    counts: dict[str, int] = {}
    result = await session.exec(delete(AuthSession).where(col(AuthSession.user_id) == pupil_id))
    counts["auth_sessions"] = result.rowcount
    result = await session.exec(delete(Guardianship).where(col(Guardianship.child_id) == pupil_id))
    counts["guardianships"] = result.rowcount
    result = await session.exec(delete(LoginFailure).where(col(LoginFailure.login) == pupil.login))
    counts["login_failures"] = result.rowcount
    result = await session.exec(delete(Upload).where(col(Upload.uploaded_by) == pupil_id))
    counts["assets"] = result.rowcount
    counts.update(await notification_privacy.erase_part(session, pupil_id=pupil_id))
    await session.exec(
        update(User)
        .where(col(User.id) == pupil_id)
        .values(
            name=label,
            login=f"former-{pupil_id}-{secrets.token_hex(4)}",
            email=None,
            lang=None,
            password_hash="",
            active=False,
            password_changed_at=utcnow(),
        )
    )
    counts["users"] = 1
    return counts


async def purge(
    session: AsyncSession, *, school_id: int, cutoffs: dict[str, datetime], settings: Settings
) -> dict[str, int]:
    """Delete the school's access records older than its retention allows."""
    cutoff = cutoffs.get("access_log")
    if cutoff is None:
        return {}
    result = await session.exec(
        delete(AccessRecord).where(
            col(AccessRecord.school_id) == school_id, col(AccessRecord.at) < cutoff
        )
    )
    return {"access_log": result.rowcount}
