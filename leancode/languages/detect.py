"""Guess whether a snippet is Java or Python from cheap textual cues.

The guess looks at the first few thousand characters only and weighs cues that are
typical of one language and rare in the other: ``def name(``, ``self``, lines ending
in ``:``, ``elif``/``None``/``True``, ``#`` comments and indentation-only blocks for
Python; braces, semicolons, access modifiers, typed declarations, ``new X(``, ``//``
comments and annotations for Java.  It works on raw source and on CodeSearchNet-style
text (tokens joined by single spaces, no line breaks).  Ambiguous input is ``"java"``.
:func:`detect` never raises.
"""
from __future__ import annotations

import re

__all__ = ["detect"]

#: How much of the input is examined.
_HEAD = 4000

_STRONG_PYTHON = re.compile(r"^\s*(?:@[\w.]+(?:\s*\([^()\n]*\))?\s*)*(?:async\s+)?def\s+\w+\s*\(")
_STRONG_JAVA = re.compile(
    r"\s*(?:@\s*\w+(?:\s*\([^()]*\))?\s*)*"
    r"(?:(?:public|private|protected|static|final|abstract|synchronized|native)\s+)*"
    r"[\w$]+(?:\s*<[\w\s,.?<>\[\]]*>)?(?:\s*\[\s*\])*\s+[\w$]+\s*\([^()]*\)\s*"
    r"(?:throws\s+[\w$.,\s]+)?\{"
)

# (pattern, weight) pairs; each match adds the weight (capped per pattern).
_PYTHON_CUES = (
    (re.compile(r"\bdef\s+\w+\s*\("), 4),
    (re.compile(r"\bself\b"), 2),
    (re.compile(r"\b(?:elif|None|True|False|lambda|pass|yield from|async def|await)\b"), 2),
    (re.compile(r"\b(?:and|or|not|is|in)\b"), 1),
    (re.compile(r":[ \t]*(?:#[^\n]*)?$", re.MULTILINE), 2),
    (re.compile(r"^[ \t]*#", re.MULTILINE), 2),
    (re.compile(r"\b(?:import \w+(?:\.\w+)*$|from [\w.]+ import)\b", re.MULTILINE), 2),
    (re.compile(r"\"\"\"|'''"), 2),
    (re.compile(r"\bprint\s*\("), 1),
    (re.compile(r"\)\s*:\s*(?:return|pass|raise|\w+\s*=)"), 2),   # CodeSearchNet style
    (re.compile(r"\b(?:for|if|while|with|except|else|try|finally)\b[^;{}\n]{0,200}:\s"), 1),
)
_JAVA_CUES = (
    (re.compile(r";"), 1),
    (re.compile(r"[{}]"), 1),
    (re.compile(r"\b(?:public|private|protected|static|final|void|abstract|throws)\b"), 3),
    (re.compile(r"\b(?:int|long|boolean|double|float|char|byte|short|String)\s+\w+\s*[=;,)]"), 2),
    (re.compile(r"\bnew\s+[A-Z]\w*\s*[(<\[]"), 2),
    (re.compile(r"\b(?:null|this\.|instanceof|extends|implements)\b"), 2),
    (re.compile(r"(?:^|\s)//"), 2),
    (re.compile(r"/\*"), 1),
    (re.compile(r"(?:^|\s)@\s*(?:Override|Test|Deprecated|SuppressWarnings|Nullable|NonNull)\b"), 3),
    (re.compile(r"&&|\|\||\+\+|--"), 1),
    (re.compile(r"\b[A-Z]\w*\s*<[\w\s,<>?]*>\s+\w+"), 2),
)
_CAP = 6


def _score(text: str, cues) -> int:
    total = 0
    for pattern, weight in cues:
        count = 0
        for _ in pattern.finditer(text):
            count += 1
            if count >= _CAP:
                break
        total += weight * count
    return total


def detect(source: str) -> str:
    """Return ``"java"`` or ``"python"`` for ``source``; ``"java"`` when unsure or on any error."""
    try:
        if not isinstance(source, str) or not source.strip():
            return "java"
        head = source[:_HEAD]
        start = head[:600]
        if _STRONG_PYTHON.match(start):
            return "python"
        if _STRONG_JAVA.match(start):
            return "java"
        py = _score(head, _PYTHON_CUES)
        java = _score(head, _JAVA_CUES)
        # Indentation-structured code with no braces at all is Python.
        if "{" not in head and "}" not in head and ";" not in head and "\n" in head.strip() \
                and re.search(r"\n[ \t]+\S", head):
            py += 3
        return "python" if py > java else "java"
    except Exception:  # a guess must never break tokenisation
        return "java"
