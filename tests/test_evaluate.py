"""``evaluate()`` and ``leancode eval`` end to end on a tiny corpus with tiny random-weight models.

The module also provides the tiny corpus and model builders that the table-building and
instance-pruner tests import.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

JAVA_RECORDS = [
    ("int size ( ) { return items . size ( ) ; }", "Returns the number of items."),
    ("boolean isEmpty ( ) { return size ( ) == 0 ; }", "Tells whether the list is empty."),
    ("void clear ( ) { items . clear ( ) ; count = 0 ; }", "Removes every item from the list."),
    ("int get ( int i ) { if ( i < 0 ) { throw new IndexOutOfBoundsException ( ) ; } return data [ i ] ; }",
     "Returns the item at the given position."),
    ("void add ( int x ) { data [ count ++ ] = x ; log . info ( \"added\" ) ; }", "Appends an item to the end."),
    ("int sum ( ) { int s = 0 ; for ( int x : data ) { s += x ; } return s ; }", "Adds up all the items."),
    ("String name ( ) { return this . name ; }", "Gets the name of this list."),
    ("void setName ( String n ) { this . name = n ; }", "Sets the name of this list."),
    ("int max ( int a , int b ) { return a > b ? a : b ; }", "Returns the larger of two numbers."),
]


def write_corpus(path: Path, n: int = 8) -> Path:
    """A CodeSearchNet-style JSONL file of ``n`` small Java methods with docstrings."""
    with open(path, "w", encoding="utf-8") as f:
        for i, (code, doc) in enumerate(JAVA_RECORDS[:n]):
            rec = {"repo": "tiny", "path": f"T{i}.java", "func_name": f"f{i}", "language": "java",
                   "code": code, "code_tokens": code.split(), "docstring": doc,
                   "docstring_tokens": doc.rstrip(".").split() + ["."], "partition": "test"}
            f.write(json.dumps(rec) + "\n")
    return path


def _tokenizer(directory: Path):
    """A WordPiece tokenizer trained on the corpus text, as a fast BERT tokenizer."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import BertTokenizerFast

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordPieceTrainer(vocab_size=300, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
    lines = [c for c, _ in JAVA_RECORDS] + [d for _, d in JAVA_RECORDS]
    tok.train_from_iterator(lines, trainer)
    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)])
    fast = BertTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                             sep_token="[SEP]", mask_token="[MASK]", model_max_length=128)
    fast.save_pretrained(str(directory))
    return fast


def _bert_config(vocab: int, **extra):
    from transformers import BertConfig

    return BertConfig(vocab_size=vocab, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                      intermediate_size=64, max_position_embeddings=128, **extra)


def tiny_search_model(directory: Path) -> Path:
    """A random-weight BERT cross-encoder (2 labels) saved with its tokenizer."""
    import torch
    from transformers import BertForSequenceClassification

    directory.mkdir(parents=True, exist_ok=True)
    tok = _tokenizer(directory)
    torch.manual_seed(0)
    model = BertForSequenceClassification(_bert_config(len(tok), num_labels=2))
    model.save_pretrained(str(directory))
    return directory


def tiny_summarize_model(directory: Path) -> Path:
    """A random-weight BERT-to-BERT encoder-decoder saved with its tokenizer."""
    import torch
    from transformers import EncoderDecoderConfig, EncoderDecoderModel

    directory.mkdir(parents=True, exist_ok=True)
    tok = _tokenizer(directory)
    torch.manual_seed(0)
    enc = _bert_config(len(tok))
    dec = _bert_config(len(tok), is_decoder=True, add_cross_attention=True)
    config = EncoderDecoderConfig.from_encoder_decoder_configs(enc, dec)
    config.decoder_start_token_id = tok.cls_token_id
    config.pad_token_id = tok.pad_token_id
    config.eos_token_id = tok.sep_token_id
    model = EncoderDecoderModel(config=config)
    model.generation_config.decoder_start_token_id = tok.cls_token_id
    model.generation_config.pad_token_id = tok.pad_token_id
    model.generation_config.eos_token_id = tok.sep_token_id
    model.generation_config.max_new_tokens = 8
    model.save_pretrained(str(directory))
    return directory


@pytest.fixture(scope="module", autouse=True)
def single_thread():
    """Tiny models run fastest on one thread (and do not compete with parallel work)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def tiny(tmp_path_factory):
    """Corpus, models and tables shared by the tests of this module."""
    from leancode.table_build import build_table_file

    root = tmp_path_factory.mktemp("tiny")
    data = write_corpus(root / "test.jsonl")
    search = tiny_search_model(root / "search-model")
    summ = tiny_summarize_model(root / "summ-model")
    tables = root / "tables"
    tables.mkdir()
    for method in ("leancode", "dietcode"):
        build_table_file(method, "search", data, tables / f"{method}-search-java.json", model=str(search),
                         device="cpu", progress=False)
    return {"data": data, "search": search, "summarize": summ, "tables": tables}


def _read_csv(path: Path) -> list:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_search_end_to_end_and_resume(tiny, tmp_path):
    from leancode.evaluate import CSV_COLUMNS, Evaluator, write_results

    cache = tmp_path / "cells"
    kwargs = dict(model=str(tiny["search"]), group_size=4, seed=1, table_dir=tiny["tables"], batch_size=4,
                  cache_dir=cache, device="cpu", progress=False)
    methods = ["none", "random", "slimcode", "dietcode", "leancode", "leancode-instance"]
    ev = Evaluator("search", tiny["data"], **kwargs)
    rows = ev.run(methods, [0.2, 0.5])
    assert len(rows) == 1 + 5 * 2
    none = [r for r in rows if r["method"] == "none"]
    assert len(none) == 1 and none[0]["ratio"] == 0.0 and none[0]["retention"] == pytest.approx(1.0)
    for r in rows:
        assert r["metric"] == "mrr" and r["n"] == 8 and r["group_size"] == 4
        # 2 groups of 4: every reciprocal rank is one of 1, 1/2, 1/3, 1/4
        assert 0.25 <= r["value"] <= 1.0
        assert r["retention"] == pytest.approx(r["value"] / none[0]["value"])
        assert r["prune_seconds"] >= 0 and r["infer_seconds"] > 0
        assert r["model_inputs"] == 8 * 4
        assert not r["cached"]
    for r in rows:
        if r["method"] != "none":
            # exactly ceil(r * n) tokens per snippet: overall removed fraction is close to the ratio
            assert r["ratio"] - 0.01 <= r["removed_fraction"] <= r["ratio"] + 0.15
    assert ev.computed_cells == len(rows)

    csv_path, json_path = write_results(rows, tmp_path / "out", ev.metadata("leancode eval ..."))
    table = _read_csv(csv_path)
    assert tuple(table[0].keys()) == CSV_COLUMNS
    assert table[0]["method"] == "none" and float(table[0]["retention"]) == pytest.approx(1.0)
    payload = json.loads(json_path.read_text())
    assert payload["metadata"]["command"] == "leancode eval ..."
    assert {"machine", "date", "versions", "settings"} <= set(payload["metadata"])
    assert len(payload["rows"]) == len(rows)

    # a second run reuses every cell: no model is loaded, the rows are identical
    ev2 = Evaluator("search", tiny["data"], **kwargs)
    rows2 = ev2.run(methods, [0.2, 0.5])
    assert ev2.cached_cells == len(rows) and ev2.computed_cells == 0 and ev2._handle is None
    assert all(r["cached"] for r in rows2)
    assert [(r["method"], r["ratio"], r["value"]) for r in rows2] == [(r["method"], r["ratio"], r["value"])
                                                                      for r in rows]
    # a new ratio computes only the new cells
    ev3 = Evaluator("search", tiny["data"], **kwargs)
    ev3.run(["none", "random"], [0.2, 0.3])
    assert ev3.cached_cells == 2 and ev3.computed_cells == 1


def test_search_is_deterministic_and_none_matches_unpruned(tiny):
    from leancode.evaluate import evaluate

    kw = dict(model=str(tiny["search"]), group_size=4, seed=3, batch_size=2, device="cpu", progress=False)
    a = evaluate("search", tiny["data"], methods=["none", "random"], ratios=[0.3], **kw)
    b = evaluate("search", tiny["data"], methods=["none", "random"], ratios=[0.3], **kw)
    assert [r["value"] for r in a] == [r["value"] for r in b]


def test_summarize_end_to_end(tiny, tmp_path):
    from leancode.evaluate import evaluate

    rows = evaluate("summarize", tiny["data"], methods=["none", "slimcode", "leancode-instance"], ratios=[0.3],
                    model=str(tiny["summarize"]), batch_size=5, limit=5, device="cpu", progress=False,
                    max_new_tokens=6,
                    cache_dir=tmp_path / "c")
    assert [r["method"] for r in rows] == ["none", "slimcode", "leancode-instance"]
    for r in rows:
        assert r["metric"] == "bleu" and r["n"] == 5 and r["group_size"] is None
        assert 0.0 <= r["value"] <= 100.0 and r["infer_seconds"] > 0
    assert rows[0]["retention"] in (None, pytest.approx(1.0))


def test_group_protocol():
    from leancode.evaluate import EvaluationError, search_groups

    groups = search_groups(10, 4, seed=0)
    assert [len(g) for g in groups] == [4, 4]                 # the incomplete last group is left out
    assert len(set(groups[0]) | set(groups[1])) == 8
    assert search_groups(10, 4, seed=0) == groups             # seeded
    assert search_groups(10, 4, seed=1) != groups
    assert [len(g) for g in search_groups(3, 100, seed=0)] == [3]
    with pytest.raises(EvaluationError):
        search_groups(1, 4, seed=0)


def test_retention_and_csv_blank_for_missing_baseline():
    from leancode.evaluate import add_retention, rows_to_csv

    base = dict(task="search", language="java", model="m", seed=0, group_size=4, n=8, metric="mrr",
                prune_seconds=0.0, infer_seconds=0.0)
    rows = [dict(base, method="none", ratio=0.0, value=0.5), dict(base, method="slimcode", ratio=0.1, value=0.25),
            dict(base, method="slimcode", ratio=0.1, value=0.3, seed=9)]
    add_retention(rows)
    assert rows[0]["retention"] == 1.0 and rows[1]["retention"] == 0.5 and rows[2]["retention"] is None
    text = rows_to_csv(rows)
    assert text.splitlines()[3].split(",")[7] == ""


def test_record_summary_is_first_sentence():
    from leancode.evaluate import record_summary

    assert record_summary({"docstring": "Returns the size(). More text here."}) == "Returns the size ( ) ."
    assert record_summary({"docstring": "Uses e.g. a list.  More."}) == "Uses e . g . a list ."
    assert record_summary({"docstring_tokens": ["Adds", "x", "."]}) == "Adds x ."
    assert record_summary({"code": "x"}) == ""


def test_bad_arguments(tiny, tmp_path):
    from leancode.errors import DataError, LeanCodeError, TableError
    from leancode.evaluate import evaluate

    kw = dict(model=str(tiny["search"]), device="cpu", progress=False)
    with pytest.raises(LeanCodeError, match="unknown task"):
        evaluate("translate", tiny["data"], **kw)
    with pytest.raises(LeanCodeError, match="unknown method"):
        evaluate("search", tiny["data"], methods=["none", "magic"], **kw)
    with pytest.raises(LeanCodeError, match="ratio"):
        evaluate("search", tiny["data"], methods=["random"], ratios=[1.5], **kw)
    with pytest.raises(DataError, match="not found"):
        evaluate("search", tmp_path / "missing.jsonl", **kw)
    with pytest.raises(TableError, match="leancode table build"):
        evaluate("search", tiny["data"], methods=["leancode"], ratios=[0.1], table_dir=tmp_path, **kw)


def test_cli_eval(tiny, tmp_path, capsys):
    from leancode.cli import main

    out = tmp_path / "res"
    code = main(["eval", "--task", "search", "--data", str(tiny["data"]), "--methods", "none,slimcode,random",
                 "--ratios", "0.1,0.5", "--group-size", "4", "--model", str(tiny["search"]), "--device", "cpu",
                 "--batch-size", "4", "--quiet", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    rows = _read_csv(out / "results.csv")
    assert [(r["method"], r["ratio"]) for r in rows] == [
        ("none", "0.0"), ("slimcode", "0.1"), ("slimcode", "0.5"), ("random", "0.1"), ("random", "0.5")]
    assert all(r["group_size"] == "4" and r["seed"] == "0" for r in rows)
    assert "wrote" in captured.out and "groups of 4" in captured.out
    meta = json.loads((out / "results.json").read_text())["metadata"]
    assert meta["command"].startswith("leancode eval") and "--group-size 4" in meta["command"]
    # the second run reuses the cells kept in OUT/cells
    code = main(["eval", "--task", "search", "--data", str(tiny["data"]), "--methods", "none,slimcode,random",
                 "--ratios", "0.1,0.5", "--group-size", "4", "--model", str(tiny["search"]), "--device", "cpu",
                 "--batch-size", "4", "--quiet", "--out", str(out)])
    assert code == 0
    assert "5 of 5 cells reused" in capsys.readouterr().out


def test_cli_eval_errors_are_one_line(tiny, tmp_path, capsys):
    from leancode.cli import main

    code = main(["eval", "--task", "search", "--data", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error:") and "nope.jsonl" in err and "Traceback" not in err
    code = main(["eval", "--task", "search", "--data", str(tiny["data"]), "--ratios", "a,b",
                 "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "not a number" in err


def test_queries_per_group_ask_a_subset_against_the_whole_group(tiny, tmp_path):
    from leancode.evaluate import Evaluator, EvaluationError, search_groups

    kw = dict(model=str(tiny["search"]), group_size=4, seed=2, batch_size=4, device="cpu", progress=False)
    full = Evaluator("search", tiny["data"], **kw).cell("none", 0.0)
    part_ev = Evaluator("search", tiny["data"], queries_per_group=2, cache_dir=tmp_path / "c", **kw)
    part = part_ev.cell("none", 0.0)
    assert part["n"] == 2 * 2 and part["group_size"] == 4 and part["model_inputs"] == 2 * 2 * 4
    assert full["n"] == 8 and full["model_inputs"] == 8 * 4
    assert 0.25 <= part["value"] <= 1.0            # each of the 4 queries ranked among 4 candidates
    assert part_ev.cell_key("none", 0.0)["queries_per_group"] == 2
    assert "queries_per_group" not in Evaluator("search", tiny["data"], **kw).cell_key("none", 0.0)
    assert len(search_groups(8, 4, 2)) == 2
    with pytest.raises(EvaluationError, match="queries per group"):
        Evaluator("search", tiny["data"], queries_per_group=-1, **kw)
