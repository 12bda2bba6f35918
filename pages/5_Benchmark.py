"""Benchmark: the committed comparison of the methods (``reports/``), beside the papers' figures.

Reads ``reports/results.json`` (or ``results.csv``) and ``reports/cost.json`` as written by
``leancode bench run``; set ``LEANCODE_REPORTS_DIR`` to show another folder.  All logic is in
:mod:`leancode.bench.report`; this page only lays it out.
"""
import streamlit as st

from leancode.bench import report as rp

st.title("Benchmark: quality and cost vs pruning ratio")

folder = rp.reports_dir()
rep = rp.load_report(folder)
if rep.empty:
    st.info(f"No benchmark report yet in `{folder}`. Run `leancode bench run --quick` (a few minutes on a CPU) "
            "to create one, then reload this page.")
    st.stop()

meta = (rep.results or {}).get("metadata") or {}
if rep.results:
    st.markdown(f"*{meta.get('protocol_note', 'Test-time pruning of models fine-tuned on unpruned code.')}*")
    st.caption(f"Run of {meta.get('date', '?')} ({meta.get('mode', '?')} mode) · `{meta.get('command', '')}`")

views = rep.views()
if views:
    tasks = list(dict.fromkeys(t for t, _ in views))
    c1, c2, c3 = st.columns([2, 2, 3])
    task = c1.selectbox("Task", tasks, format_func=lambda t: rp.TASK_LABELS.get(t, t), key="bench_task")
    langs = [lang for t, lang in views if t == task]
    lang = c2.selectbox("Language", langs, key="bench_lang")
    with_paper = c3.checkbox("Show the published figures (Java, fine-tuned on pruned code)", value=True,
                             key="bench_paper")
    left, right = st.columns(2)
    metric = rp.metric_plot(rep.aggregates, task, lang)
    retention = rp.retention_plot(rep.aggregates, task, lang, with_paper=with_paper)
    if metric is not None:
        left.plotly_chart(rp.to_plotly(metric), key="bench_metric")
    if retention is not None:
        right.plotly_chart(rp.to_plotly(retention), key="bench_retention")
    with st.expander("Tables: metric, retention and cost per method and ratio", expanded=False):
        st.markdown(rp.quality_tables(rep.aggregates, task, lang))
    with st.expander("Compared with the published figures", expanded=with_paper):
        st.caption(rp.paper.SOURCE)
        st.markdown(rp.comparison_markdown(rep.aggregates))
else:
    st.info("This report has no quality results (only cost figures).")

st.subheader("Inference time saved")
runs = {f"this machine ({rp.cost_device(rep.cost)})": rep.cost} if rep.cost else {}
if rep.cost_gpu:
    runs[f"GPU ({rp.cost_device(rep.cost_gpu)})"] = rep.cost_gpu
if runs:
    c1, c2 = st.columns(2)
    run_name = c1.radio("Timed on", list(runs), horizontal=True, key="bench_cost_device") if len(runs) > 1 \
        else next(iter(runs))
    cost = runs[run_name]
    cost_langs = rep.cost_languages(gpu=cost is rep.cost_gpu)
    cost_lang = c2.selectbox("Cost language", cost_langs, key="bench_cost_lang") if len(cost_langs) > 1 \
        else cost_langs[0]
    spec = rp.time_plot(cost, cost_lang)
    if spec is not None:
        st.plotly_chart(rp.to_plotly(spec), key="bench_time")
    with st.expander("Cost tables", expanded=False):
        st.markdown(rp.cost_markdown(cost))
else:
    st.info("No cost benchmark in this report (run `leancode bench cost`).")

if rep.train_pruned:
    with st.expander("The papers' protocol at small scale (fine-tuning on pruned code)", expanded=False):
        st.markdown(rp.train_pruned_markdown(rep.train_pruned))

with st.expander("Discussion", expanded=False):
    st.markdown(rp.discussion_markdown(rep))
