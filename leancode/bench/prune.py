"""Pruning throughput: snippets per second per method, tokenisation included.

Measures three things on the same snippets:
- ``end_to_end``: tokenise + prune with W worker processes (what ``prune-dataset`` does);
- ``tokenize_1core``: tokenisation alone in one process;
- ``prune_1core``: pruning of already tokenised snippets in one process.
"""
from __future__ import annotations

import json
import os
import platform
import time
from collections import Counter
from multiprocessing import get_context
from pathlib import Path
from typing import Optional

from ..dataset import record_code
from ..errors import DataError

DEFAULT_METHODS = ("slimcode", "dietcode", "leancode", "random")
_W: dict = {}


def load_snippets(path, n: int, lang: str = "java") -> list:
    """``n`` CodeSearchNet-style code strings from a JSONL file (cycled if the file has fewer)."""
    p = Path(path)
    if not p.exists():
        raise DataError(f"benchmark data not found: {path} (mine it with `leancode corpus build`)")
    codes = []
    with open(p, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rec = json.loads(line)
                if rec.get("language", lang) == lang:
                    codes.append(record_code(rec))
            if len(codes) >= n:
                break
    if not codes:
        raise DataError(f"no {lang} records in {path}")
    while len(codes) < n:
        codes.extend(codes[: n - len(codes)])
    return codes


def synthetic_table(method: str, snippets: list, language: str):
    """A table with frequency-derived scores, for timing only when no trained table exists."""
    from ..tables import TableBuilder

    freq = Counter(t.text for s in snippets for t in s.tokens)
    b = TableBuilder(method=method, task="search", language=language, model="none (frequency scores)",
                     source="frequency", corpus="benchmark sample")
    for s in snippets:
        b.add(s, [1.0 / freq[t.text] for t in s.tokens])
    return b.build()


def table_for(method: str, language: str, sample: list):
    from ..tables import default_table

    if method not in ("dietcode", "leancode"):
        return None, None
    t = default_table(method=method, task="search", language=language)
    if t is not None:
        return t, "embedded"
    return synthetic_table(method, sample, language), "synthetic (frequency scores)"


def _init(method, table, ratio, lang):
    from ..pruners import build_pruner

    _W.update(pruner=build_pruner(method, table=table), ratio=ratio, lang=lang)


def _run_chunk(codes):
    from ..languages import tokenize

    p, r, lang = _W["pruner"], _W["ratio"], _W["lang"]
    removed = 0
    for c in codes:
        removed += p.prune(tokenize(c, lang), ratio=r).n_removed
    return removed


def run(data, n: int = 20000, ratio: float = 0.3, methods=DEFAULT_METHODS, workers: Optional[int] = None,
        lang: str = "java", log=print) -> dict:
    from ..languages import tokenize
    from ..pruners import build_pruner

    workers = workers or os.cpu_count() or 1
    codes = load_snippets(data, n, lang)
    n_tokens = 0
    t0 = time.perf_counter()
    snippets = [tokenize(c, lang) for c in codes]
    tok_s = time.perf_counter() - t0
    n_tokens = sum(s.n for s in snippets)
    log(f"{len(codes):,} {lang} snippets, mean {n_tokens / len(codes):.1f} tokens; "
        f"tokenize on 1 core: {len(codes) / tok_s:,.0f} snippets/s")
    results = {"snippets": len(codes), "mean_tokens": n_tokens / len(codes), "ratio": ratio,
               "workers": workers, "language": lang, "data": str(data),
               "tokenize_1core_per_s": len(codes) / tok_s, "methods": {}}
    chunks = [codes[i:i + 500] for i in range(0, len(codes), 500)]
    ctx = get_context("fork" if os.name == "posix" else "spawn")
    for m in methods:
        table, table_kind = table_for(m, lang, snippets[:5000])
        pruner = build_pruner(m, table=table)
        t0 = time.perf_counter()
        for s in snippets:
            pruner.prune(s, ratio=ratio)
        prune_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        with ctx.Pool(workers, initializer=_init, initargs=(m, table, ratio, lang)) as pool:
            removed = sum(pool.map(_run_chunk, chunks))
        e2e_s = time.perf_counter() - t0
        row = {"end_to_end_per_s": len(codes) / e2e_s, "prune_1core_per_s": len(codes) / prune_s,
               "removed_tokens": removed, "table": table_kind}
        results["methods"][m] = row
        log(f"{m:>10}: end-to-end {row['end_to_end_per_s']:8,.0f} snippets/s on {workers} processes | "
            f"prune only {row['prune_1core_per_s']:9,.0f} snippets/s on 1 core"
            + (f" | table: {table_kind}" if table_kind else ""))
    results["machine"] = {"platform": platform.platform(), "cpus": os.cpu_count(),
                          "python": platform.python_version()}
    results["date"] = time.strftime("%Y-%m-%d %H:%M:%S")
    return results
