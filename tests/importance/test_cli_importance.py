"""``leancode importance``, ``search-score`` and ``summarize`` through ``leancode.cli.main``."""
from __future__ import annotations

import io
import json

import pytest

from leancode import tokenize
from leancode.cli import main

JAVA = """public String getUserNameFromDb(int id) {
    // fetch the name
    return db.query(id);
}
"""


@pytest.fixture()
def java_file(tmp_path):
    path = tmp_path / "A.java"
    path.write_text(JAVA, encoding="utf-8")
    return path


def test_importance_json(bert_dir, java_file, capsys):
    rc = main(["importance", str(java_file), "--lang", "java", "--model", str(bert_dir), "--query", "get user name",
               "--format", "json"])
    out = capsys.readouterr().out
    assert rc == 0
    d = json.loads(out)
    snippet = tokenize(JAVA, "java")
    assert [t["text"] for t in d["tokens"]] == snippet.texts
    assert [(t["start"], t["end"]) for t in d["tokens"]] == [(t.start, t.end) for t in snippet.tokens]
    assert all(isinstance(t["score"], float) and t["score"] >= 0 for t in d["tokens"])
    assert d["source"] == "cls" and d["task"] == "search" and d["layer"] == -1 and d["head"] == "mean"
    assert [s["text"] for s in d["special_tokens"] if s["kind"] == "query"] == ["get", "user", "name"]
    assert d["summary"] is None


def test_importance_text_from_stdin(bert_dir, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(JAVA))
    rc = main(["importance", "-", "--model", str(bert_dir), "--source", "rollout", "--layer", "all",
               "--head", "max"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "source: rollout" in out and "layer: all" in out and "head: max" in out
    rows = [line.split() for line in out.splitlines() if line.strip().startswith(("0 ", "1 ", "2 "))]
    assert [r[1] for r in rows[:3]] == ["public", "String", "getUserNameFromDb"]


def test_importance_cross_summary_and_sliding(t5_dir, tmp_path, capsys):
    long = tmp_path / "long.py"
    body = "\n".join(f"    total = total + values[{i}] * weight" for i in range(12))
    long.write_text(f"def accumulate(values, weight):\n    total = 0\n{body}\n    return total\n", encoding="utf-8")
    rc = main(["importance", str(long), "--lang", "python", "--task", "summarize", "--source", "cross",
               "--model", str(t5_dir), "--summary", "sum the values", "--window", "sliding", "--format", "json"])
    d = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert d["summary"] == "sum the values" and d["n_unseen"] == 0 and not d["truncated"]
    assert len(d["matrix"]) == len(d["target_tokens"]) and len(d["matrix"][0]) == len(d["tokens"])
    assert all(v is not None for row in d["matrix"] for v in row)
    rc = main(["importance", str(long), "--lang", "python", "--task", "summarize", "--source", "cross",
               "--model", str(t5_dir), "--summary", "sum the values"])
    out = capsys.readouterr().out
    assert rc == 0 and "unseen" in out and "--window sliding" in out


def test_importance_ig_options(bert_dir, java_file, capsys):
    rc = main(["importance", str(java_file), "--model", str(bert_dir), "--source", "ig", "--query", "get name",
               "--steps", "8", "--abs", "--format", "json"])
    d = json.loads(capsys.readouterr().out)
    assert rc == 0 and d["completeness_gap"] is not None
    assert all(t["score"] >= 0 for t in d["tokens"])


def test_importance_errors_are_one_line(bert_dir, java_file, capsys, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert main(["importance", str(java_file), "--model", str(bert_dir), "--source", "cross"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "encoder-decoder" in err and "\n" not in err
    assert main(["importance", str(java_file), "--model", "no-such-org/no-such-model"]) == 2
    err = capsys.readouterr().err
    assert "cannot load model no-such-org/no-such-model offline" in err
    assert main(["importance", str(java_file.parent / "missing.java"), "--model", str(bert_dir)]) == 2
    assert "file not found" in capsys.readouterr().err
    assert main(["importance", str(java_file), "--model", str(bert_dir), "--format", "xml"]) == 2
    assert "unknown format" in capsys.readouterr().err


def test_search_score_and_summarize(bert_dir, t5_dir, java_file, capsys):
    assert main(["search-score", "--query", "get user name", str(java_file), "--model", str(bert_dir)]) == 0
    p = float(capsys.readouterr().out.strip())
    assert 0.0 <= p <= 1.0
    assert main(["summarize", str(java_file), "--model", str(t5_dir), "--max-new-tokens", "5"]) == 0
    assert capsys.readouterr().out.endswith("\n")
    assert main(["summarize", str(java_file), "--model", str(bert_dir)]) == 2
    assert "cannot generate summaries" in capsys.readouterr().err
    assert main(["search-score", "--query", "q", str(java_file), "--model", str(t5_dir)]) == 2
    assert "sequence classifier" in capsys.readouterr().err


def test_rich_rendering_colours_every_token(bert):
    from leancode.cli.importance_cmd import render_rich
    from leancode.importance import compute_importance

    snippet = tokenize(JAVA, "java")
    result = compute_importance(snippet, source="cls", model=bert)
    text = render_rich(snippet, result)
    assert text.plain == JAVA
    assert len(text.spans) == snippet.n
    assert [(s.start, s.end) for s in text.spans] == [(t.start, t.end) for t in snippet.tokens]
    signed = compute_importance(snippet, source="ig", model=bert, query="get", n_steps=4)
    styles = {str(s.style) for s in render_rich(snippet, signed).spans}
    assert len(styles) > 1
