"""The per-snippet LeanCode pruner (``leancode-instance``)."""
from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leancode.pruners import PruneError, available_pruners, build_pruner, get_pruner, n_to_remove
from leancode.pruners.instance import InstancePruner, lowest_k

from .conftest import make_snippet, snippets

NAN = float("nan")


def test_registered(table):
    assert "leancode-instance" in available_pruners()
    p = get_pruner("leancode-instance", task="summarize")
    assert isinstance(p, InstancePruner) and p.source == "cross"
    assert build_pruner("leancode-instance", seed=3, task="search").source == "cls"
    with pytest.raises(PruneError, match="table"):
        build_pruner("leancode-instance", table=table)


def test_lowest_scores_go_first_ties_earliest_nan_last():
    snip = make_snippet(["a", "b", "c", "d", "e", "f"])
    scores = [0.5, 0.1, NAN, 0.1, 0.9, 0.3]
    p = InstancePruner()
    # k = 3: 0.1 (pos 1), 0.1 (pos 3, tie: after pos 1), 0.3 (pos 5)
    r = p.prune_with_scores(snip, scores, ratio=0.5)
    assert r.keep == [True, False, True, False, True, False]
    assert r.pruned_text == "a c e"
    assert r.scores[2] == math.inf and r.info["unseen"] == 1
    # k = 6: the unseen token goes last
    order = lowest_k(scores, 6)
    assert order == [0, 1, 2, 3, 4, 5]
    r = p.prune_with_scores(snip, scores, budget=1)
    assert r.pruned_text == "c"
    r = p.prune_with_scores(snip, scores, budget=0)
    assert r.n_removed == 6 and "not seen" in r.reasons[2] and "lowest cls score 0.1" in r.reasons[1]


def test_ties_remove_earliest_first():
    snip = make_snippet(list("abcde"))
    r = InstancePruner().prune_with_scores(snip, [1.0] * 5, ratio=0.4)
    assert r.pruned_text == "c d e"


def test_accepts_an_importance_result_and_none_scores():
    class Result:
        scores = [0.2, None, 0.1]

    r = InstancePruner().prune_with_scores(make_snippet(["x", "y", "z"]), Result(), budget=2)
    assert r.pruned_text == "x y"


def test_bad_scores_and_arguments():
    p = InstancePruner()
    snip = make_snippet(["x", "y"])
    with pytest.raises(PruneError, match="2 code tokens"):
        p.prune_with_scores(snip, [0.1], ratio=0.5)
    with pytest.raises(PruneError, match="numbers"):
        p.prune_with_scores(snip, ["a", "b"], ratio=0.5)
    with pytest.raises(PruneError, match="ratio"):
        p.prune_with_scores(snip, [0.1, 0.2], ratio=1.0)
    with pytest.raises(PruneError, match="task"):
        InstancePruner(task="translate")
    with pytest.raises(PruneError):
        p.prune_with_scores("int x ;", [0.1, 0.2, 0.3], ratio=0.5)


@settings(max_examples=60, deadline=None)
@given(snip=snippets(), ratio=st.floats(0, 0.99), seed=st.integers(0, 1000))
def test_exact_k_and_deterministic(snip, ratio, seed):
    rng = random.Random(seed)
    scores = [NAN if rng.random() < 0.1 else rng.choice([0.0, 0.5, 1.0, rng.random()]) for _ in range(snip.n)]
    p = InstancePruner()
    a = p.prune_with_scores(snip, scores, ratio=ratio)
    b = p.prune_with_scores(snip, list(scores), ratio=ratio)
    assert a.keep == b.keep
    k = n_to_remove(snip.n, ratio=ratio)
    assert a.n_removed == k
    removed = [i for i, kept in enumerate(a.keep) if not kept]
    kept = [i for i, kept in enumerate(a.keep) if kept]
    key = [math.inf if math.isnan(s) else s for s in scores]
    # every removed token scores <= every kept one; among equal scores the earlier ones go
    for i in removed:
        for j in kept:
            assert key[i] < key[j] or (key[i] == key[j] and i < j)


def test_prune_with_a_tiny_model(tmp_path):
    import torch
    from test_evaluate import tiny_search_model

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        _check_model_run(tmp_path, tiny_search_model)
    finally:
        torch.set_num_threads(threads)


def _check_model_run(tmp_path, tiny_search_model):
    from leancode.models import load_model

    handle = load_model(str(tiny_search_model(tmp_path / "m")), "search", device="cpu")
    snip = make_snippet(["int", "size", "(", ")", "{", "return", "items", ".", "size", "(", ")", ";", "}"])
    p = InstancePruner(model=handle, task="search")
    scores = p.importance(snip)
    assert len(scores) == snip.n and all(math.isfinite(s) and s >= 0 for s in scores)
    r = p.prune(snip, ratio=0.3)
    assert r.n_removed == n_to_remove(snip.n, ratio=0.3)
    assert r.keep == p.prune_with_scores(snip, scores, ratio=0.3).keep
    assert r.info["model"] == handle.name and r.info["source"] == "cls"
    # with a query the input is the (query, code) pair: the scores change, the count does not
    q = InstancePruner(model=handle, task="search", query="returns the number of items")
    rq = q.prune(snip, ratio=0.3)
    assert rq.n_removed == r.n_removed
    assert q.importance(snip) != scores
    # by name: the model directory is loaded once and reused
    by_name = InstancePruner(model=str(tmp_path / "m"), task="search")
    assert by_name.prune(snip, ratio=0.3).keep == r.keep
    assert by_name._handle is not None
