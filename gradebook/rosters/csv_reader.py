"""Reading an uploaded roster safely: the zip first (size, members, zip bombs, unsafe paths),
then each CSV (UTF-8 with or without BOM, CRLF, quoted commas and newlines), header by name.

Nothing here raises for bad input: every problem is collected as a :class:`RosterError`
``{"file","line","column","message"}`` (line = the CSV line number, the header is 1; ``None``
where the problem is not on a line), so that the caller can list them all at once.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from typing import Any

from eschool.i18n import gettext as _

MAX_UPLOAD = 20 * 1024 * 1024  # the upload itself
MAX_MEMBERS = 40  # OneRoster 1.1 has 15 files; leave room for folders and stray files
MAX_UNPACKED = 200 * 1024 * 1024  # all members together, uncompressed
MAX_RATIO = 100  # CSV compresses ~5-20x; 100x and more is a zip bomb
RATIO_MIN_BYTES = 1024 * 1024  # small members may compress as well as they like
MAX_FIELD = 64 * 1024  # one CSV field

ZIP_FILE = "(zip)"  # the "file" of problems with the archive itself


@dataclass(frozen=True)
class RosterError:
    """One problem, located: the file, its CSV line (header = 1) and the column."""

    file: str
    line: int | None
    column: str | None
    message: str

    def public(self) -> dict[str, Any]:
        """The wire form ``{"file","line","column","message"}``."""
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "message": self.message,
        }


@dataclass
class Problems:
    """The problems found so far (every one is reported, not only the first)."""

    items: list[RosterError] = field(default_factory=list)
    limit: int = 1000  # beyond this many, one more line says how many were left out
    dropped: int = 0

    def add(
        self, file: str, line: int | None, column: str | None, message: str, **values: Any
    ) -> None:
        """Record one problem: ``message`` in English with ``{placeholders}`` for ``values``,
        translated into the request's language."""
        if len(self.items) < self.limit:
            self.items.append(RosterError(file, line, column, _(message, **values)))
        else:
            self.dropped += 1

    def __bool__(self) -> bool:
        return bool(self.items)

    def public(self) -> list[dict[str, Any]]:
        """Every problem in wire form (plus a note of those left out)."""
        listed = [item.public() for item in self.items]
        if self.dropped:
            listed.append(
                RosterError(
                    ZIP_FILE,
                    None,
                    None,
                    _("{count} more problems are not listed.", count=self.dropped),
                ).public()
            )
        return listed


@dataclass
class Row:
    """One CSV record: the line it starts on and its values by column name."""

    line: int
    values: dict[str, str]

    def get(self, column: str) -> str:
        """The trimmed value of ``column`` ("" when empty or when the file lacks it)."""
        return self.values.get(column, "").strip()


@dataclass
class Table:
    """A parsed CSV file."""

    name: str
    header: list[str]
    rows: list[Row]


def read_zip(data: bytes, problems: Problems) -> dict[str, bytes] | None:
    """The members of a roster zip by their file name, or None when the archive is refused.

    Refused: larger than ``MAX_UPLOAD``, not a zip, more than ``MAX_MEMBERS`` members,
    absolute or ``..`` paths, encrypted members, declared or real sizes past
    ``MAX_UNPACKED``, members compressed more than ``MAX_RATIO`` times (zip bombs).
    Folders and ``__MACOSX/`` entries are skipped; a set zipped inside one folder is read
    from that folder.
    """
    if len(data) > MAX_UPLOAD:
        problems.add(
            ZIP_FILE, None, None, "The upload is larger than {size} MB.", size=MAX_UPLOAD // 2**20
        )
        return None
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
        problems.add(ZIP_FILE, None, None, "The upload is not a readable zip archive.")
        return None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_MEMBERS:
            problems.add(
                ZIP_FILE,
                None,
                None,
                "The archive holds more than {count} files.",
                count=MAX_MEMBERS,
            )
            return None
        wanted = _check_members(infos, problems)
        if wanted is None:
            return None
        return _read_members(archive, wanted, problems)


def _check_members(
    infos: list[zipfile.ZipInfo], problems: Problems
) -> dict[str, zipfile.ZipInfo] | None:
    declared = 0
    files: dict[str, zipfile.ZipInfo] = {}
    refused = False
    for info in infos:
        name = info.orig_filename
        if not _safe_name(name) or not _safe_name(info.filename):
            problems.add(
                ZIP_FILE, None, None, "Unsafe file name in the archive: '{name}'.", name=name
            )
            refused = True
            continue
        if info.is_dir() or name.startswith("__MACOSX/"):
            continue
        if info.flag_bits & 0x1:
            problems.add(name, None, None, "The file is encrypted.")
            refused = True
        declared += info.file_size
        too_well = info.file_size > RATIO_MIN_BYTES and info.file_size > MAX_RATIO * max(
            info.compress_size, 1
        )
        if too_well:
            problems.add(
                name, None, None, "The file is compressed suspiciously well (a zip bomb?)."
            )
            refused = True
        if name in files:
            problems.add(name, None, None, "The archive holds this file twice.")
            refused = True
        files[name] = info
    if declared > MAX_UNPACKED:
        problems.add(
            ZIP_FILE,
            None,
            None,
            "The archive unpacks to more than {size} MB.",
            size=MAX_UNPACKED // 2**20,
        )
        refused = True
    if refused:
        return None
    # A set zipped as one folder ("export/users.csv") is read as if it were at the top.
    folders = {name.rpartition("/")[0] for name in files}
    if len(folders) == 1 and "" not in folders:
        prefix = folders.pop() + "/"
        return {name.removeprefix(prefix): info for name, info in files.items()}
    return {name: info for name, info in files.items() if "/" not in name}


def _safe_name(name: str) -> bool:
    if not name or len(name) > 255 or "\\" in name or "\x00" in name or ":" in name:
        return False
    if name.startswith("/"):
        return False
    return all(part not in {"", ".", ".."} for part in name.removesuffix("/").split("/"))


def _read_members(
    archive: zipfile.ZipFile, wanted: dict[str, zipfile.ZipInfo], problems: Problems
) -> dict[str, bytes] | None:
    budget = MAX_UNPACKED
    contents: dict[str, bytes] = {}
    for name, info in wanted.items():
        try:
            with archive.open(info) as member:
                # Declared sizes may lie: never decompress past what is left of the budget.
                content = member.read(budget + 1)
        except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError, ValueError):
            problems.add(name, None, None, "The file could not be unpacked.")
            return None
        budget -= len(content)
        if budget < 0:
            problems.add(
                ZIP_FILE,
                None,
                None,
                "The archive unpacks to more than {size} MB.",
                size=MAX_UNPACKED // 2**20,
            )
            return None
        contents[name] = content
    return contents


def decode(name: str, data: bytes, problems: Problems) -> str | None:
    """UTF-8 text (a leading BOM dropped), or None with the line of the first bad byte."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        problems.add(name, line, None, "The file is not UTF-8 text.")
        return None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        problems.add(name, line, None, "The file contains a NUL character.")
        return None
    return text


def read_csv(
    name: str,
    data: bytes,
    problems: Problems,
    *,
    required: tuple[str, ...] = (),
) -> Table | None:
    """Parse one CSV file: the header names the columns (any order, unknown ones kept);
    ``required`` columns must be in it. Blank lines are skipped; a record with more or fewer
    fields than the header is a problem on its line. None when the file cannot be read."""
    text = decode(name, data, problems)
    if text is None:
        return None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as error:
        problems.add(name, 1, None, "The header line is not valid CSV: {error}.", error=str(error))
        return None
    if not header or not any(cell.strip() for cell in header):
        problems.add(name, 1, None, "The file has no header line.")
        return None
    header = [cell.strip() for cell in header]
    ok = True
    for column in sorted({c for c in header if header.count(c) > 1}):
        problems.add(name, 1, column, "This column appears twice in the header.")
        ok = False
    for column in required:
        if column not in header:
            problems.add(name, 1, column, "A required column is missing from the header.")
            ok = False
    rows: list[Row] = []
    line_end = reader.line_num
    while True:
        start = line_end + 1
        try:
            record = next(reader, None)
        except csv.Error as error:
            problems.add(name, reader.line_num, None, "Not valid CSV: {error}.", error=str(error))
            return None
        if record is None:
            break
        line_end = reader.line_num
        if not record or (len(record) == 1 and not record[0].strip()):
            continue  # a blank line
        if len(record) != len(header):
            problems.add(
                name,
                start,
                None,
                "The line has {count} fields; the header has {expected}.",
                count=len(record),
                expected=len(header),
            )
            ok = False
            continue
        if any(len(value) > MAX_FIELD for value in record):
            problems.add(name, start, None, "A field is longer than 64 KB.")
            ok = False
            continue
        rows.append(Row(start, dict(zip(header, record, strict=True))))
    del ok  # the rows that are fine are checked further all the same
    return Table(name, header, rows)
