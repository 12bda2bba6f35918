"""Importance tables: dataset-wide token and statement scores for DietCode and LeanCode.

An :class:`ImportanceTable` is computed once from a model over a corpus (SPEC sections 5
and 6) and then drives pruning with no model at all.  It holds, for every entry, the mean
score **and** the number of occurrences the mean was taken over, so that tables built on
separate shards can be merged exactly (:meth:`ImportanceTable.merge`).

Three kinds of entries:

``token_scores``     ``{text: [mean, count]}``: the mean score of token text ``t`` over all
                     its occurrences (DietCode's ``token_score``; LeanCode's fallback).
``category_scores``  ``{category: [mean, count]}``: the mean *statement attention* of the
                     statements of a category.  The attention of one statement is the
                     **sum** of its tokens' scores (tokens the model did not see are left
                     out; a statement with no seen token is not counted).  ``count`` is the
                     number of statements.
``context_scores``   ``{category: {text: [mean, count]}}``: LeanCode's context-aware table,
                     the mean score of ``t`` when it occurs in a statement of category ``c``.

On disk a table is one JSON object::

    {"format": "leancode-importance-table", "version": 1,
     "provenance": {"method": ..., "task": ..., "language": ..., "model": ...,
                    "source": "cls" | "cross" | "received" | ...,
                    "corpus": {"name": ..., "split": ...}, "n_snippets": ...,
                    "created": "2025-01-01T00:00:00+00:00", "leancode_version": ...,
                    "extra": {...}},
     "token_scores": {...}, "category_scores": {...}, "context_scores": {...}}

When reading, an entry may also be a bare number (a mean with a count of 1).

Lookups and their fallbacks:

* :meth:`ImportanceTable.token_score` ``(text)``: the token's mean; if the table has no
  ``token_scores`` entry for it, the count-weighted mean of its ``context_scores`` entries
  over all categories; else ``default`` (+infinity: never-seen tokens are removed last).
* :meth:`ImportanceTable.category_score` ``(category)``: the category's mean; else the
  unweighted mean of the known categories; else 0.
* :meth:`ImportanceTable.context_score` ``(category, text)``: ``context_scores[c][t]``; else
  :meth:`token_score`.

Tables are treated as immutable once built or loaded (lookups are cached).
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Optional, Sequence, Union

from .errors import TableError
from .tokens import CodeSnippet

FORMAT = "leancode-importance-table"
VERSION = 1

#: Where the tables shipped with the package live: ``{method}-{task}-{language}.json``.
TABLES_DIR = Path(__file__).resolve().parent / "resources" / "tables"

_INF = math.inf
PathLike = Union[str, "os.PathLike[str]"]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _version() -> str:
    try:
        from . import __version__
    except ImportError:  # pragma: no cover - partially initialised package
        return ""
    return __version__


def _combine(a: Sequence, b: Sequence) -> list:
    """Merge two ``[mean, count]`` entries exactly."""
    ca, cb = a[1], b[1]
    total = ca + cb
    return [(a[0] * ca + b[0] * cb) / total, total]


@dataclass
class ImportanceTable:
    """Dataset-wide importance scores with their provenance (see the module docstring)."""

    method: str
    task: str
    language: str
    model: str = ""
    source: str = ""
    corpus: dict = field(default_factory=dict)          # {"name": ..., "split": ...}
    n_snippets: int = 0
    created: str = ""
    leancode_version: str = ""
    extra: dict = field(default_factory=dict)           # free-form provenance (settings ...)
    token_scores: dict = field(default_factory=dict)    # text -> [mean, count]
    category_scores: dict = field(default_factory=dict) # category -> [mean, count]
    context_scores: dict = field(default_factory=dict)  # category -> {text -> [mean, count]}

    def __post_init__(self) -> None:
        self._cache: Optional[tuple] = None
        self._description: Optional[str] = None

    # ----------------------------------------------------------------- lookups
    def _lookups(self) -> tuple:
        """(token means, category means, context means, mean of the category means)."""
        if self._cache is None:
            tok = {t: float(e[0]) for t, e in self.token_scores.items()}
            # Tokens only present in context entries: count-weighted mean over categories.
            derived: dict = {}
            for entries in self.context_scores.values():
                for t, e in entries.items():
                    if t not in tok:
                        acc = derived.get(t)
                        derived[t] = list(e) if acc is None else _combine(acc, e)
            for t, e in derived.items():
                tok[t] = float(e[0])
            cat = {c: float(e[0]) for c, e in self.category_scores.items()}
            ctx = {c: {t: float(e[0]) for t, e in entries.items()}
                   for c, entries in self.context_scores.items()}
            cat_default = sum(cat.values()) / len(cat) if cat else 0.0
            self._cache = (tok, cat, ctx, cat_default)
        return self._cache

    def token_means(self) -> dict:
        """``{text: mean}`` for every token text the table knows (including derived ones)."""
        return self._lookups()[0]

    def context_means(self) -> dict:
        """``{category: {text: mean}}``."""
        return self._lookups()[2]

    def token_score(self, text: str, default: float = _INF) -> float:
        """Mean score of token ``text`` over all its occurrences; ``default`` if never seen."""
        return self._lookups()[0].get(text, default)

    def category_score(self, category: str) -> float:
        """Mean statement attention of ``category``; the mean over known categories, or 0."""
        _, cat, _, cat_default = self._lookups()
        return cat.get(category, cat_default)

    def context_score(self, category: str, text: str, default: float = _INF) -> float:
        """``score[category][text]``, else the token's mean over all categories, else ``default``."""
        tok, _, ctx, _ = self._lookups()
        entries = ctx.get(category)
        if entries is not None:
            s = entries.get(text)
            if s is not None:
                return s
        return tok.get(text, default)

    def count(self, text: str, category: Optional[str] = None) -> int:
        """Occurrences behind a token's mean (in ``category`` when given); 0 if unseen."""
        if category is None:
            e = self.token_scores.get(text)
        else:
            e = self.context_scores.get(category, {}).get(text)
        return int(e[1]) if e is not None else 0

    # ------------------------------------------------------------- provenance
    @property
    def provenance(self) -> dict:
        return {
            "method": self.method, "task": self.task, "language": self.language,
            "model": self.model, "source": self.source, "corpus": dict(self.corpus),
            "n_snippets": self.n_snippets, "created": self.created,
            "leancode_version": self.leancode_version, "extra": dict(self.extra),
        }

    def describe(self) -> str:
        """One line: what the table is and where it came from."""
        cached = getattr(self, "_description", None)
        if cached is not None:
            return cached
        corpus = self.corpus.get("name", "") if self.corpus else ""
        split = self.corpus.get("split", "") if self.corpus else ""
        where = f"{corpus}:{split}" if split else corpus
        self._description = (
            f"{self.method} table for {self.task}/{self.language} from {self.model or '?'} "
            f"({self.source or '?'}) over {self.n_snippets} snippets of {where or '?'}; "
            f"{len(self.token_scores)} tokens, {len(self.category_scores)} categories, "
            f"{sum(len(v) for v in self.context_scores.values())} context entries")
        return self._description

    # ------------------------------------------------------------ JSON / disk
    def to_dict(self) -> dict:
        return {
            "format": FORMAT,
            "version": VERSION,
            "provenance": self.provenance,
            "token_scores": {t: [float(e[0]), int(e[1])] for t, e in self.token_scores.items()},
            "category_scores": {c: [float(e[0]), int(e[1])] for c, e in self.category_scores.items()},
            "context_scores": {c: {t: [float(e[0]), int(e[1])] for t, e in entries.items()}
                               for c, entries in self.context_scores.items()},
        }

    @classmethod
    def from_dict(cls, data, origin: str = "table") -> "ImportanceTable":
        """Validate and build a table from its JSON object; :class:`TableError` if malformed."""
        if not isinstance(data, dict):
            raise TableError(f"{origin} is not a LeanCode importance table (expected a JSON object)")
        fmt = data.get("format")
        if fmt != FORMAT:
            raise TableError(f"{origin} is not a LeanCode importance table "
                             f"(format is {fmt!r}, expected {FORMAT!r})")
        version = data.get("version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise TableError(f"{origin} has no valid table version (got {version!r})")
        if version > VERSION:
            raise TableError(f"{origin} is table format version {version}, written by a newer "
                             f"LeanCode; this one reads version {VERSION}")
        if version < 1:
            raise TableError(f"{origin} has an invalid table version {version}")
        prov = data.get("provenance", {})
        if not isinstance(prov, dict):
            raise TableError(f"{origin}: 'provenance' must be an object")
        for key in ("method", "task", "language"):
            if not isinstance(prov.get(key), str) or not prov.get(key):
                raise TableError(f"{origin}: provenance.{key} is missing or not a string")
        corpus = prov.get("corpus", {})
        if isinstance(corpus, str):
            corpus = {"name": corpus}
        if not isinstance(corpus, dict):
            raise TableError(f"{origin}: provenance.corpus must be an object or a string")
        n_snippets = prov.get("n_snippets", 0)
        if not isinstance(n_snippets, int) or isinstance(n_snippets, bool) or n_snippets < 0:
            raise TableError(f"{origin}: provenance.n_snippets must be a non-negative integer")
        extra = prov.get("extra", {})
        if not isinstance(extra, dict):
            raise TableError(f"{origin}: provenance.extra must be an object")

        def entries(obj, what: str) -> dict:
            if obj is None:
                return {}
            if not isinstance(obj, dict):
                raise TableError(f"{origin}: {what} must be an object")
            return {str(k): _entry(v, f"{origin}: {what}[{k!r}]") for k, v in obj.items()}

        ctx_raw = data.get("context_scores", {}) or {}
        if not isinstance(ctx_raw, dict):
            raise TableError(f"{origin}: context_scores must be an object")
        return cls(
            method=prov["method"], task=prov["task"], language=prov["language"],
            model=str(prov.get("model", "") or ""), source=str(prov.get("source", "") or ""),
            corpus=dict(corpus), n_snippets=n_snippets, created=str(prov.get("created", "") or ""),
            leancode_version=str(prov.get("leancode_version", "") or ""), extra=dict(extra),
            token_scores=entries(data.get("token_scores"), "token_scores"),
            category_scores=entries(data.get("category_scores"), "category_scores"),
            context_scores={str(c): entries(v, f"context_scores[{c!r}]") for c, v in ctx_raw.items()},
        )

    def save(self, path: PathLike) -> Path:
        """Write the table as JSON, atomically (a temporary file in the same folder, then rename)."""
        path = Path(path)
        if path.is_dir():
            raise TableError(f"cannot save the table: {path} is a folder")
        from .errors import DataError
        from .io import atomic_writer

        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_writer(path) as fh:
                json.dump(self.to_dict(), fh, ensure_ascii=False, allow_nan=False, indent=1)
                fh.write("\n")
        except (OSError, DataError) as e:
            raise TableError(f"cannot save the table to {path}: {getattr(e, 'strerror', None) or e}") from None
        except ValueError as e:
            raise TableError(f"cannot save the table to {path}: scores must be finite numbers ({e})") from None
        return path

    @classmethod
    def load(cls, path: PathLike) -> "ImportanceTable":
        """Read a table written by :meth:`save`; :class:`TableError` with the reason if unusable."""
        path = Path(path)
        if not path.exists():
            raise TableError(f"importance table not found: {path}")
        if path.is_dir():
            raise TableError(f"importance table path is a folder, not a file: {path}")
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise TableError(f"{path} is not a LeanCode importance table (not UTF-8 text)") from None
        except OSError as e:
            raise TableError(f"cannot read importance table {path}: {e.strerror or e}") from None
        try:
            data = json.loads(text, parse_constant=_reject_constant)
        except TableError:
            raise TableError(f"{path}: scores must be finite numbers (found NaN or Infinity)") from None
        except json.JSONDecodeError as e:
            raise TableError(f"{path} is not valid JSON (line {e.lineno}, column {e.colno}: "
                             f"{e.msg})") from None
        return cls.from_dict(data, origin=str(path))

    # ------------------------------------------------------------------ merge
    def merge(self, other: "ImportanceTable") -> "ImportanceTable":
        """A new table pooling both tables' occurrences (exact, count-weighted means).

        Both must describe the same task and language.  Differing method, model, source
        or corpus names are joined with ``" + "``.
        """
        if not isinstance(other, ImportanceTable):
            raise TableError(f"can only merge another ImportanceTable, got {type(other).__name__}")
        for key in ("task", "language"):
            if getattr(self, key) != getattr(other, key):
                raise TableError(f"cannot merge tables of different {key}s: "
                                 f"{getattr(self, key)!r} and {getattr(other, key)!r}")

        def join(a: str, b: str) -> str:
            if a == b or not b:
                return a
            if not a:
                return b
            return f"{a} + {b}"

        def pool(a: dict, b: dict) -> dict:
            out = {k: list(v) for k, v in a.items()}
            for k, v in b.items():
                out[k] = _combine(out[k], v) if k in out else list(v)
            return out

        ctx = {c: dict(v) for c, v in self.context_scores.items()}
        for c, v in other.context_scores.items():
            ctx[c] = pool(ctx.get(c, {}), v)
        corpus = {}
        for key in set(self.corpus) | set(other.corpus):
            corpus[key] = join(str(self.corpus.get(key, "")), str(other.corpus.get(key, "")))
        return ImportanceTable(
            method=join(self.method, other.method), task=self.task, language=self.language,
            model=join(self.model, other.model), source=join(self.source, other.source),
            corpus=corpus, n_snippets=self.n_snippets + other.n_snippets, created=_now(),
            leancode_version=_version(), extra={**other.extra, **self.extra},
            token_scores=pool(self.token_scores, other.token_scores),
            category_scores=pool(self.category_scores, other.category_scores),
            context_scores=ctx,
        )


def _reject_constant(name: str):
    raise TableError(name)


def _entry(value, where: str) -> list:
    """Validate one ``[mean, count]`` entry (or a bare number, count 1)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        mean, count = value, 1
    elif isinstance(value, (list, tuple)) and len(value) == 2:
        mean, count = value
    else:
        raise TableError(f"{where}: expected [mean, count], got {value!r}")
    if isinstance(mean, bool) or not isinstance(mean, (int, float)) or not math.isfinite(mean):
        raise TableError(f"{where}: the mean must be a finite number, got {mean!r}")
    if isinstance(count, float) and count.is_integer():
        count = int(count)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise TableError(f"{where}: the count must be a positive integer, got {count!r}")
    return [float(mean), count]


# ---------------------------------------------------------------------- builder
class TableBuilder:
    """Accumulate per-occurrence scores over a corpus into an :class:`ImportanceTable`.

    ``add(snippet, scores)`` takes one score per code token of ``snippet`` (NaN: the model
    did not see that token, for example past its input limit; it is skipped).  Statements are
    the snippet's statement groups (:func:`leancode.pruners.base.statement_groups`); a
    statement's attention is the sum of its seen tokens' scores.
    """

    def __init__(self, method: str, task: str, language: str, model: str = "", source: str = "",
                 corpus: Union[str, dict, None] = None, *, split: str = "",
                 extra: Optional[dict] = None) -> None:
        if isinstance(corpus, dict):
            corpus_d = {str(k): str(v) for k, v in corpus.items()}
        else:
            corpus_d = {"name": str(corpus or "")}
        if split:
            corpus_d["split"] = split
        corpus_d.setdefault("split", "")
        self.provenance = dict(method=method, task=task, language=language, model=model,
                               source=source, corpus=corpus_d, extra=dict(extra or {}))
        self.n_snippets = 0
        self._tok: dict = {}   # text -> [sum, count]
        self._cat: dict = {}   # category -> [sum, count]
        self._ctx: dict = {}   # category -> {text -> [sum, count]}

    def add(self, snippet: CodeSnippet, scores: Sequence[float]) -> None:
        """Add one snippet's per-token scores."""
        from .pruners.base import statement_groups

        if not isinstance(snippet, CodeSnippet):
            raise TableError(f"add() takes a CodeSnippet, got {type(snippet).__name__}")
        try:
            values = [float(s) for s in scores]
        except (TypeError, ValueError):
            raise TableError("add() takes one number per code token") from None
        if len(values) != snippet.n:
            raise TableError(f"got {len(values)} scores for a snippet of {snippet.n} code tokens")
        self.n_snippets += 1
        tok, ctx = self._tok, self._ctx
        isfinite = math.isfinite
        for t, v in zip(snippet.tokens, values):
            if not isfinite(v):
                continue
            acc = tok.get(t.text)
            if acc is None:
                tok[t.text] = [v, 1]
            else:
                acc[0] += v
                acc[1] += 1
            per_cat = ctx.get(t.category)
            if per_cat is None:
                per_cat = ctx[t.category] = {}
            acc = per_cat.get(t.text)
            if acc is None:
                per_cat[t.text] = [v, 1]
            else:
                acc[0] += v
                acc[1] += 1
        for _sid, category, positions in statement_groups(snippet):
            seen = [values[p] for p in positions if isfinite(values[p])]
            if not seen:
                continue
            acc = self._cat.get(category)
            if acc is None:
                self._cat[category] = [sum(seen), 1]
            else:
                acc[0] += sum(seen)
                acc[1] += 1

    def build(self) -> ImportanceTable:
        """The table of means so far (the builder can keep accumulating afterwards)."""
        def means(acc: dict) -> dict:
            return {k: [s / c, c] for k, (s, c) in acc.items()}

        p = self.provenance
        return ImportanceTable(
            method=p["method"], task=p["task"], language=p["language"], model=p["model"],
            source=p["source"], corpus=dict(p["corpus"]), n_snippets=self.n_snippets,
            created=_now(), leancode_version=_version(), extra=dict(p["extra"]),
            token_scores=means(self._tok), category_scores=means(self._cat),
            context_scores={c: means(v) for c, v in self._ctx.items()},
        )


def build_table(snippets: Iterable[CodeSnippet], score_fn: Callable[[CodeSnippet], Sequence[float]],
                **provenance) -> ImportanceTable:
    """Score every snippet with ``score_fn`` (one float per code token) and build the table.

    ``provenance`` are :class:`TableBuilder`'s arguments (method, task, language, model,
    source, corpus, split, extra).
    """
    builder = TableBuilder(**provenance)
    for snippet in snippets:
        builder.add(snippet, score_fn(snippet))
    return builder.build()


# ----------------------------------------------------------------- shipped tables
def table_path(method: str, task: str, language: str) -> Path:
    """Where the shipped table for ``method``/``task``/``language`` lives (it may not exist)."""
    return TABLES_DIR / f"{method}-{task}-{language}.json"


_DEFAULT_CACHE: dict = {}


def default_table(method: str, task: str, language: str) -> Optional[ImportanceTable]:
    """The table shipped with the package for this method, task and language, or None."""
    path = table_path(method, task, language)
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return None
    key = (str(path), mtime)
    table = _DEFAULT_CACHE.get(key)
    if table is None:
        table = ImportanceTable.load(path)
        _DEFAULT_CACHE[key] = table
    return table


def as_table(table: Union[ImportanceTable, PathLike, None]) -> Optional[ImportanceTable]:
    """Accept a table, a path to one, or None."""
    if table is None or isinstance(table, ImportanceTable):
        return table
    if isinstance(table, (str, os.PathLike)):
        if isinstance(table, str) and not table.strip():
            raise TableError("empty importance table path")
        return ImportanceTable.load(table)
    raise TableError(f"table must be an ImportanceTable or a path to one, got {type(table).__name__}")


__all__ = ["FORMAT", "VERSION", "TABLES_DIR", "ImportanceTable", "TableBuilder", "build_table",
           "default_table", "table_path", "as_table"]
