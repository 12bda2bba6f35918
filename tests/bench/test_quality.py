"""The quality runner end to end on the tiny world: seeds, retention, notes, resumability, output files."""
from __future__ import annotations

import csv
import json

import pytest

from leancode.bench.quality import BenchConfig, BenchError, bench_config, run_quality, sample_records, write_rows

METHODS = ("none", "random", "slimcode", "dietcode", "leancode", "leancode-instance")


def _cfg(world, out, **kw):
    base = dict(out=str(out), langs=("java", "python"), tasks=("search", "summarize"), methods=METHODS,
                ratios=(0.2, 0.5), seeds=(0, 1), group_size=4, search_limit=8, summarize_limit=5,
                data_root=str(world["data"]), batch_size=8, device="cpu", table_dir=str(world["tables"]),
                models={"search": str(world["search"]), "summarize": str(world["summarize"])},
                max_new_tokens=6, progress=False)
    base.update(kw)
    return BenchConfig(**base)


def test_run_is_complete_and_resumable(world, tmp_path):
    logs: list = []
    res = run_quality(_cfg(world, tmp_path), log=logs.append, command="leancode bench run ...")
    rows = res.rows
    # java: 1 + 5 methods x 2 ratios per seed; python: no tables, so dietcode and leancode are left out
    per_seed = {"java": 11, "python": 7}
    for task in ("search", "summarize"):
        for lang, n in per_seed.items():
            for seed in (0, 1):
                sel = [r for r in rows if (r["task"], r["language"], r["seed"]) == (task, lang, seed)]
                assert len(sel) == n, (task, lang, seed)
                none = [r for r in sel if r["method"] == "none"]
                assert len(none) == 1 and none[0]["retention"] == pytest.approx(1.0)
                for r in sel:
                    assert r["protocol"] == "test-time"
                    assert r["metric"] == ("mrr" if task == "search" else "bleu")
                    if none[0]["value"]:
                        assert r["retention"] == pytest.approx(r["value"] / none[0]["value"])
    assert any("python" in n and "dietcode" in n for n in res.notes)
    assert res.computed == len(rows) and res.cached == 0
    assert res.metadata["protocol"] == "test-time" and "fine-tuned on unpruned code" in res.metadata["protocol_note"]
    assert any("cell 11/11" in line for line in logs)
    search_java = [r for r in rows if r["task"] == "search" and r["language"] == "java"]
    assert {r["group_size"] for r in search_java} == {4} and {r["n"] for r in search_java} == {8}
    # each seed draws its own test sample (8 of the 9 Java records)
    samples = sorted((tmp_path / "cache" / "data").glob("java-test-n8-s*.jsonl"))
    assert [p.name for p in samples] == ["java-test-n8-s0.jsonl", "java-test-n8-s1.jsonl"]
    assert samples[0].read_text() != samples[1].read_text()

    # second run: nothing recomputed, identical values
    res2 = run_quality(_cfg(world, tmp_path), log=lambda s: None)
    assert res2.computed == 0 and res2.cached == len(rows)
    key = lambda r: (r["task"], r["language"], r["seed"], r["method"], r["ratio"])  # noqa: E731
    assert sorted((key(r), r["value"]) for r in res2.rows) == sorted((key(r), r["value"]) for r in rows)

    csv_path, json_path = write_rows(res.rows, tmp_path, res.metadata)
    with open(csv_path, newline="") as f:
        table = list(csv.DictReader(f))
    assert len(table) == len(rows) and table[0]["protocol"] == "test-time"
    payload = json.loads(json_path.read_text())
    assert payload["metadata"]["command"] == "leancode bench run ..." and len(payload["rows"]) == len(rows)
    assert "cached" not in payload["rows"][0]


def test_strict_fails_on_missing_table(world, tmp_path):
    from leancode.errors import TableError

    cfg = _cfg(world, tmp_path, langs=("python",), tasks=("search",), methods=("none", "leancode"), seeds=(0,),
               strict=True)
    with pytest.raises(TableError, match="leancode"):
        run_quality(cfg, log=lambda s: None)


def test_missing_model_leaves_the_task_out(world, tmp_path):
    # a summarizer given as the search model cannot score relevance: the task is left out with a note
    cfg = _cfg(world, tmp_path, langs=("java",), methods=("none", "slimcode"), seeds=(0,),
               models={"search": str(world["summarize"]), "summarize": str(world["summarize"])})
    res = run_quality(cfg, log=lambda s: None)
    assert {r["task"] for r in res.rows} == {"summarize"}
    assert any(n.startswith("search/java left out") for n in res.notes)


def test_samples_are_seeded(world):
    path = world["data"] / "java" / "test.jsonl"
    a, b, c = sample_records(path, 5, 0), sample_records(path, 5, 0), sample_records(path, 5, 1)
    assert a == b and len(a) == 5 and a != c
    assert len(sample_records(path, None, 0)) == 9


def test_presets_and_validation():
    q = bench_config(True)
    assert q.quick and q.group_size == 25 and q.ratios == (0.1, 0.3, 0.5) and q.seeds == (0, 1, 2)
    assert (q.batch("search", "cpu"), q.batch("summarize", "cpu"), q.batch("search", "cuda")) == (4, 16, 32)
    assert bench_config(True, batch_size=8, summarize_batch_size=2).batch("summarize", "cpu") == 2
    f = bench_config(False, group_size=50)
    assert not f.quick and f.group_size == 50 and f.ratios == (0.1, 0.2, 0.3, 0.4, 0.5)
    for bad, match in ((dict(langs=("cobol",)), "unknown language"), (dict(tasks=("translate",)), "unknown task"),
                       (dict(ratios=(1.5,)), "ratio"), (dict(seeds=()), "seed"), (dict(group_size=1), "group size"),
                       (dict(methods=("magic",)), "unknown method")):
        with pytest.raises((BenchError, ValueError), match=match):
            BenchConfig(**bad).validate()


def test_full_preset_uses_groups_of_100_with_a_query_subset():
    from leancode.bench.quality import BenchError, bench_config, plan_line

    full = bench_config(False)
    assert full.group_size == 100 and full.queries == 20 and full.ratios == (0.1, 0.2, 0.3, 0.4, 0.5)
    assert bench_config(False, queries_per_group=0).queries is None        # every member asks
    assert bench_config(True).queries is None and bench_config(True).group_size == 25
    assert "20 queries x 100 candidates = 2,000" in plan_line("search", 100, 100, 26, 3, 4, 20)
    assert "100 queries x 100 candidates = 10,000" in plan_line("search", 100, 100, 26, 3, 4, None)
    with pytest.raises(BenchError, match="queries per group"):
        bench_config(False, queries_per_group=-1)
