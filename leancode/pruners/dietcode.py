"""DietCode: statement knapsack, then token trimming, from an importance table (SPEC section 5).

With n tokens, k to remove and target length T = n - k:

1. **Statements.**  The snippet's tokens are grouped by statement
   (:func:`leancode.pruners.base.statement_groups`).  Each maximal run of tokens that belongs
   to no statement (``statement == -1``) is a pseudo-statement of its own, with its first
   token's category.
2. **Knapsack.**  0-1 knapsack over the statements: weight = its token count, value =
   ``category_score`` of its category (a category the table lacks gets the mean of the
   known categories, or 0 when the table has none), capacity = T + the longest statement's
   length.  The optimum is found by dynamic programming over capacity, O(statements x
   capacity): a 1-D array of best values per capacity plus one row of take decisions per
   statement (back-pointers), walked back from the full capacity.  A statement is taken only
   if it strictly raises the total value, so statements of value <= 0 are never taken and,
   among equally valued choices, the one found first (fewer later statements) wins.
3. **Exact length.**  While more than T tokens are kept, the kept token with the lowest
   ``token_score`` is removed (ties: leftmost first).  If fewer than T are kept, dropped
   tokens are put back by highest ``token_score`` (ties: leftmost first) until T.  Tokens
   the table never saw score +infinity: trimmed last, put back first.  Exactly k tokens are
   removed in every case.

Options: ``table`` (an :class:`~leancode.tables.ImportanceTable` or a path) and ``task``
(``"search"`` by default) exactly as for :mod:`leancode.pruners.leancode`.
"""
from __future__ import annotations

import math
from operator import gt
from typing import Optional, Sequence, Union

import numpy as np

from ..tables import ImportanceTable, as_table
from ..tokens import CodeSnippet
from . import register  # the package defines it before it loads any pruner module
from .base import PruneResult, Pruner, check_snippet, n_to_remove, statement_groups
from .leancode import check_task, resolve_table, table_warnings

_INF = math.inf


#: Below this many DP cells (statements x capacity) plain Python beats numpy's call overhead.
NUMPY_MIN_CELLS = 64


def knapsack(weights: Sequence[int], values: Sequence[float], capacity: int) -> list:
    """Indices of a 0-1 knapsack optimum (weight <= ``capacity``, value maximal), ascending.

    Items of value <= 0 are never chosen; an item is only added when it strictly improves on
    the best value without it (so ties favour the items considered first).
    """
    if capacity < 0:
        return []
    items = [i for i, (w, v) in enumerate(zip(weights, values)) if v > 0 and w <= capacity]
    # items with no weight and a positive value belong to every optimum
    free = [i for i in items if weights[i] <= 0]
    items = [i for i in items if weights[i] > 0]
    if sum(weights[i] for i in items) <= capacity:
        chosen = items
    else:
        ws = [int(weights[i]) for i in items]
        vs = [float(values[i]) for i in items]
        use_numpy = len(items) * (capacity + 1) >= NUMPY_MIN_CELLS
        chosen = [items[j] for j in knapsack_dp(ws, vs, capacity, use_numpy=use_numpy)]
    if free:
        chosen = sorted(chosen + free)
    return chosen


def knapsack_dp(weights: Sequence[int], values: Sequence[float], capacity: int,
                use_numpy: bool = True) -> list:
    """The dynamic programme itself, for positive integer weights; chosen indices, ascending.

    ``dp[c]`` is the best value within weight ``c`` using the items so far (a 1-D array
    updated item by item, each item reading only the previous item's values), and row ``j``
    of the back-pointer table says whether item ``j`` was taken at capacity ``c``.  Walking
    the rows backwards from ``capacity`` recovers the chosen items.  Both implementations make
    the same choices; numpy is faster past a few dozen cells.
    """
    m = len(weights)
    cap1 = capacity + 1
    if m == 0 or capacity < 0:
        return []
    if use_numpy:
        dp = np.zeros(cap1)
        take = np.zeros((m, cap1), dtype=np.bool_)
        for j in range(m):
            w = weights[j]
            if w > capacity:
                continue
            cand = dp[:cap1 - w] + values[j]
            tail = dp[w:]
            row = cand > tail
            take[j, w:] = row
            np.maximum(tail, cand, out=tail)
        def took(j: int, c: int) -> bool:
            return bool(take[j, c])
    else:
        dp = [0.0] * cap1
        rows: list = []           # rows[j][c - w_j]: item j taken at capacity c
        for j in range(m):
            w = weights[j]
            if w > capacity:
                rows.append(b"")
                continue
            tail = dp[w:]
            cand = [x + values[j] for x in dp[:cap1 - w]]
            rows.append(bytes(map(gt, cand, tail)))
            dp[w:] = map(max, tail, cand)      # max() keeps the old value on ties

        def took(j: int, c: int) -> bool:
            w = weights[j]
            return c >= w and bool(rows[j]) and rows[j][c - w] == 1
    chosen = []
    c = capacity
    for j in range(m - 1, -1, -1):
        if took(j, c):
            chosen.append(j)
            c -= weights[j]
    chosen.reverse()
    return chosen


@register
class DietCodePruner(Pruner):
    """Keep the statements worth most per the table, then trim/refill tokens to length."""

    name = "dietcode"
    needs_table = True
    description = "DietCode: knapsack over statements by category attention, then trim by token attention"

    def __init__(self, table: Union[ImportanceTable, str, None] = None, task: str = "search") -> None:
        self.table = as_table(table)
        self.task = check_task(task)
        self._defaults: dict = {}

    def prune(self, snippet: CodeSnippet, *, ratio: Optional[float] = None,
              budget: Optional[int] = None) -> PruneResult:
        check_snippet(snippet)
        tokens = snippet.tokens
        n = len(tokens)
        k = n_to_remove(n, ratio, budget)
        table = resolve_table(self, self.table, snippet.language, self._defaults)
        tok_means = table.token_means()
        scores = [tok_means.get(t.text, _INF) for t in tokens]
        target = n - k

        groups = statement_groups(snippet)
        weights = [len(g[2]) for g in groups]
        values = [table.category_score(g[1]) for g in groups]
        capacity = target + (max(weights) if weights else 0)
        chosen = knapsack(weights, values, capacity) if k else list(range(len(groups)))

        keep = [False] * n
        for j in chosen:
            for p in groups[j][2]:
                keep[p] = True
        kept = sum(weights[j] for j in chosen)
        reasons = [""] * n
        trimmed = refilled = 0
        if kept > target:
            kept_pos = [p for p in range(n) if keep[p]]
            trimmed = kept - target
            for p in sorted(kept_pos, key=scores.__getitem__)[:trimmed]:
                keep[p] = False
                reasons[p] = f"lowest token score {scores[p]:.4g} in a kept statement"
        elif kept < target:
            dropped = [p for p in range(n) if not keep[p]]
            refilled = target - kept
            for p in sorted(dropped, key=lambda q: -scores[q])[:refilled]:
                keep[p] = True
        if k:
            chosen_set = set(chosen)
            for j, (sid, category, positions) in enumerate(groups):
                if j in chosen_set:
                    continue
                where = f"statement {sid}" if sid >= 0 else "tokens outside statements"
                why = f"{where} ({category}) dropped by knapsack"
                for p in positions:
                    if not keep[p]:
                        reasons[p] = why
        info = {
            "k": k,
            "target": target,
            "capacity": capacity,
            "statements": len(groups),
            "kept_statements": [groups[j][0] for j in chosen],
            "knapsack_value": sum(values[j] for j in chosen),
            "knapsack_tokens": kept,
            "trimmed": trimmed,
            "refilled": refilled,
            "table": table.describe(),
        }
        warnings = table_warnings(table, snippet)
        if not table.category_scores:
            warnings.append("the table has no category scores: every statement is worth 0")
        if warnings:
            info["warnings"] = warnings
        return PruneResult(method=self.name, snippet=snippet, keep=keep, scores=scores,
                           reasons=reasons, ratio=ratio, budget=budget, info=info)
