"""The ``none`` baseline: the unpruned snippet (SPEC section 7).

It accepts the same ``ratio``/``budget`` arguments as every pruner and validates them, but
always keeps every token, so that reports can put the unpruned model next to each method.
"""
from __future__ import annotations

from typing import Optional

from ..tokens import CodeSnippet
from . import register  # the package defines it before it loads any pruner module
from .base import PruneResult, Pruner, check_snippet, n_to_remove


@register
class NonePruner(Pruner):
    """Keep every token."""

    name = "none"
    needs_table = False
    description = "no pruning: the unpruned baseline"

    def __init__(self) -> None:
        pass

    def prune(self, snippet: CodeSnippet, *, ratio: Optional[float] = None,
              budget: Optional[int] = None) -> PruneResult:
        check_snippet(snippet)
        n = snippet.n
        requested = 0
        if ratio is not None or budget is not None:
            requested = n_to_remove(n, ratio, budget)  # validates the arguments
        return PruneResult(
            method=self.name, snippet=snippet, keep=[True] * n, scores=[None] * n,
            reasons=[""] * n, ratio=ratio, budget=budget,
            info={"k": 0, "requested_k": requested},
        )
