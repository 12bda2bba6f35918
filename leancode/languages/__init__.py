"""Language registry: turn any string into a :class:`~leancode.tokens.CodeSnippet`.

Each language is one module exposing ``NAME`` and ``tokenize(source) -> CodeSnippet``;
``register_language`` adds it here.  :func:`tokenize` never raises on any string.
"""
from __future__ import annotations

from typing import Callable

from ..errors import LeanCodeError
from ..tokens import CodeSnippet

_LANGUAGES: dict = {}

#: Longest input accepted, in characters.  Longer input is refused with a warning.
MAX_CHARS = 200_000


class UnknownLanguageError(LeanCodeError, ValueError):
    pass


def register_language(name: str, tokenize_fn: Callable[[str], CodeSnippet]) -> None:
    _LANGUAGES[name] = tokenize_fn


def available_languages() -> list:
    _load_builtin()
    return sorted(_LANGUAGES)


def _load_builtin() -> None:
    """Import the built-in language modules (each registers itself) if any is missing."""
    if "java" not in _LANGUAGES:
        from . import java  # noqa: F401
    if "python" not in _LANGUAGES:
        from . import python  # noqa: F401


def get_language(name: str) -> Callable[[str], CodeSnippet]:
    _load_builtin()
    key = (name or "").strip().lower()
    if key not in _LANGUAGES:
        raise UnknownLanguageError(
            f"unknown language {name!r}; choose one of: {', '.join(sorted(_LANGUAGES))} (or 'auto')"
        )
    return _LANGUAGES[key]


def detect_language(source: str) -> str:
    from .detect import detect

    return detect(source)


def tokenize(source: str, lang: str = "auto") -> CodeSnippet:
    """Tokenise ``source`` as ``lang`` ('java', 'python' or 'auto').

    Raises only :class:`UnknownLanguageError` for an unknown language name; every string
    input yields a snippet (possibly with zero tokens and a warning).
    """
    _load_builtin()
    if lang is None or lang.strip().lower() in ("", "auto"):
        lang = detect_language(source if isinstance(source, str) else "")
    fn = get_language(lang)
    if not isinstance(source, str):
        source = "" if source is None else str(source)
    if len(source) > MAX_CHARS:
        return CodeSnippet(source=source, language=lang, warnings=[
            f"input has {len(source):,} characters, over the limit of {MAX_CHARS:,}; nothing was tokenised"
        ], parsed=False)
    if not source.strip():
        return CodeSnippet(source=source, language=lang, warnings=["empty input: no code tokens"])
    return fn(source)
