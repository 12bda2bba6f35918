"""Importance of code tokens read from models.

Sources (one module each): ``cls`` (attention from the first token), ``received`` (attention
each token receives), ``rollout`` (attention rollout), ``cross`` (decoder cross-attention of an
encoder-decoder) and ``ig`` (Integrated Gradients).  Use::

    from leancode.importance import compute_importance
    result = compute_importance(snippet, source="cls", model="leancode-mini-search", query="...")
    result.scores      # one float per code token, NaN where the model did not see it
"""
from __future__ import annotations

from .align import code_layout, encode_snippet, map_offsets, reduce_by_owner
from .base import (ImportanceError, ImportanceResult, ImportanceSource, Request, Target, WindowScores,
                   available_sources, clear_importance_cache, compute_importance, compute_importance_batch,
                   get_source, importance_cache_info, register_source)

__all__ = ["ImportanceError", "ImportanceResult", "ImportanceSource", "Request", "Target", "WindowScores",
           "available_sources", "clear_importance_cache", "code_layout", "compute_importance",
           "compute_importance_batch", "encode_snippet", "get_source", "importance_cache_info", "map_offsets",
           "reduce_by_owner", "register_source"]
