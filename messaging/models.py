"""Tables of messaging — threads, their participants and messages (with attachments from the
shared upload store), class broadcasts, and news with their audiences — and the wire models
of its API."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum

from pydantic import Field as WireField
from pydantic import field_validator, model_validator
from sqlalchemy import Text
from sqlmodel import Field, SQLModel, UniqueConstraint

from eschool.models import Id, WireModel
from eschool.timeutil import utcnow

MAX_SUBJECT = 200
MAX_TEXT = 10_000
MAX_RECIPIENTS = 50
MAX_ATTACHMENTS = 10
SHA256_PATTERN = r"^[0-9a-f]{64}$"


class Thread(SQLModel, table=True):
    """A private conversation; only its participants read it."""

    __tablename__ = "threads"

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="schools.id", index=True)
    subject: str = Field(max_length=MAX_SUBJECT)
    created_by: int = Field(foreign_key="users.id", index=True)
    # The child a family's thread is about, when there is exactly one.
    pupil_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    broadcast_id: int | None = Field(default=None, foreign_key="broadcasts.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    last_message_at: datetime = Field(default_factory=utcnow, index=True)


class ThreadParticipant(SQLModel, table=True):
    """Who takes part in a thread, and the last message they have read."""

    __tablename__ = "thread_participants"
    __table_args__ = (UniqueConstraint("thread_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    thread_id: int = Field(foreign_key="threads.id")  # the unique key's first column indexes it
    user_id: int = Field(foreign_key="users.id", index=True)
    last_read_id: int = Field(default=0)


class Message(SQLModel, table=True):
    __tablename__ = "messages"

    id: int | None = Field(default=None, primary_key=True)
    thread_id: int = Field(foreign_key="threads.id", index=True)
    author_id: int = Field(foreign_key="users.id", index=True)
    text: str = Field(sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow)


class MessageAttachment(SQLModel, table=True):
    """A stored file (by its sha256 in the upload store) attached to a message."""

    __tablename__ = "message_attachments"
    __table_args__ = (UniqueConstraint("message_id", "sha256"),)

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="messages.id")
    sha256: str = Field(max_length=64, index=True)


class Broadcast(SQLModel, table=True):
    """A message a teacher sent to all parents of a class: one private thread per family."""

    __tablename__ = "broadcasts"

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="schools.id", index=True)
    class_id: int = Field(foreign_key="classes.id", index=True)
    created_by: int = Field(foreign_key="users.id", index=True)
    subject: str = Field(max_length=MAX_SUBJECT)
    created_at: datetime = Field(default_factory=utcnow)


class NewsItem(SQLModel, table=True):
    """An announcement by the administration (school) or a form tutor (class)."""

    __tablename__ = "news"

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="schools.id", index=True)
    author_id: int = Field(foreign_key="users.id", index=True)
    title: str = Field(max_length=MAX_SUBJECT)
    text: str = Field(sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, index=True)


class NewsAudience(SQLModel, table=True):
    """Who sees a news item: everyone of ``role`` in the school, or in class ``class_id``."""

    __tablename__ = "news_audiences"

    id: int | None = Field(default=None, primary_key=True)
    news_id: int = Field(foreign_key="news.id", index=True)
    role: str = Field(max_length=16)
    class_id: int | None = Field(default=None, foreign_key="classes.id", index=True)


# --- wire models -----------------------------------------------------------------------


class NewsRole(StrEnum):
    """Audience groups of a news item."""

    staff = "staff"
    pupils = "pupils"
    parents = "parents"


def _text(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


def _subject(value: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise ValueError("must not be blank")
    return value


class ThreadCreate(WireModel):
    """``to`` (people) or ``class_parents`` (every family of a class), not both."""

    to: list[Id] | None = WireField(default=None, min_length=1, max_length=MAX_RECIPIENTS)
    class_parents: Id | None = None
    subject: str = WireField(min_length=1, max_length=MAX_SUBJECT)
    text: str = WireField(min_length=1, max_length=MAX_TEXT)
    attachments: list[str] = WireField(default_factory=list, max_length=MAX_ATTACHMENTS)

    _subject = field_validator("subject")(_subject)
    _text = field_validator("text")(_text)

    @field_validator("attachments")
    @classmethod
    def _shas(cls, values: list[str]) -> list[str]:
        return _check_shas(values)

    @model_validator(mode="after")
    def _one_audience(self) -> ThreadCreate:
        if (self.to is None) == (self.class_parents is None):
            raise ValueError("give either to (people) or class_parents (a class id)")
        return self


class MessageCreate(WireModel):
    text: str = WireField(min_length=1, max_length=MAX_TEXT)
    attachments: list[str] = WireField(default_factory=list, max_length=MAX_ATTACHMENTS)

    _text = field_validator("text")(_text)

    @field_validator("attachments")
    @classmethod
    def _shas(cls, values: list[str]) -> list[str]:
        return _check_shas(values)


def _check_shas(values: list[str]) -> list[str]:
    for value in values:
        if not isinstance(value, str) or not re.fullmatch(SHA256_PATTERN, value):
            raise ValueError("an attachment is the id of an uploaded file")
    return list(dict.fromkeys(values))


class NewsCreate(WireModel):
    """``roles`` (default: everyone) within the whole school, or within ``class_ids``."""

    title: str = WireField(min_length=1, max_length=MAX_SUBJECT)
    text: str = WireField(min_length=1, max_length=MAX_TEXT)
    roles: list[NewsRole] = WireField(
        default_factory=lambda: list(NewsRole), min_length=1, max_length=3
    )
    class_ids: list[Id] | None = WireField(default=None, min_length=1, max_length=50)

    _title = field_validator("title")(_subject)
    _text = field_validator("text")(_text)
