"""Dependencies point one way (DESIGN.md): every package may import ``eschool``; ``classwork``
imports ``lessons`` and ``gradebook``; ``live`` imports ``classwork``, ``lessons`` and
``gradebook``; ``lessons`` and ``gradebook`` never import each other, ``classwork`` or
``live``; ``eschool`` imports none of them by name (``create_app`` finds them through
``eschool.packages``)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOMAINS = {"lessons", "gradebook", "classwork", "live", "messaging"}
ALLOWED: dict[str, set[str]] = {
    "eschool": set(),
    "lessons": set(),
    "gradebook": set(),
    "classwork": {"lessons", "gradebook"},
    "live": {"classwork", "lessons", "gradebook"},
    "messaging": set(),
}


def imported_packages(path: Path) -> set[str]:
    """The top-level packages a module imports, anywhere in it (lazy imports included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_the_checker_sees_lazy_imports(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from gradebook.queries import x\n    import lessons.blocks\n")
    assert imported_packages(module) == {"gradebook", "lessons"}


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_a_package_imports_only_what_it_may(package: str) -> None:
    offences = []
    for path in sorted((ROOT / package).rglob("*.py")):
        if path == ROOT / "eschool" / "app.py":
            continue  # create_app() mounts the packages: the one exception
        wrong = (imported_packages(path) & DOMAINS) - ALLOWED[package] - {package}
        if wrong:
            offences.append(f"{path.relative_to(ROOT)} imports {sorted(wrong)}")
    assert offences == []


def test_no_module_global_hook_registry_is_left() -> None:
    assert not (ROOT / "eschool" / "hooks.py").exists()
    for path in (ROOT / "eschool").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "register_lesson_resolver" not in text and "register_asset_voucher" not in text
        assert "register_teaching_lookup" not in text
