"""One input length per model: the length stored with a model is the one every part reads.

A tiny model is saved with ``leancode.json`` saying it was trained on 24-subword inputs (its
position embeddings allow 64).  Loading, search inference, summaries' encoder inputs, importance
and evaluation must all read inputs of at most 24 subwords; a longer explicit length is allowed
only with a warning, and one beyond the position limit is refused.
"""
from __future__ import annotations

import json
import shutil
import warnings

import pytest

from leancode.errors import LeanCodeWarning, ModelLoadError
from leancode.models import clear_model_cache, load_model, read_trained_length

TRAINED = 24
LONG_CODE = " ".join(["return", "db", ".", "query", "(", "id", ")", ";"] * 12)


@pytest.fixture()
def short_dir(bert_dir, tmp_path):
    path = tmp_path / "short-bert"
    shutil.copytree(bert_dir, path)
    (path / "leancode.json").write_text(json.dumps({"max_length": TRAINED}))
    clear_model_cache()
    yield path
    clear_model_cache()


class _Spy:
    """Records the sequence length of every input that goes through ``model``'s word embeddings."""

    def __init__(self, model):
        self.lengths = []
        self.handle = model.get_input_embeddings().register_forward_pre_hook(self._hook)

    def _hook(self, module, args):
        self.lengths.append(int(args[0].shape[-1]))

    def remove(self):
        self.handle.remove()


def test_stored_length_is_read_back(short_dir, bert_dir):
    assert read_trained_length(short_dir) == (TRAINED, "leancode.json:max_length")
    assert read_trained_length(bert_dir)[0] is None  # nothing stored: the position limit applies
    h = load_model(str(short_dir), device="cpu")
    assert (h.max_length, h.trained_length) == (TRAINED, TRAINED)
    assert load_model(str(bert_dir), device="cpu").max_length == 64


def test_search_inference_reads_the_trained_length(short_dir):
    from leancode.inference import search_scores

    h = load_model(str(short_dir), device="cpu")
    spy = _Spy(h.model)
    try:
        search_scores(h, "get the user name", [LONG_CODE, "return x ;"])
    finally:
        spy.remove()
    assert spy.lengths and max(spy.lengths) <= TRAINED


def test_importance_reads_the_trained_length(short_dir):
    from leancode.importance import compute_importance

    h = load_model(str(short_dir), device="cpu")
    spy = _Spy(h.model)
    try:
        res = compute_importance(LONG_CODE, source="cls", model=h, query="get the user name", lang="java",
                                 window="sliding")
    finally:
        spy.remove()
    assert res.info["max_length"] == TRAINED
    assert res.info["n_windows"] > 1          # the long method needs several windows of 24
    assert spy.lengths and max(spy.lengths) <= TRAINED


def test_evaluation_reads_the_trained_length(short_dir, tmp_path):
    from leancode.evaluate import Evaluator

    data = tmp_path / "test.jsonl"
    with data.open("w") as f:
        for i in range(4):
            f.write(json.dumps({"language": "java", "code_tokens": LONG_CODE.split() + [f"v{i}"],
                                "docstring_tokens": ["get", "the", "user", f"n{i}"]}) + "\n")
    ev = Evaluator("search", data, model=str(short_dir), group_size=2, device="cpu", progress=False)
    spy = _Spy(ev.handle.model)
    try:
        row = ev.cell("none", 0.0)
    finally:
        spy.remove()
    assert row["max_length"] == TRAINED
    assert spy.lengths and max(spy.lengths) <= TRAINED


def test_a_longer_length_only_with_a_warning(short_dir):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        h = load_model(str(short_dir), device="cpu", max_length=48)
    assert h.max_length == 48 and h.length_source == "requested"
    assert any(issubclass(w.category, LeanCodeWarning) and "trained on inputs of 24" in str(w.message)
               for w in caught)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_model(str(short_dir), device="cpu", max_length=16).max_length == 16  # shorter: no warning
    with pytest.raises(ModelLoadError, match="exceeds"):
        load_model(str(short_dir), device="cpu", max_length=100)


def test_embedded_models_record_their_training_length():
    from leancode import embedded

    for name in (embedded.SEARCH_NAME, embedded.SUMMARIZE_NAME):
        if not embedded.is_available(name):
            pytest.skip(f"{name} not trained in this checkout")
        cfg = json.loads((embedded.artifacts_dir(name) / "config.json").read_text())
        length, source = read_trained_length(embedded.artifacts_dir(name))
        assert length == cfg["max_len"] and source == "config.json:max_len"
