"""Lexical fallback: a regular-expression lexer used when the grammar gives nothing usable.

The lexer recognises comments, string and character literals (a whole literal is one
token), numbers, identifiers, multi-character operators and single-character punctuation;
any other visible character becomes a token of kind ``other``.  Every token's span is exact
(``source[start:end] == text``), so the rest of the pipeline works unchanged.

Roles are necessarily coarse here: symbol tokens get SlimCode level 8 and the ``symbol``
role, the structure keywords (``if``, ``for``, ...) level 6 and the ``structure`` role, every
other token level 7.  Java statements are cut at ``;``, ``{`` and ``}`` outside parentheses
(a ``}`` and a comment being statements of their own); Python statements at ``;`` and at line
ends outside brackets (braces are dict/set brackets there).  Every statement has category
``none``.

:func:`lexical_snippet` never raises.
"""
from __future__ import annotations

import keyword
import re
from typing import Iterable, Optional, Sequence

from ..tokens import CodeSnippet, CodeToken, Statement

__all__ = [
    "SYMBOLS", "STRUCTURE_KEYWORDS", "JAVA_KEYWORDS", "JAVA_PRIMITIVES", "PYTHON_KEYWORDS",
    "lex", "lexical_snippet", "split_statements",
]

#: SlimCode's symbol set (SPEC section 3): a token whose whole text is one of these.
SYMBOLS = frozenset(
    "= + - * / % ! > < | ? : ~ & ^ ( { ) } [ . ] ; \" , == ++ -- != >= <= && || << >> >>> '".split()
)

#: Keywords that SlimCode treats as structure, per language.
STRUCTURE_KEYWORDS = {
    "java": frozenset("if else try catch finally for while do switch case".split()),
    "python": frozenset("if elif else try except finally for while with match case".split()),
}

JAVA_KEYWORDS = frozenset("""
abstract assert break case catch class const continue default do else enum extends final
finally for goto if implements import instanceof interface native new package private
protected public return static strictfp super switch synchronized this throw throws
transient try volatile while var record yield sealed permits non-sealed true false null
""".split())
JAVA_PRIMITIVES = frozenset("boolean byte char short int long float double void".split())
PYTHON_KEYWORDS = frozenset(keyword.kwlist) | frozenset(getattr(keyword, "softkwlist", ()))

_JAVA_LITERAL_WORDS = frozenset(("true", "false", "null"))
_PYTHON_LITERAL_WORDS = frozenset(("True", "False", "None"))

_PUNCTUATION = frozenset("( ) { } [ ] ; , . @ ... ::".split())

# Operators longest first so that the alternation prefers them.
_OPERATORS = sorted(
    """>>>= <<= >>= **= //= ... >>> -> :: == != <= >= && || ++ -- += -= *= /= %= &= |= ^=
    << >> ** // := @= = + - * / % ! > < | ? : ~ & ^ ( ) { } [ ] ; , . @""".split(),
    key=len, reverse=True,
)
_OPS_RE = "|".join(re.escape(op) for op in _OPERATORS)

_NUMBER = (
    r"0[xX][0-9a-fA-F_]+[lL]?"
    r"|0[bB][01_]+[lL]?"
    r"|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?[lLfFdDjJ]?"
)
_IDENT = r"[^\W\d]\w*"

_JAVA_RE = re.compile(
    r"(?P<comment>//[^\n]*|/\*.*?(?:\*/|\Z))"
    r'|(?P<string>"""(?:\\.|[^\\])*?(?:"""|\Z)|"(?:\\.|[^"\\\n])*(?:"|(?=\n)|\Z)'
    r"|'(?:\\.|[^'\\\n])*(?:'|(?=\n)|\Z))"
    rf"|(?P<number>{_NUMBER})"
    rf"|(?P<ident>[$]*{_IDENT}[\w$]*|[$][\w$]*)"
    rf"|(?P<op>{_OPS_RE})"
    r"|(?P<other>\S)",
    re.DOTALL,
)

_PY_PREFIX = r"(?:[rRbBuUfF]{1,2})?"
_PYTHON_RE = re.compile(
    r"(?P<comment>#[^\n]*)"
    rf"|(?P<string>{_PY_PREFIX}(?:'''(?:\\.|[^\\])*?(?:'''|\Z)|\"\"\"(?:\\.|[^\\])*?(?:\"\"\"|\Z)"
    r"|'(?:\\.|[^'\\\n])*(?:'|(?=\n)|\Z)|\"(?:\\.|[^\"\\\n])*(?:\"|(?=\n)|\Z)))"
    rf"|(?P<number>{_NUMBER})"
    rf"|(?P<ident>{_IDENT})"
    rf"|(?P<op>{_OPS_RE})"
    r"|(?P<other>\S)",
    re.DOTALL,
)


def _kind(group: str, text: str, language: str) -> str:
    """Lexical kind of a matched token."""
    if group == "comment":
        return "comment"
    if group in ("string", "number"):
        return "literal"
    if group == "ident":
        if language == "python":
            if text in _PYTHON_LITERAL_WORDS:
                return "literal"
            return "keyword" if text in PYTHON_KEYWORDS else "identifier"
        if text in _JAVA_LITERAL_WORDS:
            return "literal"
        if text in JAVA_PRIMITIVES:
            return "type"
        return "keyword" if text in JAVA_KEYWORDS else "identifier"
    if group == "op":
        return "punctuation" if text in _PUNCTUATION else "operator"
    return "other"


def lex(source: str, language: str = "java", start: int = 0, end: Optional[int] = None) -> list:
    """Split ``source[start:end]`` into ``(start, end, kind)`` triples with absolute offsets.

    ``language`` chooses the comment and string syntax (``"python"`` or anything else for
    the C-family syntax of Java).  String prefixes such as ``f"..."`` stay part of the literal.
    """
    pattern = _PYTHON_RE if language == "python" else _JAVA_RE
    stop = len(source) if end is None else min(end, len(source))
    out = []
    pos = max(0, start)
    search = pattern.search
    while pos < stop:
        m = search(source, pos, stop)
        if m is None:
            break
        s, e = m.span()
        if e <= s:  # defensive: never loop on an empty match
            pos = s + 1
            continue
        group = m.lastgroup or "other"
        out.append((s, e, _kind(group, source[s:e], language)))
        pos = e
    return out


def split_statements(
    texts: Sequence[str],
    alone: Iterable[int] = (),
    before: Iterable[int] = (),
    after: Iterable[int] = (),
) -> list:
    """Cut a token sequence into statements; returns ``(start, end)`` index ranges.

    A statement ends after ``;`` or ``{`` outside parentheses; a ``}`` outside parentheses
    is a statement of its own (so the closing brace is kept apart from what precedes and
    follows it).  ``alone`` lists tokens that form a statement of their own (comments) when
    outside parentheses, ``before``/``after`` tokens that start/end a statement there.
    The ranges cover every token exactly once, in order.
    """
    alone = set(alone)
    before = set(before)
    after = set(after)
    ranges = []
    start = 0
    depth = 0
    for i, tx in enumerate(texts):
        if depth == 0 and (tx == "}" or i in alone):
            if start < i:
                ranges.append((start, i))
            ranges.append((i, i + 1))
            start = i + 1
            continue
        if depth == 0 and i in before and start < i:
            ranges.append((start, i))
            start = i
        if tx == "(":
            depth += 1
        elif tx == ")":
            if depth:
                depth -= 1
        elif depth == 0 and (tx == ";" or tx == "{"):
            ranges.append((start, i + 1))
            start = i + 1
            continue
        if depth == 0 and i in after:
            ranges.append((start, i + 1))
            start = i + 1
    if start < len(texts):
        ranges.append((start, len(texts)))
    return ranges


def _python_line_ends(source: str, spans: list) -> set:
    """Indices of tokens after which a logical Python line ends (newline outside brackets)."""
    ends = set()
    depth = 0
    for i, (s, e, _kind_) in enumerate(spans):
        text = source[s:e]
        if text in ("(", "[", "{"):
            depth += 1
        elif text in (")", "]", "}"):
            depth = max(0, depth - 1)
        nxt = spans[i + 1][0] if i + 1 < len(spans) else len(source)
        gap = source[e:nxt]
        if depth == 0 and "\n" in gap and not gap.rstrip("\n\r \t").endswith("\\"):
            ends.add(i)
    return ends


def lexical_snippet(source: str, language: str, reason: str) -> CodeSnippet:
    """Tokenise ``source`` with the regular-expression lexer; never raises.

    ``reason`` becomes the snippet's warning (why the grammar was not used) and the
    snippet is marked ``parsed=False``.
    """
    language = language if isinstance(language, str) and language else "java"
    if not isinstance(source, str):
        source = "" if source is None else str(source)
    warnings = [reason] if reason else []
    try:
        spans = lex(source, language)
        texts = [source[s:e] for s, e, _k in spans]
        structure = STRUCTURE_KEYWORDS.get(language, STRUCTURE_KEYWORDS["java"])
        if language == "python":
            ranges = split_statements(
                [t if t not in ("{", "}", ";") else "," for t in texts],  # dict/set braces are brackets
                after=_python_line_ends(source, spans) | {i for i, t in enumerate(texts) if t == ";"},
            )
        else:
            ranges = split_statements(
                texts, alone=[i for i, (_s, _e, k) in enumerate(spans) if k == "comment"]
            )
        statements = []
        stmt_of = [0] * len(spans)
        for si, (a, b) in enumerate(ranges):
            statements.append(Statement(si, "none", a, b))
            for i in range(a, b):
                stmt_of[i] = si
        sym_roles = frozenset(("symbol",))
        struct_roles = frozenset(("structure",))
        empty = frozenset()
        tokens = []
        for i, ((s, e, kind), text) in enumerate(zip(spans, texts)):
            if text in SYMBOLS:
                level, roles = 8, sym_roles
            elif kind == "keyword" and text in structure:
                level, roles = 6, struct_roles
            else:
                level, roles = 7, empty
            tokens.append(CodeToken(i, text, s, e, kind, stmt_of[i], "none", level, roles))
        return CodeSnippet(source=source, language=language, tokens=tokens,
                           statements=statements, warnings=warnings, parsed=False)
    except Exception as exc:  # the fallback itself must never fail
        warnings.append(f"lexical tokenisation failed ({type(exc).__name__}); no code tokens")
        return CodeSnippet(source=source, language=language, warnings=warnings, parsed=False)
