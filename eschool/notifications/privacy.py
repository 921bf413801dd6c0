"""What notifications store about a person, for the shell's privacy provider
(:mod:`eschool.privacy.provider` lists these tables and calls these functions)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.models import User
from eschool.notifications.models import Notification, NotificationSetting
from eschool.notifications.present import language_of, title_text
from eschool.privacy.registry import Erasure, PersonalTable
from eschool.timeutil import iso

TABLES = (
    PersonalTable(
        "notifications",
        {
            "user_id": "who was notified",
            "pupil_id": "the child it was about",
            "title": "what happened (may name a mark or an absence)",
            "params": "the details filled into the title",
            "read_at": "when it was read",
        },
        purpose="Telling a pupil and their parents of new marks, absences, homework, messages.",
        erasure=Erasure.delete,
        erasure_note="The pupil's notifications, and their parents' about the pupil, are removed.",
    ),
    PersonalTable(
        "notification_settings",
        {"user_id": "whose choice", "channel": "how they want to hear of each kind"},
        purpose="How each person wants to be notified (in the app, by e-mail, not at all).",
        erasure=Erasure.delete,
        erasure_note="The pupil's choices are removed.",
    ),
)


def _about(pupil_id: int) -> Any:
    return or_(col(Notification.user_id) == pupil_id, col(Notification.pupil_id) == pupil_id)


async def export_part(session: AsyncSession, *, pupil: User) -> dict[str, Any]:
    """The notifications the pupil received and their settings (never a parent's rows)."""
    rows = await session.exec(
        select(Notification)
        .where(col(Notification.user_id) == pupil.id)
        .order_by(col(Notification.id))
    )
    chosen = await session.exec(
        select(NotificationSetting).where(NotificationSetting.user_id == pupil.id)
    )
    lang = language_of(pupil.lang)
    return {
        "notifications": [
            {
                "kind": row.kind,
                "title": title_text(row, lang),
                "url": row.url,
                "at": iso(row.created_at),
                "read_at": iso(row.read_at),
                "email": row.email_state,
            }
            for row in rows.all()
        ],
        "notification_settings": {row.kind: row.channel for row in chosen.all()},
    }


async def erase_part(session: AsyncSession, *, pupil_id: int) -> dict[str, int]:
    """Delete the pupil's notifications, those about the pupil, and the pupil's settings."""
    result = await session.exec(delete(Notification).where(_about(pupil_id)))
    settings = await session.exec(
        delete(NotificationSetting).where(col(NotificationSetting.user_id) == pupil_id)
    )
    return {"notifications": result.rowcount, "notification_settings": settings.rowcount}
