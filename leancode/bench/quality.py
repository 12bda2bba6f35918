"""The quality benchmark: every method and ratio, per language and task, over several seeds.

This is *test-time pruning*: the models were fine-tuned on unpruned code and are tested on
pruned test code.  (The papers' protocol, fine-tuning on pruned code, is
:mod:`leancode.bench.train_pruned`.)

For every language, task and seed the runner

1. draws ``limit`` usable records from the language's test split with the seed (all of them
   when ``limit`` is None) and writes them to ``OUT/cache/data/``;
2. evaluates the unpruned baseline and every (method, ratio) cell on them with
   :class:`leancode.evaluate.Evaluator` (the seed also shuffles the code-search groups and
   seeds the ``random`` method), storing each finished cell in ``OUT/cache/cells/`` so that
   an interrupted run resumes where it stopped and a second run recomputes nothing;
3. sets each row's retention against the unpruned row of the same seed.

Methods or tasks that cannot run (no importance table, no fine-tuned model) are left out
with a note in the run metadata unless ``strict`` is set.
"""
from __future__ import annotations

import csv
import io
import json
import math
import random
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable, Optional, Sequence

from ..errors import DataError, LeanCodeError, ModelLoadError, TableError
from ..evaluate import (CSV_COLUMNS, DEFAULT_METHODS, DEFAULT_RATIOS, METRICS, TABLE_METHODS, TASKS,
                        EvaluationError, Evaluator, add_retention, check_methods, check_ratios,
                        record_summary, run_metadata)
from ..io import atomic_writer, iter_jsonl, write_text_if_changed

#: Every row carries these columns in ``results.csv`` (the evaluator's columns, then ours).
RESULT_COLUMNS = CSV_COLUMNS + ("protocol", "removed_fraction", "model_inputs", "batch_size", "device")

LANGUAGES = ("java", "python")
DEFAULT_SEEDS = (0, 1, 2)

#: What "test-time pruning" means, stated in every report.
PROTOCOL_TEST_TIME = "test-time"
PROTOCOL_NOTE = ("Test-time pruning: the models were fine-tuned on unpruned code; only the test code is pruned. "
                 "The papers instead fine-tuned on pruned code and tested on equally pruned code.")

#: Quick mode: small samples (about half an hour on a 2-core CPU for both languages and tasks).
QUICK = {"search_limit": 50, "summarize_limit": 100, "group_size": 25, "ratios": (0.1, 0.3, 0.5)}
#: Full mode: groups of 100 candidates (about an hour and a half on a 2-core CPU).  Only the
#: first 20 members of each group ask their query (each ranked against all 100 candidates);
#: ``queries_per_group=0`` (``--queries-per-group 0``, for a GPU) lets every member ask.
FULL = {"search_limit": 100, "summarize_limit": 200, "group_size": 100, "queries_per_group": 20,
        "ratios": DEFAULT_RATIOS}


class BenchError(LeanCodeError, ValueError):
    """Bad benchmark arguments."""


@dataclass
class BenchConfig:
    """What ``leancode bench run`` runs.

    ``search_limit`` / ``summarize_limit``: records drawn per seed from the test split (None:
    all of them).  ``group_size``: code-search candidates per query (the papers use 1000).
    ``models``: task -> model name or directory (default: the embedded model of the task).
    """

    out: str = "reports"
    langs: tuple = LANGUAGES
    tasks: tuple = TASKS
    methods: tuple = DEFAULT_METHODS
    ratios: tuple = DEFAULT_RATIOS
    seeds: tuple = DEFAULT_SEEDS
    group_size: int = 100
    queries_per_group: Optional[int] = None
    search_limit: Optional[int] = 100
    summarize_limit: Optional[int] = 300
    data_root: str = "data"
    split: str = "test"
    batch_size: Optional[int] = None
    summarize_batch_size: Optional[int] = None
    device: Optional[str] = None
    models: dict = field(default_factory=dict)
    table_dir: Optional[str] = None
    max_new_tokens: int = 32
    num_beams: int = 1
    quick: bool = False
    strict: bool = False
    refresh: bool = False
    progress: bool = True

    def limit(self, task: str) -> Optional[int]:
        return self.search_limit if task == "search" else self.summarize_limit

    @property
    def queries(self) -> Optional[int]:
        """Queries asked per search group (None: every member of the group)."""
        return int(self.queries_per_group) if self.queries_per_group else None

    def batch(self, task: str, device: str) -> int:
        """The model batch size of ``task`` (the same for every cell of the task).

        Unset, it is 32 on a GPU; on a CPU 4 for search (the candidates of a group are scored in
        their drawn order, so small batches waste little on padding) and 16 for summarize.
        """
        if task == "summarize" and self.summarize_batch_size:
            return self.summarize_batch_size
        if self.batch_size:
            return self.batch_size
        if str(device).startswith("cuda"):
            return 32
        return 4 if task == "search" else 16

    @property
    def cache_dir(self) -> Path:
        return Path(self.out) / "cache"

    def validate(self) -> "BenchConfig":
        """Check every field; return a normalised copy (sorted ratios, unique items)."""
        langs = tuple(dict.fromkeys(x.strip().lower() for x in self.langs if x and x.strip()))
        if not langs:
            raise BenchError("give at least one language")
        from ..languages import available_languages

        known = available_languages()
        bad = [x for x in langs if x not in known]
        if bad:
            raise BenchError(f"unknown language {bad[0]!r}; choose from: {', '.join(known)}")
        tasks = tuple(dict.fromkeys(t.strip().lower() for t in self.tasks if t and t.strip()))
        if not tasks:
            raise BenchError("give at least one task")
        for t in tasks:
            if t not in TASKS:
                raise BenchError(f"unknown task {t!r}; choose search or summarize")
        methods = tuple(check_methods(self.methods))
        ratios = tuple(r for r in check_ratios(self.ratios) if r > 0)
        if not ratios and any(m != "none" for m in methods):
            raise BenchError("give at least one ratio above 0")
        seeds = tuple(dict.fromkeys(int(s) for s in self.seeds))
        if not seeds:
            raise BenchError("give at least one seed")
        if self.group_size < 2:
            raise BenchError(f"group size must be at least 2, got {self.group_size}")
        if self.queries_per_group is not None and self.queries_per_group < 0:
            raise BenchError(f"queries per group must be 0 (all) or more, got {self.queries_per_group}")
        for name in ("search_limit", "summarize_limit"):
            v = getattr(self, name)
            if v is not None and v < 2:
                raise BenchError(f"{name.replace('_', ' ')} must be at least 2, got {v}")
        for b in (self.batch_size, self.summarize_batch_size):
            if b is not None and b < 1:
                raise BenchError(f"batch size must be at least 1, got {b}")
        return replace(self, langs=langs, tasks=tasks, methods=methods, ratios=ratios, seeds=seeds,
                       queries_per_group=self.queries)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["protocol"] = PROTOCOL_TEST_TIME
        return d


def bench_config(quick: bool = False, **overrides) -> BenchConfig:
    """A :class:`BenchConfig` with the quick or full preset, then ``overrides`` (None = keep)."""
    preset = dict(QUICK if quick else FULL)
    preset.update({k: v for k, v in overrides.items() if v is not None})
    return BenchConfig(quick=quick, **preset).validate()


# ----------------------------------------------------------------------------- data

def split_path(data_root, language: str, split: str = "test") -> Path:
    """``data_root/language/split.jsonl`` (a clear error when it is missing)."""
    p = Path(data_root) / language / f"{split}.jsonl"
    if not p.is_file():
        raise DataError(f"no {language} {split} split at {p} (mine one with `leancode corpus build`)")
    return p


def usable(rec: dict) -> bool:
    """Whether a record has code and a docstring summary (what both tasks need)."""
    from ..dataset import record_code

    return bool(record_code(rec).strip()) and bool(record_summary(rec))


def sample_records(path, n: Optional[int], seed: int) -> list:
    """``n`` usable records of ``path`` drawn with ``seed`` (file order kept); all when ``n`` is None."""
    records = [r for r in iter_jsonl(path) if usable(r)]
    if not records:
        raise DataError(f"{path}: no record has both code and a docstring")
    if n is None or n >= len(records):
        return records
    picked = sorted(random.Random(seed).sample(range(len(records)), n))
    return [records[i] for i in picked]


def write_sample(src, dst_dir, n: Optional[int], seed: int, language: str) -> Path:
    """Write the seeded sample of ``src`` to ``dst_dir`` and return its path (rewritten each run,
    identical content for identical arguments)."""
    dst = Path(dst_dir) / f"{language}-{Path(src).stem}-{'all' if n is None else f'n{n}'}-s{seed}.jsonl"
    write_text_if_changed(dst, "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n"
                                       for r in sample_records(src, n, seed)))
    return dst


# ----------------------------------------------------------------------------- running

@dataclass
class QualityRun:
    """The rows of a benchmark run and what happened."""

    rows: list
    metadata: dict
    computed: int = 0
    cached: int = 0
    notes: list = field(default_factory=list)


def _fmt_row(r: dict) -> str:
    ret = "" if r.get("retention") is None else f" retention {r['retention']:.3f}"
    return (f"{r['method']:>17} r={r['ratio']:<4g} {r['metric']} {r['value']:.4f}{ret} "
            f"| prune {1000 * r['prune_seconds']:.2f} ms/snippet, infer {1000 * r['infer_seconds']:.1f} ms/input"
            f"{' (cached)' if r.get('cached') else ''}")


def _available_methods(ev: Evaluator, methods: Sequence[str]) -> tuple:
    """(methods that can run, {method: why not}) for one evaluator."""
    ok, missing = [], {}
    for m in methods:
        if m in TABLE_METHODS:
            try:
                ev.table_path(m)
            except TableError as e:
                missing[m] = str(e)
                continue
        ok.append(m)
    return ok, missing


def plan_line(task: str, n: int, group_size: int, cells: int, seeds: int, batch_size: int,
              queries_per_group: Optional[int] = None) -> str:
    """One line saying how much model work a (task, language) costs."""
    if task == "search":
        g = min(group_size, n)
        groups = n // g if n >= group_size else 1
        queries = groups * min(g, queries_per_group or g)
        return (f"{cells} cells per seed x {seeds} seed(s); {queries} queries x {g} candidates = "
                f"{queries * g:,} (query, code) pairs per cell, batch {batch_size}")
    return f"{cells} cells per seed x {seeds} seed(s); {n} generated summaries per cell, batch {batch_size}"


def run_quality(cfg: BenchConfig, log: Callable[[str], None] = print, command: Optional[str] = None) -> QualityRun:
    """Run every (language, task, seed) evaluation of ``cfg``; see the module docstring."""
    cfg = cfg.validate()
    out = Path(cfg.out)
    if out.exists() and not out.is_dir():
        raise DataError(f"output {out} exists and is not a directory")
    from ..models import default_device

    device = cfg.device or default_device()
    cells_dir = cfg.cache_dir / "cells"
    data_dir = cfg.cache_dir / "data"
    rows: list = []
    notes: list = []
    settings: dict = {}
    computed = cached = 0
    t_start = time.perf_counter()
    log(PROTOCOL_NOTE)
    for lang in cfg.langs:
        src = split_path(cfg.data_root, lang, cfg.split)
        for task in cfg.tasks:
            limit = cfg.limit(task)
            scope = (f"{'all' if limit is None else limit} {lang} {cfg.split} records per seed"
                     + (f", groups of {cfg.group_size} candidates" if task == "search" else ""))
            log(f"== {task} / {lang}: {scope}; seeds {', '.join(map(str, cfg.seeds))}")
            task_rows: list = []
            skip_task = None
            for seed in cfg.seeds:
                sample = write_sample(src, data_dir, limit, seed, lang)
                try:
                    ev = Evaluator(task, sample, model=cfg.models.get(task), group_size=cfg.group_size, seed=seed,
                                   queries_per_group=cfg.queries,
                                   table_dir=cfg.table_dir, batch_size=cfg.batch(task, device), lang=lang,
                                   cache_dir=cells_dir,
                                   device=device, max_new_tokens=cfg.max_new_tokens, num_beams=cfg.num_beams,
                                   progress=cfg.progress, refresh=cfg.refresh)
                    methods, missing = _available_methods(ev, cfg.methods)
                    for m, why in missing.items():
                        if cfg.strict:
                            raise TableError(why)
                        note = f"{task}/{lang}: {m} left out: {why}"
                        if note not in notes:
                            notes.append(note)
                            log(f"   {note}")
                    plan = [("none", 0.0)] + [(m, r) for m in methods if m != "none" for r in cfg.ratios]
                    if seed == cfg.seeds[0]:
                        log("   " + plan_line(task, ev.test.n, cfg.group_size, len(plan), len(cfg.seeds),
                                              ev.batch_size, cfg.queries))
                    seed_rows = []
                    for i, (method, ratio) in enumerate(plan, 1):
                        t0 = time.perf_counter()
                        row = ev.cell(method, ratio)
                        row["protocol"] = PROTOCOL_TEST_TIME
                        seed_rows.append(row)
                        log(f"   [seed {seed} cell {i}/{len(plan)}] {_fmt_row(row)}"
                            + ("" if row.get("cached") else f" [{time.perf_counter() - t0:.0f} s]"))
                except (EvaluationError, ModelLoadError) as e:
                    if cfg.strict:
                        raise
                    skip_task = f"{task}/{lang} left out: {e}"
                    break
                add_retention(seed_rows)
                task_rows.extend(seed_rows)
                computed += ev.computed_cells
                cached += ev.cached_cells
                meta = ev.metadata()
                settings.setdefault(f"{task}/{lang}", {k: meta["settings"].get(k) for k in (
                    "model", "group_size", "queries_per_group", "limit", "generation", "batch_size", "device", "tables")})
                settings[f"{task}/{lang}"].setdefault("samples", []).append(
                    {"seed": seed, "data": str(sample), "examples": ev.test.n, "skipped": dict(ev.test.skipped),
                     "tokenize_seconds": ev.test.tokenize_seconds})
            if skip_task:
                notes.append(skip_task)
                log(f"   {skip_task}")
                continue
            rows.extend(task_rows)
    if not rows:
        raise BenchError("nothing could be evaluated: " + ("; ".join(notes) if notes else "no cells"))
    meta = run_metadata(command, device=rows[0].get("device"))
    meta.update({
        "kind": "quality", "protocol": PROTOCOL_TEST_TIME, "protocol_note": PROTOCOL_NOTE,
        "mode": "quick" if cfg.quick else "full", "config": cfg.to_dict(), "settings": settings, "notes": notes,
        "cells_computed": computed, "cells_cached": cached,
        "wall_seconds": round(time.perf_counter() - t_start, 1),
    })
    log(f"{len(rows)} rows: {computed} cells computed, {cached} reused from {cells_dir}")
    return QualityRun(rows=rows, metadata=meta, computed=computed, cached=cached, notes=notes)


# ----------------------------------------------------------------------------- writing

def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float):
        return "" if not math.isfinite(v) else repr(v)
    return str(v)


def rows_csv(rows: Sequence[dict], columns: Sequence[str] = RESULT_COLUMNS) -> str:
    """The rows as CSV text with ``columns``."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow([_cell(r.get(c)) for c in columns])
    return buf.getvalue()


def _clean(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    return v


def write_rows(rows: Sequence[dict], out_dir, metadata: dict, stem: str = "results",
               columns: Sequence[str] = RESULT_COLUMNS) -> tuple:
    """Write ``out_dir/stem.csv`` and ``out_dir/stem.json`` (metadata + all rows) atomically."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise DataError(f"output {out} exists and is not a directory")
    out.mkdir(parents=True, exist_ok=True)
    csv_path, json_path = out / f"{stem}.csv", out / f"{stem}.json"
    with atomic_writer(csv_path) as f:
        f.write(rows_csv(rows, columns))
    with atomic_writer(json_path) as f:
        json.dump({"metadata": _clean(metadata), "columns": list(columns),
                   "rows": [_clean({k: v for k, v in r.items() if k != "cached"}) for r in rows]},
                  f, indent=1, allow_nan=False)
        f.write("\n")
    return csv_path, json_path


__all__ = ["BenchConfig", "BenchError", "DEFAULT_SEEDS", "FULL", "LANGUAGES", "METRICS", "PROTOCOL_NOTE",
           "PROTOCOL_TEST_TIME", "QUICK", "QualityRun", "RESULT_COLUMNS", "bench_config", "rows_csv", "run_quality",
           "sample_records", "split_path", "write_rows", "write_sample"]
