"""What every pruner returns, and what a ratio or a budget means (SPEC section 2)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Optional

from ..errors import LeanCodeError
from ..tokens import CodeSnippet


class PruneError(LeanCodeError, ValueError):
    """Bad pruning arguments (ratio outside [0, 1), negative budget, missing table ...)."""


def n_to_remove(n: int, ratio: Optional[float] = None, budget: Optional[int] = None) -> int:
    """Number of tokens to remove from a snippet of ``n`` tokens.

    ``ratio`` r in [0, 1): k = ceil(r * n) (float guarded).  ``budget`` N: k = max(0, n - N).
    Exactly one of the two must be given.
    """
    if (ratio is None) == (budget is None):
        raise PruneError("give exactly one of ratio or budget")
    if ratio is not None:
        try:
            r = float(ratio)
        except (TypeError, ValueError):
            raise PruneError(f"ratio must be a number in [0, 1), got {ratio!r}") from None
        if not (0.0 <= r < 1.0) or math.isnan(r):
            raise PruneError(f"ratio must be in [0, 1), got {ratio!r}")
        return min(n, max(0, math.ceil(r * n - 1e-9)))
    try:
        b = int(budget)
    except (TypeError, ValueError):
        raise PruneError(f"budget must be a non-negative integer, got {budget!r}") from None
    if b < 0 or b != budget:
        raise PruneError(f"budget must be a non-negative integer, got {budget!r}")
    return max(0, n - b)


def _json_score(s):
    """Scores as strict JSON: +inf ("never seen, keep last") and NaN become null."""
    if s is None:
        return None
    try:
        f = float(s)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


@dataclass
class PruneResult:
    """Keep-mask over the snippet's code tokens, why each token went, and the pruned text."""

    method: str
    snippet: CodeSnippet
    keep: list                     # list[bool], one per code token
    scores: list                   # list[float | None]: the score that ranked each token (None: rule based)
    reasons: list                  # list[str]: the rule or score that decided each removal ("" if kept)
    ratio: Optional[float] = None
    budget: Optional[int] = None
    info: dict = field(default_factory=dict)

    @property
    def n_tokens(self) -> int:
        return len(self.keep)

    @property
    def n_removed(self) -> int:
        return sum(1 for k in self.keep if not k)

    @property
    def kept_tokens(self) -> list:
        return [t for t, k in zip(self.snippet.tokens, self.keep) if k]

    @property
    def pruned_text(self) -> str:
        return " ".join(t.text for t, k in zip(self.snippet.tokens, self.keep) if k)

    def to_dict(self) -> dict:
        toks = []
        for t, k, s, r in zip(self.snippet.tokens, self.keep, self.scores, self.reasons):
            toks.append({
                "index": t.index, "text": t.text, "start": t.start, "end": t.end, "kind": t.kind,
                "kept": bool(k), "score": _json_score(s), "reason": r, "level": t.level,
                "category": t.category, "statement": t.statement,
            })
        return {
            "method": self.method, "ratio": self.ratio, "budget": self.budget,
            "language": self.snippet.language, "n_tokens": self.n_tokens,
            "n_removed": self.n_removed, "warnings": list(self.snippet.warnings),
            "pruned": self.pruned_text, "tokens": toks, "info": self.info,
        }


class Pruner:
    """Base class.  Subclasses set ``name`` and implement :meth:`prune`."""

    name: str = ""
    needs_table: bool = False
    description: str = ""

    def prune(self, snippet: CodeSnippet, *, ratio: Optional[float] = None,
              budget: Optional[int] = None) -> PruneResult:  # pragma: no cover - interface
        raise NotImplementedError


def check_snippet(snippet) -> CodeSnippet:
    """Return ``snippet`` if it is a :class:`CodeSnippet`, else raise a clear :class:`PruneError`."""
    if not isinstance(snippet, CodeSnippet):
        raise PruneError(
            f"a pruner takes a tokenised CodeSnippet (see leancode.tokenize), got {type(snippet).__name__}"
        )
    return snippet


def statement_groups(snippet: CodeSnippet) -> list:
    """The snippet's tokens grouped by statement, in order of each group's first token.

    Returns ``[(statement, category, [positions...]), ...]``.  Tokens that share a
    ``statement`` index form one group; each maximal run of tokens outside any statement
    (``statement == -1``) forms a pseudo-statement of its own, with ``statement`` -1.  A
    group's category is the category of its first token.
    """
    groups: list = []
    by_id: dict = {}
    prev = cur = None
    first = True
    for pos, tok in enumerate(snippet.tokens):
        sid = tok.statement
        if sid == prev and not first:     # fast path: same statement as the previous token
            cur.append(pos)
            continue
        first = False
        prev = sid
        if sid is None or sid < 0:
            cur = [pos]
            groups.append((-1, tok.category, cur))
            continue
        g = by_id.get(sid)
        if g is None:
            cur = [pos]
            by_id[sid] = g = (sid, tok.category, cur)
            groups.append(g)
        else:
            cur = g[2]
            cur.append(pos)
    return groups
