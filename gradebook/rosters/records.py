"""The records of a OneRoster upload once checked, and what earlier imports brought in."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from eschool.models import CLASS_NAME_PATTERN

_CLASS_NAME = re.compile(CLASS_NAME_PATTERN)
_CLASS_PREFIX = re.compile(r"^\s*((?:1[01]|[1-9])[A-Za-zА-Яа-яЁё]{0,2})(?![A-Za-zА-Яа-яЁё0-9])")


@dataclass
class Record:
    """One row of a roster file, checked: its id, status, line and content hash."""

    file: str
    line: int
    sourced_id: str
    deleted: bool  # status tobedeleted (or the deprecated inactive)
    data: dict[str, Any]
    hash: str = ""

    def __post_init__(self) -> None:
        payload = json.dumps([self.deleted, self.data], sort_keys=True, default=str)
        self.hash = hashlib.sha256(payload.encode()).hexdigest()


@dataclass
class Known:
    """What earlier imports brought in, by OneRoster type: sourcedId → a short description
    (the session type, the user's eschool role, the class's type and class name)."""

    orgs: set[str] = field(default_factory=set)
    sessions: dict[str, str] = field(default_factory=dict)
    courses: set[str] = field(default_factory=set)
    classes: dict[str, tuple[str, str]] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=dict)


@dataclass
class Roster:
    """A parsed upload: the manifest's modes and the records of each file read."""

    modes: dict[str, str] = field(default_factory=dict)
    records: dict[str, list[Record]] = field(default_factory=dict)
    # every sourcedId of each file, those of rows with problems too: a reference to a broken
    # row is reported once, at the row, not again at every reference
    ids: dict[str, set[str]] = field(default_factory=dict)

    def of(self, name: str) -> list[Record]:
        """The records of one file ([] when it was not supplied)."""
        return self.records.get(name, [])


def class_name_of(code: str, title: str) -> str | None:
    """The school class a OneRoster class belongs to: the class name ("7A") that its
    ``classCode`` — or else its ``title`` — starts with ("7A", "7A-MATH", "7a English")."""
    for text in (code, title):
        found = _CLASS_PREFIX.match(text or "")
        if found and _CLASS_NAME.match(found.group(1)):
            return found.group(1).upper()
    return None


def login_of(username: str) -> str:
    """The eschool login for a OneRoster username: lower case, an e-mail's local part."""
    login = username.strip().lower()
    return login.split("@", 1)[0] if "@" in login else login


def split_list(value: str) -> list[str]:
    """A OneRoster list field ("a,b, c") as its non-empty items."""
    return [item.strip() for item in value.split(",") if item.strip()]
