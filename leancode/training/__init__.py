"""Training of the embedded models (``leancode train search|summarize``).

:mod:`.search` fine-tunes the code-search cross-encoder, :mod:`.summarize` the
encoder-decoder summariser; :mod:`.common` holds the shared loop, checkpoints and data loading.
"""
from __future__ import annotations

from .common import TrainConfig

__all__ = ["TrainConfig"]
