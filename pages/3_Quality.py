"""Quality: what pruning does to the model's output, per method, over ratios 0-90 %."""
import streamlit as st

from leancode import render, studio
from leancode import studio_ui as ui

ui.page_setup()

st.title("Quality vs pruning ratio")
ctx = ui.context()
snip = ctx.snippet
if ctx.handle is None:
    st.stop()
cap = ctx.cap

if "lc_methods" not in st.session_state:
    st.session_state["lc_methods"] = list(studio.QUALITY_METHODS)
methods = st.multiselect("Methods", list(studio.COMPARE_METHODS), key="lc_methods",
                         format_func=lambda m: studio.METHOD_LABELS.get(m, m),
                         help="Each method adds one model run per ratio; Random and the per-snippet "
                              "LeanCode are off by default to keep the page fast.")
if not methods:
    st.info("Choose at least one method.")
    st.stop()
if ctx.task == "search":
    st.markdown(f"Relevance of the query **“{ctx.query or '…'}”** to each method's pruned code, as scored by "
                f"**{ctx.model_name}** (higher is better).")
else:
    st.markdown(f"Summaries that **{ctx.model_name}** writes from each method's pruned code, scored by smoothed "
                "sentence BLEU-4 (×100) against the reference summary (sidebar) and against the summary of the "
                "unpruned code.")

with st.spinner("Running the model on the pruned code at 10 ratios…"):
    rep = ui.quality(*ctx.key(), tuple(methods))
if rep is None:
    st.stop()
if not rep.ok:
    st.warning(f"Quality curves are unavailable: {rep.error}")
    st.stop()
if ctx.task == "summarize":
    rep = studio.add_bleu(rep, ctx.reference)
for m, why in rep.errors.items():
    st.warning(f"{studio.METHOD_LABELS.get(m, m)}: {why}")

figs = []
if ctx.task == "search":
    fig = studio.quality_figure(rep, "relevance")
    st.plotly_chart(fig, key="lc_q_relevance")
    if rep.unpruned_relevance is not None:
        st.caption(f"Relevance of the unpruned code: {rep.unpruned_relevance:.4f}.")
    figs.append(("relevance", fig))
else:
    st.markdown(f"**Summary of the unpruned code:** {rep.unpruned_summary or '(empty)'}")
    c1, c2 = st.columns(2)
    with c1:
        if ctx.reference:
            fig = studio.quality_figure(rep, "bleu_reference")
            st.plotly_chart(fig, key="lc_q_bleu_ref")
            figs.append(("bleu_reference", fig))
        else:
            st.info("Type a reference summary in the sidebar to score against it.")
    with c2:
        fig = studio.quality_figure(rep, "bleu_unpruned")
        st.plotly_chart(fig, key="lc_q_bleu_unpruned")
        figs.append(("bleu_unpruned", fig))
    st.subheader("Summaries")
    st.dataframe(studio.summaries_table(rep), hide_index=True)

tfig = studio.timing_figure(rep)
st.plotly_chart(tfig, key="lc_q_timing")
figs.append(("inference_time", tfig))
st.caption(f"Per ratio, the pruned code of every method runs through the model in one batch (same batch size "
           f"at every ratio) on {getattr(ctx.handle, 'device', 'cpu')}; time per example = batch time / batch size. "
           f"Whole page: {rep.seconds:.2f} s (cached for this input).")

st.subheader("All results")
st.dataframe(rep.rows, hide_index=True)
st.subheader("Downloads")
d1, d2, d3 = st.columns(3)
with d1:
    ui.download("Results (CSV)", render.rows_to_csv(rep.rows), "quality.csv", "text/csv", key="dl_q_csv")
with d2:
    ui.download("Results (JSON)", render.rows_to_json(rep.rows, {
        "task": rep.task, "model": rep.model, "timing": rep.timing, "unpruned_summary": rep.unpruned_summary,
        "reference": ctx.reference if ctx.task == "summarize" else None,
        "query": ctx.query if ctx.task == "search" else None}), "quality.json", "application/json",
        key="dl_q_json")
with d3:
    for name, fig in figs:
        ui.chart_downloads(fig, name, key=f"dl_q_{name}")
ui.token_downloads(ctx, key="dl_q_tokens")
