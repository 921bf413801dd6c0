"""Import every package's tables so SQLModel.metadata knows the whole schema."""

from __future__ import annotations

import importlib

from eschool import models  # noqa: F401
from eschool.notifications import models as _notifications  # noqa: F401
from eschool.packages import DOMAIN_PACKAGES
from eschool.privacy import models as _privacy  # noqa: F401
from eschool.uploads import models as _uploads  # noqa: F401

for _package in DOMAIN_PACKAGES:
    try:
        importlib.import_module(f"{_package}.models")
    except ModuleNotFoundError as exc:
        if exc.name != f"{_package}.models":
            raise
