"""aiogram's pydantic models are built when first used, not all at import (start-up time and memory).

aiogram 3 declares ~300 Telegram types and ~170 methods as pydantic models. Its types are configured
``defer_build=True``, but ``aiogram/types/__init__.py`` then calls ``model_rebuild()`` on every one of
them to resolve forward references, which builds every validator and serializer at import: 4-8 s of CPU
and ~150 MB of resident memory on the project's 2-core machine — more than the whole rest of kiezbot
(bench/footprint.py). kiezbot uses a handful of them (Update, Message, User, CallbackQuery, the send/edit
methods …).

:func:`install` (called from ``bot/__init__.py``, so before anything imports aiogram) hooks the import of
two aiogram modules:

* ``aiogram.types``: while it runs, its ``model_rebuild()`` calls only collect the namespace they pass
  (all type names, ``Optional``, ``Default`` …) instead of building. Afterwards these names are added to the
  globals of every ``aiogram.types.*`` module (where they are otherwise imported under TYPE_CHECKING only),
  so pydantic's own deferred build finds them on first use, from whatever context that happens.
* ``aiogram.methods.base``: ``TelegramMethod`` gets ``defer_build=True`` too (inherited by every method),
  and after ``aiogram.methods`` the same names go into the methods' modules.

Nothing else changes: a model's schema is the same whenever it is built (tests/test_lazy_models.py builds
every one). If aiogram was imported before kiezbot's ``bot`` package, nothing is hooked and aiogram builds
everything as usual; if a future aiogram stops passing its namespace to ``model_rebuild()`` (or renames
``TelegramMethod``), the hook steps aside the same way and the models are built at import again.
"""
from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from types import ModuleType
from typing import Any

_TYPES = "aiogram.types"
_METHODS = "aiogram.methods"
_METHODS_BASE = "aiogram.methods.base"
_HOOKED = (_TYPES, _METHODS, _METHODS_BASE)

_namespace: dict[str, Any] = {}      # what aiogram.types passes to model_rebuild(): all names it needs


def _add_names(prefix: str) -> None:
    for name, module in list(sys.modules.items()):
        if (name == prefix or name.startswith(prefix + ".")) and isinstance(module, ModuleType):
            for key, value in _namespace.items():
                module.__dict__.setdefault(key, value)


def _exec_types(loader: importlib.abc.Loader, module: ModuleType) -> None:
    from pydantic import BaseModel

    real = BaseModel.__dict__["model_rebuild"]

    def collect(cls, *, force: bool = False, raise_errors: bool = True, _parent_namespace_depth: int = 2,
                _types_namespace: Any = None) -> bool | None:
        if _types_namespace is not None and not force and not cls.__pydantic_complete__:
            _namespace.update(_types_namespace)
            return None                          # stays deferred: built on first use
        return real.__func__(cls, force=force, raise_errors=raise_errors,
                             _parent_namespace_depth=_parent_namespace_depth + 1,
                             _types_namespace=_types_namespace)

    BaseModel.model_rebuild = classmethod(collect)   # type: ignore[method-assign,assignment]
    try:
        loader.exec_module(module)
    finally:
        BaseModel.model_rebuild = real               # type: ignore[method-assign]
    _add_names(_TYPES)


def _exec_methods_base(loader: importlib.abc.Loader, module: ModuleType) -> None:
    loader.exec_module(module)
    method = getattr(module, "TelegramMethod", None)
    if _namespace and isinstance(getattr(method, "model_config", None), dict):
        method.model_config["defer_build"] = True    # every method class inherits it
    _add_names(_METHODS_BASE)


def _exec_methods(loader: importlib.abc.Loader, module: ModuleType) -> None:
    loader.exec_module(module)
    _add_names(_METHODS)


_EXEC = {_TYPES: _exec_types, _METHODS_BASE: _exec_methods_base, _METHODS: _exec_methods}


class _Loader(importlib.abc.Loader):
    def __init__(self, name: str, loader: importlib.abc.Loader) -> None:
        self._name = name
        self._loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        _EXEC[self._name](self._loader, module)

    def __getattr__(self, name: str) -> Any:         # get_resource_reader, get_source, …
        return getattr(self._loader, name)


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: Any, target: ModuleType | None = None
                  ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in _HOOKED:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return None
        spec.loader = _Loader(fullname, spec.loader)
        return spec


def install() -> None:
    """Hook aiogram's import (once; not if aiogram is imported already, nor when the ``lazy_models`` fast
    path is off or its aiogram/pydantic are outside the versions it was written for: storage/fast_paths.py)."""
    if "aiogram" in sys.modules or any(isinstance(f, _Finder) for f in sys.meta_path):
        return
    from storage import fast_paths
    if not fast_paths.enabled("lazy_models"):
        return
    sys.meta_path.insert(0, _Finder())


def deferred() -> bool:
    """True if aiogram's models are built on first use (the hook was in place when it was imported)."""
    return bool(_namespace)
