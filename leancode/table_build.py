"""Building an importance table from a model over a training corpus (SPEC sections 5 and 6).

``leancode`` tables hold context-aware scores ``score[category][text]``; one occurrence's
score comes from the task's model:

* ``search``: the attention from the first token (CLS) in the last layer, mean over heads,
  summed over the token's subwords, with the cross-encoder fed ``query [SEP] code`` where the
  query is the record's docstring summary (importance source ``cls``);
* ``summarize``: the last-layer decoder cross-attention, mean over heads, teacher-forced on
  the record's reference summary, max over target positions, summed over subwords (``cross``).

``dietcode`` tables hold token and category scores from the attention each token *receives*
in the last layer, mean over heads and over query positions, summed over subwords
(``received``), with the same model input as above.

Every table records its provenance: method, task, language, model, score source, corpus file
and split, number of snippets, and the build settings.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

from .errors import DataError, LeanCodeError

#: The importance source behind each (method, task).
SOURCES = {
    ("leancode", "search"): "cls",
    ("leancode", "summarize"): "cross",
    ("dietcode", "search"): "received",
    ("dietcode", "summarize"): "received",
}
METHODS = ("leancode", "dietcode")
SPLIT_NAMES = ("train", "valid", "test")


class TableBuildError(LeanCodeError, ValueError):
    """Bad table-building arguments."""


def source_for(method: str, task: str) -> str:
    """The importance source a ``method`` table for ``task`` is built from."""
    if method not in METHODS:
        raise TableBuildError(f"unknown table method {method!r}; choose leancode or dietcode")
    if task not in ("search", "summarize"):
        raise TableBuildError(f"unknown task {task!r}; choose search or summarize")
    return SOURCES[(method, task)]


def _split_of(path: Path) -> str:
    stem = path.name.split(".")[0].lower()
    return stem if stem in SPLIT_NAMES else ""


def _importance_batch(snippets, *, source: str, handle, task: str, summaries, batch_size: int) -> list:
    """One list of per-token scores per snippet, scored in one batched call."""
    from .importance import compute_importance_batch

    if task == "search":
        results = compute_importance_batch(snippets, source=source, model=handle, task=task,
                                           queries=summaries, batch_size=batch_size)
    else:
        results = compute_importance_batch(snippets, source=source, model=handle, task=task,
                                           summaries=summaries, batch_size=batch_size)
    return [list(r.scores) for r in results]


def build_table_from_data(method: str, task: str, data, *, model: Optional[str] = None,
                          limit: Optional[int] = None, batch_size: int = 16, lang: str = "auto",
                          device: Optional[str] = None, progress: bool = True,
                          command: Optional[str] = None):
    """Score every usable record of ``data`` with the task's model and build the table.

    Records need code and a docstring (whose first sentence is the query or the reference
    summary).  Returns an :class:`~leancode.tables.ImportanceTable` with full provenance.
    """
    from tqdm import tqdm

    from .evaluate import load_examples
    from .models import load_model
    from .tables import TableBuilder

    source = source_for(method, task)
    if batch_size < 1:
        raise TableBuildError(f"batch size must be at least 1, got {batch_size}")
    if limit is not None and limit < 1:
        raise TableBuildError(f"limit must be at least 1, got {limit}")
    path = Path(data)
    corpus = load_examples(path, limit=limit, lang=lang, progress=progress)
    handle = load_model(model, task, device=device)
    if task == "summarize" and handle.kind != "seq2seq" and source == "cross":
        raise TableBuildError(f"model {handle.name} is not an encoder-decoder: a leancode summarize table "
                              "needs cross-attention")
    builder = TableBuilder(
        method, task, corpus.language, model=handle.name, source=source,
        corpus={"name": path.name, "path": str(path)}, split=_split_of(path),
        extra={"records": corpus.n, "skipped": dict(corpus.skipped), "limit": limit,
               "batch_size": batch_size, "device": handle.device, "data_sha1": corpus.sha1,
               "query": "docstring first sentence" if task == "search" else None,
               "target": "docstring first sentence" if task == "summarize" else None,
               "command": command},
    )
    examples = corpus.examples
    seconds = 0.0
    bar = tqdm(total=len(examples), desc=f"{method} {task} table", unit="snippet", disable=not progress)
    try:
        for i in range(0, len(examples), batch_size):
            chunk = examples[i:i + batch_size]
            t0 = time.perf_counter()
            scores = _importance_batch([ex.snippet for ex in chunk], source=source, handle=handle, task=task,
                                       summaries=[ex.summary for ex in chunk], batch_size=batch_size)
            seconds += time.perf_counter() - t0
            for ex, s in zip(chunk, scores):
                builder.add(ex.snippet, s)
            bar.update(len(chunk))
    finally:
        bar.close()
    builder.provenance["extra"]["seconds"] = round(seconds, 3)
    return builder.build()


def build_table_file(method: str, task: str, data, out, **options):
    """:func:`build_table_from_data`, then save the table to ``out`` atomically; returns the table."""
    out = Path(out)
    if out.exists() and out.is_dir():
        raise DataError(f"output {out} is a directory")
    data_path = Path(data)
    if data_path.exists() and out.exists() and out.resolve() == data_path.resolve():
        raise DataError(f"refusing to overwrite the input {data}: choose another output path")
    table = build_table_from_data(method, task, data, **options)
    table.save(out)
    return table


__all__ = ["METHODS", "SOURCES", "TableBuildError", "build_table_file", "build_table_from_data", "source_for"]
