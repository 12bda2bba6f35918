"""The app's analysis functions (leancode.studio), without Streamlit, on tiny models and tables."""
from __future__ import annotations

import math

import pytest

import leancode
from leancode import studio

LONG_JAVA = "public void bump() {\n" + "    total = total + step * 2;\n" * 120 + "}\n"


@pytest.fixture
def tables(monkeypatch, tiny_tables):
    import leancode.tables

    monkeypatch.setattr(leancode.tables, "TABLES_DIR", tiny_tables)
    return tiny_tables


@pytest.fixture
def no_tables(monkeypatch, tmp_path):
    import leancode.tables

    monkeypatch.setattr(leancode.tables, "TABLES_DIR", tmp_path)
    return tmp_path


@pytest.fixture
def example():
    return {e.id: e for e in studio.load_examples()}["java_read_lines"]


@pytest.fixture
def snippet(example):
    return studio.prepare(example.code, "auto").snippet


# ----------------------------------------------------------------------------- examples and input

def test_examples_are_real_parseable_functions():
    exs = studio.load_examples()
    by_lang = {}
    for e in exs:
        by_lang.setdefault(e.language, []).append(e)
        snip = leancode.tokenize(e.code, e.language)
        assert snip.parsed and not snip.warnings, (e.id, snip.warnings)
        assert snip.n >= 10
        assert e.docstring and e.summary and e.docstring.startswith(e.summary.rstrip("."))
        assert leancode.detect_language(e.code) == e.language, e.id
    assert len(by_lang["java"]) >= 4 and len(by_lang["python"]) >= 4
    assert len({e.shape for e in exs}) == len(exs)  # different shapes


def test_first_sentence():
    assert studio.first_sentence("Reads a file. Then more.") == "Reads a file."
    assert studio.first_sentence("  no period  ") == "no period"


def test_model_name_override_then_env_then_default(monkeypatch):
    from leancode.embedded import default_model

    monkeypatch.delenv("LEANCODE_MODEL_SEARCH", raising=False)
    assert studio.model_name_for("search") == default_model("search")
    monkeypatch.setenv("LEANCODE_MODEL_SEARCH", "/some/dir")
    assert studio.model_name_for("search") == "/some/dir"
    assert studio.model_name_for("search", "  other/model ") == "other/model"
    assert studio.model_name_for("search", "   ") == "/some/dir"


@pytest.mark.parametrize("code,lang,needle", [
    ("", "auto", "empty"),
    (" \n\t ", "java", "empty"),
    (None, "auto", "empty"),
    ("x = 1\n" * 5000, "python", "limit"),
    ("int x;", "cobol", "unknown language"),
])
def test_prepare_refuses_with_a_message(code, lang, needle):
    p = studio.prepare(code, lang)
    assert p.snippet is None and needle in p.error


def test_prepare_keeps_unparseable_code_with_a_warning():
    p = studio.prepare("public void f( { return ;; }}} @@", "java")
    assert p.snippet is not None and p.snippet.n > 0
    assert p.warnings


# ----------------------------------------------------------------------------- models and importance

def test_capabilities(search_handle, summarize_handle, bare_handle):
    s, z, b = (studio.capabilities(h) for h in (search_handle, summarize_handle, bare_handle))
    assert s.relevance and not s.generation and s.n_layers == 2 and s.n_heads == 4 and s.max_tokens > 0
    assert z.generation and not z.relevance and "relevance" in z.missing
    assert not b.relevance and not b.generation
    assert "classification head" in b.missing["relevance"] and "decoder" in b.missing["generation"]
    avail = {src: ok for src, _, ok, _ in studio.sources_for("search", b)}
    assert avail["cls"] and not avail["cross"] and not avail["ig"]
    assert studio.default_source("summarize", b) == "cls"
    assert studio.default_source("summarize", z) == "cross"
    assert {src for src, _, ok, _ in studio.sources_for("summarize", z) if ok} >= {"cross", "cls"}


def test_analyze_cls_gives_one_score_per_token_and_a_grid(search_handle, snippet, example):
    a = studio.analyze(snippet, search_handle, task="search", source="cls", query=example.docstring)
    assert a.ok, a.error
    assert len(a.scores) == snippet.n and all(math.isfinite(s) for s in a.scores)
    assert len(a.grid) == 2 and len(a.grid[0]) == 4
    assert any(t["kind"] == "query" for t in a.special_tokens)
    assert a.window_note() == ""


def test_analyze_cross_attention_of_a_summarizer(summarize_handle, snippet):
    a = studio.analyze(snippet, summarize_handle, task="summarize", source="cross")
    assert a.ok, a.error
    assert isinstance(a.summary, str)
    assert len(a.matrix) == len(a.target_tokens) and all(len(r) == snippet.n for r in a.matrix)


def test_analyze_reports_problems_instead_of_raising(search_handle, snippet):
    a = studio.analyze(snippet, search_handle, task="search", source="cross")
    assert not a.ok and a.error
    a = studio.analyze(snippet, search_handle, task="search", source="cls", layer=99)
    assert not a.ok and a.error


def test_long_input_truncated_or_sliding(search_handle):
    snip = studio.prepare(LONG_JAVA, "java").snippet
    a = studio.analyze(snip, search_handle, task="search", source="cls")
    assert a.ok and a.truncated and a.n_unseen > 0
    assert sum(1 for s in a.scores if math.isnan(s)) == a.n_unseen
    assert "window" in a.window_note()
    b = studio.analyze(snip, search_handle, task="search", source="cls", window="sliding")
    assert b.ok and all(math.isfinite(s) for s in b.scores)


# ----------------------------------------------------------------------------- pruning

def test_prune_all_removes_exactly_k_with_every_method(tables, search_handle, snippet, example):
    a = studio.analyze(snippet, search_handle, task="search", source="cls", query=example.docstring)
    for ratio in (0.0, 0.05, 0.5, 0.9):
        k = studio.n_removed_for(snippet.n, ratio)
        out = studio.prune_all(snippet, ratio, a.scores, task="search")
        assert list(out) == list(studio.COMPARE_METHODS)
        for m, oc in out.items():
            assert oc.ok, (m, oc.error)
            assert oc.result.n_removed == k
            assert oc.result.pruned_text == " ".join(t.text for t, kk in zip(snippet.tokens, oc.result.keep) if kk)
    inst = studio.prune_all(snippet, 0.5, a.scores, methods=["leancode-instance"])["leancode-instance"].result
    lowest = sorted(range(snippet.n), key=lambda i: a.scores[i])[:studio.n_removed_for(snippet.n, 0.5)]
    assert {i for i, kk in enumerate(inst.keep) if not kk} == set(lowest)


def test_prune_all_runs_no_model(tables, snippet, monkeypatch):
    import leancode.importance.base as base

    def boom(*args, **kwargs):
        raise AssertionError("a model ran")

    monkeypatch.setattr(base, "_compute", boom)
    scores = [float(i % 7) for i in range(snippet.n)]
    out = studio.prune_all(snippet, 0.3, scores, task="search")
    assert all(oc.ok for oc in out.values())
    assert sum(oc.seconds for oc in out.values()) < 2.0


def test_missing_tables_and_scores_fail_per_method(no_tables, snippet):
    out = studio.prune_all(snippet, 0.3, None, task="search", scores_error="model X could not be loaded")
    assert out["slimcode"].ok and out["random"].ok
    for m in ("leancode", "dietcode"):
        assert not out[m].ok and "table" in out[m].error
    assert out["leancode-instance"].error == "model X could not be loaded"
    rows = studio.outcome_rows(out)
    assert [r["method"] for r in rows] == [studio.METHOD_LABELS[m] for m in studio.COMPARE_METHODS]
    assert rows[0]["error"] and rows[2]["removed"] == studio.n_removed_for(snippet.n, 0.3)


def test_removed_by_role(snippet):
    res = studio.prune_all(snippet, 0.4, methods=["slimcode"])["slimcode"].result
    k = res.n_removed
    for by in ("category", "level", "kind"):
        counts = studio.removed_by_role(res, by)
        assert sum(counts.values()) == k
    assert all(key.startswith("level ") for key in studio.removed_by_role(res, "level"))
    assert "level 8" in studio.removed_by_role(res, "level")  # SlimCode removes symbols first
    with pytest.raises(ValueError):
        studio.removed_by_role(res, "colour")
    rows = studio.prune_token_rows(snippet, {"slimcode": studio.MethodOutcome("slimcode", res)})
    assert sum(1 for r in rows if not r["kept_slimcode"]) == k


# ----------------------------------------------------------------------------- quality

def test_quality_curves_for_search(tables, search_handle, snippet, example):
    a = studio.analyze(snippet, search_handle, task="search", source="cls", query=example.docstring)
    rep = studio.quality_curves(snippet, search_handle, task="search", query=example.docstring, scores=a.scores)
    assert rep.ok, rep.error
    assert len(rep.rows) == len(studio.COMPARE_METHODS) * len(studio.QUALITY_RATIOS)
    assert all(0.0 <= r["relevance"] <= 1.0 for r in rep.rows)
    assert [t["ratio"] for t in rep.timing] == list(studio.QUALITY_RATIOS)
    assert all(t["n_texts"] == len(studio.COMPARE_METHODS) and t["ms_per_example"] > 0 for t in rep.timing)
    at0 = [r["relevance"] for r in rep.rows if r["ratio"] == 0.0]
    assert all(math.isclose(v, rep.unpruned_relevance, abs_tol=1e-5) for v in at0)
    kept = {r["ratio"]: r["kept"] for r in rep.rows if r["key"] == "slimcode"}
    assert kept[0.9] == snippet.n - studio.n_removed_for(snippet.n, 0.9)
    for metric in ("relevance", "kept"):
        fig = studio.quality_figure(rep, metric)
        assert len(fig.data) == len(studio.COMPARE_METHODS)
    assert len(studio.timing_figure(rep).data[0].x) == 10


def test_quality_curves_for_summarization(tables, summarize_handle, snippet, example):
    rep = studio.quality_curves(snippet, summarize_handle, task="summarize", reference=example.summary,
                                ratios=(0.0, 0.5), methods=("slimcode", "leancode"))
    assert rep.ok, rep.error
    assert len(rep.rows) == 4 and all(isinstance(r["summary"], str) for r in rep.rows)
    for r in rep.rows:
        assert r["bleu_reference"] is not None and 0.0 <= r["bleu_reference"] <= 100.0
        if r["ratio"] == 0.0:
            assert r["summary"] == rep.unpruned_summary and math.isclose(r["bleu_unpruned"], 100.0)
    studio.add_bleu(rep, "")
    assert all(r["bleu_reference"] is None for r in rep.rows)
    table = studio.summaries_table(rep)
    assert [t["ratio"] for t in table] == ["0%", "50%"] and "SlimCode" in table[0]


def test_quality_curves_explain_what_is_missing(bare_handle, search_handle, summarize_handle, snippet):
    assert "classification head" in studio.quality_curves(snippet, bare_handle, task="search", query="q").error
    assert "decoder" in studio.quality_curves(snippet, search_handle, task="summarize").error
    assert "query" in studio.quality_curves(snippet, search_handle, task="search", query="  ").error


# ----------------------------------------------------------------------------- teaching and charts

def test_teaching_tables(tables, snippet):
    assert sum(r["tokens"] for r in studio.statement_rows(snippet)) == snippet.n
    assert sum(r["tokens"] for r in studio.level_rows(snippet)) == snippet.n
    rows, err = studio.dietcode_statement_values(snippet, "search")
    assert err is None and all(isinstance(r["value"], float) for r in rows)
    scores, how, err = studio.leancode_token_scores(snippet, "search")
    assert err is None and len(scores) == len(how) == snippet.n and how.count(0) > 0


def test_teaching_tables_without_tables(no_tables, snippet):
    assert "no DietCode table" in studio.dietcode_statement_values(snippet, "search")[1]
    assert "table" in studio.leancode_token_scores(snippet, "search")[2]


def test_charts_export_to_html(snippet):
    fig = studio.grid_figure([[0.1, 0.2], [0.3, 0.4]])
    page = studio.figure_html(fig)
    assert page.lstrip().lower().startswith(("<!doctype html", "<html")) and "plotly" in page.lower()
    png = studio.figure_png(fig)
    assert png is None or png[:4] == b"\x89PNG"
    cross = studio.cross_figure([[0.1, None], [0.3, 0.4]], ["a", "b"], ["x", "y"])
    assert len(cross.data[0].y) == 2
    out = studio.prune_all(snippet, 0.5, methods=["slimcode", "random"])
    assert len(studio.roles_figure(out, "level").data) == 2


def test_read_upload():
    assert studio.read_upload("A.java", b"class A {}") == ("class A {}", "java", None)
    assert studio.read_upload("a.PY", "\ufeffdef f(): pass".encode()) == ("def f(): pass", "python", None)
    assert studio.read_upload("notes.txt", b"x = 1")[1] == "auto"
    for name, data, needle in (("b.java", b"\xff\xfe\x00bad", "UTF-8"), ("c.py", b"ab\x00cd", "binary"),
                               ("d.py", b"x" * (4 * studio.MAX_INPUT_CHARS + 1), "limit")):
        code, lang, err = studio.read_upload(name, data)
        assert code is None and needle in err and name in err


def test_app_torch_threads(monkeypatch):
    import os

    monkeypatch.delenv("LEANCODE_TORCH_THREADS", raising=False)
    assert studio.app_torch_threads() == max(1, (os.cpu_count() or 1) - 1)
    monkeypatch.setenv("LEANCODE_TORCH_THREADS", "3")
    assert studio.app_torch_threads() == 3
    monkeypatch.setenv("LEANCODE_TORCH_THREADS", "many")
    assert studio.app_torch_threads() >= 1
