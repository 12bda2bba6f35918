"""LeanCode: context score, then token mean, then +inf; k lowest removed, ties earliest first."""
from __future__ import annotations

import math

import pytest

from leancode.errors import TableError
from leancode.pruners import PruneError, get_pruner
from leancode.tables import ImportanceTable

from .conftest import make_snippet


def hand_table(language: str = "java") -> ImportanceTable:
    return ImportanceTable(
        method="leancode", task="search", language=language, model="hand", source="cls",
        token_scores={"x": [0.3, 3], "y": [0.2, 1], ";": [0.05, 4], "return": [0.6, 2]},
        category_scores={"return": [1.0, 2]},
        context_scores={
            "return": {"x": [0.5, 2], ";": [0.01, 2], "return": [0.6, 2]},
            "if": {"x": [0.1, 1]},
        },
    )


def snippet():
    #        0         1    2    3     4    5    6    7
    texts = ["return", "x", "y", ";", "x", "z", "y", ";"]
    cats = ["return"] * 4 + ["if", "if", "variable", "variable"]
    stmts = [0, 0, 0, 0, 1, 1, 2, 2]
    return make_snippet(texts, categories=cats, statements=stmts)


def test_scores_follow_the_fallbacks():
    res = get_pruner("leancode", table=hand_table()).prune(snippet(), ratio=0.0)
    assert res.scores == [0.6, 0.5, 0.2, 0.01, 0.1, math.inf, 0.2, 0.05]
    assert res.n_removed == 0


@pytest.mark.parametrize("k, removed", [
    (1, [3]),                    # ';' in a return statement: 0.01
    (2, [3, 7]),                 # ';' in a variable statement: token mean 0.05
    (3, [3, 7, 4]),              # 'x' in an if statement: 0.1
    (4, [3, 7, 4, 2]),           # tie 0.2: the earlier 'y' first
    (5, [3, 7, 4, 2, 6]),
    (7, [3, 7, 4, 2, 6, 1, 0]),
    (8, [3, 7, 4, 2, 6, 1, 0, 5]),  # the unseen 'z' goes last
])
def test_lowest_scores_removed_first(k, removed):
    res = get_pruner("leancode", table=hand_table()).prune(snippet(), budget=8 - k)
    assert [i for i, kk in enumerate(res.keep) if not kk] == sorted(removed)


def test_ties_go_to_the_earliest_position():
    snip = make_snippet(["a", "b", "a", "b", "a"])
    table = ImportanceTable("leancode", "search", "java", token_scores={"a": [1.0, 1], "b": [1.0, 1]})
    res = get_pruner("leancode", table=table).prune(snip, budget=2)
    assert res.keep == [False, False, False, True, True]


def test_unseen_tokens_removed_last_in_order():
    snip = make_snippet(["u1", "a", "u2", "u3"])
    table = ImportanceTable("leancode", "search", "java", token_scores={"a": [5.0, 1]})
    res = get_pruner("leancode", table=table).prune(snip, budget=1)
    assert res.pruned_text == "u3"
    assert res.info["unseen"] == 3


def test_reasons_name_the_source_of_the_score():
    res = get_pruner("leancode", table=hand_table()).prune(snippet(), budget=0)
    assert res.reasons[3] == "lowest token score 0.01 in return context"
    assert res.reasons[7] == "lowest token score 0.05 (token mean over all contexts)"
    assert res.reasons[5] == "never seen by the table (removed last)"
    assert res.info["removed_by_context_score"] == 4
    assert res.info["removed_by_token_mean"] == 3


def test_table_from_a_path(tmp_path):
    path = hand_table().save(tmp_path / "t.json")
    a = get_pruner("leancode", table=str(path)).prune(snippet(), ratio=0.5)
    b = get_pruner("leancode", table=hand_table()).prune(snippet(), ratio=0.5)
    assert a.keep == b.keep


def test_missing_table_file_is_a_table_error(tmp_path):
    with pytest.raises(TableError, match="not found"):
        get_pruner("leancode", table=tmp_path / "nope.json")


def test_no_table_and_nothing_shipped(monkeypatch):
    import leancode.pruners.leancode as mod

    calls = []

    def fake_default(method, task, language):
        calls.append((method, task, language))
        return None

    monkeypatch.setattr(mod, "default_table", fake_default)
    with pytest.raises(TableError, match="needs an importance table"):
        get_pruner("leancode", task="summarize").prune(snippet(), ratio=0.3)
    assert calls == [("leancode", "summarize", "java")]


def test_shipped_table_is_used_when_present(monkeypatch):
    import leancode.pruners.leancode as mod

    monkeypatch.setattr(mod, "default_table", lambda method, task, language: hand_table())
    res = get_pruner("leancode").prune(snippet(), budget=7)
    assert res.keep[3] is False and res.n_removed == 1


def test_language_mismatch_is_reported():
    res = get_pruner("leancode", table=hand_table("python")).prune(snippet(), ratio=0.2)
    assert any("python" in w for w in res.info["warnings"])


@pytest.mark.parametrize("bad", ["", None, 3])
def test_bad_task(bad):
    with pytest.raises(PruneError):
        get_pruner("leancode", table=hand_table(), task=bad)


def test_bad_table_type():
    with pytest.raises(TableError):
        get_pruner("leancode", table=42)
