"""Reading an untrusted zip (our lesson zip, an IMS package): every reader of archives uses it.

Nothing in the archive is trusted: member names must be plain relative paths (no ``..``,
no absolute or drive paths, no backslashes), duplicates and encrypted members are refused,
the declared sizes must fit the caps, a member that compresses suspiciously well is taken
for a zip bomb, and decompression itself is metered — no member may produce more than its
header declares, and the whole archive no more than ``max_total`` bytes.

Every refusal is an :class:`ExchangeError` (400 malformed or hostile, 413 too big), which
the API shows in its error envelope; nothing is written anywhere while reading.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from types import TracebackType
from typing import Any

from eschool.errors import DomainError

# Deflate can reach ~1000:1; real lessons and packages (XML, JSON, media) stay far below this.
MAX_COMPRESSION_RATIO = 100
# Small members may compress extremely well (a blank image) without being a threat.
RATIO_CHECK_MIN_BYTES = 1024 * 1024
MAX_NAME_CHARS = 255
_READ_CHUNK = 64 * 1024
_READ_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    NotImplementedError,
    RuntimeError,
    ValueError,
)


class ExchangeError(DomainError):
    """A file that cannot be imported; ``status`` is 400 (malformed), 413, 415 or 422."""

    def __init__(self, code: str, message: str, status: int = 400, details: Any = None) -> None:
        super().__init__(message, code=code, details=details)
        self.status = status


def open_zip(data: bytes) -> zipfile.ZipFile:
    """The archive in ``data``; ``not_a_zip`` when it cannot be opened as one."""
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError) as error:
        raise ExchangeError("not_a_zip", "the file is not a readable zip archive") from error


def is_safe_name(name: str) -> bool:
    """A plain relative member path: no ``..``/``.``/empty parts, no absolute, drive or
    backslash paths, no NUL."""
    if not name or len(name) > MAX_NAME_CHARS or "\\" in name or "\x00" in name or ":" in name:
        return False
    if name.startswith("/"):
        return False
    parts = name.removesuffix("/").split("/")
    return all(part not in {"", ".", ".."} for part in parts)


def check_members(
    infos: list[zipfile.ZipInfo], *, max_total: int, max_files: int
) -> dict[str, zipfile.ZipInfo]:
    """The archive's files by name (folders left out), once every entry passed the checks:
    unsafe names, duplicates, encryption, too many entries, declared sizes over
    ``max_total`` and suspicious compression ratios are refused."""
    if len(infos) > max_files:
        raise ExchangeError("too_many_files", f"the archive holds more than {max_files} files", 413)
    members: dict[str, zipfile.ZipInfo] = {}
    declared_total = 0
    for info in infos:
        name = info.filename
        # ZipInfo turns "\" into "/" on Windows only; orig_filename keeps what was stored.
        if not is_safe_name(info.orig_filename) or not is_safe_name(name):
            raise ExchangeError("unsafe_name", f"the archive holds an unsafe file name: {name!r}")
        if name in members:
            raise ExchangeError("duplicate_name", f"the archive holds {name!r} twice")
        members[name] = info
        if info.flag_bits & 0x1:
            raise ExchangeError("encrypted", f"{name!r} is encrypted")
        declared_total += info.file_size
        if declared_total > max_total:
            raise ExchangeError(
                "too_large", f"the archive unpacks to more than {max_total} bytes", 413
            )
        if info.file_size > RATIO_CHECK_MIN_BYTES and info.file_size > MAX_COMPRESSION_RATIO * max(
            info.compress_size, 1
        ):
            raise ExchangeError(
                "compression_ratio", f"{name!r} is compressed suspiciously well (a zip bomb?)"
            )
    return {name: info for name, info in members.items() if not name.endswith("/")}


class Budget:
    """The bytes still allowed to be decompressed from the whole archive."""

    def __init__(self, total: int) -> None:
        self.left = total

    def spend(self, count: int) -> None:
        self.left -= count
        if self.left < 0:
            raise ExchangeError("too_large", "the archive unpacks to more than allowed", 413)


def read_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: Budget, limit: int
) -> bytes:
    """Decompress one member, never producing more than its declared size or the limits."""
    if info.file_size > limit:
        raise ExchangeError("too_large", f"{info.filename!r} is larger than allowed", 413)
    chunks: list[bytes] = []
    produced = 0
    try:
        with archive.open(info) as member:
            while chunk := member.read(_READ_CHUNK):
                produced += len(chunk)
                budget.spend(len(chunk))
                if produced > info.file_size:
                    raise ExchangeError(
                        "corrupt_zip", f"{info.filename!r} is larger than its header says"
                    )
                chunks.append(chunk)
    except ExchangeError:
        raise
    except _READ_ERRORS as error:
        raise ExchangeError("corrupt_zip", f"{info.filename!r} cannot be read") from error
    return b"".join(chunks)


class SafeZip:
    """An untrusted archive opened and checked (:func:`check_members`); every read spends from
    one decompression budget of ``max_total`` bytes. Use it as a context manager."""

    def __init__(self, data: bytes, *, max_total: int, max_files: int) -> None:
        self.archive = open_zip(data)
        try:
            self.members = check_members(
                self.archive.infolist(), max_total=max_total, max_files=max_files
            )
        except ExchangeError:
            self.archive.close()
            raise
        self.budget = Budget(max_total)
        self.max_total = max_total

    def has(self, name: str) -> bool:
        return name in self.members

    def read(self, name: str, limit: int | None = None) -> bytes:
        """The content of member ``name`` (at most ``limit`` bytes); ``missing_file`` when
        the archive has no such file."""
        info = self.members.get(name)
        if info is None:
            raise ExchangeError("missing_file", f"the archive has no file {name!r}")
        return read_member(self.archive, info, self.budget, limit or self.max_total)

    def close(self) -> None:
        self.archive.close()

    def __enter__(self) -> SafeZip:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
