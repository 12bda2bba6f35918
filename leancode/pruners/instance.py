"""Per-snippet ("instance") LeanCode: the snippet's own attention, no table (SPEC section 6).

Beyond the paper, and offered as its own method, ``leancode-instance``.  Instead of looking
scores up in a dataset-wide table, one model run over *this* snippet gives every code token
a score:

* task ``search``: the attention from the first token (CLS) to the token in the last layer
  of the search model, mean over heads, summed over the token's subwords (importance source
  ``cls``); the model is fed ``query [SEP] code`` when a ``query`` is given, else the code;
* task ``summarize``: the summarisation model's last-layer cross-attention, mean over heads,
  max over target positions, summed over subwords (source ``cross``), teacher-forced on
  ``summary`` when given (otherwise the importance source decides the target).

``source`` overrides the score source (for example ``"ig"``: Integrated Gradients).  The k
lowest-scoring tokens are removed, ties at the earliest position first.  Tokens the model did
not see (NaN scores, for example past its input limit) count as +infinity: removed last.

:meth:`InstancePruner.prune_with_scores` prunes from scores computed elsewhere (a cache of
importance results), so no model needs to run.
"""
from __future__ import annotations

import math
from typing import Any, Optional, Sequence

from ..tokens import CodeSnippet
from . import register  # the package defines it before it loads any pruner module
from .base import PruneError, PruneResult, Pruner, check_snippet, n_to_remove

_INF = math.inf

#: The importance source each task uses by default.
TASK_SOURCES = {"search": "cls", "summarize": "cross"}


def lowest_k(scores: Sequence[float], k: int) -> list:
    """Positions of the ``k`` lowest scores (NaN as +infinity; ties: earliest first), ascending."""
    if k <= 0:
        return []
    keyed = [(_INF if math.isnan(s) else s) for s in scores]
    # sorted() is stable, so equal scores keep their positional order
    return sorted(sorted(range(len(keyed)), key=keyed.__getitem__)[:k])


def as_scores(scores: Any, n: int) -> list:
    """Validate ``scores`` (a sequence, or an object with ``.scores``) as ``n`` floats."""
    if hasattr(scores, "scores") and not isinstance(scores, (list, tuple)):
        scores = scores.scores
    try:
        values = [float("nan") if s is None else float(s) for s in scores]
    except (TypeError, ValueError):
        raise PruneError("scores must be numbers, one per code token") from None
    if len(values) != n:
        raise PruneError(f"got {len(values)} scores for a snippet of {n} code tokens")
    return values


@register
class InstancePruner(Pruner):
    """Remove the k tokens with the lowest attention in this snippet's own model run."""

    name = "leancode-instance"
    needs_table = False
    description = "per-snippet LeanCode: drop the tokens this snippet's own attention rates lowest"

    def __init__(self, model: Any = None, task: str = "search", query: Optional[str] = None,
                 source: Optional[str] = None, summary: Optional[str] = None) -> None:
        if not isinstance(task, str) or task.strip().lower() not in TASK_SOURCES:
            raise PruneError(f"task must be one of {', '.join(TASK_SOURCES)}, got {task!r}")
        self.task = task.strip().lower()
        if source is not None and (not isinstance(source, str) or not source.strip()):
            raise PruneError(f"source must be an importance source name, got {source!r}")
        self.source = source.strip().lower() if source else TASK_SOURCES[self.task]
        self.model = model
        self.query = query
        self.summary = summary
        self._handle = None

    # ------------------------------------------------------------------ model
    def _model_handle(self):
        """The model to score with, loaded once (a name, a loaded handle, or the default)."""
        if self._handle is None:
            if self.model is not None and not isinstance(self.model, str):
                self._handle = self.model
            else:
                from ..models import load_model

                self._handle = load_model(self.model, self.task)
        return self._handle

    def importance(self, snippet: CodeSnippet) -> list:
        """One score per code token from a single model run over ``snippet`` (NaN: unseen)."""
        from ..importance import compute_importance

        check_snippet(snippet)
        if snippet.n == 0:
            return []
        result = compute_importance(snippet, source=self.source, model=self._model_handle(),
                                    task=self.task, query=self.query, summary=self.summary)
        return as_scores(result, snippet.n)

    # ---------------------------------------------------------------- pruning
    def prune(self, snippet: CodeSnippet, *, ratio: Optional[float] = None,
              budget: Optional[int] = None) -> PruneResult:
        check_snippet(snippet)
        n_to_remove(snippet.n, ratio, budget)  # bad arguments fail before the model runs
        return self.prune_with_scores(snippet, self.importance(snippet), ratio=ratio, budget=budget)

    def prune_with_scores(self, snippet: CodeSnippet, scores: Any, *, ratio: Optional[float] = None,
                          budget: Optional[int] = None) -> PruneResult:
        """Prune ``snippet`` from precomputed per-token ``scores`` (no model run).

        ``scores`` is a sequence of floats (NaN or None: unseen, removed last) or an
        importance result with a ``.scores`` attribute.
        """
        check_snippet(snippet)
        n = snippet.n
        k = n_to_remove(n, ratio, budget)
        values = as_scores(scores, n)
        keep = [True] * n
        reasons = [""] * n
        for i in lowest_k(values, k):
            keep[i] = False
            s = values[i]
            reasons[i] = ("not seen by the model (removed last)" if math.isnan(s)
                          else f"lowest {self.source} score {s:.4g} in this snippet")
        unseen = sum(1 for s in values if math.isnan(s))
        shown = [_INF if math.isnan(s) else s for s in values]
        info = {"k": k, "source": self.source, "task": self.task, "unseen": unseen}
        handle = self._handle
        if handle is not None:
            info["model"] = getattr(handle, "name", str(handle))
        elif isinstance(self.model, str):
            info["model"] = self.model
        return PruneResult(method=self.name, snippet=snippet, keep=keep, scores=shown,
                           reasons=reasons, ratio=ratio, budget=budget, info=info)
