"""Running the app under ``streamlit.testing.v1.AppTest``."""
from __future__ import annotations

import runpy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app.py"

PAGES = ("pages/1_Attention.py", "pages/2_Prune.py", "pages/3_Quality.py", "pages/4_How_it_works.py")


def patch_pages_directory(monkeypatch) -> None:
    """Run ``app.py`` (and its ``st.navigation``) on every AppTest run.

    AppTest re-detects the ``pages/`` directory before every run and then executes the
    selected page file directly, skipping the entry script and its shared sidebar.  The server
    does that detection once per process, and the entry script's ``st.navigation`` switches it
    off, so every real run goes through ``app.py``; this makes AppTest do the same.
    """
    import streamlit.runtime.scriptrunner.script_runner as script_runner

    monkeypatch.setattr(script_runner, "_mpa_v1", lambda path: runpy.run_path(str(path), run_name="__main__"))


def new_app(monkeypatch, timeout: float = 120):
    from streamlit.testing.v1 import AppTest

    patch_pages_directory(monkeypatch)
    return AppTest.from_file(str(APP), default_timeout=timeout)


def texts(elements) -> list:
    return [str(e.value) for e in elements]


def no_exception(at) -> None:
    assert not at.exception, "\n".join(str(e.value) for e in at.exception)


def html_bodies(at) -> list:
    """The HTML fragments the page rendered with ``st.html``."""
    return [str(e.value) for e in at.get("html")]
