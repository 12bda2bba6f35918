"""LeanCode Studio: code simplification for pre-trained models of code.

Two-line use::

    import leancode
    result = leancode.prune("public int size() { return n; }", method="slimcode", ratio=0.3)
"""
from __future__ import annotations

__version__ = "0.1.0"

from .errors import LeanCodeError  # noqa: E402
from .languages import available_languages, detect_language, tokenize  # noqa: E402
from .pruners import PruneResult, available_pruners, get_pruner  # noqa: E402
from .tokens import CATEGORIES, KINDS, ROLES, CodeSnippet, CodeToken, Statement  # noqa: E402


def prune(code, method: str = "leancode", ratio=None, budget=None, lang: str = "auto", **options):
    """Tokenise ``code`` (a string or a :class:`CodeSnippet`) and prune it with ``method``."""
    snippet = code if isinstance(code, CodeSnippet) else tokenize(code, lang)
    pruner = get_pruner(method, **options)
    if ratio is None and budget is None:
        ratio = 0.0
    return pruner.prune(snippet, ratio=ratio, budget=budget)


__all__ = ["CATEGORIES", "KINDS", "ROLES", "CodeSnippet", "CodeToken", "Statement", "LeanCodeError",
           "PruneResult", "available_languages", "available_pruners", "detect_language", "get_pruner",
           "prune", "tokenize"]
