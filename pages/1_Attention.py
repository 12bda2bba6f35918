"""Attention: the code in its own layout, each token coloured by its importance to the model."""
import streamlit as st

from leancode import render, studio
from leancode import studio_ui as ui

ui.page_setup()

st.title("Attention heatmap")
ctx = ui.context()
snip = ctx.snippet
if ctx.handle is None:
    st.stop()
cap = ctx.cap

sources = studio.sources_for(ctx.task, cap)
usable = [s for s, _, ok, _ in sources if ok]
labels = {s: lab for s, lab, _, _ in sources}
if not usable:
    st.error("This model offers no importance source for this task: "
             + "; ".join(why for _, _, _, why in sources))
    st.stop()
c1, c2, c3, c4 = st.columns([2, 1.3, 1.3, 1.4])
if st.session_state.get("lc_source") not in usable:
    st.session_state["lc_source"] = studio.default_source(ctx.task, cap)
with c1:
    source = ui.choose("Importance source", usable, key="lc_source", format_func=lambda s: labels.get(s, s))
layers = ["last", "all"] + list(range(cap.n_layers))
heads = ["mean", "max"] + list(range(cap.n_heads))
with c2:
    layer_names = {"last": "last layer", "all": "all layers (mean)"}
    layer_choice = ui.choose("Layer", layers, key="lc_layer", format_func=lambda v: layer_names.get(v, f"layer {v}"))
with c3:
    head = ui.choose("Heads", heads, key="lc_head",
                     format_func=lambda v: {"mean": "mean over heads", "max": "max over heads"}.get(v, f"head {v}"))
with c4:
    window = ui.choose("Long input", ["truncate", "sliding"], key="lc_window",
                       format_func=lambda v: {"truncate": "truncate to window", "sliding": "sliding windows"}[v])
c5, c6 = st.columns([1, 1])
with c5:
    norm = st.radio("Colour scale", ["linear", "rank"], key="lc_norm", horizontal=True,
                    help="linear: min-max of the scores; rank: spread evenly by rank (heavy-tailed attention).")
with c6:
    show_special = st.checkbox("Show special and query tokens", key="lc_show_special")

missing = [f"**{lab}**: {why}" for _, lab, ok, why in sources if not ok]
if missing:
    st.info("Unavailable with this model — " + " · ".join(missing))
if source == "ig":
    st.caption("Integrated Gradients runs the model many times (one pass per interpolation step); expect "
               "several seconds on a CPU. Layer and head do not apply to it.")
if source in ("rollout",) or layer_choice == "all":
    st.caption("Attention rollout and 'all layers' combine every layer; the layer selector has less effect there.")

layer = -1 if layer_choice == "last" else layer_choice
with st.spinner(f"Computing {labels.get(source, source)} with {ctx.model_name}…"):
    a = ui.analysis(*ctx.key(), source, layer, head, window)

if a is None or not a.ok:
    st.error(f"{labels.get(source, source)} is not available: {a.error if a else 'no input'}")
    st.stop()

note = a.window_note()
if note:
    st.info(note)
lo, hi = a.finite_range
if show_special and a.special_tokens:
    ui.show_html(render.chips_html(a.special_tokens, lo, hi, label="Special / query tokens:"))
code_fragment = render.code_html(snip, a.scores, mode=norm)
legend = render.legend_html(lo, hi, label=f"{labels.get(source, source)}", mode=norm, unseen=a.n_unseen)
ui.show_html(code_fragment)
ui.show_html(legend)
layer_text = {-1: "last layer", "all": "all layers"}.get(a.layer, f"layer {a.layer}")
head_text = f"{a.head} over heads" if isinstance(a.head, str) else f"head {a.head}"
st.caption(f"{snip.n} code tokens · {ctx.model_name} · {labels.get(a.source, a.source)}, {layer_text}, "
           f"{head_text}. Computed once per input and cached. Hover a token for its score.")

figs = []
if ctx.task == "summarize" and a.summary is not None:
    st.subheader("Generated summary")
    st.write(a.summary or "(empty)")
if a.matrix and a.target_tokens:
    fig = studio.cross_figure(a.matrix, a.target_tokens, snip.texts)
    st.plotly_chart(fig, key="lc_cross_chart")
    figs.append(("cross_attention", fig))
elif ctx.task == "summarize" and not cap.generation:
    st.info(cap.missing["generation"])
if a.grid:
    fig = studio.grid_figure(a.grid)
    st.plotly_chart(fig, key="lc_grid_chart")
    figs.append(("cls_grid", fig))
    st.caption("Each cell: the share of the first token's (CLS) attention that lands on code tokens, "
               "per layer and head.")

st.subheader("Downloads")
rows = render.token_rows(snip, a.scores)
meta = {"model": a.model, "source": a.source, "task": a.task, "layer": a.layer, "head": a.head,
        "language": snip.language, "summary": a.summary, "truncated": a.truncated, "n_unseen": a.n_unseen,
        "special_tokens": a.special_tokens}
d1, d2, d3, d4 = st.columns(4)
with d1:
    ui.download("Token scores (CSV)", render.rows_to_csv(rows), "token_scores.csv", "text/csv", key="dl_att_csv")
with d2:
    ui.download("Token scores (JSON)", render.rows_to_json(rows, meta), "token_scores.json", "application/json",
                key="dl_att_json")
with d3:
    ui.download("Coloured code (HTML)", render.standalone_html([code_fragment, legend],
                                                               f"{labels.get(source, source)} — {ctx.model_name}"),
                "attention.html", "text/html", key="dl_att_html")
with d4:
    for name, fig in figs:
        ui.chart_downloads(fig, name, key=f"dl_{name}")
