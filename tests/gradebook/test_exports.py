"""The journal's CSV and XLSX exports: what they hold, that they parse back to the same grid,
and that no cell of theirs is ever a formula."""

import csv
import io
import json
import zipfile
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from gradebook.exports import (
    ATTENDANCE_CODES,
    journal_csv,
    journal_xlsx,
    parse_journal_csv,
    parse_journal_xlsx,
)

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def make_journal() -> dict[str, Any]:
    return {
        "course": {
            "id": 4,
            "class": "7А",
            "subject": "Математика",
            "teacher": "Анна Петровна",
            "scale": "five",
        },
        "term": {"id": 2, "name": "1 четверть", "start": "2025-09-01", "end": "2025-10-26"},
        "pupils": [
            {"id": 10, "name": "Иванов Иван"},
            {"id": 11, "name": '=HYPERLINK("http://evil.example","x")'},
            {"id": 12, "name": "О'Нил, Анна"},
            {"id": 13, "name": "'Квадратов"},
        ],
        "slots": [
            {"id": 102, "date": "2025-09-03", "period": 2, "topic": "Дроби", "homework": "№ 5"},
            {"id": 100, "date": "2025-09-01", "period": 3, "topic": "", "homework": ""},
            {"id": 101, "date": "2025-09-01", "period": 1, "topic": "", "homework": ""},
            {"id": 103, "date": "2025-09-03", "period": 2, "topic": "", "homework": ""},
        ],
        "marks": [
            {
                "id": 7,
                "pupil_id": 10,
                "slot_id": 102,
                "value": "4",
                "work_type": "homework",
                "weight": 1,
                "comment": "",
            },
            {
                "id": 5,
                "pupil_id": 10,
                "slot_id": 102,
                "value": "5",
                "work_type": "test",
                "weight": 2,
                "comment": "молодец",
            },
            {
                "id": 6,
                "pupil_id": 11,
                "slot_id": 101,
                "value": "3",
                "work_type": "classwork",
                "weight": 1,
                "comment": "",
            },
            {
                "id": 8,
                "pupil_id": 12,
                "slot_id": 100,
                "value": "2",
                "work_type": "classwork",
                "weight": 1,
                "comment": "",
            },
            {
                "id": 9,
                "pupil_id": 99,
                "slot_id": 100,
                "value": "5",
                "work_type": "classwork",
                "weight": 1,
                "comment": "a pupil who left the class",
            },
        ],
        "attendance": [
            {"pupil_id": 10, "slot_id": 102, "status": "late"},
            {"pupil_id": 11, "slot_id": 100, "status": "absent"},
            {"pupil_id": 12, "slot_id": 100, "status": "present"},
            {"pupil_id": 12, "slot_id": 101, "status": "excused"},
            {"pupil_id": 13, "slot_id": 103, "status": "ill"},
        ],
        "averages": {10: 4.67, 11: 3.0, 12: 2.0, 13: None},
    }


SLOTS = ["2025-09-01 (1)", "2025-09-01 (3)", "2025-09-03 (2)", "2025-09-03 (2) #103"]
EXPECTED = {
    "meta": {
        "class": "7А",
        "subject": "Математика",
        "teacher": "Анна Петровна",
        "term": "1 четверть",
        "term_start": "2025-09-01",
        "term_end": "2025-10-26",
        "scale": "five",
    },
    "slots": SLOTS,
    "pupils": {
        "Иванов Иван": dict(zip(SLOTS, ["", "", "5 4 оп", ""], strict=True)),
        '=HYPERLINK("http://evil.example","x")': dict(zip(SLOTS, ["3", "н", "", ""], strict=True)),
        "О'Нил, Анна": dict(zip(SLOTS, ["уп", "2", "", ""], strict=True)),
        "'Квадратов": dict(zip(SLOTS, ["", "", "", "б"], strict=True)),
    },
    "averages": {
        "Иванов Иван": 4.67,
        '=HYPERLINK("http://evil.example","x")': 3.0,
        "О'Нил, Анна": 2.0,
        "'Квадратов": None,
    },
}


# --- CSV ---------------------------------------------------------------------------------


def test_csv_parses_back_to_the_journal_grid() -> None:
    assert parse_journal_csv(journal_csv(make_journal())) == EXPECTED


def test_csv_starts_with_a_bom_and_ends_rows_in_crlf() -> None:
    text = journal_csv(make_journal())
    data = text.encode("utf-8")
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig").startswith("Class,7А\r\n")
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")


def test_csv_layout_header_block_then_grid() -> None:
    rows = list(csv.reader(io.StringIO(journal_csv(make_journal()).removeprefix("\ufeff"))))
    assert rows[:8] == [
        ["Class", "7А"],
        ["Subject", "Математика"],
        ["Teacher", "Анна Петровна"],
        ["Term", "1 четверть", "2025-09-01", "2025-10-26"],
        ["Scale", "five"],
        ["Attendance", "н = absent; оп = late; уп = excused; б = ill"],
        [],
        ["Pupil", *SLOTS, "Average"],
    ]
    assert rows[8] == ["Иванов Иван", "", "", "5 4 оп", "", "4.67"]
    # A leading quote is itself quoted, so reading strips exactly one.
    assert rows[-1] == ["''Квадратов", "", "", "", "б", ""]


def test_csv_cells_never_start_a_formula() -> None:
    text = journal_csv(make_journal())
    cells = [cell for row in csv.reader(io.StringIO(text.removeprefix("\ufeff"))) for cell in row]
    assert '\'=HYPERLINK("http://evil.example","x")' in cells
    assert not [cell for cell in cells if cell.startswith(FORMULA_STARTS)]


def test_csv_with_semicolons_parses_back_the_same() -> None:
    text = journal_csv(make_journal(), delimiter=";")
    assert text.removeprefix("\ufeff").startswith("Class;7А\r\n")
    assert parse_journal_csv(text) == EXPECTED
    with pytest.raises(ValueError, match="delimiter"):
        journal_csv(make_journal(), delimiter="\t")


def test_a_journal_that_went_through_json_exports_the_same() -> None:
    through_json = json.loads(json.dumps(make_journal()))
    assert set(through_json["averages"]) == {"10", "11", "12", "13"}
    assert journal_csv(through_json) == journal_csv(make_journal())


def test_teacher_and_class_may_be_objects_with_a_name() -> None:
    journal = make_journal()
    journal["course"]["teacher"] = {"id": 3, "name": "Анна Петровна"}
    journal["course"]["class"] = {"id": 1, "name": "7А"}
    assert parse_journal_csv(journal_csv(journal))["meta"] == EXPECTED["meta"]


def test_an_empty_journal_exports_a_header_only() -> None:
    journal = make_journal() | {"pupils": [], "slots": [], "marks": [], "attendance": []}
    parsed = parse_journal_csv(journal_csv(journal))
    assert parsed["slots"] == []
    assert parsed["pupils"] == {}
    assert parse_journal_xlsx(journal_xlsx(journal))["pupils"] == {}


def test_an_unknown_attendance_status_is_refused() -> None:
    journal = make_journal()
    journal["attendance"].append({"pupil_id": 10, "slot_id": 100, "status": "truant"})
    with pytest.raises(ValueError, match="truant"):
        journal_csv(journal)


def test_every_status_has_a_code_and_present_shows_nothing() -> None:
    assert set(ATTENDANCE_CODES) == {"present", "absent", "late", "excused", "ill"}
    assert ATTENDANCE_CODES["present"] == ""
    assert len(set(ATTENDANCE_CODES.values())) == 5


@pytest.mark.parametrize("text", ["", "hello", "Class,7A\r\n"])
def test_parse_refuses_text_that_is_not_an_export(text: str) -> None:
    with pytest.raises(ValueError, match="not a journal export"):
        parse_journal_csv(text)


def test_parse_refuses_pupils_it_cannot_tell_apart() -> None:
    journal = make_journal()
    journal["pupils"][1]["name"] = "Иванов Иван"
    with pytest.raises(ValueError, match="two pupils named"):
        parse_journal_csv(journal_csv(journal))


names = st.lists(
    st.text(
        st.characters(categories=("L", "N", "P", "S", "Zs"), include_characters="=+-@'"),
        min_size=1,
        max_size=12,
    ),
    min_size=1,
    max_size=5,
    unique=True,
)


def journal_of(pupil_names: list[str], values: list[str]) -> dict[str, Any]:
    journal = make_journal()
    journal["pupils"] = [{"id": i, "name": name} for i, name in enumerate(pupil_names)]
    journal["attendance"] = []
    journal["marks"] = [
        {
            "id": n,
            "pupil_id": n % len(pupil_names),
            "slot_id": 100 + n % 4,
            "value": value,
            "work_type": "classwork",
            "weight": 1,
            "comment": "",
        }
        for n, value in enumerate(values)
    ]
    journal["averages"] = {
        i: round(i * 0.37, 2) if i % 2 else None for i in range(len(pupil_names))
    }
    return journal


mark_values = st.lists(st.sampled_from(["2", "3", "4", "5", "A", "pass", "100"]), max_size=10)


@settings(max_examples=40, deadline=None)
@given(pupil_names=names, values=mark_values)
def test_csv_and_xlsx_round_trip_any_names(pupil_names: list[str], values: list[str]) -> None:
    journal = journal_of(pupil_names, values)
    from_csv = parse_journal_csv(journal_csv(journal))
    assert list(from_csv["pupils"]) == pupil_names
    assert from_csv["averages"] == {
        name: journal["averages"][i] for i, name in enumerate(pupil_names)
    }
    all_cells = " ".join(cell for row in from_csv["pupils"].values() for cell in row.values())
    assert sorted(all_cells.split()) == sorted(values)
    assert parse_journal_xlsx(journal_xlsx(journal)) == from_csv


# --- XLSX --------------------------------------------------------------------------------


def test_xlsx_parses_back_to_the_journal_grid() -> None:
    assert parse_journal_xlsx(journal_xlsx(make_journal())) == EXPECTED


def test_xlsx_sheet_is_frozen_bold_and_sized() -> None:
    sheet = load_workbook(io.BytesIO(journal_xlsx(make_journal())))["Journal"]
    header_row = 8
    assert sheet.freeze_panes == "B9"
    assert [cell.value for cell in sheet[header_row]] == ["Pupil", *SLOTS, "Average"]
    assert all(cell.font.bold for cell in sheet[header_row])
    assert sheet["A1"].font.bold
    assert sheet.column_dimensions["A"].width >= len('=HYPERLINK("http://evil.example","x")')
    assert sheet.column_dimensions["E"].width >= len(SLOTS[-1])


def test_xlsx_numbers_are_numbers_and_text_is_never_a_formula() -> None:
    data = journal_xlsx(make_journal())
    sheet = load_workbook(io.BytesIO(data))["Journal"]
    ivanov, evil = sheet[9], sheet[10]
    assert evil[0].value == '=HYPERLINK("http://evil.example","x")'
    assert evil[0].data_type == "s"
    assert evil[1].value == 3  # a lone mark is a number, not text
    assert ivanov[3].value == "5 4 оп"
    assert ivanov[5].value == 4.67
    assert ivanov[5].number_format == "0.00"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()


@pytest.mark.parametrize("data", [b"", b"not a zip", journal_csv(make_journal()).encode()])
def test_xlsx_parse_refuses_data_that_is_not_a_workbook(data: bytes) -> None:
    with pytest.raises(ValueError, match="not a journal export"):
        parse_journal_xlsx(data)


def test_xlsx_drops_characters_a_workbook_cannot_hold() -> None:
    journal = make_journal()
    journal["pupils"][0]["name"] = "Иванов\x00 Иван\x1b"
    parsed = parse_journal_xlsx(journal_xlsx(journal))
    assert "Иванов Иван" in parsed["pupils"]
