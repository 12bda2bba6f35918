"""How it works: attention in a nutshell, and how each method decides, shown on the current snippet."""
import math

import streamlit as st

from leancode import render, studio
from leancode import studio_ui as ui

ui.page_setup()

st.title("How it works")
ctx = ui.context()
snip = ctx.snippet

if "lc_ratio" not in st.session_state:
    st.session_state["lc_ratio"] = 30
pct = st.slider("Illustrate at this pruning ratio (%)", 0, 90, step=5, key="lc_ratio")
ratio = pct / 100.0
k = studio.n_removed_for(snip.n, ratio)
st.markdown(f"The snippet has **{snip.n} code tokens** (leaves of the {snip.language} grammar: names, keywords, "
            f"literals, operators, punctuation). A ratio of **{pct}%** means every method removes exactly "
            f"**k = ⌈{ratio:.2f}·{snip.n}⌉ = {k}** of them; the kept tokens, in their original order and joined "
            "by single spaces, are what the model then reads.")
with st.spinner("Computing importance once for this input…"):
    outcomes = ui.prune_all(*ctx.key(), ratio)

# ----------------------------------------------------------------------------- attention
st.header("1. What a model attends to")
st.markdown("""
A transformer layer lets every position look at every other one: each of its *heads* gives each position a
probability distribution (the **attention weights**) over all positions, and mixes their vectors accordingly.

**CLS attention (code search).** A code-search cross-encoder reads `query [SEP] code` and decides relevance
from the vector of its first token (`[CLS]` / `<s>`). In the last layer, the attention *from that first token
to each code token* says how much of what the decision reads comes from that token. LeanCode takes this
attention in the **last layer**, **averaged over heads**, and **sums it over the sub-word pieces** of each code
token (a name such as `readLine` may be several pieces).

**Cross-attention (code summarization).** An encoder–decoder writes the summary one word at a time; at each
step the decoder's *cross-attention* looks at the encoder's code positions. LeanCode feeds the reference summary
(teacher forcing), takes the **last decoder layer**, **averages over heads**, keeps the **maximum over the
summary's words**, and sums over each code token's sub-words.

Attention is a signal, not a proof of what matters; the Attention page also offers attention received, rollout
and Integrated Gradients (gradient × input path integral) for comparison.
""")
inst = ui.instance_analysis(*ctx.key())
if inst is not None and inst.ok:
    lo, hi = inst.finite_range
    ui.show_html(render.code_html(snip, inst.scores, mode="rank"))
    ui.show_html(render.legend_html(lo, hi, f"{studio.SOURCE_LABELS.get(inst.source, inst.source)} of "
                                            f"{ctx.model_name} on this snippet", mode="rank",
                                    unseen=inst.n_unseen))
elif inst is not None:
    st.info(f"This snippet's attention is unavailable: {inst.error}")

# ----------------------------------------------------------------------------- SlimCode
st.header("2. SlimCode: a fixed order of syntactic roles")
st.markdown("""
SlimCode needs no model. Each token gets a **level from 1 to 8** from its syntactic role, first rule that applies:
**8** symbols (`( ) { } ; . ,` operators…) · **6** structure keywords and tokens inside `if`/`for`/`while`/`switch`
headers (not identifiers) · **5** tokens of a method call (not identifiers) · **2** identifiers inside structure ·
**3** identifiers inside calls · **4** other identifiers · **1** the method signature · **7** everything else
(`return`, `new`, literals, local type names). It removes **level 8 first**, and within a level the **rightmost
token first**, until k tokens are gone.
""")
ui.show_html(render.code_html(snip, backgrounds=render.level_backgrounds(snip)))
ui.show_html(render.swatch_legend_html({f"level {lv}": c for lv, c in sorted(render.LEVEL_COLORS.items())},
                                       "SlimCode level (8 goes first):"))
st.dataframe(studio.level_rows(snip), hide_index=True)

# ----------------------------------------------------------------------------- DietCode
st.header("3. DietCode: whole statements first, then single tokens")
st.markdown("""
DietCode splits the function into statements and gives each one of 21 **categories** (method signature,
variable declaration, `if`, `for`, `return`, logger call, getter, setter, other call, …). From a model's
attention over a whole training corpus it keeps two tables: the mean attention each **statement category**
receives, and the mean attention each **token text** receives.

For a target length T = n − k it solves a **0-1 knapsack**: each statement weighs its token count and is worth
its category's score; the capacity is T plus the longest statement. Then it trims the kept tokens with the
lowest token score (or puts back the best dropped ones) until exactly T remain.
""")
ui.show_html(render.code_html(snip, backgrounds=render.category_backgrounds(snip)))
ui.show_html(render.swatch_legend_html(
    {c: render.CATEGORY_COLORS[c] for c in dict.fromkeys(t.category for t in snip.tokens)}, "Statement category:"))
rows, err = studio.dietcode_statement_values(snip, ctx.task)
diet = outcomes.get("dietcode") if outcomes else None
if err:
    st.info(f"DietCode's table is not available here ({err}); the statements are shown without their values.")
    rows = studio.statement_rows(snip)
if diet is not None and diet.ok:
    kept = set(diet.result.info.get("kept_statements", []))
    for r in rows:
        r["kept by knapsack"] = r["statement"] in kept
    st.caption(f"At {pct}%: capacity {diet.result.info.get('capacity')}, "
               f"{len(kept)} of {diet.result.info.get('statements')} statements kept by the knapsack, "
               f"{diet.result.info.get('trimmed', 0)} tokens trimmed, {diet.result.info.get('refilled', 0)} put back.")
st.dataframe(rows, hide_index=True)

# ----------------------------------------------------------------------------- LeanCode
st.header("4. LeanCode: a token's importance depends on its statement")
st.markdown("""
LeanCode keeps one score per **(statement category, token text)** pair: the mean CLS attention (search) or
cross-attention (summarization) of that token text when it appears in a statement of that category, over a
training corpus. The same `=` can matter in a `return` and not in a declaration. A pair the table never saw falls
back to the token's mean over all categories, and a token never seen at all is removed last. LeanCode then
removes the **k lowest-scoring tokens** (ties: the earliest first).

*LeanCode (per snippet)* is this project's extension: the same scores taken from this snippet's own attention in
one model run (section 1), with no table.
""")
scores, how, lerr = studio.leancode_token_scores(snip, ctx.task)
if lerr:
    st.info(f"LeanCode's table is not available here ({lerr}).")
else:
    finite = [s for s in scores if math.isfinite(s)]
    shown = [s if math.isfinite(s) else float("nan") for s in scores]
    found = ["from (category, token) entry", "token mean over categories", "never seen: removed last"]
    titles = [render.token_title(snip, i, scores[i], found[how[i]]) for i in range(snip.n)]
    ui.show_html(render.code_html(snip, shown, titles=titles, mode="rank"))
    ui.show_html(render.legend_html(min(finite) if finite else None, max(finite) if finite else None,
                                    "LeanCode table score", mode="rank", unseen=sum(1 for h in how if h == 2)))
    st.caption(f"{how.count(0)} tokens scored from their (category, text) entry, {how.count(1)} from the token's "
               f"mean, {how.count(2)} never seen.")

st.header("5. The result at this ratio")
if outcomes:
    st.dataframe(studio.outcome_rows(outcomes), hide_index=True)
st.subheader("Downloads")
ui.token_downloads(ctx, key="dl_hiw_tokens")
