"""A tiny benchmark world: Java and Python corpora, tiny random-weight models and tables, built offline."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from test_evaluate import JAVA_RECORDS, tiny_search_model, tiny_summarize_model

PY_RECORDS = [
    ("def add ( a , b ) : return a + b", "Add two numbers."),
    ("def top ( xs ) : return max ( xs )", "Return the largest value."),
    ("def read ( p ) : with open ( p ) as f : return f . read ( )", "Read a whole file."),
    ("def split ( line ) : return line . split ( ',' )", "Split a line on commas."),
    ("def first ( xs ) : if not xs : return None return xs [ 0 ]", "Return the first item or None."),
    ("def count ( xs , x ) : n = 0 for y in xs : if y == x : n += 1 return n", "Count the occurrences of x."),
]


def _write(path: Path, records, lang: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for i, (code, doc) in enumerate(records):
            rec = {"repo": "tiny", "path": f"f{i}", "func_name": f"f{i}", "language": lang, "code": code,
                   "code_tokens": code.split(), "docstring": doc, "docstring_tokens": doc.rstrip(".").split() + ["."],
                   "partition": "test"}
            f.write(json.dumps(rec) + "\n")
    return path


@pytest.fixture(scope="session")
def world(tmp_path_factory):
    """data/{java,python}/{train,test}.jsonl, a search and a summarize model, Java tables (no Python ones)."""
    import torch

    from leancode.table_build import build_table_file

    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("bench")
    data = root / "data"
    for split in ("train", "test"):
        _write(data / "java" / f"{split}.jsonl", JAVA_RECORDS, "java")
        _write(data / "python" / f"{split}.jsonl", PY_RECORDS, "python")
    search = tiny_search_model(root / "search-model")
    summ = tiny_summarize_model(root / "summ-model")
    tables = root / "tables"
    tables.mkdir()
    for task, model in (("search", search), ("summarize", summ)):
        for method in ("leancode", "dietcode"):
            build_table_file(method, task, data / "java" / "test.jsonl", tables / f"{method}-{task}-java.json",
                             model=str(model), device="cpu", progress=False)
    return {"root": root, "data": data, "search": search, "summarize": summ, "tables": tables}


#: Synthetic retention per (task, method) at ratio r: 1 - slope * r (so the orderings are known).
SLOPES = {"random": 0.9, "slimcode": 0.3, "dietcode": 0.6, "leancode": 0.2}


def fake_rows() -> list:
    """Quality rows of 3 seeds for Java (search + summarize) and Python (search), as a run writes them."""
    rows = []
    for task, lang, base in (("search", "java", 0.5), ("summarize", "java", 20.0), ("search", "python", 0.4)):
        for seed in (0, 1, 2):
            b = base * (1 + 0.02 * seed)
            common = dict(task=task, language=lang, model="tiny", metric="mrr" if task == "search" else "bleu",
                          n=50, group_size=25 if task == "search" else None, seed=seed, protocol="test-time",
                          batch_size=8, device="cpu")
            rows.append(dict(common, method="none", ratio=0.0, value=b, retention=1.0, prune_seconds=0.0,
                             infer_seconds=0.010, removed_fraction=0.0, model_inputs=100))
            for method, slope in SLOPES.items():
                for r in (0.1, 0.3, 0.5):
                    ret = 1 - slope * r + 0.01 * seed
                    rows.append(dict(common, method=method, ratio=r, value=b * ret, retention=ret,
                                     prune_seconds=0.0001, infer_seconds=0.010 * (1 - 0.8 * r),
                                     removed_fraction=r, model_inputs=100))
    return rows


def fake_cost() -> dict:
    rows = []
    for model, weights, base in (("leancode-mini-search", "trained", 0.004), ("codebert-base-sized", "random", 0.05)):
        for method, r in (("none", 0.0), ("leancode", 0.1), ("leancode", 0.3), ("leancode", 0.5),
                          ("slimcode", 0.5)):
            rows.append({"language": "java", "model": model, "kind": "encoder", "weights": weights,
                         "params": 22_000_000 if weights == "trained" else 125_000_000, "max_len": 256,
                         "method": method, "ratio": r, "n": 24, "batch_size": 8, "device": "cpu", "gen_tokens": None,
                         "mean_code_tokens": 50 * (1 - r), "mean_input_subwords": 80 * (1 - 0.7 * r),
                         "truncated_fraction": 0.0, "seconds_per_example": base * (1 - 0.75 * r),
                         "reduction": 0.75 * r, "subword_reduction": 0.7 * r})
    thr = {"java": {"snippets": 1000, "ratio": 0.3, "workers": 2, "tokenize_1core_per_s": 900.0,
                    "methods": {"slimcode": {"end_to_end_per_s": 1500.0, "prune_1core_per_s": 20000.0},
                                "leancode": {"end_to_end_per_s": 1400.0, "prune_1core_per_s": 15000.0}}}}
    meta = {"command": "leancode bench cost --quick", "date": "2026-01-01T00:00:00+00:00", "torch_threads": 2,
            "timing": "best of 1 pass(es)", "random_weights_note": "random weights: architecture cost only"}
    return {"metadata": meta, "inference": rows, "throughput": thr}


@pytest.fixture
def fake_report(tmp_path):
    """A report folder with results.json, cost.json and a discussion, as the benchmark writes them."""
    from leancode.bench.cost import write_cost
    from leancode.bench.quality import write_rows

    meta = {"command": "leancode bench run --quick", "date": "2026-01-01T00:00:00+00:00", "mode": "quick",
            "protocol": "test-time", "protocol_note": "Test-time pruning: fine-tuned on unpruned code.",
            "config": {"seeds": [0, 1, 2]}, "machine": {"platform": "Linux", "cpus": 2}, "versions": {"torch": "x"},
            "cells_computed": 99, "cells_cached": 0, "wall_seconds": 1.0}
    out = tmp_path / "reports"
    write_rows(fake_rows(), out, meta)
    write_cost(fake_cost(), out)
    (out / "DISCUSSION.md").write_text("<!-- results-date: 2026-01-01T00:00:00+00:00 -->\nLeanCode keeps most.\n")
    return out
