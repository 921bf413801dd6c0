"""The privacy registry is complete: every table that holds a person's id is declared, with
those columns, by the package that owns it — a new table with a user id and no declaration
fails here."""

from __future__ import annotations

import inspect

import httpx
from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table
from sqlmodel import SQLModel

import eschool.all_models  # noqa: F401  (fills SQLModel.metadata)
from eschool.packages import ALL_PACKAGES
from eschool.privacy.registry import Erasure, providers
from tests.gradebook import conftest as gradebook_fixtures

as_user = gradebook_fixtures.as_user  # tokens made directly: no password hashing per login

# Integer columns that name a person even without a foreign key to users.
PERSON_ID_NAMES = {
    "pupil_id",
    "user_id",
    "actor_id",
    "teacher_id",
    "parent_id",
    "child_id",
    "viewer_id",
    "owner_id",
    "author_id",
    "student_id",
    "person_id",
}


def person_columns(table: Table) -> set[str]:
    """The columns of ``table`` that hold a person's id."""
    found = {"id"} if table.name == "users" else set()
    for column in table.columns:
        to_users = any(fk.target_fullname == "users.id" for fk in column.foreign_keys)
        named = isinstance(column.type, Integer) and (
            column.name in PERSON_ID_NAMES or column.name.endswith(("_by", "_by_id"))
        )
        if to_users or named:
            found.add(column.name)
    return found


def undeclared(metadata: MetaData) -> list[str]:
    """``table.column`` of every person id no package declares."""
    declared: dict[str, set[str]] = {}
    for _package, module in providers():
        for entry in module.TABLES:
            declared.setdefault(entry.table, set()).update(entry.columns)
    missing = []
    for table in sorted(metadata.tables.values(), key=lambda t: t.name):
        for column in sorted(person_columns(table) - declared.get(table.name, set())):
            missing.append(f"{table.name}.{column}")
    return missing


def test_every_table_with_a_person_id_is_declared() -> None:
    assert undeclared(SQLModel.metadata) == []


def test_the_check_catches_a_new_table_with_a_user_id() -> None:
    metadata = MetaData()
    Table(
        "homework_photos",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("taken_by", Integer, ForeignKey("users.id")),
        Column("pupil_id", Integer),
        Column("caption", String(100)),
    )
    assert undeclared(metadata) == ["homework_photos.pupil_id", "homework_photos.taken_by"]


def _owners() -> dict[str, str]:
    """Each table's owning package: the top package of its model's module."""
    return {
        mapper.local_table.name: mapper.class_.__module__.split(".")[0]
        for mapper in SQLModel._sa_registry.mappers
    }


def test_declarations_are_real_single_and_by_the_owner() -> None:
    owners = _owners()
    seen: dict[str, str] = {}
    for package, module in providers():
        for entry in module.TABLES:
            assert entry.table in SQLModel.metadata.tables, entry.table
            columns = SQLModel.metadata.tables[entry.table].columns
            assert set(entry.columns) <= set(columns.keys()), entry.table
            assert entry.table not in seen, f"{entry.table} declared twice"
            seen[entry.table] = package
            assert owners[entry.table] == package, f"{entry.table} belongs to {owners[entry.table]}"
            assert entry.purpose and isinstance(entry.erasure, Erasure)


def test_every_package_with_tables_has_a_provider_with_the_whole_contract() -> None:
    found = dict(providers())
    assert set(found) == {package for package in ALL_PACKAGES if package in _owners().values()}
    for package, module in found.items():
        for name in ("export_pupil", "erase_pupil"):
            assert inspect.iscoroutinefunction(getattr(module, name)), (package, name)


async def test_the_registry_is_published_to_admins_only(client: httpx.AsyncClient, as_user) -> None:
    response = await client.get("/api/v1/privacy/registry", headers=await as_user("admin"))
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == len(body["items"]) == len(providers())
    marks = next(
        table
        for package in body["items"]
        for table in package["tables"]
        if table["table"] == "marks"
    )
    assert marks["erasure"] == "keep"
    assert {"name": "pupil_id", "holds": "whose mark"} in marks["columns"]
    for login in ("teacher", "pupil", "parent"):
        refused = await client.get("/api/v1/privacy/registry", headers=await as_user(login))
        assert refused.status_code == 403
