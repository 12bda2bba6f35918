"""Properties every registered pruner must have, on synthetic and on tokenised snippets."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import leancode
from leancode.errors import LeanCodeError
from leancode.pruners import PruneError, available_pruners, get_pruner, n_to_remove

from .conftest import languages_ready, make_snippet, needs_languages, snippets, synthetic_table

TABLE = synthetic_table()
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


BUILTIN = {"slimcode", "dietcode", "leancode", "random", "none"}


def fake_importance(snippet):
    """Deterministic stand-in for a model run: a hash of each token, NaN for a few."""
    out = []
    for t in snippet.tokens:
        h = zlib.crc32(f"{t.index}:{t.text}".encode("utf-8", "surrogatepass"))
        out.append(float("nan") if h % 11 == 0 else (h % 1000) / 1000.0)
    return out


def make(name: str):
    """The pruner ``name``, ready to run without a model.

    Table-driven pruners get the synthetic table; a pruner that scores tokens with a model
    run (an ``importance(snippet)`` method) gets a deterministic stand-in for that run.
    """
    try:
        pruner = get_pruner(name)
        if pruner.needs_table:
            pruner = get_pruner(name, table=TABLE)
    except LeanCodeError as e:
        pytest.skip(f"pruner {name!r} cannot be built without resources: {e}")
    if name not in BUILTIN:
        if not callable(getattr(pruner, "importance", None)):
            pytest.skip(f"pruner {name!r} needs resources these tests do not provide")
        pruner.importance = fake_importance
    return pruner


NAMES = available_pruners()


def test_the_builtin_pruners_are_registered():
    assert {"slimcode", "dietcode", "leancode", "random", "none"} <= set(NAMES)


def check_result(res, snip, k):
    n = snip.n
    assert len(res.keep) == len(res.scores) == len(res.reasons) == n
    assert res.n_removed == k
    kept = [t.index for t in res.kept_tokens]
    assert kept == sorted(kept) and len(set(kept)) == len(kept)
    assert res.pruned_text == " ".join(snip.tokens[i].text for i in kept)
    for keep, reason in zip(res.keep, res.reasons):
        assert (reason == "") == bool(keep)
    json.dumps(res.to_dict())


@pytest.mark.parametrize("name", NAMES)
@FAST
@given(snip=snippets(), ratio=st.floats(0.0, 1.0, exclude_max=True, allow_nan=False))
def test_exact_k_for_any_ratio(name, snip, ratio):
    pruner = make(name)
    res = pruner.prune(snip, ratio=ratio)
    k = 0 if name == "none" else n_to_remove(snip.n, ratio=ratio)
    assert k == (0 if name == "none" else math.ceil(ratio * snip.n - 1e-9))
    check_result(res, snip, k)


@pytest.mark.parametrize("name", NAMES)
@FAST
@given(snip=snippets(), budget=st.integers(0, 60))
def test_exact_k_for_any_budget(name, snip, budget):
    res = make(name).prune(snip, budget=budget)
    check_result(res, snip, 0 if name == "none" else max(0, snip.n - budget))


@pytest.mark.parametrize("name", NAMES)
@FAST
@given(snip=snippets(), ratio=st.sampled_from([0.1, 0.3, 0.5, 0.9]))
def test_deterministic(name, snip, ratio):
    a = make(name).prune(snip, ratio=ratio)
    b = make(name).prune(snip, ratio=ratio)
    assert a.keep == b.keep and a.reasons == b.reasons


@pytest.mark.parametrize("name", NAMES)
@FAST
@given(snip=snippets())
def test_ratio_zero_keeps_everything(name, snip):
    res = make(name).prune(snip, ratio=0.0)
    assert all(res.keep)
    assert res.pruned_text == snip.model_text


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("bad", [-0.1, 1.0, float("nan"), "x", float("inf")])
def test_bad_ratio_raises(name, bad):
    snip = make_snippet(["a", "b", "c"])
    with pytest.raises(PruneError):
        make(name).prune(snip, ratio=bad)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("bad", [-1, 2.5, "x"])
def test_bad_budget_raises(name, bad):
    with pytest.raises(PruneError):
        make(name).prune(make_snippet(["a"]), budget=bad)


@pytest.mark.parametrize("name", NAMES)
def test_not_a_snippet_raises(name):
    with pytest.raises(PruneError, match="CodeSnippet"):
        make(name).prune("int x = 1;", ratio=0.5)


@needs_languages
@pytest.mark.parametrize("lang", ["java", "python"])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=200), ratio=st.floats(0.0, 0.99))
def test_never_raises_on_tokenised_text(lang, text, ratio):
    snip = leancode.tokenize(text, lang)
    for name in NAMES:
        res = make(name).prune(snip, ratio=ratio)
        assert len(res.keep) == snip.n


@needs_languages
@pytest.mark.parametrize("code, lang", [
    ("public int size() { try { return items.size(); } catch (Exception e) { log(e); return 0; } }",
     "java"),
    ("def f(x):\n    if x > 0:\n        print(x)\n    return [i for i in range(x)]\n", "python"),
])
def test_real_snippets_every_ratio(code, lang):
    snip = leancode.tokenize(code, lang)
    for name in NAMES:
        for r in (0.0, 0.1, 0.3, 0.5, 0.7, 0.95):
            res = make(name).prune(snip, ratio=r)
            check_result(res, snip, 0 if name == "none" else n_to_remove(snip.n, r))


# ---------------------------------------------------------------- random only
def test_random_seed_changes_the_choice():
    snip = make_snippet([f"t{i}" for i in range(40)])
    masks = {tuple(get_pruner("random", seed=s).prune(snip, ratio=0.5).keep) for s in range(5)}
    assert len(masks) > 1


def test_random_differs_between_snippets():
    a = make_snippet([f"t{i}" for i in range(40)])
    b = make_snippet([f"u{i}" for i in range(40)])
    p = get_pruner("random", seed=0)
    assert p.prune(a, ratio=0.5).keep != p.prune(b, ratio=0.5).keep


def test_random_is_the_same_in_another_process():
    snip = make_snippet([f"t{i}" for i in range(50)])
    here = get_pruner("random", seed=7).prune(snip, ratio=0.4).keep
    code = (
        "import sys; sys.path.insert(0, 'tests');"
        "from pruners.conftest import make_snippet;"
        "from leancode.pruners import get_pruner;"
        "s = make_snippet([f't{i}' for i in range(50)]);"
        "print(''.join('1' if k else '0' for k in get_pruner('random', seed=7).prune(s, ratio=0.4).keep))"
    )
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, PYTHONHASHSEED="12345")
    out = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "".join("1" if k else "0" for k in here)


@pytest.mark.parametrize("bad", ["x", 1.5, None])
def test_random_bad_seed(bad):
    with pytest.raises(PruneError):
        get_pruner("random", seed=bad)


def test_none_without_arguments_keeps_everything():
    res = get_pruner("none").prune(make_snippet(["a", "b"]))
    assert res.keep == [True, True] and res.info["k"] == 0


def test_languages_flag_is_consistent():
    # documents why the tokeniser-based tests above may be skipped
    assert isinstance(languages_ready(), bool)
