"""Streamlit glue shared by the app's pages: the sidebar, caches and small display helpers.

The analysis itself lives in :mod:`leancode.studio` and the HTML in :mod:`leancode.render`;
this module only wires them to widgets:

* models load once per process (``st.cache_resource``), failures included, so a name that
  cannot load is not retried on every rerun;
* importance, pruning and quality results are cached per input (``st.cache_data``): moving
  the ratio slider reuses the importance computed once for this input and runs no model;
* the shared controls (code, example, upload, language, task, query, reference, model) live
  in ``st.session_state`` under ``lc_*`` keys and are drawn by :func:`sidebar` on every page.
"""
from __future__ import annotations

import inspect
import os
from dataclasses import dataclass, field
from typing import Any, Optional

import streamlit as st

from . import render, studio

#: Session keys of page-level widgets whose value should survive page switches.
PERSISTENT_KEYS = ("lc_source", "lc_layer", "lc_head", "lc_norm", "lc_window", "lc_show_special",
                   "lc_ratio", "lc_group", "lc_baselines", "lc_methods", "lc_view")

LANG_OPTIONS = ("auto", "java", "python")
DEFAULT_EXAMPLE = "java_read_lines"

_DOWNLOAD_IGNORES_CLICK = "on_click" in inspect.signature(st.download_button).parameters


# --------------------------------------------------------------------------- caches

@st.cache_resource(show_spinner=False, max_entries=8)
def load_model(name: str, task: str) -> tuple:
    """``(handle, None)`` or ``(None, message)``; loaded once per process per (name, task)."""
    from .errors import LeanCodeError

    try:
        from .models import load_model as _load
    except ImportError as e:
        return None, f"model loading is not available in this installation ({e})"
    _set_torch_threads()
    try:
        return _load(name, task=task), None
    except LeanCodeError as e:
        return None, str(e)
    except Exception as e:  # any other loader failure is shown, never raised
        return None, f"could not load model {name!r}: {type(e).__name__}: {e}"


def _set_torch_threads() -> None:
    """Give PyTorch :func:`leancode.studio.app_torch_threads` threads (unless OMP_NUM_THREADS says)."""
    if os.environ.get("OMP_NUM_THREADS"):
        return
    try:
        import torch

        torch.set_num_threads(studio.app_torch_threads())
    except Exception:  # threads are a performance setting only
        pass


@st.cache_data(show_spinner=False, max_entries=256)
def prepared(code: str, lang: str) -> studio.Prepared:
    return studio.prepare(code, lang)


@st.cache_data(show_spinner=False, max_entries=128)
def analysis(code: str, lang: str, task: str, model_name: str, query: str, source: str,
             layer: Any = -1, head: Any = "mean", window: str = "truncate") -> Optional[studio.Analysis]:
    """The importance of one source for this input (None when the input itself is refused)."""
    prep = studio.prepare(code, lang)
    if prep.snippet is None:
        return None
    handle, err = load_model(model_name, task)
    if handle is None:
        return studio.Analysis(snippet=prep.snippet, task=task, model=model_name, source=source,
                               layer=layer, head=head, error=err)
    return studio.analyze(prep.snippet, handle, task=task, source=source, query=query, layer=layer,
                          head=head, window=window)


def instance_analysis(code: str, lang: str, task: str, model_name: str, query: str) -> Optional[studio.Analysis]:
    """The scores per-snippet LeanCode prunes with: the task's source, last layer, mean over heads."""
    handle, _ = load_model(model_name, task)
    cap = studio.capabilities(handle) if handle is not None else None
    return analysis(code, lang, task, model_name, query, studio.default_source(task, cap))


def prune_all(code: str, lang: str, task: str, model_name: str, query: str, ratio: float,
              seed: int = 0) -> Optional[dict]:
    """Every method's pruning at ``ratio``; the model ran (once) only for the cached importance."""
    return _prune_all(code, lang, task, model_name, query, ratio, seed, studio.tables_state())


@st.cache_data(show_spinner=False, max_entries=512)
def _prune_all(code: str, lang: str, task: str, model_name: str, query: str, ratio: float, seed: int,
               tables_key: tuple) -> Optional[dict]:
    prep = studio.prepare(code, lang)
    if prep.snippet is None:
        return None
    a = instance_analysis(code, lang, task, model_name, query)
    scores = a.scores if a is not None and a.ok else None
    return studio.prune_all(prep.snippet, ratio, scores, task=task, seed=seed,
                            scores_error=(a.error if a is not None else None))


def quality(code: str, lang: str, task: str, model_name: str, query: str, methods: tuple,
            seed: int = 0) -> Optional[studio.QualityReport]:
    """Quality curves over 0-90 % (BLEU against the reference is added outside the cache)."""
    return _quality(code, lang, task, model_name, query, methods, seed, studio.tables_state())


@st.cache_data(show_spinner=False, max_entries=32)
def _quality(code: str, lang: str, task: str, model_name: str, query: str, methods: tuple, seed: int,
             tables_key: tuple) -> Optional[studio.QualityReport]:
    prep = studio.prepare(code, lang)
    if prep.snippet is None:
        return None
    handle, err = load_model(model_name, task)
    if handle is None:
        return studio.QualityReport(task=task, model=model_name, ratios=list(studio.QUALITY_RATIOS), error=err)
    a = instance_analysis(code, lang, task, model_name, query)
    scores = a.scores if a is not None and a.ok else None
    return studio.quality_curves(prep.snippet, handle, task=task, query=query, scores=scores,
                                 methods=methods, seed=seed)


# --------------------------------------------------------------------------- state

def _examples() -> list:
    return _cached_examples()


@st.cache_data(show_spinner=False)
def _cached_examples() -> list:
    return studio.load_examples()


def _apply_example() -> None:
    """Callback of the example picker: load the chosen example into the inputs."""
    ex = {e.id: e for e in _examples()}.get(st.session_state.get("lc_example"))
    if ex is None:
        return
    st.session_state["lc_code"] = ex.code
    st.session_state["lc_lang"] = ex.language if ex.language in LANG_OPTIONS else "auto"
    st.session_state["lc_query"] = ex.docstring
    st.session_state["lc_reference"] = ex.summary
    st.session_state.pop("lc_upload_error", None)


def _apply_upload() -> None:
    """Callback of the file uploader: the file's text becomes the code."""
    f = st.session_state.get("lc_upload")
    if f is None:
        return
    code, lang, err = studio.read_upload(f.name, f.getvalue())
    if err:
        st.session_state["lc_upload_error"] = err
        return
    st.session_state.pop("lc_upload_error", None)
    st.session_state["lc_code"] = code
    st.session_state["lc_lang"] = lang


def init_state() -> None:
    """Defaults on first run (the first Java example), and keep page widgets alive across pages."""
    ss = st.session_state
    if "lc_code" not in ss:
        exs = _examples()
        by_id = {e.id: e for e in exs}
        first = by_id.get(DEFAULT_EXAMPLE) or (exs[0] if exs else None)
        ss["lc_example"] = first.id if first else None
        ss["lc_code"] = first.code if first else ""
        ss["lc_lang"] = first.language if first else "auto"
        ss["lc_query"] = first.docstring if first else ""
        ss["lc_reference"] = first.summary if first else ""
        ss["lc_task"] = "search"
        ss["lc_model"] = ""
    # Re-assigning a widget's key before it is drawn keeps its value when its page is not shown.
    for k in PERSISTENT_KEYS:
        if k in ss:
            ss[k] = ss[k]


def sidebar() -> None:
    """Draw the shared controls (they persist in ``st.session_state`` across pages)."""
    init_state()
    exs = _examples()
    with st.sidebar:
        st.header("Input")
        if exs:
            st.selectbox("Example", [e.id for e in exs], key="lc_example", on_change=_apply_example,
                         format_func=lambda i: {e.id: e.title for e in exs}.get(i, i))
        st.file_uploader("…or upload a file", type=["java", "py", "txt"], key="lc_upload",
                         on_change=_apply_upload)
        if st.session_state.get("lc_upload_error"):
            st.error(st.session_state["lc_upload_error"])
        st.text_area("Code (one function or method)", key="lc_code", height=260)
        st.radio("Language", LANG_OPTIONS, key="lc_lang", horizontal=True)
        st.radio("Task", studio.TASKS, key="lc_task", horizontal=True,
                 format_func=lambda t: studio.TASK_LABELS[t])
        st.text_area("Query (code search)", key="lc_query", height=70,
                     help="The natural-language query the search model scores the code against.")
        st.text_area("Reference summary (summarization)", key="lc_reference", height=70,
                     help="What a good summary says; BLEU-4 on the Quality page compares against it.")
        task = st.session_state["lc_task"]
        st.text_input("Model (empty: embedded default)", key="lc_model",
                      placeholder=studio.model_name_for(task),
                      help="A Hugging Face model name (loaded from the local cache only) or a local path.")
        st.caption(f"Model in use for {studio.TASK_LABELS[task].lower()}: "
                   f"**{studio.model_name_for(task, st.session_state.get('lc_model'))}**")


@dataclass
class Context:
    """What a page works on: the inputs, the tokenised snippet and the loaded model."""

    code: str
    lang: str
    task: str
    query: str
    reference: str
    model_name: str
    prep: studio.Prepared
    handle: Any = None
    cap: Optional[studio.Capabilities] = None
    model_error: Optional[str] = None
    notes: list = field(default_factory=list)

    @property
    def snippet(self):
        return self.prep.snippet

    def key(self) -> tuple:
        """The arguments every cached call takes first."""
        return (self.code, self.lang, self.task, self.model_name, self.query if self.task == "search" else "")


def context(need_model: bool = True) -> Context:
    """Read the shared inputs, tokenise, load the model; show problems; stop the page when the
    input cannot be analysed at all (never a traceback)."""
    ss = st.session_state
    code = ss.get("lc_code", "") or ""
    lang = ss.get("lc_lang", "auto") or "auto"
    task = ss.get("lc_task", "search") or "search"
    ctx = Context(code=code, lang=lang, task=task, query=(ss.get("lc_query") or "").strip(),
                  reference=(ss.get("lc_reference") or "").strip(),
                  model_name=studio.model_name_for(task, ss.get("lc_model")), prep=prepared(code, lang))
    if ctx.prep.snippet is None:
        st.error(ctx.prep.error)
        st.stop()
    for w in ctx.prep.warnings:
        st.warning(w)
    if need_model:
        with st.spinner(f"Loading model {ctx.model_name}…"):
            ctx.handle, ctx.model_error = load_model(ctx.model_name, task)
        if ctx.handle is None:
            st.error(f"Model {ctx.model_name!r} could not be loaded: {ctx.model_error}")
        else:
            ctx.cap = studio.capabilities(ctx.handle)
    return ctx


def choose(label: str, options: list, key: str, **kwargs):
    """A selectbox whose remembered value is reset when it is no longer an option."""
    if st.session_state.get(key) not in options:
        st.session_state[key] = options[0]
    return st.selectbox(label, options, key=key, **kwargs)


def download(label: str, data, file_name: str, mime: str, key: str) -> None:
    """A download button that does not rerun the page when clicked."""
    kw = {"on_click": "ignore"} if _DOWNLOAD_IGNORES_CLICK else {}
    try:
        st.download_button(label, data, file_name=file_name, mime=mime, key=key, **kw)
    except Exception:  # an older Streamlit without on_click="ignore"
        st.download_button(label, data, file_name=file_name, mime=mime, key=key)


def chart_downloads(fig, name: str, key: str) -> None:
    """Download a chart as HTML; as PNG too when a static image engine (kaleido) is installed.

    The PNG is only rendered when asked for (it starts a headless browser), then cached.
    """
    download("Chart (HTML)", studio.figure_html(fig), f"{name}.html", "text/html", key=f"{key}_html")
    if not _has_kaleido():
        return
    flag = f"{key}_png_wanted"
    if not st.session_state.get(flag):
        if st.button("Chart as PNG…", key=f"{key}_png_prepare"):
            st.session_state[flag] = True
            st.rerun()
        return
    png = _png(fig.to_json())
    if png:
        download("Chart (PNG)", png, f"{name}.png", "image/png", key=f"{key}_png")
    else:
        st.caption("PNG export is not available here (the static image engine did not start).")


@st.cache_data(show_spinner="Rendering PNG…", max_entries=32)
def _png(fig_json: str) -> Optional[bytes]:
    import plotly.io as pio

    return studio.figure_png(pio.from_json(fig_json))


def token_downloads(ctx: "Context", key: str) -> None:
    """Token scores (CSV, JSON) and coloured code (HTML) of the per-snippet importance (the task's
    source, last layer, mean over heads), with every token's roles."""
    a = instance_analysis(*ctx.key())
    snip = ctx.snippet
    scores = a.scores if a is not None and a.ok else None
    rows = render.token_rows(snip, scores)
    meta = {"model": ctx.model_name, "task": ctx.task, "language": snip.language,
            "source": a.source if a is not None else None, "error": a.error if a is not None else None}
    fragment = render.code_html(snip, scores) if scores is not None else render.code_html(
        snip, backgrounds=render.category_backgrounds(snip))
    c1, c2, c3 = st.columns(3)
    with c1:
        download("Token scores (CSV)", render.rows_to_csv(rows), "token_scores.csv", "text/csv", key=f"{key}_csv")
    with c2:
        download("Token scores (JSON)", render.rows_to_json(rows, meta), "token_scores.json", "application/json",
                 key=f"{key}_json")
    with c3:
        download("Coloured code (HTML)", render.standalone_html(fragment, f"{ctx.model_name}: {meta['source']}"),
                 "code.html", "text/html", key=f"{key}_html")


def _has_kaleido() -> bool:
    try:
        import kaleido  # noqa: F401
        return True
    except ImportError:
        return False


def show_html(fragment: str) -> None:
    """Render an HTML fragment produced by :mod:`leancode.render`."""
    st.html(fragment)


def page_setup() -> None:
    """Call first in every page file: make sure the page runs inside ``app.py``.

    Streamlit detects a ``pages/`` directory before the entry script has had a chance to call
    ``st.navigation``; when a session starts on a page's URL before that, Streamlit runs the
    page file alone (no shared sidebar, no state).  In that case switch the detection off and
    rerun, so this run and every later one go through ``app.py``.
    """
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # pragma: no cover - a Streamlit without this internal
        return
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def offline_env() -> None:
    """Never reach a model hub from the app: models load from local files only."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


__all__ = ["Context", "analysis", "chart_downloads", "choose", "context", "download", "init_state",
           "instance_analysis", "load_model", "offline_env", "page_setup", "prepared", "prune_all", "quality",
           "render", "show_html", "sidebar", "token_downloads"]
