"""mark tallies: a pupil's marks in a course and term counted by value and weight, kept by
triggers on marks and slots (see gradebook.mark_tally), and counted from the marks stored

Revision ID: gradebook_0008
Revises: gradebook_0007
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "gradebook_0008"
down_revision = "gradebook_0007"
branch_labels = None
depends_on = None

# The statements below are built from this module's constants only (no value from outside):
# hence the noqa S608.
_KEY = "pupil_id, course_id, term_id, value, weight"
_ADD = f"ON CONFLICT ({_KEY}) DO UPDATE SET marks = mark_tallies.marks + excluded.marks"


def _count_mark(row: str, sign: str) -> str:
    """The statement counting the mark ``row`` (NEW or OLD) in, or out with ``sign`` "-", of
    its course and term (those of its slot), unless it is deleted."""
    return (
        f"INSERT INTO mark_tallies ({_KEY}, marks) "  # noqa: S608
        f"SELECT {row}.pupil_id, s.course_id, s.term_id, {row}.value, {row}.weight, {sign}1 "
        f"FROM slots s WHERE s.id = {row}.slot_id AND {row}.deleted_at IS NULL {_ADD}"
    )


def _count_slot(row: str, sign: str) -> str:
    """The statement counting the marks of the slot ``row`` (NEW or OLD) in, or out with
    ``sign`` "-", of the slot's course and term."""
    return (
        f"INSERT INTO mark_tallies ({_KEY}, marks) "  # noqa: S608
        f"SELECT m.pupil_id, {row}.course_id, {row}.term_id, m.value, m.weight, {sign}count(*) "
        f"FROM marks m WHERE m.slot_id = {row}.id AND m.deleted_at IS NULL "
        f"GROUP BY m.pupil_id, m.value, m.weight {_ADD}"
    )


_MARK_COLUMNS = "pupil_id, slot_id, value, weight, deleted_at"


def _sqlite_up() -> None:
    op.execute(
        "CREATE TRIGGER mark_tally_marks_insert AFTER INSERT ON marks FOR EACH ROW "
        f"BEGIN {_count_mark('NEW', '')}; END"
    )
    op.execute(
        f"CREATE TRIGGER mark_tally_marks_update AFTER UPDATE OF {_MARK_COLUMNS} ON marks "
        f"FOR EACH ROW BEGIN {_count_mark('OLD', '-')}; {_count_mark('NEW', '')}; END"
    )
    op.execute(
        "CREATE TRIGGER mark_tally_marks_delete AFTER DELETE ON marks FOR EACH ROW "
        f"BEGIN {_count_mark('OLD', '-')}; END"
    )
    op.execute(
        "CREATE TRIGGER mark_tally_slots_update AFTER UPDATE OF course_id, term_id ON slots "
        "FOR EACH ROW WHEN OLD.course_id IS NOT NEW.course_id OR OLD.term_id IS NOT NEW.term_id "
        f"BEGIN {_count_slot('OLD', '-')}; {_count_slot('NEW', '')}; END"
    )


def _postgres_up() -> None:
    unchanged = " IS NOT DISTINCT FROM ".join(
        f"({row}.pupil_id, {row}.slot_id, {row}.value, {row}.weight, {row}.deleted_at IS NULL)"
        for row in ("OLD", "NEW")
    )
    op.execute(
        "CREATE FUNCTION mark_tally_marks() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP = 'UPDATE' AND {unchanged} THEN RETURN NULL; END IF; "
        f"IF TG_OP <> 'INSERT' THEN {_count_mark('OLD', '-')}; END IF; "
        f"IF TG_OP <> 'DELETE' THEN {_count_mark('NEW', '')}; END IF; "
        "RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER mark_tally_marks AFTER INSERT OR UPDATE OR DELETE ON marks "
        "FOR EACH ROW EXECUTE FUNCTION mark_tally_marks()"
    )
    op.execute(
        "CREATE FUNCTION mark_tally_slots() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF (OLD.course_id, OLD.term_id) IS DISTINCT FROM (NEW.course_id, NEW.term_id) THEN "
        f"{_count_slot('OLD', '-')}; {_count_slot('NEW', '')}; END IF; "
        "RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER mark_tally_slots AFTER UPDATE OF course_id, term_id ON slots "
        "FOR EACH ROW EXECUTE FUNCTION mark_tally_slots()"
    )


def upgrade() -> None:
    op.create_table(
        "mark_tallies",
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("term_id", sa.Integer(), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("marks", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("pupil_id", "course_id", "term_id", "value", "weight"),
        sqlite_with_rowid=False,  # one b-tree, the key's, to write on SQLite (not two)
    )
    op.execute(
        f"INSERT INTO mark_tallies ({_KEY}, marks) "  # noqa: S608
        "SELECT m.pupil_id, s.course_id, s.term_id, m.value, m.weight, count(*) "
        "FROM marks m JOIN slots s ON s.id = m.slot_id WHERE m.deleted_at IS NULL "
        "GROUP BY m.pupil_id, s.course_id, s.term_id, m.value, m.weight"
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgres_up()
    else:
        _sqlite_up()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS mark_tally_marks ON marks")
        op.execute("DROP FUNCTION IF EXISTS mark_tally_marks()")
        op.execute("DROP TRIGGER IF EXISTS mark_tally_slots ON slots")
        op.execute("DROP FUNCTION IF EXISTS mark_tally_slots()")
    else:
        for name in ("marks_insert", "marks_update", "marks_delete", "slots_update"):
            op.execute(f"DROP TRIGGER IF EXISTS mark_tally_{name}")
    op.drop_table("mark_tallies")
