"""Running the app under ``streamlit.testing.v1.AppTest``."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app.py"

PAGES = ("pages/1_Attention.py", "pages/2_Prune.py", "pages/3_Quality.py", "pages/4_How_it_works.py")


def new_app(monkeypatch, timeout: float = 120):
    from streamlit.testing.v1 import AppTest

    return AppTest.from_file(str(APP), default_timeout=timeout)


def texts(elements) -> list:
    return [str(e.value) for e in elements]


def no_exception(at) -> None:
    assert not at.exception, "\n".join(str(e.value) for e in at.exception)


def html_bodies(at) -> list:
    """The HTML fragments the page rendered with ``st.html``."""
    return [str(e.value) for e in at.get("html")]
