"""The shape of a package's privacy declaration, and where the declarations are found.

A package's provider module (``<package>/privacy.py``; the shell's is
:mod:`eschool.privacy.provider`) has:

- ``TABLES``: a tuple of :class:`PersonalTable`, one per table of the package that holds a
  person's id or other personal data: which columns, what they hold, why, and what erasing a
  pupil does to the rows (:class:`Erasure`);
- ``async def export_pupil(session, *, pupil, settings) -> PackageExport``: everything the
  package holds about the pupil (never another pupil's data, never a secret);
- ``async def erase_pupil(session, *, pupil, label) -> dict[str, int]``: erase or anonymise the
  pupil's data in the caller's transaction (no commit), counting what changed;
- optionally ``async def purge(session, *, school_id, cutoffs, settings) -> dict[str, int]``:
  delete what is older than the school's retention allows (``cutoffs`` maps a retention key
  of :data:`eschool.privacy.models.RETENTION_KEYS` to the moment before which it goes; the
  caller commits).

Like the Moodle privacy API's metadata and request providers, but found by module name in
:data:`eschool.packages.ALL_PACKAGES` order — no registry is filled at import time.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import ModuleType
from typing import Any

from eschool.packages import ALL_PACKAGES

# The shell's own provider lives beside the privacy machinery rather than in eschool/privacy.py
# (that name is the machinery's package).
_PROVIDER_MODULES = {"eschool": "eschool.privacy.provider"}


class Erasure(StrEnum):
    """What erasing a pupil does to a table's rows about them."""

    delete = "delete"  # the rows go
    anonymise = "anonymise"  # the rows stay; what identifies the pupil in them is overwritten
    keep = "keep"  # the rows stay as they are, pointing at the anonymised account


@dataclass(frozen=True)
class PersonalTable:
    """One table's personal data: ``columns`` maps a column to what it holds about a person
    (every column naming a person, and every other personal column)."""

    table: str
    columns: Mapping[str, str]
    purpose: str
    erasure: Erasure
    erasure_note: str = ""
    retention: str | None = None  # a retention key, when the school's retention applies


@dataclass(frozen=True)
class ExportFile:
    """A file that goes into the export zip as ``files/<name>``."""

    name: str
    path: Path


@dataclass
class PackageExport:
    """A package's part of a pupil's export: JSON data and files."""

    data: dict[str, Any] = field(default_factory=dict)
    files: list[ExportFile] = field(default_factory=list)


def provider_module_name(package: str) -> str:
    """The module that declares ``package``'s personal data."""
    return _PROVIDER_MODULES.get(package, f"{package}.privacy")


def providers() -> list[tuple[str, ModuleType]]:
    """``(package, provider module)`` of every installed package that has one, in order."""
    found = []
    for package in ALL_PACKAGES:
        name = provider_module_name(package)
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name not in (name, package):
                raise
            continue
        found.append((package, module))
    return found


def declared_tables() -> dict[str, tuple[str, PersonalTable]]:
    """Every declared table by name: ``{table: (package, declaration)}``."""
    declared: dict[str, tuple[str, PersonalTable]] = {}
    for package, module in providers():
        for table in getattr(module, "TABLES", ()):
            declared[table.table] = (package, table)
    return declared
