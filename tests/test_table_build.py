"""``leancode table build``: importance tables from a tiny random-weight model over a tiny corpus."""
from __future__ import annotations

import json
import math

import pytest
from test_evaluate import single_thread, tiny_search_model, tiny_summarize_model, write_corpus  # noqa: F401


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("tables")
    return {"data": write_corpus(root / "train.jsonl"), "search": tiny_search_model(root / "s"),
            "summarize": tiny_summarize_model(root / "z"), "root": root}


def test_leancode_search_table(setup, tmp_path):
    from leancode.pruners import build_pruner
    from leancode.table_build import build_table_file
    from leancode.tables import ImportanceTable

    out = tmp_path / "leancode-search-java.json"
    table = build_table_file("leancode", "search", setup["data"], out, model=str(setup["search"]), batch_size=3,
                             device="cpu", progress=False)
    loaded = ImportanceTable.load(out)
    assert loaded.to_dict()["token_scores"] == table.to_dict()["token_scores"]
    assert (loaded.method, loaded.task, loaded.language, loaded.source) == ("leancode", "search", "java", "cls")
    assert loaded.n_snippets == 8
    assert loaded.corpus["name"] == "train.jsonl" and loaded.corpus["split"] == "train"
    assert loaded.extra["records"] == 8 and loaded.extra["batch_size"] == 3
    # every token of the corpus was seen; CLS attention is a probability mass: scores in [0, 1]
    assert "return" in loaded.token_scores and loaded.count("return") == 5
    assert all(0.0 <= e[0] <= 1.0 for e in loaded.token_scores.values())
    assert loaded.context_scores["return"]["return"][1] == 5
    # the table drives the leancode pruner
    from leancode import tokenize

    snip = tokenize("int size ( ) { return items . size ( ) ; }", "java")
    assert build_pruner("leancode", table=loaded).prune(snip, ratio=0.5).n_removed == 7


def test_table_scores_do_not_depend_on_batch_size(setup, tmp_path):
    from leancode.table_build import build_table_from_data

    a = build_table_from_data("dietcode", "search", setup["data"], model=str(setup["search"]), batch_size=1,
                              device="cpu", progress=False)
    b = build_table_from_data("dietcode", "search", setup["data"], model=str(setup["search"]), batch_size=8,
                              device="cpu", progress=False)
    assert a.source == "received" and set(a.token_scores) == set(b.token_scores)
    for t, (mean, count) in a.token_scores.items():
        assert b.token_scores[t][1] == count
        assert b.token_scores[t][0] == pytest.approx(mean, rel=1e-4, abs=1e-6)
    assert set(a.category_scores) >= {"method", "return"}


def test_leancode_summarize_table_uses_cross_attention(setup):
    from leancode.table_build import build_table_from_data

    t = build_table_from_data("leancode", "summarize", setup["data"], model=str(setup["summarize"]), limit=4,
                              device="cpu", progress=False)
    assert t.source == "cross" and t.task == "summarize" and t.n_snippets == 4
    assert t.extra["target"] == "docstring first sentence"
    assert all(math.isfinite(e[0]) and e[0] >= 0 for e in t.token_scores.values())


def test_cli_table_build(setup, tmp_path, capsys):
    from leancode.cli import main

    out = tmp_path / "t.json"
    code = main(["table", "build", "--method", "leancode", "--task", "search", "--data", str(setup["data"]),
                 "--model", str(setup["search"]), "--limit", "5", "--device", "cpu", "--quiet", "-o", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    data = json.loads(out.read_text())
    assert data["format"] == "leancode-importance-table" and data["provenance"]["n_snippets"] == 5
    assert "wrote" in captured.out

    code = main(["table", "build", "--method", "slimcode", "--task", "search", "--data", str(setup["data"]),
                 "-o", str(tmp_path / "x.json")])
    err = capsys.readouterr().err
    assert code == 2 and "leancode or dietcode" in err and "Traceback" not in err
    code = main(["table", "build", "--method", "leancode", "--task", "search", "--data", str(tmp_path / "no.jsonl"),
                 "--model", str(setup["search"]), "-o", str(tmp_path / "x.json")])
    err = capsys.readouterr().err
    assert code == 2 and "no.jsonl" in err
    assert not (tmp_path / "x.json").exists()


def test_summarize_table_needs_an_encoder_decoder(setup):
    from leancode.errors import LeanCodeError
    from leancode.table_build import build_table_from_data

    with pytest.raises(LeanCodeError):
        build_table_from_data("leancode", "summarize", setup["data"], model=str(setup["search"]), device="cpu",
                              progress=False)
