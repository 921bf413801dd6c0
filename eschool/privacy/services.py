"""Writes of privacy: the access record, a pupil's export and erasure, retention settings and
the purge. Each function checks permissions and owns its transaction."""

from __future__ import annotations

import asyncio
import json
import tempfile
import zipfile
from datetime import datetime, timedelta
from typing import IO, Any

from sqlalchemy import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.access import require_role
from eschool.errors import Conflict, Invalid
from eschool.i18n import gettext as _
from eschool.models import Role, School, User
from eschool.privacy import access_log, queries
from eschool.privacy.models import (
    DEFAULT_RETENTION_DAYS,
    RETENTION_KEYS,
    AccessRecord,
    PrivacyAudit,
    PrivacySettings,
    PupilErasedPublic,
    RetentionUpdate,
)
from eschool.privacy.registry import PackageExport, providers
from eschool.settings import Settings
from eschool.timeutil import iso, utcnow
from eschool.uploads.models import Upload
from eschool.uploads.store import stored_path

EXPORT_FORMAT = "eschool-pupil-export"
EXPORT_VERSION = 1


# --- the access record ----------------------------------------------------------------------


async def access_record(
    session: AsyncSession,
    *,
    actor: User,
    what: str,
    pupil_id: int | None = None,
    class_id: int | None = None,
    target_id: int | None = None,
    detail: str = "",
) -> None:
    """Append one line to the access record after a read and return once it is committed,
    before the response is sent — so a line is as durable as any other write once the reader
    has the data. In the app, the process's writer commits the lines of concurrent reads
    together (:mod:`eschool.privacy.access_log`); elsewhere the read's own session inserts
    and commits it. A pupil reading their own diary is not recorded."""
    if actor.role == Role.pupil and pupil_id is not None and pupil_id == actor.id:
        return
    row = {
        "school_id": actor.school_id,
        "actor_id": actor.id or 0,
        "at": utcnow(),
        "what": what,
        "pupil_id": pupil_id,
        "class_id": class_id,
        "target_id": target_id,
        "detail": detail[:100],
    }
    writer = access_log.of_session(session)
    if writer is not None:
        await writer.append(row)
        return
    await (await session.connection()).execute(_INSERT_ACCESS_RECORD, row)
    await session.commit()


_INSERT_ACCESS_RECORD = insert(AccessRecord.__table__)  # type: ignore[attr-defined]


# --- export -----------------------------------------------------------------------------------


def _write_zip(manifest: dict[str, Any], parts: dict[str, PackageExport]) -> IO[bytes]:
    """The export as a zip in a temporary file, rewound (blocking I/O: run it in a thread)."""
    target = tempfile.TemporaryFile()  # noqa: SIM115  (handed to the response, which closes it)
    try:
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("manifest.json", _json(manifest))
            for package, part in parts.items():
                archive.writestr(f"{package}.json", _json(part.data))
                for file in part.files:
                    if file.path.is_file():
                        archive.write(file.path, f"files/{file.name}")
        target.seek(0)
    except BaseException:
        target.close()
        raise
    return target


def _json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)


async def pupil_export(
    session: AsyncSession, *, actor: User, pupil_id: int, settings: Settings
) -> tuple[str, IO[bytes]]:
    """Everything the school holds about a pupil (admin): ``(file name, zip file)`` — one JSON
    file per package, ``manifest.json`` and the pupil's own uploaded files under ``files/``.
    The export is recorded in the privacy audit."""
    pupil = await queries.pupil_of_school(session, actor=actor, pupil_id=pupil_id)
    parts: dict[str, PackageExport] = {}
    for package, module in providers():
        parts[package] = await module.export_pupil(session, pupil=pupil, settings=settings)
    exported_at = utcnow()
    files = [f"files/{file.name}" for part in parts.values() for file in part.files]
    manifest = {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exported_at": iso(exported_at),
        "exported_by": {"id": actor.id, "name": actor.name},
        "pupil": {"id": pupil.id, "login": pupil.login, "name": pupil.name},
        "packages": [f"{package}.json" for package in parts],
        "files": files,
    }
    archive = await asyncio.to_thread(_write_zip, manifest, parts)
    session.add(
        PrivacyAudit(
            school_id=actor.school_id,
            actor_id=actor.id,
            action="export",
            subject_id=pupil.id,
            detail={"packages": list(parts), "files": len(files)},
            at=exported_at,
        )
    )
    await session.commit()
    return f"pupil-{pupil.id}-{exported_at:%Y%m%d}.zip", archive


# --- erasure ---------------------------------------------------------------------------------


def erased_label(pupil_id: int) -> str:
    """The name an erased pupil's account keeps (stored data, so never translated)."""
    return f"Former pupil #{pupil_id}"


async def pupil_erase(
    session: AsyncSession, *, actor: User, pupil_id: int, confirm: str, settings: Settings
) -> PupilErasedPublic:
    """Erase or anonymise a pupil who has left (admin), in one transaction.

    409 ``pupil_active`` for an active pupil (deactivate first), ``already_erased`` the second
    time; 422 ``wrong_confirm`` unless ``confirm`` is the pupil's login. Each package erases
    its part (see its ``privacy.py``): the account is anonymised, signed out and unlinked
    from the parents; marks and attendance stay for class statistics, pointing at the
    anonymised account. Uploaded files nobody else uploaded are deleted after the commit.
    """
    pupil = await queries.pupil_of_school(session, actor=actor, pupil_id=pupil_id)
    if pupil.active:
        raise Conflict(
            _("Deactivate the pupil first: only a pupil who has left can be erased."),
            code="pupil_active",
        )
    if await queries.erased(session, pupil_id=pupil_id):
        raise Conflict(_("This pupil has been erased already."), code="already_erased")
    if confirm.strip().lower() != pupil.login:
        raise Invalid(_("Type the pupil's login to confirm the erasure."), code="wrong_confirm")
    label = erased_label(pupil_id)
    uploads = await session.exec(select(Upload.sha256).where(Upload.uploaded_by == pupil_id))
    shas = set(uploads.all())
    counts: dict[str, dict[str, int]] = {}
    # The shell last: the packages find the pupil's rows before the account is anonymised.
    for package, module in reversed(providers()):
        counts[package] = await module.erase_pupil(session, pupil=pupil, label=label)
    session.add(
        PrivacyAudit(
            school_id=actor.school_id,
            actor_id=actor.id,
            action="erase",
            subject_id=pupil_id,
            detail={"counts": counts},
        )
    )
    await session.commit()
    if shas:
        kept = await session.exec(select(Upload.sha256).where(col(Upload.sha256).in_(shas)))
        orphans = shas - set(kept.all())
        await asyncio.to_thread(_remove_files, settings, orphans)
    return PupilErasedPublic(id=pupil_id, name=label, erased=counts)


def _remove_files(settings: Settings, shas: set[str]) -> None:
    for sha in shas:
        stored_path(settings.uploads_dir, sha).unlink(missing_ok=True)


# --- retention -------------------------------------------------------------------------------


async def retention_update(
    session: AsyncSession, *, actor: User, data: RetentionUpdate
) -> dict[str, int | None]:
    """Change how long the school keeps live logs, recordings and the access record (admin);
    only the fields sent change, ``null`` keeps that kind for ever."""
    require_role(actor, Role.admin)
    changes = data.model_dump(exclude_unset=True)
    row = await session.get(PrivacySettings, actor.school_id)
    if row is None:
        row = PrivacySettings(school_id=actor.school_id)
        for key, default in DEFAULT_RETENTION_DAYS.items():
            setattr(row, f"{key}_days", default)
    for field, value in changes.items():
        setattr(row, field, value)
    row.updated_at = utcnow()
    session.add(row)
    days = {key: getattr(row, f"{key}_days") for key in RETENTION_KEYS}
    session.add(
        PrivacyAudit(school_id=actor.school_id, actor_id=actor.id, action="retention", detail=days)
    )
    await session.commit()
    return days


async def retention_purge(
    session: AsyncSession, *, settings: Settings, now: datetime | None = None
) -> dict[int, dict[str, int]]:
    """Delete, school by school, what is older than the school keeps: live event logs,
    recordings, the access record (each package purges its own). Returns the counts per
    school; a purge that removed something is recorded in the audit. Commits per school."""
    now = now or utcnow()
    schools = list((await session.exec(select(School.id))).all())
    done: dict[int, dict[str, int]] = {}
    for school_id in schools:
        if school_id is None:
            continue
        days = await queries.retention_get(session, school_id=school_id)
        cutoffs = {key: now - timedelta(days=d) for key, d in days.items() if d is not None}
        counts: dict[str, int] = {}
        for _package, module in providers():
            purge = getattr(module, "purge", None)
            if purge is not None:
                counts.update(
                    await purge(session, school_id=school_id, cutoffs=cutoffs, settings=settings)
                )
        removed = {key: value for key, value in counts.items() if value}
        if removed:
            session.add(PrivacyAudit(school_id=school_id, action="purge", detail=removed))
        await session.commit()
        done[school_id] = counts
    return done
