"""journal revisions: a counter per course (and per school) bumped by triggers on every write
that changes a journal, for conditional GETs and the rendered-journal cache

Revision ID: gradebook_0007
Revises: gradebook_0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "gradebook_0007"
down_revision = "gradebook_0006"
branch_labels = None
depends_on = None

# table → (events, the (school_id, course_id) a changed row bumps, and where they come from;
# ROW stands for NEW or OLD). Course 0 is the school's own counter: what every journal of the
# school shows.
_ANY = ("INSERT", "UPDATE", "DELETE")
_OWN = "WHERE 1 = 1"  # the row's own columns (SQLite's upsert needs a WHERE after a SELECT)
_BY_SLOT = ("s.school_id, s.course_id", "FROM slots s WHERE s.id = ROW.slot_id")
_SCHOOL = ("ROW.school_id, 0", _OWN)
BUMPS: dict[str, tuple[tuple[str, ...], tuple[str, str]]] = {
    "marks": (_ANY, _BY_SLOT),
    "attendance": (_ANY, _BY_SLOT),
    "slots": (_ANY, ("ROW.school_id, ROW.course_id", _OWN)),
    "term_marks": (_ANY, ("ROW.school_id, ROW.course_id", _OWN)),
    "courses": (_ANY, ("ROW.school_id, ROW.id", _OWN)),
    "course_teachers": (_ANY, ("c.school_id, c.id", "FROM courses c WHERE c.id = ROW.course_id")),
    # A pupil's or a teacher's name (not every login or password change).
    "users": (("UPDATE OF name", "DELETE"), _SCHOOL),
    "enrolments": (_ANY, ("cl.school_id, 0", "FROM classes cl WHERE cl.id = ROW.class_id")),
    "classes": (_ANY, _SCHOOL),
    "subjects": (_ANY, _SCHOOL),
    "terms": (_ANY, _SCHOOL),
    "work_types": (_ANY, _SCHOOL),
    "gradebook_settings": (_ANY, _SCHOOL),
    "absence_notes": (_ANY, _SCHOOL),
    "assets": (_ANY, _SCHOOL),  # the names homework files are shown with
}


def _upsert(source: tuple[str, str], row: str) -> str:
    """The statement bumping the counter that the ``row`` (NEW or OLD) names: created at 1,
    else one more."""
    columns, origin = (part.replace("ROW.", f"{row}.") for part in source)
    return (
        "INSERT INTO journal_revisions (school_id, course_id, revision) "
        f"SELECT {columns}, 1 {origin} "
        "ON CONFLICT (school_id, course_id) DO UPDATE SET revision = journal_revisions.revision + 1"
    )


def _rows(event: str) -> tuple[str, ...]:
    """Which row versions an event bumps: an update both (a mark moved to another slot)."""
    if event == "INSERT":
        return ("NEW",)
    if event == "DELETE":
        return ("OLD",)
    return ("OLD", "NEW")


def _trigger_name(table: str, event: str) -> str:
    return f"journal_bump_{table}_{event.split()[0].lower()}"


def _sqlite_up() -> None:
    for table, (events, select) in BUMPS.items():
        for event in events:
            body = " ".join(f"{_upsert(select, row)};" for row in _rows(event.split()[0]))
            op.execute(
                f"CREATE TRIGGER {_trigger_name(table, event)} AFTER {event} ON {table} "
                f"FOR EACH ROW BEGIN {body} END"
            )


def _postgres_up() -> None:
    for table, (events, select) in BUMPS.items():
        function = f"journal_bump_{table}"
        op.execute(
            f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF TG_OP <> 'INSERT' THEN {_upsert(select, 'OLD')}; END IF; "
            f"IF TG_OP <> 'DELETE' THEN {_upsert(select, 'NEW')}; END IF; "
            "RETURN NULL; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {function} AFTER {' OR '.join(events)} ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {function}()"
        )


def upgrade() -> None:
    op.create_table(
        "journal_revisions",
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("school_id", "course_id"),
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgres_up()
    else:
        _sqlite_up()


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table, (events, _select) in BUMPS.items():
        if postgres:
            op.execute(f"DROP TRIGGER IF EXISTS journal_bump_{table} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS journal_bump_{table}()")
        else:
            for event in events:
                op.execute(f"DROP TRIGGER IF EXISTS {_trigger_name(table, event)}")
    op.drop_table("journal_revisions")
