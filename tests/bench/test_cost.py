"""The cost runner with tiny models: rows per model, method and ratio; reductions against unpruned."""
from __future__ import annotations

import json

import pytest

from leancode.bench.cost import (CostConfig, CostError, build_inputs, cost_stem, encoder_model, run_cost,
                                 seq2seq_model, time_models, write_cost)


@pytest.fixture(scope="module")
def tok(world):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(world["search"]))


@pytest.fixture(scope="module")
def tiny_models(tok):
    enc = encoder_model(tok, name="tiny-encoder", layers=1, hidden=32, heads=2, ffn=64, max_len=64)
    s2s = seq2seq_model(tok, name="tiny-seq2seq", d_model=32, d_ff=64, layers=1, heads=2, d_kv=16, max_len=64)
    return [enc, s2s]


def test_models_have_the_requested_shapes(tok, tiny_models):
    enc, s2s = tiny_models
    assert enc.kind == "encoder" and enc.weights == "random" and enc.model.config.num_hidden_layers == 1
    assert type(enc.model).__name__ == "RobertaForSequenceClassification"
    assert s2s.kind == "seq2seq" and type(s2s.model).__name__ == "T5ForConditionalGeneration"
    assert s2s.model.config.d_model == 32 and s2s.task == "summarize"
    assert 0 < enc.params < 100_000


def test_inputs_prune_every_method_and_ratio(world):
    path = world["data"] / "java" / "test.jsonl"
    inp = build_inputs(path, "java", 6, ["slimcode", "leancode", "none"], [0.5], tasks=("search",),
                       table_dir=world["tables"])
    assert set(inp.texts) == {("search", "none", 0.0), ("search", "slimcode", 0.5), ("search", "leancode", 0.5)}
    assert len(inp.queries) == 6
    assert inp.code_tokens[("search", "slimcode", 0.5)] < 0.55 * inp.code_tokens[("search", "none", 0.0)]
    py = build_inputs(world["data"] / "python" / "test.jsonl", "python", 4, ["dietcode"], [0.3], tasks=("search",),
                      table_dir=world["tables"])
    assert "dietcode/search" in py.notes and set(py.texts) == {("search", "none", 0.0)}


def test_timing_rows(world, tiny_models):
    path = world["data"] / "java" / "test.jsonl"
    inp = build_inputs(path, "java", 8, ["slimcode"], [0.3, 0.6], table_dir=world["tables"])
    rows = time_models(tiny_models, inp, batch_size=4, repeats=2, gen_tokens=3, log=lambda s: None)
    assert len(rows) == 2 * 3
    for model in ("tiny-encoder", "tiny-seq2seq"):
        rs = {(r["method"], r["ratio"]): r for r in rows if r["model"] == model}
        assert rs[("none", 0.0)]["reduction"] == pytest.approx(0.0)
        assert rs[("slimcode", 0.6)]["mean_input_subwords"] < rs[("slimcode", 0.3)]["mean_input_subwords"] \
            < rs[("none", 0.0)]["mean_input_subwords"]
        assert all(r["seconds_per_example"] > 0 and r["batch_size"] == 4 and r["n"] == 8 for r in rs.values())
    assert {r["gen_tokens"] for r in rows if r["kind"] == "seq2seq"} == {3}


def test_run_cost_writes_files(world, tiny_models, tmp_path):
    cfg = CostConfig(out=str(tmp_path), langs=("java",), methods=("slimcode", "random"), ratios=(0.5,), n=4,
                     batch_size=2, repeats=1, gen_tokens=2, device="cpu", data_root=str(world["data"]),
                     throughput_n=12, throughput_workers=1)
    rep = run_cost(cfg, log=lambda s: None, command="leancode bench cost ...", timing_models=tiny_models)
    assert set(rep["throughput"]["java"]["methods"]) == {"slimcode", "random"}
    assert len(rep["inference"]) == 2 * 3
    assert "random weights" in rep["metadata"]["random_weights_note"]
    csv_path, json_path = write_cost(rep, tmp_path)
    assert csv_path.read_text().startswith("language,model,kind")
    assert json.loads(json_path.read_text())["metadata"]["command"] == "leancode bench cost ..."
    assert json_path.name == "cost.json" and cost_stem(rep) == "cost"
    # a run timed on a GPU lands beside the CPU run, not over it
    gpu = json.loads(json_path.read_text())
    gpu["metadata"]["machine"]["device"] = "cuda"
    assert [p.name for p in write_cost(gpu, tmp_path)] == ["cost-cuda.csv", "cost-cuda.json"]
    assert json.loads(json_path.read_text())["metadata"]["machine"]["device"] == "cpu"
    with pytest.raises(CostError):
        run_cost(CostConfig(ratios=(0.0,)), log=lambda s: None, timing_models=tiny_models)
