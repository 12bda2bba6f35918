"""Quality metrics: smoothed sentence BLEU-4 for summaries, MRR for code search (SPEC section 8).

BLEU follows the sentence-level BLEU that CodeXGLUE's code-to-text evaluation reports
(itself NIST ``mteval-v11a`` tokenisation with the smoothing of Lin and Och, 2004):

1. Both texts are lowercased and split into runs of word characters and single
   non-space, non-word characters, which are joined again by single spaces.
2. That text goes through the NIST normalisation: ``<skipped>`` markers, end-of-line
   hyphenation and newlines are removed; the XML entities ``&amp; &lt; &gt; &quot;`` are
   unescaped; it is lowercased; every ASCII punctuation mark except ``' , - .`` becomes its
   own token; ``.`` and ``,`` are split off unless they sit between digits on the side
   concerned; a ``-`` after a digit is split off.  The result is split on white space.
3. For n = 1..4: ``guess_n`` = the number of n-grams of the hypothesis, ``correct_n`` = the
   clipped matches against the reference's n-gram counts.
4. ``log BLEU = 1/4 * sum_n log((correct_n + s_n) / (guess_n + s_n))`` with ``s_1 = 0`` and
   ``s_n = 1`` for n > 1 (a vanishingly small constant keeps ``log 0`` finite, so an n = 1
   precision of 0 gives a score of essentially 0).
5. Brevity penalty in log space: ``min(0, 1 - (ref_len + 1) / (hyp_len + 1))``.
6. The score is ``exp(log BLEU + penalty)``; the corpus figure is the mean over sentences x 100.

Two consequences of the definition, kept on purpose: an identical hypothesis scores 100
whatever its length, and an empty hypothesis scores ``100 * exp(-ref_len)`` (all its
precision terms are 0/0, counted as 1, and only the brevity penalty remains).
"""
from __future__ import annotations

import math
import re
import sys
from collections import Counter
from typing import Iterable, Sequence
from xml.sax.saxutils import unescape as _xml_unescape

#: Largest n-gram order.
MAX_ORDER = 4

# Step 1: words and single punctuation marks.
_WORDS_AND_MARKS = re.compile(r"\w+|[^\s\w]")

# Step 2, language-independent part.
_NIST_CLEANUP = (
    (re.compile(r"<skipped>"), ""),
    (re.compile(r"-\n"), ""),
    (re.compile(r"\n"), " "),
)

# Step 2, Western-language part.  Every printable ASCII mark except the apostrophe, the
# comma, the hyphen and the period is a token of its own; the other three are handled by the
# digit-aware rules that follow (applied in this order, each left to right, non-overlapping).
_ALWAYS_SPLIT = "!\"#$%&()*+/:;<=>?@[\\]^_`{|}~"
_NIST_TOKENISE = (
    (re.compile("([" + re.escape(_ALWAYS_SPLIT) + "])"), r" \1 "),
    (re.compile(r"([^0-9])([.,])"), r"\1 \2 "),
    (re.compile(r"([.,])([^0-9])"), r" \1 \2"),
    (re.compile(r"([0-9])(-)"), r"\1 \2 "),
)

# A tiny positive constant: log(0 + tiny) is finite and log(tiny) - log(tiny) == 0.
_TINY = sys.float_info.min


def split_marks(text: str) -> str:
    """Step 1: lowercase ``text`` and separate words from punctuation marks by single spaces."""
    return " ".join(_WORDS_AND_MARKS.findall(text.strip().lower()))


def nist_tokens(text: str) -> list:
    """Step 2: the NIST ``mteval`` normalisation of ``text``, as a list of tokens."""
    for pattern, repl in _NIST_CLEANUP:
        text = pattern.sub(repl, text)
    text = _xml_unescape(text, {"&quot;": '"'})
    text = f" {text.lower()} "
    for pattern, repl in _NIST_TOKENISE:
        text = pattern.sub(repl, text)
    return text.split()


def bleu_tokens(text: str) -> list:
    """The tokens BLEU compares for ``text`` (steps 1 and 2)."""
    return nist_tokens(split_marks(text))


def _ngram_counts(tokens: Sequence[str], max_order: int) -> Counter:
    counts: Counter = Counter()
    for n in range(1, max_order + 1):
        for i in range(len(tokens) - n + 1):
            counts[tuple(tokens[i:i + n])] += 1
    return counts


def sentence_bleu(reference: str, hypothesis: str, max_order: int = MAX_ORDER) -> float:
    """Smoothed sentence BLEU of ``hypothesis`` against one ``reference``, in [0, 1]."""
    if not isinstance(reference, str) or not isinstance(hypothesis, str):
        raise TypeError("sentence_bleu takes two strings")
    ref = bleu_tokens(reference)
    hyp = bleu_tokens(hypothesis)
    ref_counts = _ngram_counts(ref, max_order)
    hyp_counts = _ngram_counts(hyp, max_order)
    correct = [0] * max_order
    for gram, count in hyp_counts.items():
        correct[len(gram) - 1] += min(count, ref_counts.get(gram, 0))
    log_bleu = 0.0
    for order in range(1, max_order + 1):
        guess = max(len(hyp) - order + 1, 0)
        smooth = 1 if order > 1 else 0
        log_bleu += (math.log(correct[order - 1] + smooth + _TINY)
                     - math.log(guess + smooth + _TINY))
    log_bleu /= max_order
    penalty = min(0.0, 1.0 - (len(ref) + 1) / (len(hyp) + 1))
    return math.exp(log_bleu + penalty)


def corpus_bleu(references: Sequence[str], hypotheses: Sequence[str]) -> float:
    """Mean smoothed sentence BLEU-4 over aligned pairs, x 100 (0 for an empty corpus)."""
    if len(references) != len(hypotheses):
        raise ValueError(f"got {len(references)} references and {len(hypotheses)} hypotheses")
    if not references:
        return 0.0
    total = sum(sentence_bleu(r, h) for r, h in zip(references, hypotheses))
    return 100.0 * total / len(references)


def rank_of_gold(scores: Sequence[float], gold_index: int) -> int:
    """Rank of the gold candidate: how many candidates score >= it (ties count against it).

    A NaN score of the gold ranks it last; NaN scores of other candidates never beat it.
    """
    if not 0 <= gold_index < len(scores):
        raise IndexError(f"gold index {gold_index} outside {len(scores)} candidates")
    gold = float(scores[gold_index])
    if math.isnan(gold):
        return len(scores)
    return sum(1 for s in scores if float(s) >= gold)


def mrr(ranks: Iterable[int]) -> float:
    """Mean reciprocal rank of 1-based ``ranks`` (0 for no ranks)."""
    total = 0.0
    count = 0
    for r in ranks:
        if r < 1:
            raise ValueError(f"ranks start at 1, got {r}")
        total += 1.0 / r
        count += 1
    return total / count if count else 0.0


__all__ = ["MAX_ORDER", "bleu_tokens", "corpus_bleu", "mrr", "nist_tokens", "rank_of_gold",
           "sentence_bleu", "split_marks"]
