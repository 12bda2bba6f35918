"""Measuring what pruning costs in quality and saves in time (SPEC section 8).

The unit of work is a *cell*: one (task, language, model, method, ratio, seed) evaluated on
one test file.  :meth:`Evaluator.cell` computes one cell and returns one row; :func:`evaluate`
runs the unpruned baseline and every (method, ratio) cell and adds retention ratios.  With a
``cache_dir`` each finished cell is stored as a small JSON file named after a hash of
everything that determines it (data file content, model, table content, protocol settings,
batch size and device) and reused when present, so an interrupted run resumes where it
stopped and a benchmark can reuse cells across runs.

Protocols:

* **search** (metric ``mrr``): the records (after ``limit``) are shuffled with ``seed`` and cut
  into groups of ``group_size`` consecutive pairs; a final incomplete group is left out (when
  there are fewer records than ``group_size``, all of them form one smaller group, and the
  row says so).  Each query (the docstring's first sentence) is scored by the cross-encoder
  against the ``group_size`` codes of its group; only the code is pruned.  The gold code's
  rank counts every candidate scoring >= it (ties count against it); the metric is the mean
  reciprocal rank.  With ``queries_per_group`` only the first that many members of each group
  ask their query (still ranked against the whole group), which cuts the cost of large groups.
* **summarize** (metric ``bleu``): a summary is generated from every (pruned) code and compared
  with the docstring's first sentence by smoothed sentence BLEU-4 (:mod:`leancode.metrics`),
  averaged and x100.

Cost, measured in the same run for every cell: ``prune_seconds`` is the mean pruning time per
snippet (tokenisation, shared by all methods, is timed once and reported in the run
metadata; for ``leancode-instance`` the snippet's model run for its scores is included) and
``infer_seconds`` the mean model time per model input: one (query, code) pair for search,
one generated summary for summarize, with the same batch size and device for every cell.

``leancode-instance`` computes each snippet's scores once (without the query for search, and
without the reference for summarize, so that nothing of the answer leaks into the pruning)
and reuses them for every ratio.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import platform
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence

from .errors import DataError, LeanCodeError, TableError
from .io import atomic_writer, iter_jsonl

TASKS = ("search", "summarize")
METRICS = {"search": "mrr", "summarize": "bleu"}
DEFAULT_METHODS = ("none", "random", "slimcode", "dietcode", "leancode", "leancode-instance")
DEFAULT_RATIOS = (0.1, 0.2, 0.3, 0.4, 0.5)
TABLE_METHODS = ("dietcode", "leancode")
CSV_COLUMNS = ("task", "language", "model", "method", "ratio", "metric", "value", "retention", "n",
               "group_size", "seed", "prune_seconds", "infer_seconds")
#: Bump when the meaning of a cached cell changes.
CELL_FORMAT = 1


class EvaluationError(LeanCodeError, ValueError):
    """Bad evaluation arguments (unknown task or method, ratio out of range ...)."""


# ----------------------------------------------------------------------------- data

def record_summary(rec: dict) -> str:
    """The docstring's first sentence as words and punctuation joined by single spaces.

    This is the form the search and summarisation models are trained on (a record's
    ``docstring_tokens`` for corpora mined by ``leancode corpus build``).  From ``docstring``
    when present, else from the joined ``docstring_tokens``; "" when the record has neither.
    """
    from .corpus import first_sentence, split_words

    doc = rec.get("docstring")
    text = ""
    if isinstance(doc, str) and doc.strip():
        text = first_sentence(doc)
    if not text.strip():
        toks = rec.get("docstring_tokens")
        if isinstance(toks, list) and toks and all(isinstance(t, str) for t in toks):
            text = first_sentence(" ".join(toks))
    return " ".join(split_words(text))


@dataclass
class Example:
    """One test record: its tokenised code and the docstring summary (query or reference)."""

    snippet: Any
    summary: str
    index: int                       # position among the usable records of the file


@dataclass
class ExampleSet:
    """The usable records of a test file, tokenised once."""

    path: str
    language: str
    examples: list
    skipped: Counter = field(default_factory=Counter)
    tokenize_seconds: float = 0.0
    sha1: str = ""

    @property
    def n(self) -> int:
        return len(self.examples)


def file_sha1(path) -> str:
    h = hashlib.sha1()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def pick_language(records: Sequence[dict], lang: str) -> str:
    """``lang`` if given, else the records' common ``language`` field (or detection)."""
    from .languages import available_languages, detect_language

    if lang and lang.strip().lower() not in ("", "auto"):
        name = lang.strip().lower()
        if name not in available_languages():
            raise DataError(f"unknown language {lang!r}; choose one of: {', '.join(available_languages())}")
        return name
    counts = Counter(r.get("language") for r in records if isinstance(r.get("language"), str))
    if len(counts) > 1:
        mix = ", ".join(f"{k}: {v}" for k, v in counts.most_common())
        raise DataError(f"the records mix languages ({mix}); pass --lang to evaluate one of them")
    if counts:
        name = next(iter(counts)).strip().lower()
        if name in available_languages():
            return name
    from .dataset import record_code

    for r in records:
        code = record_code(r)
        if code.strip():
            return detect_language(code)
    return "java"


def load_examples(path, *, limit: Optional[int] = None, lang: str = "auto",
                  progress: bool = False) -> ExampleSet:
    """Read and tokenise the usable records of ``path`` (code and a docstring summary)."""
    from tqdm import tqdm

    from .dataset import record_code
    from .languages import tokenize

    p = Path(path)
    if not p.exists():
        raise DataError(f"file not found: {path}")
    if p.is_dir():
        raise DataError(f"{path} is a directory, not a JSONL file")
    records = []
    for rec in iter_jsonl(p):
        records.append(rec)
        if limit is not None and len(records) >= limit:
            break
    if not records:
        raise DataError(f"{path} holds no records")
    language = pick_language(records, lang)
    skipped: Counter = Counter()
    examples = []
    t0 = time.perf_counter()
    for rec in tqdm(records, desc="tokenising", unit="snippet", disable=not progress, leave=False):
        if isinstance(rec.get("language"), str) and rec["language"].strip().lower() != language:
            skipped["other_language"] += 1
            continue
        code = record_code(rec)
        if not code.strip():
            skipped["no_code"] += 1
            continue
        summary = record_summary(rec)
        if not summary:
            skipped["no_docstring"] += 1
            continue
        snippet = tokenize(code, language)
        if snippet.n == 0:
            skipped["no_tokens"] += 1
            continue
        examples.append(Example(snippet=snippet, summary=summary, index=len(examples)))
    seconds = time.perf_counter() - t0
    if not examples:
        raise DataError(f"{path}: no record has both code and a docstring"
                        + (f" ({', '.join(f'{k}: {v}' for k, v in skipped.items())})" if skipped else ""))
    return ExampleSet(path=str(p), language=language, examples=examples, skipped=skipped,
                   tokenize_seconds=seconds / len(records), sha1=file_sha1(p))


def search_groups(n: int, group_size: int, seed: int) -> list:
    """Indices ``0..n-1`` shuffled with ``seed`` and cut into groups of ``group_size``.

    A final incomplete group is left out; with fewer than ``group_size`` items they all form
    one group.
    """
    if group_size < 2:
        raise EvaluationError(f"group size must be at least 2, got {group_size}")
    if n < 2:
        raise EvaluationError(f"code search needs at least 2 usable records, got {n}")
    order = list(range(n))
    random.Random(seed).shuffle(order)
    if n < group_size:
        return [order]
    return [order[i:i + group_size] for i in range(0, n - group_size + 1, group_size)]


# ----------------------------------------------------------------------------- model calls

def _sync(handle) -> None:
    """Wait for queued GPU work so that timings are wall-clock exact."""
    if str(getattr(handle, "device", "cpu")).startswith("cuda"):
        import torch

        torch.cuda.synchronize()


def _search_scores(handle, query: str, codes: Sequence[str], batch_size: int) -> list:
    from .inference import search_scores

    return [float(s) for s in search_scores(handle, query, list(codes), batch_size=batch_size)]


def _summarize(handle, codes: Sequence[str], batch_size: int, max_new_tokens: int, num_beams: int) -> list:
    from .inference import summarize

    return [str(s) for s in summarize(handle, list(codes), max_new_tokens=max_new_tokens, num_beams=num_beams,
                                      batch_size=batch_size)]


def _importance_batch(handle, snippets: Sequence, task: str, batch_size: int, max_new_tokens: int) -> list:
    """Per-snippet scores of ``leancode-instance``: the task's attention source, with no query
    (search) and a generated target (summarize)."""
    from .importance import compute_importance_batch
    from .pruners.instance import TASK_SOURCES

    options = {"max_new_tokens": max_new_tokens} if task == "summarize" else {}
    results = compute_importance_batch(list(snippets), source=TASK_SOURCES[task], model=handle, task=task,
                                       batch_size=batch_size, **options)
    return [list(r.scores) for r in results]


# ----------------------------------------------------------------------------- cells

def _model_fingerprint(name: str) -> str:
    """The model name, or for a local directory a hash of its weights and configs.

    Only content counts (not the folder's path, not file times, not documentation such as a model
    card), so the same model in another checkout or with an edited card reuses finished cells.
    """
    p = Path(name).expanduser()
    if p.is_dir():
        h = hashlib.sha1()
        for f in sorted(p.iterdir()):
            if f.is_file() and f.suffix.lower() not in (".md", ".txt") and not f.name.startswith("."):
                h.update(f.name.encode() + b"\0")
                with open(f, "rb") as fh:
                    for block in iter(lambda: fh.read(1 << 20), b""):
                        h.update(block)
        return h.hexdigest()
    try:
        from . import embedded

        if embedded.is_embedded(name) and name != embedded.BASE_NAME:
            return _model_fingerprint(str(embedded.artifacts_dir(name))) if embedded.is_available(name) else name
    except Exception:  # pragma: no cover - fingerprints are best effort
        pass
    return name


def cell_id(key: dict) -> str:
    """A short stable hash of a cell's parameters."""
    return hashlib.sha1(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]


def _finite(x) -> Optional[float]:
    return None if x is None or (isinstance(x, float) and not math.isfinite(x)) else float(x)


class Evaluator:
    """Evaluates cells for one (task, test file, model) with shared, lazily loaded state.

    Tokenisation, the model, tables and ``leancode-instance`` scores are loaded on first need
    and shared by all cells; cached cells need none of them.
    """

    def __init__(self, task: str, data, *, model: Optional[str] = None, group_size: int = 100,
                 limit: Optional[int] = None, seed: int = 0, table_dir=None, batch_size: int = 32,
                 lang: str = "auto", cache_dir=None, device: Optional[str] = None,
                 max_new_tokens: int = 32, num_beams: int = 1, progress: bool = True,
                 refresh: bool = False, queries_per_group: Optional[int] = None,
                 max_length: Optional[int] = None) -> None:
        if task not in TASKS:
            raise EvaluationError(f"unknown task {task!r}; choose search or summarize")
        if batch_size < 1:
            raise EvaluationError(f"batch size must be at least 1, got {batch_size}")
        if limit is not None and limit < 1:
            raise EvaluationError(f"limit must be at least 1, got {limit}")
        if max_new_tokens < 1 or num_beams < 1:
            raise EvaluationError("max_new_tokens and num_beams must be at least 1")
        if task == "search" and group_size < 2:
            raise EvaluationError(f"group size must be at least 2, got {group_size}")
        if queries_per_group is not None and queries_per_group < 1:
            raise EvaluationError(f"queries per group must be at least 1, got {queries_per_group}")
        self.task = task
        self.queries_per_group = int(queries_per_group) if queries_per_group else None
        self.data = str(data)
        self.group_size = int(group_size)
        self.limit = limit
        self.seed = int(seed)
        self.table_dir = Path(table_dir) if table_dir else None
        self.batch_size = int(batch_size)
        self.max_new_tokens = int(max_new_tokens)
        self.num_beams = int(num_beams)
        self.progress = progress
        self.refresh = refresh
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self._model_id: Optional[str] = None
        self.test = load_examples(data, limit=limit, lang=lang, progress=progress)
        if self.cache_dir is not None:
            try:
                self.cache_dir.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise DataError(f"cannot create the cache folder {self.cache_dir}: {e.strerror or e}") from None
        self.language = self.test.language
        from . import embedded
        from .models import default_device

        self.model_name = model if model else embedded.default_model(task)
        self.device = device or default_device()
        #: None: the length the model was trained with (read from the model); else an override
        self.max_length = int(max_length) if max_length else None
        self._handle = None
        self._warm = False
        self._tables: dict = {}
        self._instance: Optional[tuple] = None
        self.cached_cells = 0
        self.computed_cells = 0

    # --------------------------------------------------------------- shared state
    @property
    def handle(self):
        if self._handle is None:
            from .models import load_model

            handle = load_model(self.model_name, self.task, device=self.device, max_length=self.max_length)
            if self.task == "search" and not handle.can_search:
                raise EvaluationError(handle.relevance_unavailable_reason() or
                                      f"model {handle.name} cannot score code search")
            if self.task == "summarize" and not handle.can_summarize:
                raise EvaluationError(f"model {handle.name} cannot generate summaries: "
                                      "summarize needs an encoder-decoder")
            self._handle = handle
        return self._handle

    def _warm_up(self, codes: Sequence[str]) -> None:
        """One untimed model call before the first timed one (lazy initialisation, allocator)."""
        if self._warm:
            return
        handle = self.handle
        batch = list(codes[: self.batch_size])
        if self.task == "search":
            _search_scores(handle, self.test.examples[0].summary, batch, self.batch_size)
        else:
            _summarize(handle, batch, self.batch_size, self.max_new_tokens, self.num_beams)
        _sync(handle)
        self._warm = True

    def table_path(self, method: str) -> Path:
        """The importance table a table-driven method uses (``table_dir`` or the shipped one)."""
        from .tables import table_path

        name = f"{method}-{self.task}-{self.language}.json"
        if self.table_dir is not None:
            path = self.table_dir / name
            if not path.exists():
                raise TableError(f"no {method} table for {self.task}/{self.language} in {self.table_dir} "
                                 f"(expected {name}); build one with: leancode table build --method {method} "
                                 f"--task {self.task} --data TRAIN.jsonl -o {path}")
            return path
        path = table_path(method, self.task, self.language)
        if not path.exists():
            raise TableError(f"no {method} table is shipped for {self.task}/{self.language}: build one with "
                             f"leancode table build --method {method} --task {self.task} --data TRAIN.jsonl "
                             f"-o DIR/{name} and pass --table-dir DIR")
        return path

    def _table(self, method: str):
        if method not in self._tables:
            from .tables import ImportanceTable

            self._tables[method] = ImportanceTable.load(self.table_path(method))
        return self._tables[method]

    @property
    def model_id(self) -> str:
        """:func:`_model_fingerprint` of the model, hashed once per evaluator (not once per cell)."""
        if self._model_id is None:
            self._model_id = _model_fingerprint(self.model_name)
        return self._model_id

    def cell_key(self, method: str, ratio: float) -> dict:
        """Everything that determines a cell's row."""
        key = {
            "format": CELL_FORMAT, "task": self.task, "language": self.language, "method": method,
            "ratio": round(float(ratio), 6), "seed": self.seed, "data": self.test.sha1,
            "limit": self.limit, "n_examples": self.test.n,
            "model": self.model_name, "model_id": self.model_id,
            "batch_size": self.batch_size, "device": self.device,
        }
        if self.max_length:
            key["max_length"] = self.max_length
        if self.task == "search":
            key["group_size"] = self.group_size
            if self.queries_per_group:
                key["queries_per_group"] = self.queries_per_group
        else:
            key["generation"] = {"max_new_tokens": self.max_new_tokens, "num_beams": self.num_beams}
        if method in TABLE_METHODS:
            key["table"] = file_sha1(self.table_path(method))
        return key

    def _cell_file(self, method: str, ratio: float, key: dict) -> Optional[Path]:
        if self.cache_dir is None:
            return None
        return self.cache_dir / f"{self.task}-{self.language}-{method}-r{ratio:g}-s{self.seed}-{cell_id(key)}.json"

    # --------------------------------------------------------------------- pruning
    def _pruner(self, method: str):
        from .pruners import build_pruner

        if method in TABLE_METHODS:
            return build_pruner(method, table=self._table(method), seed=self.seed, task=self.task)
        return build_pruner(method, seed=self.seed, task=self.task)

    def _instance_scores(self) -> tuple:
        """(scores per example, model seconds per snippet) for ``leancode-instance``, computed once."""
        if self._instance is not None:
            return self._instance
        cache = None
        if self.cache_dir is not None:
            key = {"format": CELL_FORMAT, "kind": "instance-scores", "task": self.task,
                   "language": self.language, "data": self.test.sha1, "limit": self.limit,
                   "model_id": self.model_id, "device": self.device,
                   "batch_size": self.batch_size}
            if self.task == "summarize":
                key["max_new_tokens"] = self.max_new_tokens
            cache = self.cache_dir / f"{self.task}-{self.language}-instance-scores-{cell_id(key)}.json"
            if cache.exists() and not self.refresh:
                try:
                    stored = json.loads(cache.read_text(encoding="utf-8"))
                    scores = [[float("nan") if s is None else float(s) for s in row] for row in stored["scores"]]
                    if len(scores) == self.test.n:
                        self._instance = (scores, float(stored["seconds_per_snippet"]))
                        return self._instance
                except (OSError, ValueError, KeyError, TypeError):
                    pass  # unreadable: recompute
        from tqdm import tqdm

        handle = self.handle
        snippets = [ex.snippet for ex in self.test.examples]
        scores: list = []
        step = max(self.batch_size, 1)
        bar = tqdm(total=len(snippets), desc="instance scores", unit="snippet", disable=not self.progress,
                   leave=False)
        seconds = 0.0
        try:
            for i in range(0, len(snippets), step):
                chunk = snippets[i:i + step]
                t0 = time.perf_counter()
                scores.extend(_importance_batch(handle, chunk, self.task, self.batch_size, self.max_new_tokens))
                _sync(handle)
                seconds += time.perf_counter() - t0
                bar.update(len(chunk))
        finally:
            bar.close()
        per = seconds / max(len(snippets), 1)
        self._instance = (scores, per)
        if cache is not None:
            with atomic_writer(cache) as f:
                json.dump({"scores": [[_finite(s) for s in row] for row in scores],
                           "seconds_per_snippet": per}, f)
        return self._instance

    def pruned_codes(self, method: str, ratio: float) -> tuple:
        """(model input text per example, pruning seconds per snippet, fraction of tokens removed)."""
        examples = self.test.examples
        if method == "none" or ratio == 0:
            return [ex.snippet.model_text for ex in examples], 0.0, 0.0
        pruner = self._pruner(method)
        texts = []
        removed = total = 0
        seconds = 0.0
        if method == "leancode-instance":
            all_scores, model_seconds = self._instance_scores()
            for ex, scores in zip(examples, all_scores):
                t0 = time.perf_counter()
                result = pruner.prune_with_scores(ex.snippet, scores, ratio=ratio)
                seconds += time.perf_counter() - t0
                texts.append(result.pruned_text)
                removed += result.n_removed
                total += result.n_tokens
            per = seconds / len(examples) + model_seconds
        else:
            for ex in examples:
                t0 = time.perf_counter()
                result = pruner.prune(ex.snippet, ratio=ratio)
                seconds += time.perf_counter() - t0
                texts.append(result.pruned_text)
                removed += result.n_removed
                total += result.n_tokens
            per = seconds / len(examples)
        return texts, per, (removed / total if total else 0.0)

    # ------------------------------------------------------------------ measuring
    def _measure_search(self, codes: Sequence[str], desc: str) -> tuple:
        from tqdm import tqdm

        from .metrics import mrr, rank_of_gold

        groups = search_groups(self.test.n, self.group_size, self.seed)
        handle = self.handle
        self._warm_up(codes)
        ranks = []
        seconds = 0.0
        pairs = 0
        per_group = self.queries_per_group
        queries = sum(min(len(g), per_group or len(g)) for g in groups)
        bar = tqdm(total=queries, desc=desc, unit="query", disable=not self.progress, leave=False)
        try:
            for group in groups:
                group_codes = [codes[i] for i in group]
                for pos, i in enumerate(group):
                    if per_group and pos >= per_group:
                        break               # the group's first members ask; all of it answers
                    t0 = time.perf_counter()
                    scores = _search_scores(handle, self.test.examples[i].summary, group_codes, self.batch_size)
                    _sync(handle)
                    seconds += time.perf_counter() - t0
                    pairs += len(group_codes)
                    ranks.append(rank_of_gold(scores, pos))
                    bar.update(1)
        finally:
            bar.close()
        return mrr(ranks), len(ranks), len(groups[0]), seconds, pairs

    def _measure_summarize(self, codes: Sequence[str], desc: str) -> tuple:
        from tqdm import tqdm

        from .metrics import corpus_bleu

        handle = self.handle
        self._warm_up(codes)
        outputs: list = []
        seconds = 0.0
        bar = tqdm(total=len(codes), desc=desc, unit="snippet", disable=not self.progress, leave=False)
        try:
            for i in range(0, len(codes), self.batch_size):
                chunk = codes[i:i + self.batch_size]
                t0 = time.perf_counter()
                outputs.extend(_summarize(handle, chunk, self.batch_size, self.max_new_tokens, self.num_beams))
                _sync(handle)
                seconds += time.perf_counter() - t0
                bar.update(len(chunk))
        finally:
            bar.close()
        refs = [ex.summary for ex in self.test.examples]
        return corpus_bleu(refs, outputs), len(codes), None, seconds, len(codes)

    # ----------------------------------------------------------------------- cells
    def cell(self, method: str, ratio: float) -> dict:
        """The row of one (method, ratio) cell, from the cache when present."""
        ratio = 0.0 if method == "none" else float(ratio)
        if not (0.0 <= ratio < 1.0) or math.isnan(ratio):
            raise EvaluationError(f"ratio must be in [0, 1), got {ratio}")
        key = self.cell_key(method, ratio)
        path = self._cell_file(method, ratio, key)
        if path is not None and path.exists() and not self.refresh:
            try:
                stored = json.loads(path.read_text(encoding="utf-8"))
                if stored.get("key") == key and isinstance(stored.get("row"), dict):
                    self.cached_cells += 1
                    return {**stored["row"], "cached": True}
            except (OSError, ValueError):
                pass  # unreadable: recompute
        codes, prune_seconds, removed = self.pruned_codes(method, ratio)
        desc = f"{method} r={ratio:g}"
        if self.task == "search":
            value, n, group_size, seconds, inputs = self._measure_search(codes, desc)
        else:
            value, n, group_size, seconds, inputs = self._measure_summarize(codes, desc)
        row = {
            "task": self.task, "language": self.language, "model": self.handle.name,
            "max_length": self.handle.max_length, "method": method,
            "ratio": ratio, "metric": METRICS[self.task], "value": value, "retention": None, "n": n,
            "group_size": group_size, "seed": self.seed, "prune_seconds": prune_seconds,
            "infer_seconds": seconds / inputs if inputs else 0.0,
            "removed_fraction": removed, "model_inputs": inputs, "infer_total_seconds": seconds,
            "batch_size": self.batch_size, "device": self.handle.device, "cell": cell_id(key),
        }
        self.computed_cells += 1
        if path is not None:
            with atomic_writer(path) as f:
                json.dump({"key": key, "row": row}, f, indent=1)
        return {**row, "cached": False}

    def run(self, methods: Iterable[str] = DEFAULT_METHODS, ratios: Iterable[float] = DEFAULT_RATIOS) -> list:
        """The ``none`` row and every (method, ratio) row, with retention ratios."""
        from tqdm import tqdm

        methods = check_methods(methods)
        ratios = check_ratios(ratios)
        plan = [("none", 0.0)] + [(m, r) for m in methods if m != "none" for r in ratios if r > 0]
        for m in {m for m, _ in plan if m in TABLE_METHODS}:
            self.table_path(m)  # a missing table fails before any model runs
        rows = []
        for method, ratio in tqdm(plan, desc=f"{self.task}/{self.language}", unit="cell",
                                  disable=not self.progress):
            rows.append(self.cell(method, ratio))
        add_retention(rows)
        return rows

    def metadata(self, command: Optional[str] = None) -> dict:
        """Run metadata: command, machine, date, versions and the evaluation settings."""
        meta = run_metadata(command, device=self.device)
        tables = {}
        for m, t in self._tables.items():
            tables[m] = {"path": str(self.table_path(m)), "describe": t.describe()}
        meta["settings"] = {
            "task": self.task, "data": self.data, "data_sha1": self.test.sha1, "language": self.language,
            "examples": self.test.n, "skipped": dict(self.test.skipped), "limit": self.limit,
            "group_size": self.group_size if self.task == "search" else None, "seed": self.seed,
            "queries_per_group": self.queries_per_group if self.task == "search" else None,
            "model": self.model_name, "batch_size": self.batch_size, "device": self.device,
            "generation": ({"max_new_tokens": self.max_new_tokens, "num_beams": self.num_beams}
                           if self.task == "summarize" else None),
            "tokenize_seconds": self.test.tokenize_seconds, "tables": tables,
            "cache_dir": str(self.cache_dir) if self.cache_dir else None,
            "cells_cached": self.cached_cells, "cells_computed": self.computed_cells,
        }
        return meta


# ----------------------------------------------------------------------------- rows

def check_methods(methods: Iterable[str]) -> list:
    from .pruners import available_pruners

    methods = [m.strip() for m in methods if m and m.strip()]
    known = available_pruners()
    bad = [m for m in methods if m not in known]
    if bad:
        raise EvaluationError(f"unknown method {bad[0]!r}; choose from: {', '.join(known)}")
    if not methods:
        raise EvaluationError("give at least one method")
    return list(dict.fromkeys(methods))


def check_ratios(ratios: Iterable[float]) -> list:
    out = []
    for r in ratios:
        try:
            v = float(r)
        except (TypeError, ValueError):
            raise EvaluationError(f"ratio must be a number in [0, 1), got {r!r}") from None
        if not (0.0 <= v < 1.0) or math.isnan(v):
            raise EvaluationError(f"ratio must be in [0, 1), got {r!r}")
        out.append(v)
    return sorted(set(out))


def add_retention(rows: list) -> list:
    """Set ``retention`` = value / value of the ``none`` row with the same task, language, model,
    seed, group size and n (None when there is no such row or its value is 0)."""
    def group(r: dict) -> tuple:
        return (r["task"], r["language"], r["model"], r["seed"], r.get("group_size"), r["n"])

    base = {group(r): r["value"] for r in rows if r["method"] == "none"}
    for r in rows:
        b = base.get(group(r))
        r["retention"] = (r["value"] / b) if b else None
    return rows


def evaluate(task: str, data, *, methods: Iterable[str] = DEFAULT_METHODS,
             ratios: Iterable[float] = DEFAULT_RATIOS, group_size: int = 100, limit: Optional[int] = None,
             model: Optional[str] = None, seed: int = 0, table_dir=None, batch_size: int = 32,
             lang: str = "auto", cache_dir=None, device: Optional[str] = None, max_new_tokens: int = 32,
             num_beams: int = 1, progress: bool = True, refresh: bool = False,
             queries_per_group: Optional[int] = None) -> list:
    """Evaluate ``methods`` x ``ratios`` (plus the unpruned ``none`` row) on one test file.

    Returns one dict per cell with :data:`CSV_COLUMNS` and a few extra keys
    (``removed_fraction``, ``model_inputs``, ``infer_total_seconds``, ``batch_size``,
    ``device``, ``cell``, ``cached``).  See the module docstring for the protocols.
    """
    ev = Evaluator(task, data, model=model, group_size=group_size, limit=limit, seed=seed,
                   table_dir=table_dir, batch_size=batch_size, lang=lang, cache_dir=cache_dir,
                   device=device, max_new_tokens=max_new_tokens, num_beams=num_beams, progress=progress,
                   refresh=refresh, queries_per_group=queries_per_group)
    return ev.run(methods, ratios)


def _versions() -> dict:
    out = {"python": platform.python_version()}
    try:
        from . import __version__

        out["leancode"] = __version__
    except ImportError:  # pragma: no cover
        pass
    for mod in ("torch", "transformers", "tokenizers"):
        try:
            out[mod] = __import__(mod).__version__
        except Exception:  # pragma: no cover - optional
            pass
    return out


def run_metadata(command: Optional[str] = None, device: Optional[str] = None) -> dict:
    """Who, where and when: command line, machine, UTC date and library versions."""
    machine = {"node": platform.node(), "platform": platform.platform(), "processor": platform.processor(),
               "cpus": os.cpu_count(), "device": device}
    if device and str(device).startswith("cuda"):
        try:
            import torch

            machine["gpu"] = torch.cuda.get_device_name(torch.device(device))
        except Exception:  # pragma: no cover - no GPU
            pass
    return {
        "command": command if command is not None else " ".join(sys.argv),
        "machine": machine,
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "versions": _versions(),
    }


def _csv_value(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return "" if not math.isfinite(v) else repr(v)
    return str(v)


def rows_to_csv(rows: Sequence[dict]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for r in rows:
        w.writerow([_csv_value(r.get(c)) for c in CSV_COLUMNS])
    return buf.getvalue()


def write_results(rows: Sequence[dict], out_dir, metadata: Optional[dict] = None) -> tuple:
    """Write ``out_dir/results.csv`` and ``out_dir/results.json`` atomically; return both paths."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise DataError(f"output {out} exists and is not a directory")
    out.mkdir(parents=True, exist_ok=True)
    csv_path, json_path = out / "results.csv", out / "results.json"
    with atomic_writer(csv_path) as f:
        f.write(rows_to_csv(rows))
    clean = [{k: _finite(v) if isinstance(v, float) else v for k, v in r.items()} for r in rows]
    with atomic_writer(json_path) as f:
        json.dump({"metadata": metadata or {}, "columns": list(CSV_COLUMNS), "rows": clean}, f, indent=1,
                  allow_nan=False)
        f.write("\n")
    return csv_path, json_path


def format_rows(rows: Sequence[dict]) -> str:
    """A small aligned text table of the rows, for the terminal."""
    head = ("method", "ratio", "metric", "value", "retention", "prune ms", "infer ms", "n")
    lines = [head]
    for r in rows:
        lines.append((r["method"], f"{r['ratio']:g}", r["metric"], f"{r['value']:.4f}",
                      "" if r.get("retention") is None else f"{r['retention']:.3f}",
                      f"{1000 * r['prune_seconds']:.3f}", f"{1000 * r['infer_seconds']:.2f}", str(r["n"])))
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    return "\n".join("  ".join(c.ljust(w) if i < 3 else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths)))
                     for line in lines)


__all__ = ["CSV_COLUMNS", "DEFAULT_METHODS", "DEFAULT_RATIOS", "EvaluationError", "Evaluator", "METRICS",
           "TASKS", "add_retention", "evaluate", "format_rows", "load_examples", "record_summary",
           "rows_to_csv", "run_metadata", "search_groups", "write_results"]
