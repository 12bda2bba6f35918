"""Python: code tokens, statements and SlimCode roles from the tree-sitter grammar.

Input
-----
A snippet is one function (possibly decorated, indented, with comments and a docstring) or a
class with methods, given either as raw source or in CodeSearchNet style (the code tokens
joined by single spaces, which for Python loses every newline and all indentation).

*Single-line* input (no newline between two tokens; string literals may hold newlines) is
taken for CodeSearchNet style and **re-laid on lines** before parsing: a small lexer splits
it into lexemes (a whole string literal is one lexeme), then a new logical line starts

- after a ``:`` that ends the header of ``def class if elif else try except finally for
  while with match case`` (outside brackets; ``lambda`` colons excepted), the body being
  indented one level deeper;
- before a statement keyword (``return pass raise def if for import ...``; a
  conditional-expression ``if``/``else``, a case guard, ``raise ... from``, ``yield from``
  and ``from ... import`` excepted), before a decorator (``@name(...)`` followed by a
  definition), after a ``;``, and wherever a name, number or string follows a complete operand
  (``a = 1 b = 2`` becomes two statements; adjacent strings stay one concatenation and
  Python 2 ``print "x"`` stays one statement); a bare ``return``/``raise``/``yield`` or a
  call followed by an assignment target (``return x = 1``, ``f() (a, b) = c``) is split too;

indentation is re-inferred: ``elif else except finally case`` go back to the level of the
header they continue, and after ``return raise break continue pass`` the block closes.
(Indentation lost in CodeSearchNet style cannot always be recovered; these rules nest
greedily and are right whenever a block ends with one of those statements.)  The re-laid text
is parsed and every span is mapped back, lexeme by lexeme, to the original characters.  If
the re-laid text still has syntax errors the raw text is parsed too, and the parse with fewer
errors is kept.

*Multi-line* input is parsed as it is (tree-sitter accepts uniformly indented code, so a
method cut out of its class parses as is).  If the grammar reports errors and the lines share
common leading whitespace, the dedented text is parsed too and kept if it has fewer errors.

Whatever the layout, ``source[token.start:token.end] == token.text`` holds for every token
(tree-sitter reports byte offsets; they are converted to characters).

Tokens
------
Every non-empty leaf of the syntax tree, except that a whole string literal (prefixes,
f-strings and triple-quoted strings included) is one token, and ``not in`` / ``is not`` are
two.  Line continuations, NEWLINE, INDENT and DEDENT are not tokens.  Kinds: ``identifier``;
``type`` for names inside a type annotation; ``keyword`` for reserved and soft keywords;
``literal`` for strings (docstrings included), numbers, ``True False None ...``;
``punctuation`` for ``( ) [ ] { } , : ; . ->`` and a decorator's ``@``; ``operator`` for the
other operators; ``comment``; ``other`` for characters the grammar rejects.

SlimCode roles (SPEC section 3, Python mapping)
-----------------------------------------------
* *symbol*: the token's whole text is in the SPEC's symbol list (so ``:`` ``(`` ``.`` are
  symbols; ``**``, ``//``, ``->``, ``+=`` are not).
* *signature*: every token from the snippet start up to, not including, the ``:`` that ends a
  ``def`` header, decorators and leading comments included.  As the reference does for Java,
  this is applied for every function defined in the snippet (nested functions and the
  methods of a class too), so it reaches the header of the last one.
* *structure*: the keywords ``if elif else try except finally for while with match case``
  wherever they are whole tokens (comprehension and conditional-expression keywords
  included), and every token between the keyword and the ``:`` of an ``if``/``elif``/
  ``while`` condition, a ``for`` header (target, ``in``, iterable), a ``with`` header's
  items, a ``match`` subject, a ``case`` pattern and guard and an ``except`` clause.
* *invocation*: every token inside a call expression (function, arguments, parentheses,
  nested calls); decorator calls are calls.
* *identifier*: names in load context (a bare name, the leftmost name of a dotted chain such
  as ``self`` in ``self.items.size()``, argument values) and bound names (assignment and
  ``for`` targets, ``as`` targets, walrus and pattern captures).  Not identifiers: the called
  function's name (``f`` in ``f(x)``), names after a dot, parameter names, the function's and
  a class's own name, keyword-argument names, decorator names, imported names,
  ``global``/``nonlocal`` names and names in type annotations.  Unlike Java's ``this``,
  Python's ``self`` is an ordinary name and so counts as an identifier.

Levels then follow the SPEC's eight first-match rules.

Statements (SPEC section 4, Python mapping)
-------------------------------------------
Each simple statement is one statement (a ``;`` belongs to the statement it ends); the
header of a compound statement, up to and including its ``:``, is one statement; each comment
and each docstring is a statement of its own.  Categories:

========================  =====================================================================
``try``                   ``try:``
``catch``                 ``except ...:`` (also ``except*``)
``finally``               ``finally:``
``break`` ``continue``    those statements
``return``                ``return ...``
``throw``                 ``raise ...``
``annotation``            a comment, or the docstring of a function or class
``while`` / ``for``       the loop headers (``async for`` too); comprehensions keep the
                          category of the statement they are in
``if``                    ``if``/``elif``/``else`` headers (the ``else`` of a loop or ``try`` too)
``switch`` / ``case``     ``match`` header / ``case`` header
``expression``            augmented assignment (``+=`` ...), and assignment whose targets are
                          only subscripts or attributes of an object other than ``self``/``cls``
``synchronized``          a ``with`` header (``async with`` too)
``method``                a ``def`` header with its decorators; a ``class`` header likewise
``variable``              assignment or annotated assignment with a bare-name target
``logger``                ``print(...)`` (and Python 2 ``print``), or a call of ``debug info warning
                          warn error exception critical fatal log`` on a receiver named
                          ``log``/``logger``/``logging``/``..._log``/``...logger``
``setter``                a call whose name starts with ``set`` (case and leading underscores
                          ignored), or assignment to ``self.attr``/``cls.attr``
``getter``                a call whose name starts with ``get`` (likewise)
``function``              any other expression statement that is a call (``await f()`` too)
``none``                  ``pass``, ``assert``, ``import``, ``global``, ``del`` and everything else
========================  =====================================================================

Statement categories are tried in the SPEC's order, so an assignment with any bare-name target
is ``variable`` even if it also sets ``self.x``, and ``x = get()`` is ``variable`` too.

Code that does not parse still gets the grammar's tokens (tree-sitter recovers from errors),
``parsed=False`` and a warning naming the line and column of the first error (with Python's
own diagnostic, e.g. ``expected ':'``, when the interpreter reports one).  Without a function
definition in the recovered tree, the signature runs to the first ``:`` at bracket depth 0
after a ``def`` token.  The lexical lexer of :mod:`leancode.languages.lexical` is the last
resort.  :func:`tokenize` never raises.
"""
from __future__ import annotations

import ast
import re
import threading
import warnings
from bisect import bisect_right
from typing import Optional

import tree_sitter
import tree_sitter_python

from ..tokens import CodeSnippet, CodeToken, Statement
from . import register_language

__all__ = ["NAME", "tokenize", "relayout_codesearchnet"]

NAME = "python"

_LANGUAGE = tree_sitter.Language(tree_sitter_python.language())
_LOCAL = threading.local()


def _parser() -> tree_sitter.Parser:
    """One parser per thread (a tree-sitter parser is not thread safe)."""
    parser = getattr(_LOCAL, "parser", None)
    if parser is None:
        parser = _LOCAL.parser = tree_sitter.Parser(_LANGUAGE)
    return parser


# --------------------------------------------------------------------------------------------
# Constants
# --------------------------------------------------------------------------------------------

#: SlimCode's symbol set (SPEC section 3).
SYMBOLS = frozenset(
    "= + - * / % ! > < | ? : ~ & ^ ( { ) } [ . ] ; \" , == ++ -- != >= <= && || << >> >>> '".split()
)
STRUCTURE_KEYWORDS = frozenset("if elif else try except finally for while with match case".split())

# Flags inherited down the tree while walking it.
_F_STRUCT = 1      # inside a structure header region
_F_INVOC = 2       # inside a call expression
_F_NOID = 4        # names here are not identifiers (parameters, imports, decorator names ...)
_F_TYPE = 8        # inside a type annotation
_F_DOCBLOCK = 16   # a function/class body: its first string statement is the docstring
_F_DOCSTRING = 32  # this expression statement is a docstring
_F_OWNED = 64      # a definition whose header statement was opened by its decorators
_F_DECO = 128      # the '@' of a decorator

# Role bits, in the order of leancode.tokens.ROLES.
_R_SYMBOL, _R_IDENT, _R_STRUCT, _R_INVOC, _R_SIG = 1, 2, 4, 8, 16
_ROLE_NAMES = ((_R_SYMBOL, "symbol"), (_R_IDENT, "identifier"), (_R_STRUCT, "structure"),
               (_R_INVOC, "invocation"), (_R_SIG, "signature"))
_ROLESETS = tuple(frozenset(name for bit, name in _ROLE_NAMES if mask & bit) for mask in range(32))


def _level(mask: int) -> int:
    """SlimCode level from a role mask: the SPEC's eight first-match rules."""
    ident = mask & _R_IDENT
    if mask & _R_SYMBOL:
        return 8
    if mask & _R_STRUCT and not ident:
        return 6
    if mask & _R_INVOC and not ident:
        return 5
    if mask & _R_STRUCT:
        return 2
    if mask & _R_INVOC:
        return 3
    if ident:
        return 4
    if mask & _R_SIG:
        return 1
    return 7


_LEVELS = tuple(_level(m) for m in range(32))

_LITERAL_LEAVES = frozenset(("string", "integer", "float", "true", "false", "none", "ellipsis"))
_PUNCTUATION = frozenset("( ) [ ] { } , : ; . -> \\".split())
_SKIP_LEAVES = frozenset(("line_continuation",))

_SIMPLE_STATEMENTS = {
    "expression_statement": None,   # classified from its expression
    "return_statement": "return",
    "raise_statement": "throw",
    "break_statement": "break",
    "continue_statement": "continue",
    "pass_statement": "none",
    "assert_statement": "none",
    "delete_statement": "none",
    "exec_statement": "none",
    "print_statement": "logger",
    "type_alias_statement": "none",
    "import_statement": "none",
    "import_from_statement": "none",
    "future_import_statement": "none",
    "global_statement": "none",
    "nonlocal_statement": "none",
}
_NOID_STATEMENTS = frozenset(("import_statement", "import_from_statement", "future_import_statement",
                              "global_statement", "nonlocal_statement"))

# Compound statements and clauses: category, and whether tokens between the keyword and
# the ':' are structure.
_COMPOUND = {
    "if_statement": ("if", True),
    "elif_clause": ("if", True),
    "else_clause": ("if", False),
    "while_statement": ("while", True),
    "for_statement": ("for", True),
    "with_statement": ("synchronized", True),
    "try_statement": ("try", False),
    "except_clause": ("catch", True),
    "except_group_clause": ("catch", True),
    "finally_clause": ("finally", False),
    "match_statement": ("switch", True),
    "case_clause": ("case", True),
}
_HEADER_KEYWORDS = frozenset(("if", "elif", "while", "for", "with", "except", "except*", "match", "case"))
_CONTAINERS = frozenset(("module", "block"))
_CLAUSES = frozenset(("elif_clause", "else_clause", "except_clause", "except_group_clause",
                      "finally_clause", "case_clause"))
_DEFINITIONS = frozenset(("function_definition", "class_definition"))

_LOG_METHODS = frozenset("debug info warning warn error exception critical fatal log".split())
_LOG_RECEIVERS = frozenset(("log", "logger", "logging"))
_SELF_NAMES = frozenset(("self", "cls"))

_AST_ONLY = ast.PyCF_ONLY_AST

_ORPHAN = 0  # owner of tokens outside any statement (category "none")


# --------------------------------------------------------------------------------------------
# Layout: the text given to the parser and the way back to the original characters
# --------------------------------------------------------------------------------------------

class _Layout:
    """A text to parse plus the map from its character offsets to the original ones.

    ``seg_p[i]`` is where segment i starts in the parsed text and ``seg_d[i]`` what to add to
    an offset of that segment to get the original offset; ``None`` means identity.
    """

    __slots__ = ("text", "data", "seg_p", "seg_d", "how", "_b2c")

    def __init__(self, text: str, seg_p: Optional[list] = None, seg_d: Optional[list] = None,
                 how: str = "raw") -> None:
        self.text = text
        self.data = text.encode("utf-8", "surrogatepass")
        self.seg_p = seg_p
        self.seg_d = seg_d
        self.how = how
        self._b2c: Optional[list] = None

    def char_offsets(self, byte_offsets: list) -> list:
        """Byte offsets in ``data`` to character offsets in ``text``."""
        if len(self.data) == len(self.text):
            return byte_offsets
        b2c = self._b2c
        if b2c is None:
            b2c = []
            append, extend = b2c.append, b2c.extend
            for i, ch in enumerate(self.text):
                if ch < "\x80":
                    append(i)
                else:
                    extend([i] * len(ch.encode("utf-8", "surrogatepass")))
            append(len(self.text))
            self._b2c = b2c
        top = len(b2c) - 1
        return [b2c[min(b, top)] for b in byte_offsets]

    def to_source(self, p: int) -> int:
        """Character offset in the parsed text to the original character offset."""
        if self.seg_p is None:
            return p
        return p + self.seg_d[bisect_right(self.seg_p, p) - 1]


def _dedent(source: str) -> Optional[_Layout]:
    """Remove the common leading whitespace of the non-blank lines; None when there is none."""
    lines = source.splitlines(keepends=True)
    prefix = None
    for line in lines:
        body = line.lstrip(" \t\f")
        if not body.strip():
            continue
        ws = line[: len(line) - len(body)]
        if prefix is None:
            prefix = ws
        else:
            n = 0
            for a, b in zip(prefix, ws):
                if a != b:
                    break
                n += 1
            prefix = prefix[:n]
        if not prefix:
            return None
    if not prefix:
        return None
    cut = len(prefix)
    parts, seg_p, seg_d = [], [], []
    p = o = 0
    for line in lines:
        drop = cut if line.startswith(prefix) else 0
        seg_p.append(p)
        seg_d.append(o + drop - p)
        parts.append(line[drop:])
        p += len(line) - drop
        o += len(line)
    return _Layout("".join(parts), seg_p, seg_d, "dedented")


# --------------------------------------------------------------------------------------------
# CodeSearchNet-style recovery: re-lay a one-line token sequence on indented lines
# --------------------------------------------------------------------------------------------

_LEXER = re.compile(
    r"(?P<ws>(?:[ \t\f\r\n]|\\\r?\n)+)"
    r"|(?P<comment>#[^\r\n]*)"
    r"|(?P<str>(?:[rRbBuUfFtT]{1,2})?(?:'''(?:\\.|[^\\])*?(?:'''|\Z)|\"\"\"(?:\\.|[^\\])*?(?:\"\"\"|\Z)"
    r"|'(?:\\.|[^'\\\n])*'?|\"(?:\\.|[^\"\\\n])*\"?))"
    r"|(?P<num>0[xXoObB][0-9a-fA-F_]+[lL]?|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?[jJlL]?)"
    r"|(?P<name>[^\W\d]\w*)"
    r"|(?P<op>\*\*=|//=|>>=|<<=|\.\.\.|!=|==|<=|>=|<>|->|:=|\*\*|//|<<|>>|[-+*/%&|^@]="
    r"|[-+*/%&|^~<>=.,:;@()\[\]{}])"
    r"|(?P<other>.)",
    re.DOTALL,
)

# Reserved words (True, False and None are operands, so they lex as names).
_PY_KEYWORDS = frozenset("""and as assert async await break class continue def del elif else except
finally for from global if import in is lambda nonlocal not or pass raise return try while with
yield""".split())
_ALWAYS_BREAK = frozenset("def class return pass break continue raise del global nonlocal assert try "
                          "while with elif except finally".split())
_BLOCK_HEADS = frozenset("def class if elif else try except finally for while with match case".split())
_TERMINAL = frozenset(("return", "raise", "break", "continue", "pass"))
_ATOM_WORDS = frozenset(("True", "False", "None", "break", "continue", "pass"))
_CONTINUES = {
    "elif": ("if", "elif"),
    "else": ("if", "elif", "for", "while", "except"),
    "except": ("try", "except"),
    "finally": ("try", "except", "try-else"),
}
_BARE_THEN_TARGET = frozenset(("return", "yield", "raise"))
_AUGMENTED = frozenset("+= -= *= /= //= %= **= >>= <<= &= ^= |= @=".split())
_OPEN = frozenset("([{")
_CLOSE = frozenset(")]}")


def _lex_one_line(source: str) -> Optional[list]:
    """Lexemes ``(kind, text, start)`` of single-line input; None when a newline separates tokens."""
    out = []
    add = out.append
    keywords = _PY_KEYWORDS
    for m in _LEXER.finditer(source):
        kind = m.lastgroup
        text = m.group()
        if kind == "ws":
            # a newline between tokens: real layout, not CodeSearchNet style
            if out and ("\n" in text or "\r" in text) and source[m.end():].strip():
                return None
            continue
        if kind == "name" and text in keywords:
            kind = "kw"
        add((kind, text, m.start()))
    return out


def _atom_end(lexeme: tuple) -> bool:
    kind, text = lexeme[0], lexeme[1]
    return kind in ("name", "num", "str") or text in _CLOSE or text == "..." or text in _ATOM_WORDS


def relayout_codesearchnet(source: str) -> Optional[_Layout]:
    """Re-lay single-line (CodeSearchNet-style) Python on indented lines.

    Returns None when ``source`` is not one line of tokens (a newline outside string literals
    separates two tokens) or has no tokens.  Otherwise the result's ``.text`` is the re-laid
    source (one statement or block header per line, four spaces per level) and its
    ``.to_source(offset)`` maps a character offset of that text back into ``source``.
    """
    lex = _lex_one_line(source)
    if not lex:
        return None
    n = len(lex)
    lines: list = []          # (indent, [lexeme indices])
    stack: list = []          # open blocks: (head keyword, indent of the header)
    cur: list = []
    indent = 0
    depth = 0
    lambdas = 0
    ternary = 0
    head = None
    pending_dedent = False
    seen_import = False
    block_head = None

    def colon_before_else(i: int) -> bool:
        """Scanning from lexeme i at bracket depth 0: does a ':' come before an 'else'?"""
        d = 0
        for j in range(i, n):
            t = lex[j][1]
            if t in _OPEN:
                d += 1
            elif t in _CLOSE:
                d -= 1
                if d < 0:
                    return False
            elif d == 0:
                if t == "else":
                    return False
                if t == ":":
                    return True
        return False

    def assignment_ahead(i: int) -> bool:
        """Is lexeme i the start of an assignment target (``a.b[0], c = ...``, ``x += ...``)?"""
        d = 0
        operand = True      # an operand is expected next
        for j in range(i, n):
            k, t, _s = lex[j]
            if t in _OPEN:
                if d == 0 and t == "(" and not operand:
                    return False            # a call: not a target
                d += 1
            elif t in _CLOSE:
                d -= 1
                if d < 0:
                    return False
                if d == 0:
                    operand = False
            elif d:
                continue
            elif k == "name":
                if not operand:
                    return False
                operand = False
            elif t == "." or t == ",":
                operand = True
            else:
                return not operand and (t == "=" or t in _AUGMENTED)
        return False

    def is_decorator(i: int) -> bool:
        """Is the '@' at lexeme i followed by a dotted name, optional call and a definition?"""
        j = i + 1
        while j < n and (lex[j][0] == "name" or lex[j][1] == "."):
            j += 1
        if j < n and lex[j][1] == "(":
            d = 0
            while j < n:
                t = lex[j][1]
                if t in _OPEN:
                    d += 1
                elif t in _CLOSE:
                    d -= 1
                    if d == 0:
                        j += 1
                        break
                j += 1
        return j < n and lex[j][1] in ("def", "class", "async", "@")

    for i in range(n):
        kind, text, _start = lex[i]
        if depth == 0 and cur:
            prev = lex[cur[-1]]
            brk = False
            if kind == "comment":
                brk = True
            elif kind == "kw":
                if text in _ALWAYS_BREAK:
                    brk = prev[1] != "async"
                elif text == "import":
                    brk = head != "from" or seen_import
                elif text == "from":
                    brk = head != "raise" and prev[1] != "yield"
                elif text == "for":
                    brk = prev[1] != "async"
                elif text == "async":
                    brk = i + 1 < n and lex[i + 1][1] in ("def", "for", "with")
                elif text == "if":
                    if head == "case":
                        pass  # a case guard
                    elif colon_before_else(i + 1):
                        brk = True
                    else:
                        ternary += 1
                elif text == "else":
                    if ternary:
                        ternary -= 1
                    else:
                        brk = True
                elif text in ("yield", "await", "lambda"):
                    brk = _atom_end(prev) or (text == "yield" and len(cur) == 1 and head == "return")
                elif text == "not":
                    brk = _atom_end(prev) and not (i + 1 < n and lex[i + 1][1] == "in")
            elif kind in ("name", "num", "str"):
                if text == "case" and head != "case" and colon_before_else(i + 1) and \
                        any(h == "match" for h, _ind in stack):
                    brk = True                                      # the next case clause
                elif len(cur) == 1 and head in _BARE_THEN_TARGET:
                    brk = kind == "name" and assignment_ahead(i)   # a bare return, then 'x = ...'
                elif _atom_end(prev):
                    if kind == "str" and prev[0] == "str":
                        brk = False  # implicit concatenation
                    elif len(cur) == 1 and (head in ("print", "exec") or
                                            (head in ("match", "case") and colon_before_else(i))):
                        brk = False  # Python 2 print statement, soft keyword header
                    else:
                        brk = True
            elif text == "@":
                brk = is_decorator(i)
            elif text == "(" or text == "[":
                # 'f() (a, b) = g()', 'raise (a, b) = g()': a new tuple assignment
                if (text == "(" and _atom_end(prev)) or prev[1] == ")" or \
                        (len(cur) == 1 and head in _BARE_THEN_TARGET):
                    brk = assignment_ahead(i)
            if brk:
                lines.append((indent, cur))
                cur = []
                pending_dedent = head in _TERMINAL
                head = None
                lambdas = ternary = 0
                seen_import = False
        if not cur:
            # statement start: decide its indentation
            word = text if kind in ("kw", "name") else None
            placed = None           # the open block this clause continues
            if word in _CONTINUES or (word == "case" and any(h in ("match", "case") for h, _ in stack)):
                wanted = _CONTINUES.get(word, ("match", "case"))
                for j in range(len(stack) - 1, -1, -1):
                    h, ind = stack[j]
                    if h in wanted:
                        if word == "case" and h == "match":
                            indent = ind + 1
                            del stack[j + 1:]
                        else:
                            indent = ind
                            del stack[j:]
                        placed = h
                        break
            if placed is None and pending_dedent and stack:
                indent = stack.pop()[1]
            pending_dedent = False
            head = word if kind != "comment" else None
            if word == "async" and i + 1 < n:
                head = lex[i + 1][1]
            block_head = head
            if word == "else" and placed == "except":
                block_head = "try-else"   # so that a later 'finally' finds it
        cur.append(i)
        if text == "import":
            seen_import = True
        if kind == "comment":
            lines.append((indent, cur))
            cur = []
            head = None
            continue
        if text in _OPEN:
            depth += 1
        elif text in _CLOSE:
            depth = max(0, depth - 1)
        elif depth == 0:
            if text == "lambda":
                lambdas += 1
            elif text == ":":
                if lambdas:
                    lambdas -= 1
                elif head in _BLOCK_HEADS:
                    lines.append((indent, cur))
                    stack.append((block_head, indent))
                    indent += 1
                    cur = []
                    head = None
                    ternary = 0
            elif text == ";":
                lines.append((indent, cur))
                cur = []
                pending_dedent = head in _TERMINAL
                head = None
                lambdas = ternary = 0
    if cur:
        lines.append((indent, cur))

    parts: list = []
    seg_p: list = []
    seg_d: list = []
    p = 0
    for ind, idxs in lines:
        pad = "    " * ind
        parts.append(pad)
        p += len(pad)
        for k, li in enumerate(idxs):
            if k:
                parts.append(" ")
                p += 1
            _kind, text, start = lex[li]
            seg_p.append(p)
            seg_d.append(start - p)
            parts.append(text)
            p += len(text)
        parts.append("\n")
        p += 1
    if not seg_p:
        return None
    return _Layout("".join(parts), seg_p, seg_d, "relaid")


# --------------------------------------------------------------------------------------------
# Syntax errors
# --------------------------------------------------------------------------------------------

def _errors(root) -> tuple:
    """(number of ERROR/MISSING nodes, the first innermost one or None)."""
    if not root.has_error:
        return 0, None
    count = 0
    first = None
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_missing:
            count += 1
            if first is None:
                first = node
            continue
        inner = [c for c in node.children if c.has_error or c.is_missing]
        if node.is_error:
            count += 1
            if first is None and not any(c.is_error or c.is_missing or c.has_error for c in inner):
                first = node
        stack.extend(reversed(inner))
    if first is None:
        first = root
    return count, first


def _position(source: str, offset: int) -> tuple:
    line = source.count("\n", 0, offset) + 1
    col = offset - (source.rfind("\n", 0, offset) + 1) + 1
    return line, col


# --------------------------------------------------------------------------------------------
# The walk: tokens, roles and statement owners in one pass
# --------------------------------------------------------------------------------------------

def _text(node) -> str:
    return node.text.decode("utf-8", "replace")


def _last_name(node) -> str:
    """The final name of an identifier or attribute chain ('' for anything else)."""
    t = node.type
    if t == "identifier":
        return _text(node)
    if t == "attribute":
        return _text(node.children[-1])
    return ""


def _target_kinds(node, out: set) -> None:
    """Collect what an assignment target binds: 'name', 'self' (self.attr) or 'other'."""
    t = node.type
    if t == "identifier":
        out.add("name")
    elif t in ("pattern_list", "tuple_pattern", "list_pattern", "tuple", "list",
               "list_splat_pattern", "parenthesized_expression", "expression_list"):
        for c in node.named_children:
            _target_kinds(c, out)
    elif t == "attribute":
        obj = node.children[0]
        out.add("self" if obj.type == "identifier" and _text(obj) in _SELF_NAMES else "other")
    else:
        out.add("other")


def _call_category(call) -> str:
    func = call.children[0]
    name = _last_name(func)
    if func.type == "identifier" and name == "print":
        return "logger"
    if func.type == "attribute" and name.lower() in _LOG_METHODS:
        receiver = _last_name(func.children[0]).lower().lstrip("_")
        if receiver in _LOG_RECEIVERS or receiver.endswith("logger") or receiver.endswith("_log"):
            return "logger"
    low = name.lstrip("_").lower()
    if low.startswith("set"):
        return "setter"
    if low.startswith("get"):
        return "getter"
    return "function"


def _expression_category(stmt) -> str:
    named = stmt.named_children
    if not named:
        return "none"
    e = named[0]
    if e.type == "await" and e.named_children:
        e = e.named_children[0]
    t = e.type
    if t == "augmented_assignment":
        return "expression"
    if t == "assignment":
        kinds: set = set()
        node = e
        while node is not None and node.type == "assignment":
            _target_kinds(node.children[0], kinds)
            node = node.child_by_field_name("right")
        if "name" in kinds:
            return "variable"
        if "self" in kinds:
            return "setter"
        return "expression"
    if t == "call":
        return _call_category(e)
    return "none"


def _docstring_index(children: list) -> int:
    """Index of the docstring statement among a body's children, or -1."""
    for i, c in enumerate(children):
        t = c.type
        if t == "comment":
            continue
        if t == "expression_statement" and c.named_child_count == 1 and \
                c.named_children[0].type in ("string", "concatenated_string"):
            return i
        return -1
    return -1


def _leaf_table() -> dict:
    """Leaf node type -> (kind, role mask); ``None`` marks leaves that are not tokens."""
    table: dict = {}
    for i in range(_LANGUAGE.node_kind_count):
        if _LANGUAGE.node_kind_is_named(i) or not _LANGUAGE.node_kind_is_visible(i):
            continue
        t = _LANGUAGE.node_kind_for_id(i)
        if not t:
            continue
        if t[0].isalpha():
            table[t] = ("keyword", _R_STRUCT if t in STRUCTURE_KEYWORDS else 0)
        elif t[0] == "_":                      # the '_' wildcard, '__future__'
            table[t] = ("identifier", 0)
        elif t in _PUNCTUATION:
            table[t] = ("punctuation", 0)
        else:
            table[t] = ("operator", 0)
    for t in _LITERAL_LEAVES:
        table[t] = ("literal", 0)
    table["comment"] = ("comment", 0)
    for t in _SKIP_LEAVES:
        table[t] = None
    return table


_LEAF_INFO = _leaf_table()
_OTHER = ("other", 0)

# What the walk does with an inner node (anything not listed: children inherit everything).
(_D_CONTAINER, _D_SIMPLE, _D_COMPOUND, _D_DEFINITION, _D_DECORATED, _D_DECORATOR, _D_CALL,
 _D_ATTRIBUTE, _D_KEYWORD_ARG, _D_PARAMETER, _D_LAMBDA, _D_TYPE, _D_DOTTED, _D_ERROR) = range(1, 15)
_DISPATCH = {
    **{t: _D_CONTAINER for t in _CONTAINERS},
    **{t: _D_SIMPLE for t in _SIMPLE_STATEMENTS},
    **{t: _D_COMPOUND for t in _COMPOUND},
    **{t: _D_DEFINITION for t in _DEFINITIONS},
    "decorated_definition": _D_DECORATED,
    "decorator": _D_DECORATOR,
    "call": _D_CALL,
    "attribute": _D_ATTRIBUTE,
    "keyword_argument": _D_KEYWORD_ARG,
    "keyword_pattern": _D_KEYWORD_ARG,
    "default_parameter": _D_PARAMETER,
    "typed_default_parameter": _D_PARAMETER,
    "typed_parameter": _D_PARAMETER,
    "lambda": _D_LAMBDA,
    "type": _D_TYPE,
    "dotted_name": _D_DOTTED,
    "ERROR": _D_ERROR,
}


class _Walk:
    """Walk a syntax tree once and collect leaves with role bits and statement owners.

    The walk is iterative (deeply nested expressions cannot overflow the stack).  Each stack
    entry is ``(node, flags, owner)``: the flags inherited from above (``_F_*``) and the
    statement the node's tokens belong to (an index into ``categories``).
    """

    __slots__ = ("starts", "ends", "kinds", "masks", "owners", "categories", "sig_end")

    def __init__(self) -> None:
        self.starts: list = []
        self.ends: list = []
        self.kinds: list = []
        self.masks: list = []
        self.owners: list = []
        self.categories: list = ["none"]   # owner 0: tokens outside any statement
        self.sig_end = -1                  # byte offset of the last def header's ':'

    def run(self, root) -> None:
        starts, ends, kinds, masks, owners = self.starts, self.ends, self.kinds, self.masks, self.owners
        categories = self.categories
        new_cat = categories.append
        leaf_info = _LEAF_INFO
        dispatch = _DISPATCH
        stack = [(root, 0, _ORPHAN)]
        pop, extend = stack.pop, stack.extend
        while stack:
            node, flags, owner = pop()
            t = node.type
            if t == "string" or node.child_count == 0:
                sb, eb = node.start_byte, node.end_byte
                if sb == eb:
                    continue
                if t == "identifier":
                    if flags & _F_TYPE:
                        kind, mask = "type", 0
                    else:
                        kind, mask = "identifier", (0 if flags & _F_NOID else _R_IDENT)
                else:
                    info = leaf_info.get(t, _OTHER)
                    if info is None:
                        continue
                    kind, mask = info            # named leaves not in the table (ERROR): other
                    if t == "comment":
                        new_cat("annotation")
                        owner = len(categories) - 1
                    elif t == ";":
                        if owner == _ORPHAN and owners:
                            owner = owners[-1]   # a ';' ends the statement before it
                    elif flags & _F_DECO:
                        kind = "punctuation"
                if flags & _F_STRUCT:
                    mask |= _R_STRUCT
                if flags & _F_INVOC:
                    mask |= _R_INVOC
                starts.append(sb)
                ends.append(eb)
                kinds.append(kind)
                masks.append(mask)
                owners.append(owner)
                continue

            children = node.children
            code = dispatch.get(t, 0)
            if code == 0:
                extend([(c, flags, owner) for c in reversed(children)])
                continue
            items = []
            add = items.append

            if code == _D_CONTAINER:
                doc = _docstring_index(children) if flags & _F_DOCBLOCK else -1
                for i, c in enumerate(children):
                    add((c, _F_DOCSTRING if i == doc else 0, _ORPHAN))
            elif code == _D_SIMPLE:
                cat = _SIMPLE_STATEMENTS[t]
                if cat is None:
                    cat = "annotation" if flags & _F_DOCSTRING else _expression_category(node)
                new_cat(cat)
                own = len(categories) - 1
                f = _F_NOID if t in _NOID_STATEMENTS else 0
                for c in children:
                    add((c, f, own))
            elif code == _D_CALL:
                base = flags | _F_INVOC
                func = children[0]
                add((func, base | _F_NOID if func.type == "identifier" else base, owner))
                args = base & ~_F_NOID
                for c in children[1:]:
                    add((c, args, owner))
            elif code == _D_ATTRIBUTE:
                last = len(children) - 1
                for i, c in enumerate(children):
                    add((c, flags | _F_NOID if i == last else flags, owner))
            elif code == _D_COMPOUND:
                cat, has_region = _COMPOUND[t]
                new_cat(cat)
                own = len(categories) - 1
                region = False
                done = False
                for c in children:
                    ct = c.type
                    if ct == "block" or ct in _CLAUSES or ct == "comment":
                        add((c, 0, _ORPHAN))
                    elif done:
                        add((c, 0, _ORPHAN if ct == "ERROR" else own))
                    elif ct == ":":
                        add((c, 0, own))
                        region = False
                        done = True
                    elif ct in _HEADER_KEYWORDS and not c.is_named:
                        add((c, 0, own))
                        region = has_region
                    else:
                        add((c, _F_STRUCT if region else 0, own))
            elif code == _D_DEFINITION:
                if flags & _F_OWNED:
                    own = owner
                else:
                    new_cat("method")
                    own = len(categories) - 1
                is_def = t == "function_definition"
                done = False
                for c in children:
                    ct = c.type
                    if ct == "block":
                        add((c, _F_DOCBLOCK, _ORPHAN))
                    elif ct == "comment" or (done and ct == "ERROR"):
                        add((c, 0, _ORPHAN))
                    elif ct == ":" and not done:
                        done = True
                        if is_def and c.start_byte > self.sig_end:
                            self.sig_end = c.start_byte
                        add((c, 0, own))
                    elif ct == "identifier" or ct == "parameters":
                        add((c, _F_NOID, own))
                    elif ct == "type" or ct == "type_parameter":
                        add((c, _F_TYPE, own))
                    else:
                        add((c, 0, own))
            elif code == _D_DECORATED:
                new_cat("method")
                own = len(categories) - 1
                for c in children:
                    ct = c.type
                    if ct in _DEFINITIONS:
                        add((c, _F_OWNED, own))
                    elif ct == "comment":
                        add((c, 0, _ORPHAN))
                    else:
                        add((c, 0, own))
            elif code == _D_DECORATOR:
                for c in children:
                    add((c, flags | (_F_DECO if c.type == "@" else _F_NOID), owner))
            elif code == _D_KEYWORD_ARG:
                add((children[0], flags | _F_NOID, owner))
                for c in children[1:]:
                    add((c, flags, owner))
            elif code == _D_PARAMETER:
                after_eq = False
                for c in children:
                    ct = c.type
                    if ct == "=":
                        after_eq = True
                        add((c, flags, owner))
                    elif ct == "type":
                        add((c, flags | _F_TYPE, owner))
                    elif after_eq:
                        add((c, flags & ~_F_NOID, owner))
                    else:
                        add((c, flags | _F_NOID, owner))
            elif code == _D_LAMBDA:
                for c in children:
                    add((c, flags | _F_NOID if c.type == "lambda_parameters" else flags, owner))
            elif code == _D_TYPE:
                for c in children:
                    add((c, flags | _F_TYPE, owner))
            elif code == _D_DOTTED:
                add((children[0], flags, owner))
                for c in children[1:]:
                    add((c, flags | _F_NOID, owner))
            else:  # _D_ERROR
                if owner == _ORPHAN:
                    new_cat("none")
                    owner = len(categories) - 1
                for c in children:
                    add((c, flags, owner))
            items.reverse()
            extend(items)


def _header_colon_fallback(walk: _Walk, data: bytes) -> int:
    """Signature end for trees without a function definition (broken code): the first ':' at
    bracket depth 0 after a 'def' keyword token; -1 when there is none."""
    depth = 0
    seen_def = False
    for sb, eb, kind in zip(walk.starts, walk.ends, walk.kinds):
        if kind == "comment":
            continue
        tx = data[sb:eb]
        if not seen_def:
            seen_def = kind == "keyword" and tx == b"def"
            continue
        if tx in (b"(", b"[", b"{"):
            depth += 1
        elif tx in (b")", b"]", b"}"):
            depth = max(0, depth - 1)
        elif tx == b":" and depth == 0:
            return sb
    return -1


# --------------------------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------------------------

def _parse(layout: _Layout):
    tree = _parser().parse(layout.data)
    count, first = _errors(tree.root_node)
    return tree, count, first


def _build(source: str, layout: _Layout, tree, n_errors: int, first_error) -> CodeSnippet:
    walk = _Walk()
    walk.run(tree.root_node)
    sig_end = walk.sig_end
    if sig_end < 0 and n_errors:
        sig_end = _header_colon_fallback(walk, layout.data)

    n = len(walk.starts)
    cstarts = layout.char_offsets(walk.starts)
    if len(layout.data) == len(layout.text):
        cends = walk.ends
    else:   # the character holding a token's last byte, plus one (robust to split characters)
        cends = [c + 1 for c in layout.char_offsets([e - 1 for e in walk.ends])]
    identity = layout.seg_p is None
    seg_p, seg_d = layout.seg_p, layout.seg_d

    tokens: list = []
    statements: list = []
    add_token, add_statement = tokens.append, statements.append
    categories = walk.categories
    kinds, masks, owners, bstarts = walk.kinds, walk.masks, walk.owners, walk.starts
    symbols, levels, rolesets = SYMBOLS, _LEVELS, _ROLESETS
    last_owner = -1
    last_end = -1
    k = 0                     # tokens so far
    stmt = None
    for i in range(n):
        if identity:
            s, e = cstarts[i], cends[i]
        else:
            p = cstarts[i]
            s = p + seg_d[bisect_right(seg_p, p) - 1]
            p = cends[i] - 1
            e = p + seg_d[bisect_right(seg_p, p) - 1] + 1
        if s < last_end:        # never overlap (defensive; the grammar's leaves are disjoint)
            s = last_end
            if e <= s:
                continue
        text = source[s:e]
        mask = masks[i]
        if text in symbols:
            mask |= _R_SYMBOL
        if bstarts[i] < sig_end:
            mask |= _R_SIG
        owner = owners[i]
        if owner != last_owner:
            if stmt is not None:
                stmt.end_token = k
            stmt = Statement(len(statements), categories[owner], k, k)
            add_statement(stmt)
            last_owner = owner
        add_token(CodeToken(k, text, s, e, kinds[i], stmt.index, stmt.category,
                            levels[mask], rolesets[mask]))
        k += 1
        last_end = e
    if stmt is not None:
        stmt.end_token = k

    warnings: list = []
    parsed = n_errors == 0
    if not parsed:
        warnings.append(_error_message(source, layout, first_error, n_errors))
    return CodeSnippet(source=source, language=NAME, tokens=tokens, statements=statements,
                       warnings=warnings, parsed=parsed)


def _compiler_error(text: str) -> Optional[tuple]:
    """(line, column, message) of Python's own syntax error for ``text``; None if it compiles.

    Used only for the warning of code the grammar rejected: the interpreter's diagnostics
    (``expected ':'``, ``unterminated string literal`` ...) are more precise than an ERROR node.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")      # e.g. SyntaxWarning: invalid escape sequence
            compile(text, "<snippet>", "exec", flags=_AST_ONLY, dont_inherit=True)
    except SyntaxError as exc:
        if exc.lineno:
            return exc.lineno, max(1, exc.offset or 1), exc.msg
    except Exception:  # noqa: BLE001 - null bytes, recursion limits ...
        return None
    return None


def _offset_of(text: str, line: int, col: int) -> int:
    """Character offset of 1-based (line, column) in ``text``."""
    pos = 0
    for _ in range(line - 1):
        nxt = text.find("\n", pos)
        if nxt < 0:
            return len(text)
        pos = nxt + 1
    return min(pos + col - 1, len(text))


def _error_message(source: str, layout: _Layout, node, n_errors: int) -> str:
    where = ""
    found = _compiler_error(layout.text)
    if found is not None:
        line, col, msg = found
        off = min(layout.to_source(_offset_of(layout.text, line, col)), len(source))
        line, col = _position(source, off)
        where = f" at line {line}, column {col}: {msg}"
    elif node is not None:
        (c,) = layout.char_offsets([node.start_byte])
        off = min(layout.to_source(c), len(source))
        line, col = _position(source, off)
        if node.is_missing:
            what = f"missing {node.type!r}"
        else:
            near = source[off:off + 30].split("\n", 1)[0].strip()
            what = f"unexpected {near!r}" if near else "unexpected end of input"
        where = f" at line {line}, column {col}: {what}"
    how = {"relaid": " (input re-laid on lines as CodeSearchNet-style Python)",
           "dedented": " (after dedenting)"}.get(layout.how, "")
    return (f"python: syntax error{where}{how}; the grammar recovered "
            f"{'one error' if n_errors == 1 else f'{n_errors} errors'}, so tokens, statements and "
            f"roles are best effort")


def _fallback(source: str, reason: str) -> CodeSnippet:
    try:
        from .lexical import lexical_snippet
    except Exception:  # the lexical module is unavailable: report, with no tokens
        return CodeSnippet(source=source, language=NAME, parsed=False,
                           warnings=[reason, "python: lexical fallback unavailable; no code tokens"])
    return lexical_snippet(source, NAME, reason)


def _choose_layout(source: str) -> tuple:
    """Parse ``source`` (or a re-laid or dedented copy); returns (layout, tree, errors, first).

    Input on one line (newlines inside string literals aside) is re-laid first: that is
    CodeSearchNet style, and grammar error recovery on one long line is slow and poor; the raw
    text is parsed too only if the re-laid one has errors, and the one with fewer errors wins
    (the re-laid one on ties).  Input on several lines is parsed raw, then dedented if the
    grammar complains; the dedented text must do strictly better.
    """
    relaid = relayout_codesearchnet(source)     # None as soon as a newline separates tokens
    best = None
    if relaid is not None:
        best = (relaid, *_parse(relaid))
        if not best[2]:
            return best
    raw = _Layout(source)
    tree, n_err, first = _parse(raw)
    if best is not None:
        return (raw, tree, n_err, first) if n_err < best[2] else best
    best = (raw, tree, n_err, first)
    if n_err:
        alt = _dedent(source)
        if alt is not None:
            t2, n2, f2 = _parse(alt)
            if n2 < n_err:
                best = (alt, t2, n2, f2)
    return best


def tokenize(source: str) -> CodeSnippet:
    """Tokenise one Python function, method or class (raw or CodeSearchNet style).

    Never raises: input the grammar cannot handle still yields tokens and a warning.
    """
    if not isinstance(source, str):
        source = "" if source is None else str(source)
    if not source.strip():
        return CodeSnippet(source=source, language=NAME, warnings=["empty input: no code tokens"])
    try:
        layout, tree, n_err, first = _choose_layout(source)
        snippet = _build(source, layout, tree, n_err, first)
        if not snippet.tokens:
            return _fallback(source, "python: the grammar produced no tokens; lexical tokens used")
        return snippet
    except Exception as exc:  # never raise on a string
        return _fallback(source, f"python: parsing failed ({type(exc).__name__}: {exc}); "
                                 f"lexical tokens used")


register_language(NAME, tokenize)
