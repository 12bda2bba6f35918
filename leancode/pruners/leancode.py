"""LeanCode: context-aware, table-driven token pruning (SPEC section 6).

Each token scores ``score[category of its statement][its text]`` from an importance table
(:mod:`leancode.tables`).  A (category, text) pair the table never saw falls back to the
token's mean over all categories, and a text never seen at all scores +infinity, so it is
removed last.  The k lowest-scoring tokens are removed; ties go to the earliest position.

Options:

``table``  an :class:`~leancode.tables.ImportanceTable` or a path to one.  Without it, the
           table shipped with the package for ``task`` and the snippet's language is used;
           if there is none, pruning raises :class:`~leancode.errors.TableError`.
``task``   ``"search"`` (default) or ``"summarize"``: which shipped table to use.
"""
from __future__ import annotations

import math
from typing import Optional, Union

from ..errors import TableError
from ..tables import ImportanceTable, as_table, default_table
from ..tokens import CodeSnippet
from . import register  # the package defines it before it loads any pruner module
from .base import PruneError, PruneResult, Pruner, check_snippet, n_to_remove

_INF = math.inf


def resolve_table(pruner: Pruner, explicit: Optional[ImportanceTable], language: str,
                  cache: dict) -> ImportanceTable:
    """The pruner's table: the explicit one, else the shipped one for its task and ``language``."""
    if explicit is not None:
        return explicit
    table = cache.get(language)
    if table is None:
        table = default_table(method=pruner.name, task=pruner.task, language=language)
        if table is None:
            raise TableError(
                f"{pruner.name} needs an importance table and none is shipped for task "
                f"{pruner.task!r} and language {language!r}: pass table=PATH (a table JSON "
                f"built from a model over a corpus)"
            )
        cache[language] = table
    return table


def table_warnings(table: ImportanceTable, snippet: CodeSnippet) -> list:
    """Human-readable mismatches between a table's provenance and its use."""
    out = []
    if table.language and snippet.language and table.language != snippet.language:
        out.append(f"the table was built for {table.language}, the snippet is {snippet.language}")
    return out


def check_task(task) -> str:
    if not isinstance(task, str) or not task.strip():
        raise PruneError(f"task must be a task name such as 'search' or 'summarize', got {task!r}")
    return task.strip().lower()


@register
class LeanCodePruner(Pruner):
    """Remove the k tokens with the lowest context-aware importance."""

    name = "leancode"
    needs_table = True
    description = "LeanCode: drop the tokens with the lowest attention in their statement's context"

    def __init__(self, table: Union[ImportanceTable, str, None] = None, task: str = "search") -> None:
        self.table = as_table(table)
        self.task = check_task(task)
        self._defaults: dict = {}

    def scores(self, snippet: CodeSnippet, table: ImportanceTable) -> list:
        """Per-token scores: context score, else token mean, else +infinity."""
        tok_get = table.token_means().get
        ctx_get = table.context_means().get
        empty: dict = {}
        tokens = snippet.tokens
        scores = [ctx_get(t.category, empty).get(t.text) for t in tokens]
        if None in scores:
            for i, s in enumerate(scores):
                if s is None:
                    scores[i] = tok_get(tokens[i].text, _INF)
        return scores

    def prune(self, snippet: CodeSnippet, *, ratio: Optional[float] = None,
              budget: Optional[int] = None) -> PruneResult:
        check_snippet(snippet)
        n = snippet.n
        k = n_to_remove(n, ratio, budget)
        table = resolve_table(self, self.table, snippet.language, self._defaults)
        scores = self.scores(snippet, table)
        keep = [True] * n
        reasons = [""] * n
        counts = [0, 0, 0]
        if k:
            tok = table.token_means()
            ctx = table.context_means()
            tokens = snippet.tokens
            # Stable sort: among equal scores the earliest position comes first.
            for i in sorted(range(n), key=scores.__getitem__)[:k]:
                keep[i] = False
                t = tokens[i]
                if t.text in ctx.get(t.category, ()):
                    counts[0] += 1
                    reasons[i] = f"lowest token score {scores[i]:.4g} in {t.category} context"
                elif t.text in tok:
                    counts[1] += 1
                    reasons[i] = f"lowest token score {scores[i]:.4g} (token mean over all contexts)"
                else:
                    counts[2] += 1
                    reasons[i] = "never seen by the table (removed last)"
        info = {
            "k": k,
            "table": table.describe(),
            "unseen": scores.count(_INF),
            "removed_by_context_score": counts[0],
            "removed_by_token_mean": counts[1],
        }
        warnings = table_warnings(table, snippet)
        if warnings:
            info["warnings"] = warnings
        return PruneResult(method=self.name, snippet=snippet, keep=keep, scores=scores,
                           reasons=reasons, ratio=ratio, budget=budget, info=info)
