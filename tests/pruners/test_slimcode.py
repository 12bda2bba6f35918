"""SlimCode: removal by level (8 first), rightmost first within a level (SPEC section 3)."""
from __future__ import annotations

import pytest

import leancode
from leancode.pruners import get_pruner
from leancode.pruners.slimcode import removal_order

from .conftest import make_snippet, needs_languages

EX1 = "public int size ( ) { return this . items . size ( ) ; }"
EX1_LEVELS = [1, 1, 1, 8, 8, 8, 7, 5, 8, 5, 8, 5, 8, 8, 8, 8]
EX2 = "void f ( int x ) { if ( x > 0 ) { log ( x ) ; } }"
EX2_LEVELS = [1, 1, 8, 1, 1, 8, 8, 6, 8, 2, 8, 6, 8, 8, 5, 8, 3, 8, 8, 8, 8]


def test_removal_order_is_level_then_rightmost():
    #            0  1  2  3  4  5  6
    levels = [1, 8, 7, 8, 2, 7, 8]
    assert removal_order(levels) == [6, 3, 1, 5, 2, 4, 0]


def test_removal_order_empty():
    assert removal_order([]) == []


@pytest.mark.parametrize("k, expected_kept", [
    (0, "a b c d e f"),
    (1, "a b c d e"),        # f (level 8, rightmost)
    (2, "a c d e"),          # then b (level 8)
    (3, "a c d"),            # then e (level 5)
    (4, "a d"),              # then c (level 5, left of e)
    (5, "d"),                # then a (level 3)
    (6, ""),
])
def test_prune_budget_by_level(k, expected_kept):
    snip = make_snippet(list("abcdef"), levels=[3, 8, 5, 1, 5, 8])
    res = get_pruner("slimcode").prune(snip, budget=6 - k)
    assert res.n_removed == k
    assert res.pruned_text == expected_kept


def test_synthetic_worked_example_one():
    snip = make_snippet(EX1.split(), levels=EX1_LEVELS)
    res = get_pruner("slimcode").prune(snip, ratio=0.5)
    assert snip.n == 16 and res.n_removed == 8
    assert res.pruned_text == "public int size ( return this items size"


def test_synthetic_worked_example_two():
    snip = make_snippet(EX2.split(), levels=EX2_LEVELS)
    res = get_pruner("slimcode").prune(snip, ratio=0.7)
    assert snip.n == 21 and res.n_removed == 15
    assert res.pruned_text == "void f int x x x"
    removed = [snip.tokens[i].text for i, k in enumerate(res.keep) if not k]
    assert removed.count("(") == 3 and "0" in removed and "if" in removed and "log" in removed


def test_scores_and_reasons():
    snip = make_snippet(EX2.split(), levels=EX2_LEVELS)
    res = get_pruner("slimcode").prune(snip, ratio=0.7)
    assert res.scores == [float(v) for v in EX2_LEVELS]
    by_text = {snip.tokens[i].text: r for i, r in enumerate(res.reasons) if r}
    assert by_text["log"] == "level 5 (invocation)"
    assert by_text["if"] == "level 6 (structure)"
    assert by_text[";"] == "level 8 (symbol)"
    assert all(r == "" for r, k in zip(res.reasons, res.keep) if k)
    assert res.info["removed_by_level"] == {"5": 1, "6": 2, "8": 12}


@needs_languages
def test_worked_example_one_with_the_java_tokeniser():
    snip = leancode.tokenize(EX1, "java")
    assert snip.n == 16
    res = get_pruner("slimcode").prune(snip, ratio=0.5)
    assert res.n_removed == 8
    assert res.pruned_text == "public int size ( return this items size"


@needs_languages
def test_worked_example_two_with_the_java_tokeniser():
    snip = leancode.tokenize(EX2, "java")
    assert snip.n == 21
    res = get_pruner("slimcode").prune(snip, ratio=0.7)
    assert res.n_removed == 15
    assert res.pruned_text == "void f int x x x"
