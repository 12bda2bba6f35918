"""SlimCode: model-agnostic pruning by token level (SPEC section 3).

Every code token carries a SlimCode level from 1 to 8, set by the language module while
tokenising (symbols 8, other tokens 7, structure 6, invocation 5, identifiers 4,
invocation identifiers 3, structure identifiers 2, signature 1).  Tokens are removed level by
level, highest level first, and within a level from the rightmost token leftwards, until
exactly k tokens are gone.  No model and no table are involved.

For Python the language module uses the same levels with the natural mapping (the ``def``
line up to its ``:`` is the signature, ``if elif else try except finally for while with
match case`` are the structure keywords, calls are invocations, names read or assigned are
identifiers).
"""
from __future__ import annotations

from typing import Optional

from ..tokens import CodeSnippet
from . import register  # the package defines it before it loads any pruner module
from .base import PruneResult, Pruner, check_snippet, n_to_remove

#: What each level stands for, used in the removal reasons.
LEVEL_NAMES = {
    8: "symbol",
    7: "other",
    6: "structure",
    5: "invocation",
    4: "identifier",
    3: "invocation identifier",
    2: "structure identifier",
    1: "signature",
}


_REASONS = {lev: f"level {lev} ({name})" for lev, name in LEVEL_NAMES.items()}


def removal_order(levels: list) -> list:
    """Token positions in SlimCode's removal order: highest level first, rightmost first."""
    n = len(levels)
    # A stable sort of the positions taken right to left keeps "rightmost first" within a level.
    return sorted(range(n - 1, -1, -1), key=lambda i: -levels[i])


@register
class SlimCodePruner(Pruner):
    """Remove level-8 tokens first, then 7 down to 1; rightmost first within a level."""

    name = "slimcode"
    needs_table = False
    description = "SlimCode: drop symbols, then other tokens, by syntactic level (no model)"

    def __init__(self) -> None:
        pass

    def prune(self, snippet: CodeSnippet, *, ratio: Optional[float] = None,
              budget: Optional[int] = None) -> PruneResult:
        check_snippet(snippet)
        tokens = snippet.tokens
        n = len(tokens)
        k = n_to_remove(n, ratio, budget)
        levels = [t.level for t in tokens]
        keep = [True] * n
        reasons = [""] * n
        by_level: dict = {}
        if k:
            for i in removal_order(levels)[:k]:
                keep[i] = False
                lev = levels[i]
                reasons[i] = _REASONS.get(lev) or f"level {lev}"
                by_level[lev] = by_level.get(lev, 0) + 1
        return PruneResult(
            method=self.name, snippet=snippet, keep=keep,
            scores=[float(lev) for lev in levels], reasons=reasons, ratio=ratio, budget=budget,
            info={"k": k, "removed_by_level": {str(lev): c for lev, c in sorted(by_level.items())}},
        )
