"""pages/5_Benchmark.py under AppTest: with a report folder, and with none."""
from __future__ import annotations

from pathlib import Path

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "5_Benchmark.py")


def _app(monkeypatch, folder):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("LEANCODE_REPORTS_DIR", str(folder))
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    assert not at.exception, [str(e.value) for e in at.exception]
    return at


def test_page_with_a_report(monkeypatch, fake_report):
    at = _app(monkeypatch, fake_report)
    assert not at.error
    assert at.selectbox(key="bench_task").options == ["Code search", "Code summarization"]
    assert at.selectbox(key="bench_lang").options == ["java", "python"]
    assert len(at.get("plotly_chart")) == 3                     # metric, retention, time saved
    assert any("fine-tuned on unpruned code" in str(m.value) for m in at.markdown)
    assert "LeanCode (paper)" in at.get("plotly_chart")[1].proto.spec
    at.selectbox(key="bench_task").select("summarize").run()
    assert at.selectbox(key="bench_lang").options == ["java"]
    at.checkbox(key="bench_paper").uncheck().run()
    assert not at.exception and len(at.get("plotly_chart")) == 3
    assert "LeanCode (paper)" not in at.get("plotly_chart")[1].proto.spec


def test_page_without_a_report(monkeypatch, tmp_path):
    at = _app(monkeypatch, tmp_path / "nothing")
    assert any("No benchmark report yet" in str(i.value) for i in at.info)
    assert not at.get("plotly_chart")


def test_page_switches_between_cpu_and_gpu_cost(monkeypatch, fake_report):
    import importlib.util

    spec = importlib.util.spec_from_file_location("leancode_bench_report_tests",
                                                  Path(__file__).with_name("test_report.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod._add_gpu_cost(fake_report)
    at = _app(monkeypatch, fake_report)
    radio = at.radio(key="bench_cost_device")
    assert len(radio.options) == 2 and "Test GPU 80GB" in radio.options[1]
    radio.set_value(radio.options[1]).run()
    assert not at.exception
    assert "Test GPU 80GB" in at.get("plotly_chart")[2].proto.spec
