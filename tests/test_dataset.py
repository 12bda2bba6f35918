"""prune-dataset: whole records, atomic output, never overwriting the input."""
from __future__ import annotations

import json

import pytest

from leancode.cli import main
from leancode.dataset import prune_dataset
from leancode.errors import DataError

RECORDS = [
    {"repo": "r", "path": "A.java", "func_name": "A.size", "language": "java",
     "code": "public int size() { return this.items.size(); }",
     "code_tokens": "public int size ( ) { return this . items . size ( ) ; }".split(),
     "docstring": "Returns the size of the list.", "docstring_tokens": ["Returns", "the", "size"]},
    {"repo": "r", "path": "b.py", "func_name": "add", "language": "python",
     "code": "def add(a, b):\n    return a + b\n",
     "code_tokens": "def add ( a , b ) : return a + b".split(),
     "docstring": "Add two numbers together.", "docstring_tokens": ["Add", "two", "numbers"]},
] * 20


@pytest.fixture
def data(tmp_path):
    p = tmp_path / "in.jsonl"
    p.write_text("".join(json.dumps(r) + "\n" for r in RECORDS))
    return p


@pytest.mark.parametrize("workers", [1, 2])
def test_prune_dataset_keeps_fields(tmp_path, data, workers):
    out = tmp_path / "out.jsonl"
    stats = prune_dataset(data, out, "slimcode", ratio=0.5, workers=workers, progress=False)
    assert stats.records == len(RECORDS)
    recs = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(recs) == len(RECORDS)
    for src, r in zip(RECORDS, recs):
        assert r["func_name"] == src["func_name"] and r["docstring"] == src["docstring"]
        assert r["n_removed"] == -(-len(src["code_tokens"]) // 2)
        assert len(r["code_tokens"]) == len(src["code_tokens"]) - r["n_removed"]
        assert r["code"] == " ".join(r["code_tokens"])
    assert recs[0]["code"] == "public int size ( return this items size"


def test_refuses_to_overwrite_input(data):
    before = data.read_text()
    with pytest.raises(DataError, match="overwrite"):
        prune_dataset(data, data, "slimcode", ratio=0.5, progress=False)
    assert data.read_text() == before


def test_bad_json_leaves_no_output(tmp_path):
    p = tmp_path / "bad.jsonl"
    p.write_text(json.dumps(RECORDS[0]) + "\n{oops\n")
    out = tmp_path / "out.jsonl"
    with pytest.raises(DataError, match="bad.jsonl:2"):
        prune_dataset(p, out, "slimcode", ratio=0.5, workers=1, progress=False)
    assert not out.exists()
    assert [x.name for x in tmp_path.iterdir()] == ["bad.jsonl"]


def test_cli_prints_throughput(tmp_path, data, capsys):
    out = tmp_path / "o.jsonl"
    assert main(["prune-dataset", str(data), str(out), "--method", "random", "--ratio", "0.3", "-q"]) == 0
    msg = capsys.readouterr().out
    assert "snippets/s" in msg and str(len(RECORDS)) in msg
    assert main(["prune-dataset", str(data), str(data), "--method", "random", "--ratio", "0.3", "-q"]) == 2
