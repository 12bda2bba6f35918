"""Every page of the app under AppTest, on tiny random models and tables built for the test."""
from __future__ import annotations

import math
import re

import pytest

from apptest_util import PAGES, html_bodies, new_app, no_exception, texts

ATTENTION, PRUNE, QUALITY, HOW = PAGES


@pytest.fixture
def at(monkeypatch, app_env):
    app = new_app(monkeypatch)
    app.run()
    no_exception(app)
    return app


def n_tokens(at) -> int:
    import leancode

    return leancode.tokenize(at.session_state["lc_code"], at.session_state["lc_lang"]).n


def removed_counts(at) -> dict:
    """``{method label: removed}`` from the captions of the Prune page's columns."""
    labels = [m.value.lstrip("# ").strip() for m in at.markdown if str(m.value).startswith("#### ")]
    counts = [int(re.search(r"removed \*\*(\d+)\*\*", c).group(1)) for c in texts(at.caption)
              if re.search(r"removed \*\*(\d+)\*\*", c)]
    ok = [lab for lab in labels if not any(lab in w for w in texts(at.warning))]
    return dict(zip(ok, counts))


def test_overview_renders_the_default_java_example(at):
    assert at.text_area(key="lc_code").value.lstrip().startswith("public")
    assert at.radio(key="lc_lang").value == "java"
    assert at.text_area(key="lc_query").value  # prefilled from the example's docstring
    assert not at.error
    assert any('class="lc-tok' in h for h in html_bodies(at))
    assert len(at.get("download_button")) == 3


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_the_default_example(at, page):
    at.switch_page(page).run()
    no_exception(at)
    assert not at.error, texts(at.error)
    if page == QUALITY:
        assert at.get("plotly_chart")
    else:
        assert any('class="lc-tok' in h for h in html_bodies(at))
    assert len(at.get("download_button")) >= 3
    # the shared controls stay in the sidebar on every page
    assert at.text_area(key="lc_code").value == at.session_state["lc_code"]


def test_attention_sources_layers_and_heads(at):
    at.switch_page(ATTENTION).run()
    no_exception(at)
    src = at.selectbox(key="lc_source")
    assert src.value == "cls"
    assert {"CLS attention", "Attention received", "Attention rollout", "Integrated Gradients"} <= set(src.options)
    assert "Cross-attention (decoder)" not in src.options  # the search model has no decoder
    assert at.get("plotly_chart"), "the layers x heads grid is drawn for CLS attention"
    for source in ("received", "rollout", "ig"):
        at.selectbox(key="lc_source").set_value(source).run()
        no_exception(at)
        assert not at.error, (source, texts(at.error))
    at.selectbox(key="lc_source").set_value("cls").run()
    for layer in ("all", 0, "last"):
        at.selectbox(key="lc_layer").set_value(layer).run()
        no_exception(at)
        assert not at.error, (layer, texts(at.error))
    for head in ("max", 1, "mean"):
        at.selectbox(key="lc_head").set_value(head).run()
        no_exception(at)
        assert not at.error, (head, texts(at.error))
    at.radio(key="lc_norm").set_value("rank").run()
    at.checkbox(key="lc_show_special").check().run()
    no_exception(at)
    bodies = html_bodies(at)
    assert any("[CLS]" in h for h in bodies), "special tokens are shown on request"
    assert any("(rank)" in h for h in bodies)


def test_attention_on_input_longer_than_the_window_says_how_it_was_handled(at):
    long_code = "public void bump() {\n" + "    total = total + step * 2;\n" * 120 + "}\n"
    at.text_area(key="lc_code").set_value(long_code).run()
    at.switch_page(ATTENTION).run()
    no_exception(at)
    assert any("window" in t for t in texts(at.info)), texts(at.info)
    at.selectbox(key="lc_window").set_value("sliding").run()
    no_exception(at)
    assert not at.error, texts(at.error)


def test_attention_for_summarization_shows_cross_attention_and_summary(at):
    at.radio(key="lc_task").set_value("summarize").run()
    at.switch_page(ATTENTION).run()
    no_exception(at)
    assert at.selectbox(key="lc_source").value == "cross"
    assert "Generated summary" in texts(at.subheader)
    assert len(at.get("plotly_chart")) >= 1
    assert not at.error, texts(at.error)


def test_prune_slider_moves_without_running_a_model(at, monkeypatch):
    import leancode.importance.base as base

    calls = []
    real = base._compute

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(base, "_compute", counting)
    at.switch_page(PRUNE).run()
    no_exception(at)
    before = len(calls)
    n = n_tokens(at)
    for pct in (50, 0, 90, 35):
        at.slider(key="lc_ratio").set_value(pct).run()
        no_exception(at)
        k = math.ceil(pct / 100 * n - 1e-9)
        counts = removed_counts(at)
        for label in ("LeanCode", "DietCode", "SlimCode", "Random", "LeanCode (per snippet)"):
            assert counts.get(label) == k, (pct, counts)
    assert len(calls) == before, "moving the slider ran the model again"


def test_prune_without_a_table_reports_it_in_that_column_only(at, monkeypatch, tmp_path):
    import streamlit as st

    import leancode.tables

    monkeypatch.setattr(leancode.tables, "TABLES_DIR", tmp_path)  # no shipped tables at all
    st.cache_data.clear()
    at.switch_page(PRUNE).run()
    no_exception(at)
    warnings = texts(at.warning)
    assert any("LeanCode is unavailable" in w and "table" in w for w in warnings), warnings
    assert any("DietCode is unavailable" in w and "table" in w for w in warnings), warnings
    assert "SlimCode" in removed_counts(at)


def test_python_example_and_language_switch(at):
    at.selectbox(key="lc_example").set_value("python_parse_config").run()
    no_exception(at)
    assert at.radio(key="lc_lang").value == "python"
    assert at.text_area(key="lc_code").value.startswith("def parse_config")
    assert "configuration file" in at.text_area(key="lc_query").value
    at.switch_page(PRUNE).run()
    at.slider(key="lc_ratio").set_value(50).run()
    no_exception(at)
    assert removed_counts(at).get("SlimCode") == math.ceil(0.5 * n_tokens(at) - 1e-9)
    at.radio(key="lc_lang").set_value("java").run()  # Python code read as Java: warned, still analysed
    no_exception(at)
    at.radio(key="lc_lang").set_value("auto").run()
    no_exception(at)
    assert not at.error, texts(at.error)


def test_quality_search_curves(at):
    at.switch_page(QUALITY).run()
    no_exception(at)
    assert not at.error, texts(at.error)
    assert not any("unavailable" in w for w in texts(at.warning)), texts(at.warning)
    assert len(at.get("plotly_chart")) >= 2  # relevance and inference time
    assert len(at.dataframe) >= 1


def test_quality_summarization_table(at):
    at.radio(key="lc_task").set_value("summarize").run()
    at.switch_page(QUALITY).run()
    no_exception(at)
    assert not at.error, texts(at.error)
    assert "Summaries" in texts(at.subheader)
    assert len(at.get("plotly_chart")) >= 3  # BLEU vs reference, vs unpruned, time


def test_how_it_works_for_both_tasks(at):
    at.switch_page(HOW).run()
    no_exception(at)
    assert not at.error
    bodies = html_bodies(at)
    assert any("SlimCode level" in h for h in bodies)
    assert any("Statement category" in h for h in bodies)
    at.radio(key="lc_task").set_value("summarize").run()
    no_exception(at)
    at.slider(key="lc_ratio").set_value(60).run()
    no_exception(at)


@pytest.mark.parametrize("code,needle", [
    ("", "empty"),
    ("   \n\t  \n", "empty"),
    ("int x = 1;\n" * 3000, "limit"),
])
@pytest.mark.parametrize("page", [None, ATTENTION, PRUNE])
def test_bad_input_shows_a_message_not_an_exception(at, code, needle, page):
    at.text_area(key="lc_code").set_value(code).run()
    if page:
        at.switch_page(page).run()
    no_exception(at)
    assert any(needle in e for e in texts(at.error)), texts(at.error)


def test_garbage_code_is_still_handled(at):
    at.text_area(key="lc_code").set_value("}}} ((( @@@ ;; ??? <<< def class if ### \x00 '''").run()
    for page in PAGES:
        at.switch_page(page).run()
        no_exception(at)
    assert at.warning or at.error


def test_model_that_cannot_load_is_a_message(at):
    at.text_input(key="lc_model").set_value("no-such-org/no-such-model-xyz").run()
    at.switch_page(ATTENTION).run()
    no_exception(at)
    assert any("could not be loaded" in e for e in texts(at.error)), texts(at.error)
    at.switch_page(PRUNE).run()
    no_exception(at)
    assert "SlimCode" in removed_counts(at)  # model-free methods still work
    assert any("no-such-model-xyz" in w for w in texts(at.warning))  # the per-snippet column says why


def test_model_without_a_head_says_what_is_unavailable(at, app_env):
    at.text_input(key="lc_model").set_value(str(app_env["models"]["bare"])).run()
    at.switch_page(ATTENTION).run()
    no_exception(at)
    assert not at.error, texts(at.error)
    assert "Integrated Gradients" not in at.selectbox(key="lc_source").options
    assert any("classification head" in i for i in texts(at.info))
    at.switch_page(QUALITY).run()
    no_exception(at)
    assert any("classification head" in w for w in texts(at.warning)), texts(at.warning)


def test_chart_png_is_rendered_only_on_request(at, monkeypatch):
    pytest.importorskip("kaleido")
    import runpy

    import streamlit.runtime.scriptrunner.script_runner as script_runner

    # AppTest re-detects the pages/ directory before every run, so every page run starts with the
    # rerun of leancode.studio_ui.page_setup(), which drops a button click; run app.py directly, as
    # the server does after its first run.
    monkeypatch.setattr(script_runner, "_mpa_v1", lambda path: runpy.run_path(str(path), run_name="__main__"))
    at.switch_page(PRUNE).run()
    labels = [b.label for b in at.get("download_button")]
    assert "Chart (HTML)" in labels and "Chart (PNG)" not in labels
    at.button(key="dl_roles_png_prepare").click().run()
    no_exception(at)
    labels = [b.label for b in at.get("download_button")]
    assert "Chart (PNG)" in labels or any("PNG export is not available" in c for c in texts(at.caption))
