"""Aggregation, the paper comparison, REPORT.md and the plots, on a synthetic report folder."""
from __future__ import annotations

import pytest

from leancode.bench import report as rp


def test_stats():
    s = rp.stats([1.0, 2.0, 3.0])
    assert s == {"mean": 2.0, "std": 1.0, "min": 1.0, "max": 3.0, "n": 3}
    assert rp.stats([5.0])["std"] == 0.0 and rp.stats([None]) is None


def test_aggregate_over_seeds(fake_report):
    rep = rp.load_report(fake_report)
    assert rep.views() == [("search", "java"), ("search", "python"), ("summarize", "java")]
    t = rp.lookup(rep.aggregates, "search", "java")
    lean = t[("leancode", 0.5)]
    assert lean["retention"]["n"] == 3 and lean["retention"]["mean"] == pytest.approx(0.91)
    assert lean["retention"]["min"] == pytest.approx(0.90) and lean["retention"]["max"] == pytest.approx(0.92)
    assert lean["retention"]["std"] == pytest.approx(0.01)
    assert lean["time_saved"]["mean"] == pytest.approx(0.4)
    assert t[("none", 0.0)]["value"]["mean"] == pytest.approx(0.5 * 1.02)


def test_comparison_and_ordering(fake_report):
    agg = rp.load_report(fake_report).aggregates
    rows = rp.comparison_rows(agg)
    assert {(r["task"], r["method"], r["ratio"]) for r in rows} >= {("search", "leancode", 0.5),
                                                                   ("summarize", "dietcode", 0.5)}
    lean = next(r for r in rows if (r["task"], r["method"], r["ratio"]) == ("search", "leancode", 0.5))
    assert lean["difference"] == pytest.approx(0.91 - 0.688 / 0.726)
    orders = {(o["task"], o["ratio"]): o for o in rp.ordering_rows(agg)}
    # synthetic: leancode > slimcode > dietcode everywhere; the paper has slimcode first at 10 % search
    assert orders[("search", 0.5)]["agree"] and orders[("summarize", 0.5)]["agree"]
    assert not orders[("search", 0.1)]["agree"] and orders[("search", 0.1)]["pairs_alike"] == 2
    md = rp.comparison_markdown(agg)
    assert "agree at 3 of 4 published points" in md
    assert "at 4 of these 4 points in this run, and at 3 of them in the paper" in md


def test_write_report(fake_report):
    files = rp.write_report(fake_report, png="matplotlib", log=lambda s: None)
    md = files.markdown.read_text()
    for needle in ("# LeanCode Studio benchmark", "## Code search: java", "## Code summarization: java",
                   "| LeanCode |", "0.910 ± 0.010 [0.900, 0.920]", "## Compared with the published figures",
                   "## Cost", "codebert-base-sized", "(random weights)", "36.6–40.9%",
                   "leancode bench run --quick", "LeanCode keeps most.", "groups of 25 candidates"):
        assert needle in md, needle
    assert "written for the results of" not in md          # the discussion matches this run
    assert set(files.html) == {"metric-search-java", "retention-search-java", "metric-search-python",
                               "retention-search-python", "metric-summarize-java", "retention-summarize-java",
                               "time-java"}
    for p in list(files.html.values()) + list(files.png.values()):
        assert p.is_file() and p.stat().st_size > 1000
    assert files.png_engine == "matplotlib"
    assert (fake_report / "plots" / "plotly.min.js").is_file()
    assert "![retention-search-java](plots/retention-search-java.png)" in md


def test_stale_discussion_and_csv_fallback(fake_report):
    (fake_report / "DISCUSSION.md").write_text("<!-- results-date: 2025-01-01 -->\nOld words.\n")
    (fake_report / "results.json").unlink()
    rep = rp.load_report(fake_report)
    assert rep.results["metadata"] == {} and len(rep.aggregates) == len(rp.load_report(fake_report).aggregates)
    assert rp.lookup(rep.aggregates, "search", "java")[("leancode", 0.5)]["retention"]["n"] == 3
    text = rp.discussion_markdown(rp.Report(fake_report, {"metadata": {"date": "2026"}, "rows": []}, None, None,
                                            "<!-- results-date: 2025-01-01 -->\nOld words."))
    assert "written for the results of 2025-01-01" in text and "Old words." in text


def test_plot_specs_have_paper_reference(fake_report):
    rep = rp.load_report(fake_report)
    spec = rp.retention_plot(rep.aggregates, "search", "java")
    names = [s.name for s in spec.series]
    assert "LeanCode" in names and "LeanCode (paper)" in names
    assert [s.name for s in rp.retention_plot(rep.aggregates, "search", "java", with_paper=False).series] == [
        "Random", "SlimCode", "DietCode", "LeanCode"]
    fig = rp.to_plotly(rp.time_plot(rep.cost, "java"))
    assert len(fig.data) == 3 and fig.data[-1].name == "LeanCode (paper, 50%)"


def test_empty_folder(tmp_path):
    from leancode.errors import DataError

    assert rp.load_report(tmp_path).empty
    with pytest.raises(DataError, match="no benchmark results"):
        rp.write_report(tmp_path, png="none")


def _add_gpu_cost(folder):
    import json

    cost = json.loads((folder / "cost.json").read_text())
    cost["metadata"]["machine"] = {"device": "cuda", "gpu": "Test GPU 80GB", "cpus": 16}
    cost["metadata"]["command"] = "leancode bench cost --device cuda"
    for r in cost["inference"]:
        r["device"] = "cuda"
        r["seconds_per_example"] /= 10
    (folder / rp.GPU_COST_FILE).write_text(json.dumps(cost))


def test_gpu_cost_section_and_plots(fake_report):
    assert rp.load_report(fake_report).cost_gpu is None
    _add_gpu_cost(fake_report)
    rep = rp.load_report(fake_report)
    assert rep.cost_gpu is not None and rep.cost_languages(gpu=True) == rep.cost_languages()
    assert rp.cost_device(rep.cost_gpu) == "Test GPU 80GB" and rp.cost_device(rep.cost) == "cpu"
    files = rp.write_report(fake_report, png="none", log=lambda s: None)
    md = files.markdown.read_text()
    assert "## Cost on a GPU (Test GPU 80GB)" in md and "leancode bench cost --device cuda" in md
    assert md.index("## Cost on a GPU") > md.index("## Cost")
    assert {"time-java", "time-gpu-java"} <= set(files.html)
    assert "Test GPU 80GB" in rp.time_plot(rep.cost_gpu, "java", key_prefix="time-gpu").title
