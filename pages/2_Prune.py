"""Prune: every method side by side at one ratio (no model runs when the slider moves)."""
import streamlit as st

from leancode import render, studio
from leancode import studio_ui as ui

ui.page_setup()

st.title("Prune side by side")
ctx = ui.context()
snip = ctx.snippet

if "lc_ratio" not in st.session_state:
    st.session_state["lc_ratio"] = 30
if "lc_baselines" not in st.session_state:
    st.session_state["lc_baselines"] = True
c1, c2 = st.columns([3, 1])
with c1:
    pct = st.slider("Tokens to remove (%)", 0, 90, step=5, key="lc_ratio")
with c2:
    show_baselines = st.checkbox("Also show Random and per-snippet LeanCode", key="lc_baselines")
ratio = pct / 100.0
k = studio.n_removed_for(snip.n, ratio)
st.caption(f"{pct}% of {snip.n} code tokens: every method removes exactly {k} (ceil(r·n)).")

with st.spinner("Computing this snippet's importance once (cached; the slider then runs no model)…"):
    outcomes = ui.prune_all(*ctx.key(), ratio)
if outcomes is None:
    st.stop()
inst = ui.instance_analysis(*ctx.key())
if inst is not None and inst.ok and inst.window_note():
    st.info(inst.window_note())
st.caption("Struck-through, faded tokens are removed; hover a token for the rule or score that decided it.")


def method_column(m: str) -> str:
    """Draw one method's column; return its HTML fragment for the export ('' on error)."""
    oc = outcomes[m]
    st.markdown(f"#### {oc.label}")
    if not oc.ok:
        if m in ("leancode", "dietcode"):
            st.warning(f"{oc.label} is unavailable here: {oc.error}")
        else:
            st.warning(oc.error)
        return ""
    r = oc.result
    st.caption(f"kept **{r.n_tokens - r.n_removed}** · removed **{r.n_removed}** of {r.n_tokens}")
    titles = [render.token_title(snip, i, r.scores[i], r.reasons[i] or ("kept" if r.keep[i] else "removed"))
              for i in range(snip.n)]
    fragment = render.code_html(snip, keep=r.keep, titles=titles, element_id=f"lc-prune-{m}")
    ui.show_html(fragment)
    st.code(r.pruned_text or "(nothing left)", language=None, wrap_lines=True)
    return f"<h2>{oc.label}: removed {r.n_removed} of {r.n_tokens}</h2>{fragment}"


fragments = []
cols = st.columns(3)
for col, m in zip(cols, ("leancode", "dietcode", "slimcode")):
    with col:
        fragments.append(method_column(m))
shown = dict((m, outcomes[m]) for m in ("leancode", "dietcode", "slimcode"))
if show_baselines:
    cols = st.columns(3)
    for col, m in zip(cols, ("leancode-instance", "random")):
        with col:
            fragments.append(method_column(m))
        shown[m] = outcomes[m]
st.caption("Pruning every method took "
           f"{sum(oc.seconds for oc in outcomes.values()) * 1000:.1f} ms from cached scores (no model run).")

st.subheader("What was removed")
group = st.radio("Group removed tokens by", ["category", "level", "kind"], key="lc_group", horizontal=True,
                 format_func=lambda g: {"category": "statement category", "level": "SlimCode level",
                                        "kind": "lexical kind"}[g])
fig = studio.roles_figure(shown, group)
st.plotly_chart(fig, key="lc_roles_chart")
st.dataframe(studio.outcome_rows(outcomes), hide_index=True)

st.subheader("Downloads")
rows = studio.prune_token_rows(snip, outcomes)
d1, d2, d3, d4 = st.columns(4)
with d1:
    ui.download("Tokens kept per method (CSV)", render.rows_to_csv(rows), f"pruned_{pct}.csv", "text/csv",
                key="dl_prune_csv")
with d2:
    ui.download("Tokens kept per method (JSON)",
                render.rows_to_json(rows, {"ratio": ratio, "task": ctx.task, "language": snip.language,
                                           "pruned": {m: (oc.result.pruned_text if oc.ok else None)
                                                      for m, oc in outcomes.items()},
                                           "errors": {m: oc.error for m, oc in outcomes.items() if not oc.ok}}),
                f"pruned_{pct}.json", "application/json", key="dl_prune_json")
with d3:
    ui.download("Pruned code (HTML)", render.standalone_html([f for f in fragments if f],
                                                             f"Pruning at {pct}%"),
                f"pruned_{pct}.html", "text/html", key="dl_prune_html")
with d4:
    ui.chart_downloads(fig, f"removed_by_{group}_{pct}", key="dl_roles")
