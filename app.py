"""LeanCode Studio: see which code tokens a model relies on, and how each method prunes the rest.

Run with ``streamlit run app.py``.  This script draws the shared controls (sidebar) on every
page, then runs the selected page; the analysis lives in ``leancode.studio``.
"""
from pathlib import Path

import streamlit as st

from leancode import studio_ui as ui

ui.offline_env()
st.set_page_config(page_title="LeanCode Studio", page_icon=":material/content_cut:", layout="wide")


def overview() -> None:
    """Home page: what the input looks like to the methods, and where to go next."""
    st.title("LeanCode Studio")
    st.markdown(
        "Paste a Java or Python function in the sidebar (or pick an example). The pages show "
        "**which tokens the model attends to**, how **LeanCode, DietCode and SlimCode** prune the code at "
        "any ratio, what pruning does to **search relevance and generated summaries**, and **how each "
        "method decides**.")
    ctx = ui.context(need_model=False)
    snip = ctx.snippet
    c1, c2, c3 = st.columns(3)
    c1.metric("Language", snip.language)
    c2.metric("Code tokens", snip.n)
    c3.metric("Statements", len({t.statement for t in snip.tokens}))
    ui.show_html(ui.render.code_html(snip, backgrounds=ui.render.category_backgrounds(snip)))
    ui.show_html(ui.render.swatch_legend_html(
        {c: ui.render.CATEGORY_COLORS[c] for c in dict.fromkeys(t.category for t in snip.tokens)},
        "Statement categories:"))
    st.caption(f"Model for {ctx.task}: {ctx.model_name}. Hover a token to see its roles.")
    rows = ui.render.token_rows(snip)
    d1, d2, d3 = st.columns(3)
    with d1:
        ui.download("Tokens and roles (CSV)", ui.render.rows_to_csv(rows), "tokens.csv", "text/csv", key="dl_ov_csv")
    with d2:
        ui.download("Tokens and roles (JSON)", ui.render.rows_to_json(rows, {"language": snip.language}),
                    "tokens.json", "application/json", key="dl_ov_json")
    with d3:
        ui.download("Coloured code (HTML)", ui.render.standalone_html(
            ui.render.code_html(snip, backgrounds=ui.render.category_backgrounds(snip)), "Statement categories"),
            "categories.html", "text/html", key="dl_ov_html")
    cols = st.columns(4)
    cols[0].page_link(PAGES[1], label="Attention heatmap", icon=":material/local_fire_department:")
    cols[1].page_link(PAGES[2], label="Prune side by side", icon=":material/content_cut:")
    cols[2].page_link(PAGES[3], label="Quality vs ratio", icon=":material/monitoring:")
    cols[3].page_link(PAGES[4], label="How it works", icon=":material/school:")


PAGES = [
    st.Page(overview, title="Overview", icon=":material/home:", default=True),
    st.Page("pages/1_Attention.py", title="Attention", icon=":material/local_fire_department:"),
    st.Page("pages/2_Prune.py", title="Prune", icon=":material/content_cut:"),
    st.Page("pages/3_Quality.py", title="Quality", icon=":material/monitoring:"),
    st.Page("pages/4_How_it_works.py", title="How it works", icon=":material/school:"),
]
if (Path(__file__).parent / "pages" / "5_Benchmark.py").exists():
    PAGES.append(st.Page("pages/5_Benchmark.py", title="Benchmark", icon=":material/leaderboard:"))

page = st.navigation(PAGES)
ui.sidebar()
page.run()
