"""``leancode bench run|cost|report`` end to end on the tiny world, and the small-scale papers' protocol."""
from __future__ import annotations

import json

import pytest

from leancode.cli import main


def _run_args(world, out, *extra):
    return ["bench", "run", "--langs", "java", "--tasks", "search,summarize", "--methods", "none,random,slimcode,leancode",
            "--ratios", "0.3,0.5", "--seeds", "0,1,2", "--group-size", "4", "--limit", "6",
            "--data-root", str(world["data"]), "--search-model", str(world["search"]),
            "--summarize-model", str(world["summarize"]), "--table-dir", str(world["tables"]), "--device", "cpu",
            "--no-cost", "--png", "none", "--quiet", "--out", str(out), *extra]


def test_bench_run_then_resume_then_report(world, tmp_path, capsys):
    out = tmp_path / "rep"
    assert main(_run_args(world, out)) == 0
    text = capsys.readouterr().out
    assert "Test-time pruning" in text and "42 cells computed, 0 reused" in text   # 2 tasks x 3 seeds x (1 + 3 x 2)
    payload = json.loads((out / "results.json").read_text())
    assert len(payload["rows"]) == 42
    command = payload["metadata"]["command"]
    assert command.startswith("leancode bench run --langs java --tasks search,summarize") and "--no-cost" in command
    assert "--train-method" not in command                      # defaults are not repeated
    md = (out / "REPORT.md").read_text()
    assert "## Code search: java" in md and "mean ± std over 3 seed(s)" in md
    assert (out / "plots" / "retention-search-java.html").is_file()

    assert main(_run_args(world, out)) == 0                     # resumable: nothing recomputed
    assert "0 cells computed, 42 reused" in capsys.readouterr().out

    assert main(["bench", "report", "--out", str(out), "--png", "none"]) == 0
    assert "wrote" in capsys.readouterr().out


def test_bench_errors_are_one_line(world, tmp_path, capsys):
    assert main(_run_args(world, tmp_path / "x", "--langs", "cobol")) == 2
    assert "unknown language 'cobol'" in capsys.readouterr().err
    assert main(["bench", "run", "--ratios", "a,b", "--out", str(tmp_path)]) == 2
    assert "ratios must be numbers" in capsys.readouterr().err
    assert main(["bench", "report", "--out", str(tmp_path / "empty")]) == 2
    assert "no benchmark results" in capsys.readouterr().err
    assert main(["bench", "cost", "--models", "gpt", "--out", str(tmp_path), "--data-root", str(world["data"]),
                 "--throughput-n", "0"]) == 2
    assert "unknown timing model 'gpt'" in capsys.readouterr().err


def test_bench_prune_still_works(world, tmp_path, capsys):
    out = tmp_path / "thr.json"
    assert main(["bench", "prune", "--data", str(world["data"] / "java" / "test.jsonl"), "--n", "12",
                 "--methods", "slimcode,random", "--workers", "1", "--out", str(out)]) == 0
    assert set(json.loads(out.read_text())["methods"]) == {"slimcode", "random"}


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory):
    """A 2-layer random BERT base with a WordPiece vocabulary of the tiny corpora."""
    import torch
    from tokenizers import BertWordPieceTokenizer
    from transformers import BertConfig, BertModel, BertTokenizerFast

    from .conftest import PY_RECORDS
    from test_evaluate import JAVA_RECORDS

    d = tmp_path_factory.mktemp("base")
    lines = [t for pair in JAVA_RECORDS + PY_RECORDS for t in pair] * 2
    wp = BertWordPieceTokenizer(lowercase=True)
    wp.train_from_iterator(lines, vocab_size=300, min_frequency=1, show_progress=False)
    tok = BertTokenizerFast(tokenizer_object=wp._tokenizer, unk_token="[UNK]", sep_token="[SEP]", pad_token="[PAD]",
                            cls_token="[CLS]", mask_token="[MASK]", do_lower_case=True)
    tok.save_pretrained(str(d))
    torch.manual_seed(0)
    BertModel(BertConfig(vocab_size=len(tok), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                         intermediate_size=64, max_position_embeddings=128)).save_pretrained(str(d))
    return d


def test_train_pruned_protocol(world, tiny_base, tmp_path):
    from leancode.bench.quality import write_rows
    from leancode.bench.report import write_report
    from leancode.bench.train_pruned import TrainPrunedConfig, run_train_pruned

    cfg = TrainPrunedConfig(out=str(tmp_path), langs=("java",), tasks=("search", "summarize"), method="slimcode",
                            ratio=0.5, steps=2, batch_size=2, max_len=64, train_limit=6, test_limit=6, group_size=3,
                            data_root=str(world["data"]), base_dir=str(tiny_base), device="cpu", eval_batch_size=4,
                            max_new_tokens=4, progress=False, train_extra={"decoder_layers": 1})
    logs: list = []
    rows, meta = run_train_pruned(cfg, log=logs.append, command="leancode bench run --train-pruned")
    assert [(r["task"], r["protocol"], r["trained_on"], r["method"]) for r in rows] == [
        (t, p, on, m) for t in ("search", "summarize") for p, on, m in (
            ("train-pruned", "unpruned", "none"), ("train-pruned", "slimcode-r0.5", "slimcode"),
            ("test-time", "unpruned", "slimcode"))]
    for r in rows:
        assert r["train_steps"] == 2 and (r["method"] != "none" or r["retention"] == pytest.approx(1.0))
    assert rows[0]["model"] != rows[1]["model"]                     # two different fine-tuned models
    pruned_train = tmp_path / "cache" / "train-pruned" / "java" / "search" / "slimcode-r0.5" / "data" / "train.jsonl"
    first = json.loads(pruned_train.read_text().splitlines()[0])
    assert first["n_removed"] == -(-first["n_tokens"] // 2)           # ceil(0.5 n) tokens removed in training data
    assert sum("training a search model" in line for line in logs) == 2

    again: list = []
    rows2, _ = run_train_pruned(cfg, log=again.append)              # nothing is trained or evaluated again
    assert sum("reusing the model" in line for line in again) == 4
    assert [r["value"] for r in rows2] == [r["value"] for r in rows] and all(r["cached"] for r in rows2)

    write_rows(rows, tmp_path, meta, stem="train-pruned")
    (tmp_path / "results.json").write_text(json.dumps({"metadata": {}, "rows": []}))
    md = write_report(tmp_path, png="none", log=lambda s: None).markdown.read_text()
    assert "## The papers' protocol (fine-tuning on pruned code), small scale" in md and "slimcode-r0.5" in md
