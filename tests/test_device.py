"""The same results on a CUDA GPU as on the CPU: importance, inference, evaluation, training.

Skipped where no CUDA GPU is present (as on CI).  Run on a GPU machine with
``python -m pytest tests/test_device.py``.  Tiny random-weight models, nothing downloaded.
"""
from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest
import torch

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def _module(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


_HERE = Path(__file__).parent
tiny_models = _module("leancode_tiny_models_device", _HERE / "importance" / "conftest.py")
tiny_eval = _module("leancode_tiny_eval_device", _HERE / "test_evaluate.py")
tiny_train = _module("leancode_tiny_train_device", _HERE / "test_training.py")
tiny_base, tiny_data = tiny_train.tiny_base, tiny_train.tiny_data
bert_dir, t5_dir, bart_dir, bert2bert_dir = (tiny_models.bert_dir, tiny_models.t5_dir, tiny_models.bart_dir,
                                             tiny_models.bert2bert_dir)

CODE = "public String getUserNameFromDb ( int id ) { String name = db . query ( id ) ; return name ; }"
CODES = [CODE, "int f ( ) { return 1 ; }", "for ( int i = 0 ; i < n ; i ++ ) { sum += values [ i ] ; }"]


def _close(a, b, tol=1e-4):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        if math.isnan(x) or math.isnan(y):
            assert math.isnan(x) and math.isnan(y)
        else:
            assert x == pytest.approx(y, abs=tol, rel=tol)


def test_default_device_is_the_gpu():
    from leancode.models import default_device

    assert default_device().startswith("cuda")


@pytest.mark.parametrize("source", ["cls", "received", "rollout", "ig"])
def test_encoder_importance_matches_the_cpu(bert_dir, source):
    from leancode.importance import compute_importance
    from leancode.models import load_model

    out = {}
    for dev in ("cpu", "cuda"):
        h = load_model(str(bert_dir), device=dev)
        assert str(h.device).startswith(dev)
        out[dev] = compute_importance(CODE, source, h, task="search", query="get the user name", lang="java",
                                      **({"n_steps": 8} if source == "ig" else {})).scores
    _close(out["cuda"], out["cpu"], tol=1e-3 if source == "ig" else 1e-4)


@pytest.mark.parametrize("fixture", ["t5_dir", "bart_dir", "bert2bert_dir"])
def test_cross_attention_matches_the_cpu(fixture, request):
    from leancode.importance import compute_importance
    from leancode.models import load_model

    path = request.getfixturevalue(fixture)
    out = {}
    for dev in ("cpu", "cuda"):
        h = load_model(str(path), device=dev)
        out[dev] = compute_importance(CODE, "cross", h, task="summarize", summary="get the user name",
                                      lang="java").scores
    _close(out["cuda"], out["cpu"])


def test_inference_matches_the_cpu(bert_dir, t5_dir):
    from leancode.inference import search_scores, summarize
    from leancode.models import load_model

    cpu = search_scores(load_model(str(bert_dir), device="cpu"), "sum the values", CODES, batch_size=2)
    gpu = search_scores(load_model(str(bert_dir), device="cuda"), "sum the values", CODES, batch_size=2)
    _close(gpu, cpu)
    g_cpu = summarize(load_model(str(t5_dir), device="cpu"), CODES, max_new_tokens=6)
    g_gpu = summarize(load_model(str(t5_dir), device="cuda"), CODES, max_new_tokens=6)
    assert len(g_gpu) == len(CODES) and all(isinstance(s, str) for s in g_gpu)
    assert sum(a == b for a, b in zip(g_gpu, g_cpu)) >= len(CODES) - 1   # greedy ties may flip on a GPU


def test_evaluation_cells_on_the_gpu(tmp_path):
    from leancode.evaluate import evaluate

    data = tiny_eval.write_corpus(tmp_path / "test.jsonl")
    model = tiny_eval.tiny_search_model(tmp_path / "search")
    rows = {}
    for dev in ("cpu", "cuda"):
        rows[dev] = evaluate("search", data, methods=["none", "slimcode", "random"], ratios=[0.3], group_size=4,
                             model=str(model), batch_size=2, device=dev, progress=False)
    assert all(r["device"].startswith("cuda") for r in rows["cuda"])
    _close([r["value"] for r in rows["cuda"]], [r["value"] for r in rows["cpu"]])
    summ = tiny_eval.tiny_summarize_model(tmp_path / "summ")
    out = evaluate("summarize", data, methods=["none", "slimcode"], ratios=[0.5], model=str(summ), batch_size=4,
                   device="cuda", progress=False)
    assert len(out) == 2 and all(r["value"] >= 0 for r in out)


def test_importance_tables_build_on_the_gpu(tmp_path):
    from leancode.table_build import build_table_file
    from leancode.tables import ImportanceTable

    data = tiny_eval.write_corpus(tmp_path / "test.jsonl")
    model = tiny_eval.tiny_search_model(tmp_path / "search")
    tables = {}
    for dev in ("cpu", "cuda"):
        build_table_file("leancode", "search", data, tmp_path / f"t-{dev}.json", model=str(model), device=dev,
                         progress=False)
        tables[dev] = ImportanceTable.load(tmp_path / f"t-{dev}.json")
    words = ["return", "int", "(", "data", "items", "this", "name", "if", "for"]
    _close([tables["cuda"].token_score(w) for w in words], [tables["cpu"].token_score(w) for w in words])


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_training_runs_on_the_gpu(tiny_base, tiny_data, tmp_path, precision):
    cfg = tiny_train._cfg(tiny_base, tiny_data, tmp_path / "search", device="cuda", precision=precision,
                          extra={"train_layers": 1, "eval_group": 3})
    summary = tiny_train.search.run(cfg)
    assert summary["steps"] == 3 and summary["device"].startswith("cuda")
    assert all(0 < summary["metrics"][lang]["mrr"] <= 1 for lang in ("java", "python"))
    cfg = tiny_train._cfg(tiny_base, tiny_data, tmp_path / "summ", device="cuda", precision=precision, lr=1e-3,
                          extra={"decoder_layers": 1, "train_encoder_layers": 1, "max_target_len": 12})
    summary = tiny_train.summarize.run(cfg)
    assert summary["steps"] == 3
    assert (tmp_path / "summ" / "artifacts" / "model.safetensors").exists()
