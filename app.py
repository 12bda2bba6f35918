"""LeanCode Studio: paste a function, see how each method prunes it."""
import streamlit as st

import leancode

st.set_page_config(page_title="LeanCode Studio", layout="wide")
st.title("LeanCode Studio")
code = st.text_area("Code", "public int size() {\n    return this.items.size();\n}\n", height=200)
ratio = st.slider("Ratio of tokens to remove", 0, 90, 30, 5) / 100
snippet = leancode.tokenize(code)
for w in snippet.warnings:
    st.warning(w)
result = leancode.prune(snippet, method="slimcode", ratio=ratio)
st.code(result.pruned_text or "(nothing left)")
st.caption(f"{snippet.language}: removed {result.n_removed} of {result.n_tokens} tokens")
