"""The packages that make up the server, and where their files live.

``eschool`` knows the domain packages only by name: it finds their templates, catalogs
and migrations on disk and imports their routes and seeds inside ``create_app()`` / the CLI.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

DOMAIN_PACKAGES = ("lessons", "gradebook", "classwork", "live", "messaging")
ALL_PACKAGES = ("eschool", *DOMAIN_PACKAGES)


def package_root(package: str) -> Path | None:
    """The folder of an installed package, or None."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def package_dirs(*parts: str, packages: tuple[str, ...] = ALL_PACKAGES) -> list[Path]:
    """The existing ``<package>/<parts...>`` folders, in package order."""
    folders = []
    for package in packages:
        root = package_root(package)
        if root is not None and (root.joinpath(*parts)).is_dir():
            folders.append(root.joinpath(*parts))
    return folders
