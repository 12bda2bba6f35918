"""Pruner registry.  Each pruner is one module in this package that calls :func:`register`."""
from __future__ import annotations

from .base import PruneError, PruneResult, Pruner, n_to_remove

_PRUNERS: dict = {}


def register(cls):
    """Class decorator: make a :class:`Pruner` subclass available by its ``name``."""
    _PRUNERS[cls.name] = cls
    return cls


def _load_builtin() -> None:
    from . import dietcode, instance, leancode, none, random, slimcode  # noqa: F401


def available_pruners() -> list:
    _load_builtin()
    return sorted(_PRUNERS)


def get_pruner(name: str, **kwargs) -> Pruner:
    """Instantiate pruner ``name`` with its options (``table=`` for table-driven ones, ``seed=``...)."""
    _load_builtin()
    if name not in _PRUNERS:
        raise PruneError(f"unknown method {name!r}; choose one of: {', '.join(sorted(_PRUNERS))}")
    try:
        return _PRUNERS[name](**kwargs)
    except TypeError as e:
        raise PruneError(f"method {name!r} does not accept these options: {e}") from None


def build_pruner(name: str, *, table=None, seed: int = 0, task: str = "search", **extra) -> Pruner:
    """Instantiate ``name`` passing only the options its constructor accepts.

    ``table`` may be an :class:`~leancode.tables.ImportanceTable` or a path to one; ``seed`` goes to
    seeded pruners, ``task`` to table-driven ones (to pick their default table).
    """
    import inspect

    _load_builtin()
    if name not in _PRUNERS:
        raise PruneError(f"unknown method {name!r}; choose one of: {', '.join(sorted(_PRUNERS))}")
    cls = _PRUNERS[name]
    if table is not None and not hasattr(table, "token_scores"):
        from ..tables import ImportanceTable

        table = ImportanceTable.load(table)
    offered = {"table": table, "seed": seed, "task": task, **extra}
    params = inspect.signature(cls.__init__).parameters
    accepts_any = any(p.kind is p.VAR_KEYWORD for p in params.values())
    kwargs = {k: v for k, v in offered.items() if (accepts_any or k in params) and v is not None}
    if table is not None and "table" not in kwargs:
        raise PruneError(f"method {name!r} does not use an importance table")
    return cls(**kwargs)


__all__ = ["build_pruner", "PruneError", "PruneResult", "Pruner", "n_to_remove", "register", "get_pruner",
           "available_pruners"]
