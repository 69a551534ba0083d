"""Names a package exports without importing their modules until first use, so that commands
and light helpers import without torch models (PEP 562 module ``__getattr__``)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping


def lazy_exports(package: str, exports: Mapping[str, str]) -> tuple[Callable, list[str]]:
    """``(__getattr__, __all__)`` for ``package``: ``exports`` maps each exported name to the
    submodule (relative to ``package``) that defines it."""

    def __getattr__(name: str):
        if name in exports:
            return getattr(importlib.import_module(f"{package}.{exports[name]}"), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__, sorted(exports)
