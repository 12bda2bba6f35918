"""Pruning whole CodeSearchNet-style JSONL datasets, in parallel, written atomically."""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Optional

from .errors import DataError
from .io import atomic_writer, iter_jsonl_lines, same_file

_WORKER: dict = {}


def record_code(rec: dict) -> str:
    """The code of a record as CodeSearchNet-style text (its ``code_tokens`` joined, else ``code``)."""
    toks = rec.get("code_tokens")
    if isinstance(toks, list) and toks and all(isinstance(t, str) for t in toks):
        return " ".join(toks)
    code = rec.get("code")
    return code if isinstance(code, str) else ""


def prune_record(rec: dict, pruner, *, ratio=None, budget=None, lang: str = "auto") -> dict:
    """Prune one record: replaces ``code`` and ``code_tokens`` with the pruned ones, adds counts."""
    from .languages import tokenize

    language = rec.get("language") if lang == "auto" and isinstance(rec.get("language"), str) else lang
    if language not in ("java", "python"):
        language = "auto"
    snippet = tokenize(record_code(rec), language)
    result = pruner.prune(snippet, ratio=ratio, budget=budget)
    out = dict(rec)
    kept = [t.text for t in result.kept_tokens]
    out["code"] = " ".join(kept)
    out["code_tokens"] = kept
    out["n_tokens"] = result.n_tokens
    out["n_removed"] = result.n_removed
    return out


def _init_worker(method, table, seed, task, ratio, budget, lang):
    from .pruners import build_pruner

    _WORKER.update(pruner=build_pruner(method, table=table, seed=seed, task=task),
                   ratio=ratio, budget=budget, lang=lang)


def _work(lines):
    out, tokens, removed = [], 0, 0
    for line in lines:
        rec = prune_record(json.loads(line), _WORKER["pruner"], ratio=_WORKER["ratio"],
                           budget=_WORKER["budget"], lang=_WORKER["lang"])
        tokens += rec["n_tokens"]
        removed += rec["n_removed"]
        out.append(json.dumps(rec, ensure_ascii=False))
    return out, tokens, removed


@dataclass
class DatasetStats:
    records: int
    tokens: int
    removed: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.records / self.seconds if self.seconds > 0 else float("inf")


def _chunks(path, size):
    buf = []
    for line, _ in iter_jsonl_lines(path):
        buf.append(line)
        if len(buf) >= size:
            yield buf
            buf = []
    if buf:
        yield buf


def prune_dataset(src, dst, method: str, *, ratio=None, budget=None, table=None, seed: int = 0,
                  task: str = "search", lang: str = "auto", workers: Optional[int] = None,
                  chunk_size: int = 256, progress: bool = True) -> DatasetStats:
    """Prune every record of ``src`` into ``dst`` (atomic; never overwrites ``src``)."""
    from .pruners import build_pruner, n_to_remove

    src, dst = Path(src), Path(dst)
    if not src.exists():
        raise DataError(f"file not found: {src}")
    if same_file(src, dst):
        raise DataError(f"refusing to overwrite the input {src}: choose another output path")
    n_to_remove(0, ratio, budget)  # validates ratio/budget before any work
    # Build once here so a bad method or missing table fails before any worker starts.
    build_pruner(method, table=table, seed=seed, task=task)
    workers = workers or os.cpu_count() or 1
    total_lines = None
    if progress:
        with open(src, "rb") as f:
            total_lines = sum(1 for line in f if line.strip())
    t0 = time.perf_counter()
    n = tokens = removed = 0
    from tqdm import tqdm

    bar = tqdm(total=total_lines, unit="snippet", disable=not progress, desc=f"{method}")
    with atomic_writer(dst) as out:
        if workers <= 1:
            _init_worker(method, table, seed, task, ratio, budget, lang)
            results = (_work(c) for c in _chunks(src, chunk_size))
            pool = None
        else:
            pool = get_context("fork" if os.name == "posix" else "spawn").Pool(
                workers, initializer=_init_worker,
                initargs=(method, table, seed, task, ratio, budget, lang))
            results = pool.imap(_work, _chunks(src, chunk_size))
        try:
            for lines, n_tok, n_rem in results:
                out.write("\n".join(lines) + "\n")
                tokens += n_tok
                removed += n_rem
                n += len(lines)
                bar.update(len(lines))
        finally:
            if pool is not None:
                pool.terminate()
            bar.close()
    return DatasetStats(records=n, tokens=tokens, removed=removed, seconds=time.perf_counter() - t0)
