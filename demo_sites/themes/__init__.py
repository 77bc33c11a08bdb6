"""One HTML theme per outlet: different markup, class names and date signals on purpose."""

from __future__ import annotations

import importlib
from types import ModuleType


def for_outlet(outlet_id: str) -> ModuleType:
    return importlib.import_module(f"demo_sites.themes.{outlet_id}")
