"""The ``random`` baseline: k tokens removed uniformly at random (SPEC section 7).

The choice is a function of the seed and the snippet's tokens only: the generator is
seeded with the seed mixed with a CRC-32 of the model text, so the same snippet and seed give
the same removals in every process and on every platform, while different snippets get
independent choices.
"""
from __future__ import annotations

import random as _random
import zlib
from typing import Optional

from ..tokens import CodeSnippet
from . import register  # the package defines it before it loads any pruner module
from .base import PruneError, PruneResult, Pruner, check_snippet, n_to_remove

_MASK64 = (1 << 64) - 1


def snippet_seed(seed: int, snippet: CodeSnippet) -> int:
    """The generator seed for ``snippet``: ``seed`` (64 bits) followed by the CRC-32 of its text."""
    crc = zlib.crc32(snippet.model_text.encode("utf-8", "surrogatepass"))
    return ((seed & _MASK64) << 32) | crc


@register
class RandomPruner(Pruner):
    """Remove k tokens chosen uniformly without replacement."""

    name = "random"
    needs_table = False
    description = "random baseline: k tokens chosen uniformly (seeded)"

    def __init__(self, seed: int = 0) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            try:
                if isinstance(seed, bool) or float(seed) != int(seed):
                    raise ValueError
                seed = int(seed)
            except (TypeError, ValueError, OverflowError):
                raise PruneError(f"seed must be an integer, got {seed!r}") from None
        self.seed = seed

    def prune(self, snippet: CodeSnippet, *, ratio: Optional[float] = None,
              budget: Optional[int] = None) -> PruneResult:
        check_snippet(snippet)
        n = snippet.n
        k = n_to_remove(n, ratio, budget)
        keep = [True] * n
        reasons = [""] * n
        if k:
            rng = _random.Random(snippet_seed(self.seed, snippet))
            for i in rng.sample(range(n), k):
                keep[i] = False
                reasons[i] = "random"
        return PruneResult(
            method=self.name, snippet=snippet, keep=keep, scores=[None] * n, reasons=reasons,
            ratio=ratio, budget=budget, info={"k": k, "seed": self.seed},
        )
