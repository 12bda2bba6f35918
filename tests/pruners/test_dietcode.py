"""DietCode: statement knapsack by category score, then exact-length trim/refill by token score."""
from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leancode.pruners import get_pruner
from leancode.pruners.dietcode import knapsack, knapsack_dp
from leancode.tables import ImportanceTable

from .conftest import make_snippet

TOKEN_SCORES = {"(": 0.01, ")": 0.02, ";": 0.03, "{": 0.04, "}": 0.05, "=": 0.06, "void": 0.5,
                "f": 0.9, "int": 0.4, "a": 0.8, "1": 0.3, "return": 0.7, "log": 0.6}


def table(categories=None) -> ImportanceTable:
    if categories is None:
        categories = {"method": 5.0, "variable": 3.0, "logger": 0.5, "return": 4.0, "none": 0.1}
    return ImportanceTable(
        method="dietcode", task="search", language="java",
        token_scores={t: [s, 1] for t, s in TOKEN_SCORES.items()},
        category_scores={c: [v, 1] for c, v in categories.items()},
    )


def method_snippet():
    parts = [("method", "void f ( ) {"), ("variable", "int a = 1 ;"), ("logger", "log ( a ) ;"),
             ("return", "return a ;"), ("none", "}")]
    texts, cats, stmts = [], [], []
    for sid, (cat, code) in enumerate(parts):
        for tok in code.split():
            texts.append(tok)
            cats.append(cat)
            stmts.append(sid)
    return make_snippet(texts, categories=cats, statements=stmts)


def brute_force(weights, values, capacity):
    best = 0.0
    for r in range(len(weights) + 1):
        for combo in itertools.combinations(range(len(weights)), r):
            if sum(weights[i] for i in combo) <= capacity:
                best = max(best, sum(values[i] for i in combo))
    return best


# ------------------------------------------------------------------ knapsack
def test_knapsack_hand_example():
    # weights 5,5,5,3,1 / values 5,3,.5,4,.1 / capacity 15 -> items 0,1,3,4 (weight 14, value 12.1)
    assert knapsack([5, 5, 5, 3, 1], [5, 3, 0.5, 4, 0.1], 15) == [0, 1, 3, 4]


def test_knapsack_prefers_value_over_count():
    assert knapsack([10, 3, 3, 3], [10.0, 3.0, 3.0, 3.0], 10) == [0]
    assert knapsack([10, 3, 3, 3], [8.0, 3.0, 3.0, 3.0], 10) == [1, 2, 3]


def test_knapsack_never_takes_worthless_items():
    assert knapsack([1, 1, 1], [0.0, -1.0, 2.0], 10) == [2]
    assert knapsack([1, 2], [1.0, 1.0], -1) == []
    assert knapsack([], [], 5) == []


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 12), st.floats(-1, 10, allow_nan=False)), min_size=0,
                max_size=9),
       st.integers(0, 60))
def test_knapsack_matches_brute_force(items, capacity):
    weights = [w for w, _ in items]
    values = [v for _, v in items]
    chosen = knapsack(weights, values, capacity)
    assert chosen == sorted(set(chosen))
    assert sum(weights[i] for i in chosen) <= capacity
    assert all(values[i] > 0 for i in chosen)
    assert math.isclose(sum(values[i] for i in chosen), brute_force(weights, values, capacity),
                        rel_tol=1e-9, abs_tol=1e-9)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 15), st.floats(0.001, 10, allow_nan=False)), min_size=1,
                max_size=14),
       st.integers(0, 80))
def test_python_and_numpy_programmes_agree(items, capacity):
    weights = [w for w, _ in items]
    values = [v for _, v in items]
    assert (knapsack_dp(weights, values, capacity, use_numpy=False)
            == knapsack_dp(weights, values, capacity, use_numpy=True))


# ------------------------------------------------------------------- pruning
def test_knapsack_then_trim_to_exact_length():
    snip = method_snippet()
    assert snip.n == 19
    res = get_pruner("dietcode", table=table()).prune(snip, budget=10)
    # knapsack keeps method, variable, return and the closing brace (14 tokens, capacity 15),
    # then the four lowest token scores among them go: ( ) ; ;
    assert res.info["kept_statements"] == [0, 1, 3, 4]
    assert res.info["capacity"] == 15 and res.info["knapsack_tokens"] == 14
    assert res.info["trimmed"] == 4 and res.info["refilled"] == 0
    assert res.pruned_text == "void f { int a = 1 return a }"
    assert res.n_removed == 9
    dropped = [r for t, r in zip(snip.tokens, res.reasons) if t.category == "logger"]
    assert dropped == ["statement 2 (logger) dropped by knapsack"] * 5
    assert res.reasons[2] == "lowest token score 0.01 in a kept statement"


def test_refill_puts_back_highest_token_scores():
    # logger statements are worth nothing: the knapsack keeps 14 tokens, T = 17 -> refill 3
    snip = method_snippet()
    cats = {"method": 5.0, "variable": 3.0, "logger": 0.0, "return": 4.0, "none": 0.1}
    res = get_pruner("dietcode", table=table(cats)).prune(snip, budget=17)
    assert res.info["refilled"] == 3
    # from "log ( a ) ;": a (0.8), log (0.6), ; (0.03) come back; ( and ) stay out
    assert res.pruned_text == "void f ( ) { int a = 1 ; log a ; return a ; }"
    assert res.n_removed == 2


def test_refill_ties_go_leftmost():
    snip = make_snippet(["p", "q", "p", "q"], categories=["if"] * 4, statements=[0, 0, 1, 1])
    t = ImportanceTable("dietcode", "search", "java", token_scores={"p": [1.0, 1], "q": [1.0, 1]})
    res = get_pruner("dietcode", table=t).prune(snip, budget=3)
    # no category scores: nothing is worth keeping, all four tie -> the three leftmost return
    assert res.keep == [True, True, True, False]
    assert any("no category scores" in w for w in res.info["warnings"])


def test_missing_category_gets_mean_of_known():
    t = table({"method": 2.0, "return": 4.0})
    assert t.category_score("logger") == 3.0


def test_tokens_outside_statements_form_pseudo_statements():
    texts = ["@", "A", "void", "f", "{", "}", "//", "c"]
    stmts = [-1, -1, 0, 0, 0, 1, -1, -1]
    cats = ["annotation", "annotation", "method", "method", "method", "none", "annotation",
            "annotation"]
    snip = make_snippet(texts, categories=cats, statements=stmts)
    t = ImportanceTable("dietcode", "search", "java",
                        token_scores={x: [1.0, 1] for x in texts},
                        category_scores={"annotation": [0.1, 1], "method": [5.0, 1], "none": [1.0, 1]})
    res = get_pruner("dietcode", table=t).prune(snip, budget=4)
    # groups: [@ A] [void f {] [}] [// c]; capacity 4 + 3 = 7 -> method, none and one pseudo
    # statement fit (weight 6), the first annotation run wins the tie; then trim 2
    assert res.info["statements"] == 4
    assert res.info["kept_statements"] == [-1, 0, 1]
    assert res.n_removed == 4
    assert res.reasons[6] == "tokens outside statements (annotation) dropped by knapsack"


def test_ratio_zero_keeps_everything_and_skips_the_knapsack():
    snip = method_snippet()
    res = get_pruner("dietcode", table=table()).prune(snip, ratio=0.0)
    assert all(res.keep) and res.pruned_text == snip.model_text


def test_scores_are_token_scores_with_unseen_as_inf():
    snip = make_snippet(["void", "zz"], categories=["method"] * 2)
    res = get_pruner("dietcode", table=table()).prune(snip, budget=1)
    assert res.scores == [0.5, math.inf]
    assert res.pruned_text == "zz"


def test_empty_snippet():
    res = get_pruner("dietcode", table=table()).prune(make_snippet([]), ratio=0.5)
    assert res.keep == [] and res.pruned_text == ""


@pytest.mark.parametrize("budget", range(0, 20))
def test_every_budget_removes_exactly_k(budget):
    snip = method_snippet()
    res = get_pruner("dietcode", table=table()).prune(snip, budget=budget)
    assert res.n_removed == max(0, snip.n - budget)
