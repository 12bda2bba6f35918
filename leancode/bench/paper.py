"""The published figures the benchmark compares against (SPEC section 8), as data.

Everything here is Java on CodeSearchNet with CodeBERT (code search) and the papers'
summarisation models, as reported in summaries of the LeanCode paper: treat the numbers as
approximate.  The papers *fine-tuned on pruned training data and tested on equally pruned
test data*, with groups of 1000 candidates for code search, so a figure from this module and
a figure of a test-time-pruning run on a small model are comparable only in their trend
(retention and the ordering of the methods), never in their absolute level.

Retention is the metric at a ratio divided by the unpruned metric.  Search retentions are
computed from the published MRRs; summarisation retentions come from the published *loss*
percentages ("LeanCode loses about 10-11% BLEU"), so they are ranges.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Optional

#: Where the figures come from, for captions and the report.
SOURCE = ("LeanCode (ACL 2025), DietCode (FSE 2022) and SlimCode (FSE 2024) as summarised in the LeanCode "
          "paper: Java, CodeSearchNet, CodeBERT; fine-tuned and tested on pruned code; code search MRR with "
          "groups of 1000 candidates. Approximate figures.")

#: The language, dataset and protocol every published figure refers to.
LANGUAGE = "java"
PROTOCOL = "train-pruned"
SEARCH_GROUP_SIZE = 1000

#: Unpruned code-search MRR.
SEARCH_UNPRUNED_MRR = 0.726

#: Code-search MRR at 10 / 30 / 50 % pruning.
SEARCH_MRR = {
    "dietcode": {0.1: 0.663, 0.3: 0.529, 0.5: 0.429},
    "slimcode": {0.1: 0.731, 0.3: 0.700, 0.5: 0.594},
    "leancode": {0.1: 0.728, 0.3: 0.716, 0.5: 0.688},
}

#: Summarisation: BLEU lost at 50 % pruning, as a (low, high) fraction of the unpruned BLEU.
SUMMARIZE_LOSS_AT_50 = {
    "leancode": (0.10, 0.11),
    "dietcode": (0.31, 0.31),
    "slimcode": (0.29, 0.29),
}

#: LeanCode's reported inference-time reduction at 50 % pruning, (low, high) fraction.
LEANCODE_TIME_SAVED_AT_50 = (0.366, 0.409)

#: Methods the papers report on.
METHODS = ("dietcode", "slimcode", "leancode")


@dataclass(frozen=True)
class PaperPoint:
    """One published figure: a method at a ratio, as a metric value and/or a retention range."""

    task: str                      # "search" or "summarize"
    language: str
    method: str
    ratio: float
    metric: str                    # "mrr" or "bleu"
    value: Optional[float]         # the published metric, when the paper gives one
    retention: float               # the middle of the retention range
    retention_low: float
    retention_high: float
    note: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def _search_points() -> list:
    out = []
    for method, by_ratio in SEARCH_MRR.items():
        for ratio, mrr in sorted(by_ratio.items()):
            ret = mrr / SEARCH_UNPRUNED_MRR
            out.append(PaperPoint("search", LANGUAGE, method, ratio, "mrr", mrr, ret, ret, ret,
                                  f"MRR {mrr:.3f} vs unpruned {SEARCH_UNPRUNED_MRR:.3f}"))
    return out


def _summarize_points() -> list:
    out = []
    for method, (lo, hi) in SUMMARIZE_LOSS_AT_50.items():
        rl, rh = 1.0 - hi, 1.0 - lo
        loss = f"{100 * lo:.0f}%" if lo == hi else f"{100 * lo:.0f}-{100 * hi:.0f}%"
        out.append(PaperPoint("summarize", LANGUAGE, method, 0.5, "bleu", None, (rl + rh) / 2, rl, rh,
                              f"loses about {loss} BLEU"))
    return out


def paper_points(task: Optional[str] = None, language: Optional[str] = None,
                 method: Optional[str] = None) -> list:
    """The published points, optionally only those of ``task``, ``language`` and ``method``.

    The unpruned search MRR is not a point (its retention is 1 by definition); see
    :data:`SEARCH_UNPRUNED_MRR`.
    """
    points = _search_points() + _summarize_points()
    return [p for p in points
            if (task is None or p.task == task) and (language is None or p.language == language)
            and (method is None or p.method == method)]


def paper_retention(task: str, method: str, ratio: float) -> Optional[PaperPoint]:
    """The published point of ``method`` at ``ratio`` for ``task`` (Java), or None."""
    for p in paper_points(task, LANGUAGE, method):
        if abs(p.ratio - float(ratio)) < 1e-9:
            return p
    return None


def paper_ordering(task: str, ratio: float) -> list:
    """Methods from best to worst retention at ``ratio`` as published ([] when not reported)."""
    points = [p for p in paper_points(task, LANGUAGE) if abs(p.ratio - float(ratio)) < 1e-9]
    return [p.method for p in sorted(points, key=lambda p: -p.retention)]


def paper_ratios(task: str) -> list:
    """The ratios at which figures for ``task`` were published."""
    return sorted({p.ratio for p in paper_points(task, LANGUAGE)})


def as_dict() -> dict:
    """Every published figure as plain data (for JSON reports and the app)."""
    return {
        "source": SOURCE, "language": LANGUAGE, "protocol": PROTOCOL, "search_group_size": SEARCH_GROUP_SIZE,
        "search_unpruned_mrr": SEARCH_UNPRUNED_MRR,
        "points": [p.to_dict() for p in paper_points()],
        "leancode_time_saved_at_50": list(LEANCODE_TIME_SAVED_AT_50),
    }


__all__ = ["LANGUAGE", "LEANCODE_TIME_SAVED_AT_50", "METHODS", "PROTOCOL", "PaperPoint", "SEARCH_GROUP_SIZE",
           "SEARCH_MRR", "SEARCH_UNPRUNED_MRR", "SOURCE", "SUMMARIZE_LOSS_AT_50", "as_dict", "paper_ordering",
           "paper_points", "paper_ratios", "paper_retention"]
