"""Tables of notifications — one row per recipient, and each person's channel per kind — and
the wire models of their API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import Field as WireField
from pydantic import RootModel, WithJsonSchema
from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel, UniqueConstraint

from eschool.api_schema import ItemList, Public
from eschool.models import MAX_ID, Id, WireModel, WireQuery
from eschool.timeutil import utcnow

# What a notification is about; each person chooses a channel per kind.
Kind = Literal[
    "mark",
    "absence",
    "homework",
    "assignment",
    "due",
    "term_mark",
    "message",
    "news",
    "absence_note",
]
KINDS: tuple[str, ...] = get_args(Kind)
# app: in-app only; email: in-app and an e-mail at once; digest: in-app and a daily e-mail
# of the day's notifications; off: nothing is stored.
Channel = Literal["app", "email", "digest", "off"]
CHANNELS: tuple[str, ...] = get_args(Channel)
DEFAULT_CHANNEL = "app"

# A row's e-mail state (``email_state``): None — no e-mail is due (in-app only, or the person
# has no address); the others are the outbox.
EMAIL_PENDING = "pending"  # to be sent at once (retried with backoff until ``email_next_at``)
EMAIL_DIGEST = "digest"  # waits for the person's daily digest
EMAIL_SENDING = "sending"  # claimed by a worker (a stale claim is taken over)
EMAIL_SENT = "sent"
EMAIL_FAILED = "failed"  # given up after the last retry


class Notification(SQLModel, table=True):
    """Something worth a person's attention, stored once per recipient.

    ``title`` is an English message id with ``{placeholders}`` filled from ``params`` when it
    is shown, in the reader's language; ``pupil_id`` names the child it is about, if any.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_id_id", "user_id", "id"),
        Index("ix_notifications_email", "email_state", "email_next_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="schools.id")
    user_id: int = Field(foreign_key="users.id")
    kind: str = Field(max_length=16)
    title: str = Field(max_length=300)
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    url: str = Field(max_length=500)
    pupil_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    read_at: datetime | None = None
    email_state: str | None = Field(default=None, max_length=8)
    email_attempts: int = Field(default=0)
    email_next_at: datetime | None = None


class NotificationSetting(SQLModel, table=True):
    """A person's channel for one kind (no row: :data:`DEFAULT_CHANNEL`)."""

    __tablename__ = "notification_settings"
    __table_args__ = (UniqueConstraint("user_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="schools.id", index=True)
    user_id: int = Field(foreign_key="users.id")  # the unique key's first column indexes it
    kind: str = Field(max_length=16)
    channel: str = Field(max_length=8)


# --- wire models -----------------------------------------------------------------

# A moment as ``eschool.timeutil.iso`` writes it: UTC, to the second, with ``Z``.
IsoTime = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]


class NotificationsRead(WireModel):
    """``{"ids": [...]}`` or ``{"all": true}``."""

    ids: list[Id] = WireField(default_factory=list, max_length=1000)
    all: bool = False


class NotificationSettingsUpdate(RootModel[dict[Kind, Channel]]):
    """``{"<kind>": "<channel>"}`` for the kinds to change; the others keep theirs."""


class NotificationsQuery(WireQuery):
    """``GET /notifications``: only the unread ones, and the page."""

    unread: bool = WireField(default=False, description="Only the unread ones.")
    page: int = WireField(default=1, ge=1, le=MAX_ID)
    per_page: int = WireField(default=20, ge=1, le=200)


class NotificationPublic(Public):
    """A notification, its title in the reader's language."""

    id: Id
    kind: Kind
    title: str
    url: str = WireField(max_length=500, description="Where it leads, on this site.")
    at: IsoTime
    read: bool
    pupil_id: Id | None = WireField(description="The child it is about, if any.")


class NotificationListPublic(ItemList[NotificationPublic]):
    """A page of the reader's notifications, newest first, and how many are unread."""

    unread: int = WireField(ge=0)


class NotificationsReadPublic(Public):
    """How many were marked read now, and how many are still unread."""

    changed: int = WireField(ge=0)
    unread: int = WireField(ge=0)


class NotificationSettingsPublic(Public):
    """The reader's channel for every kind (``app`` where they chose none)."""

    mark: Channel
    absence: Channel
    homework: Channel
    assignment: Channel
    due: Channel
    term_mark: Channel
    message: Channel
    news: Channel
    absence_note: Channel
