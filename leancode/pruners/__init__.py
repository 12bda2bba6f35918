"""Pruner registry.  Each pruner is one module in this package that calls :func:`register`."""
from __future__ import annotations

from .base import PruneError, PruneResult, Pruner, n_to_remove

_PRUNERS: dict = {}


def register(cls):
    """Class decorator: make a :class:`Pruner` subclass available by its ``name``."""
    _PRUNERS[cls.name] = cls
    return cls


def _load_builtin() -> None:
    from . import dietcode, leancode, none, random, slimcode  # noqa: F401


def available_pruners() -> list:
    _load_builtin()
    return sorted(_PRUNERS)


def get_pruner(name: str, **kwargs) -> Pruner:
    """Instantiate pruner ``name`` with its options (``table=`` for table-driven ones, ``seed=``...)."""
    _load_builtin()
    if name not in _PRUNERS:
        raise PruneError(f"unknown method {name!r}; choose one of: {', '.join(sorted(_PRUNERS))}")
    return _PRUNERS[name](**kwargs)


__all__ = ["PruneError", "PruneResult", "Pruner", "n_to_remove", "register", "get_pruner",
           "available_pruners"]
