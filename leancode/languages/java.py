"""Java: code tokens, SlimCode roles and levels, and DietCode statements from tree-sitter.

Input is one method (or a whole class, or several methods, or a few statements) as raw
source or CodeSearchNet-style text (tokens joined by single spaces).  A bare method is not
a compilation unit, so it is parsed inside a wrapper class; the wrapper's tokens are dropped
and every span refers to the characters of the original input
(``source[token.start:token.end] == token.text``).

One pass of a tree cursor collects the leaves (a whole string, character or text-block
literal is one token; comments are tokens of kind ``comment``) together with the spans
that carry SlimCode roles (method calls, control-flow headers, catch parameters, case
labels, method headers); roles are then marked by interval arithmetic over the token
offsets, and a token's level follows from its roles (SPEC section 3):

* *symbol*: the token's whole text is in SlimCode's symbol list (``->`` and ``+=`` are not);
* *identifier*: an ``identifier`` leaf used as an expression (a bare variable or field
  read, the leftmost name of a dotted chain, an argument, a ``case`` constant, the object
  of a method reference) or declared by a local variable declaration (also the variable
  of an enhanced for and a try resource); not a called method's name, a field after a
  dot, a type name, a parameter (method, catch or lambda), a declared method/class/field
  name, a label, an annotation name or a package/import name;
* *structure*: the keywords ``if else try catch finally for while do switch case``; the
  tokens strictly inside the parentheses of an if/while/do/switch condition and of a
  for/enhanced-for header; a catch clause's parameter; each case label (``case X`` or
  ``default``);
* *invocation*: every token of a ``method_invocation`` (receiver, name, arguments);
* *signature*: every token from the start of the input up to the body ``{`` of the last
  method or constructor declared in it (anonymous-class methods included), as the
  reference implementation does.

Statements (SPEC section 4) are cut at ``;``, ``{`` and ``}`` outside parentheses, so a
for-header and a method header up to its ``{`` each stay one statement.  Brace rules:
an opening ``{`` ends (and belongs to) the statement it opens (``if (x) {``); a closing
``}`` outside parentheses is a statement of its own, classified by the construct it
closes (the ``}`` of an if-block is an ``if`` statement, that of the method body a
``method`` statement).  In addition comments, annotations on declarations (``@Override``)
and case labels (up to their ``:`` or ``->``) are statements of their own.  Each statement
is classified from the syntax node that owns its first token; see :func:`_classify`.
"""
from __future__ import annotations

import re
import threading
from bisect import bisect_left

import tree_sitter
import tree_sitter_java

from ..tokens import CodeSnippet, CodeToken, Statement
from . import register_language
from .lexical import SYMBOLS, lex, lexical_snippet, split_statements

NAME = "java"

__all__ = ["NAME", "tokenize"]

_LANGUAGE = tree_sitter.Language(tree_sitter_java.language())
_LOCAL = threading.local()

#: Wrappers tried around the input: (prefix, suffix).  A bare method parses inside a class
#: body, loose statements inside a method body, a whole class or file as it is.
_WRAP_CLASS = ("class __LeanCodeWrapper__ {\n", "\n}\n")
_WRAP_METHOD = ("class __LeanCodeWrapper__ { void __leancode_wrapper__() {\n", "\n}}\n")
_WRAP_NONE = ("", "")

_UNIT_PIECE = re.compile(
    r"\s+|//[^\n]*|/\*.*?(?:\*/|\Z)|@\s*[\w$.]+(?:\s*\([^()]*\))?|[\w$-]+|.", re.DOTALL)
_UNIT_SKIP_WORDS = frozenset((
    "public", "private", "protected", "abstract", "static", "final", "strictfp", "sealed",
    "non-sealed",
))
_UNIT_WORDS = frozenset(("package", "import", "class", "interface", "enum", "record"))


def _looks_like_unit(source: str) -> bool:
    """True when the input starts like a compilation unit (a class, package or import).

    Leading whitespace, comments, annotations and modifiers are skipped; the first other
    word decides.  The scan is bounded, so it costs little on any input.
    """
    pos = 0
    for _ in range(64):
        m = _UNIT_PIECE.match(source, pos)
        if m is None:
            return False
        piece = m.group()
        pos = m.end()
        if piece[0].isspace() or piece.startswith("//") or piece.startswith("/*"):
            continue
        if piece[0] == "@":
            if piece[1:].strip() == "interface":
                return True
            continue
        if piece in _UNIT_SKIP_WORDS:
            continue
        return piece in _UNIT_WORDS
    return False


# --- role bits -------------------------------------------------------------------------
_SYMBOL, _IDENT, _STRUCT, _INVOC, _SIGN = 1, 2, 4, 8, 16
_BIT_NAMES = ((_SYMBOL, "symbol"), (_IDENT, "identifier"), (_STRUCT, "structure"),
              (_INVOC, "invocation"), (_SIGN, "signature"))


def _level_of(mask: int) -> int:
    """SlimCode level from a role bit mask: the first of SPEC section 3's rules that applies."""
    ident = bool(mask & _IDENT)
    if mask & _SYMBOL:
        return 8
    if mask & _STRUCT and not ident:
        return 6
    if mask & _INVOC and not ident:
        return 5
    if mask & _STRUCT:
        return 2
    if mask & _INVOC:
        return 3
    if ident:
        return 4
    if mask & _SIGN:
        return 1
    return 7


_LEVELS = tuple(_level_of(m) for m in range(32))
_ROLESETS = tuple(frozenset(name for bit, name in _BIT_NAMES if m & bit) for m in range(32))

_STRUCTURE_WORDS = frozenset("if else try catch finally for while do switch case".split())

# --- node type tables ------------------------------------------------------------------
_ATOMIC = frozenset(("string_literal", "character_literal"))
_COMMENTS = frozenset(("line_comment", "block_comment"))
_PUNCT = frozenset("( ) { } [ ] ; , . @ ... ::".split())
_ANGLE_PARENTS = frozenset(("type_arguments", "type_parameters"))
_PRIMITIVE_PARENTS = frozenset(("integral_type", "floating_point_type"))
_NAMED_LEAF_KINDS = {
    "identifier": "identifier", "type_identifier": "type", "void_type": "type",
    "boolean_type": "type", "this": "keyword", "super": "keyword", "true": "literal",
    "false": "literal", "null_literal": "literal", "line_comment": "comment",
    "block_comment": "comment", "ERROR": "other", "asterisk": "operator",
}
_COND_PARENTS = frozenset(("if_statement", "while_statement", "do_statement", "switch_expression",
                           "switch_statement"))
_FOR_TYPES = frozenset(("for_statement", "enhanced_for_statement"))
_METHOD_TYPES = frozenset(("method_declaration", "constructor_declaration",
                           "compact_constructor_declaration"))
_ANNOTATIONS = frozenset(("marker_annotation", "annotation"))
_STANDALONE_BLOCK_PARENTS = frozenset(("block", "constructor_body", "switch_block_statement_group",
                                       "program"))

#: Nodes that own statements (the category of a statement comes from the owner of its
#: first token).  ``block`` is an owner only as a stand-alone block statement and an
#: annotation only on a declaration; both are decided in the walk.
_OWNERS = frozenset((
    "local_variable_declaration", "expression_statement", "if_statement", "while_statement",
    "do_statement", "for_statement", "enhanced_for_statement", "try_statement",
    "try_with_resources_statement", "catch_clause", "finally_clause", "return_statement",
    "throw_statement", "break_statement", "continue_statement", "switch_expression",
    "switch_statement", "switch_label", "synchronized_statement", "labeled_statement",
    "yield_statement", "assert_statement", "method_declaration", "constructor_declaration",
    "compact_constructor_declaration", "annotation_type_element_declaration",
    "field_declaration", "constant_declaration", "class_declaration", "interface_declaration",
    "enum_declaration", "record_declaration", "annotation_type_declaration",
    "explicit_constructor_invocation", "static_initializer", "package_declaration",
    "import_declaration", "enum_constant",
))

#: (parent type, field) pairs whose ``identifier`` child is not a SlimCode identifier.
_NOT_IDENT_FIELDS = frozenset((
    ("method_invocation", "name"), ("field_access", "field"),
    ("method_declaration", "name"), ("constructor_declaration", "name"),
    ("compact_constructor_declaration", "name"), ("class_declaration", "name"),
    ("interface_declaration", "name"), ("enum_declaration", "name"),
    ("record_declaration", "name"), ("annotation_type_declaration", "name"),
    ("annotation_type_element_declaration", "name"), ("formal_parameter", "name"),
    ("catch_formal_parameter", "name"), ("lambda_expression", "parameters"),
    ("enum_constant", "name"), ("element_value_pair", "key"),
    ("marker_annotation", "name"), ("annotation", "name"),
))
#: Parents whose ``identifier`` children are never SlimCode identifiers.
_NOT_IDENT_PARENTS = frozenset((
    "scoped_identifier", "inferred_parameters", "labeled_statement", "break_statement",
    "continue_statement", "package_declaration", "import_declaration", "module_declaration",
    "requires_module_directive", "exports_module_directive", "opens_module_directive",
    "uses_module_directive", "provides_module_directive", "receiver_parameter",
))
#: A ``variable_declarator``'s name is an identifier only in these (local) declarations.
_LOCAL_DECLARATIONS = frozenset(("local_variable_declaration",))

_DIRECT_CATEGORY = {
    "try_statement": "try", "try_with_resources_statement": "try", "catch_clause": "catch",
    "finally_clause": "finally", "break_statement": "break", "continue_statement": "continue",
    "return_statement": "return", "yield_statement": "return", "throw_statement": "throw",
    "marker_annotation": "annotation", "annotation": "annotation",
    "while_statement": "while", "do_statement": "while", "for_statement": "for",
    "enhanced_for_statement": "for", "if_statement": "if", "switch_expression": "switch",
    "switch_statement": "switch", "synchronized_statement": "synchronized",
    "switch_label": "case", "method_declaration": "method", "constructor_declaration": "method",
    "compact_constructor_declaration": "method", "annotation_type_element_declaration": "method",
    "local_variable_declaration": "variable", "field_declaration": "variable",
    "constant_declaration": "variable", "explicit_constructor_invocation": "function",
}

_PRINT_NAMES = frozenset(("print", "println", "printf"))
_LOG_NAMES = frozenset((
    "log", "trace", "debug", "info", "warn", "warning", "error", "fatal", "severe", "fine",
    "finer", "finest", "config", "verbose", "v", "d", "i", "w", "e", "wtf",
))
_BARE_LOG_NAMES = frozenset(("log", "trace", "debug", "info", "warn", "warning", "error", "fatal"))
_ACCESSOR = re.compile(r"(get|set)(?:$|[A-Z0-9_$])")


def _parser() -> tree_sitter.Parser:
    """One parser per thread (a tree-sitter parser must not be shared between threads)."""
    p = getattr(_LOCAL, "parser", None)
    if p is None:
        p = _LOCAL.parser = tree_sitter.Parser(_LANGUAGE)
    return p


# --- classification --------------------------------------------------------------------

def _first_named(node):
    """The first named child that is not a comment, or None."""
    for child in node.named_children:
        if child.type not in _COMMENTS:
            return child
    return None


def _call_category(call) -> str:
    """logger / setter / getter / function for a method invocation."""
    name_node = call.child_by_field_name("name")
    name = name_node.text.decode("utf-8", "replace") if name_node is not None else ""
    obj = call.child_by_field_name("object")
    receiver = "".join(obj.text.decode("utf-8", "replace").split()) if obj is not None else ""
    last = receiver.rsplit(".", 1)[-1].rstrip("()").lower()
    if receiver in ("System.out", "System.err") or name in _PRINT_NAMES:
        return "logger"
    if name in _LOG_NAMES and (last.endswith("log") or last.endswith("logger")
                               or last.endswith("logging")):
        return "logger"
    if not receiver and name in _BARE_LOG_NAMES:
        return "logger"
    m = _ACCESSOR.match(name)
    if m:
        return "setter" if m.group(1) == "set" else "getter"
    return "function"


def _classify(node) -> str:
    """DietCode category of the statement owned by ``node`` (first match in SPEC order).

    Syntax-tree mapping: try/catch/finally clauses; break; continue; return (and
    ``yield``); throw; annotation (annotations on declarations; comments are classified
    before this); while (and do); for (and enhanced for); if (and else); switch;
    expression (an expression statement that is ``++``/``--`` or a compound assignment);
    synchronized; case (a case label); method (a method or constructor header); variable
    (a local or field declaration, and a plain ``=`` assignment statement); then for an
    expression statement that is a call: logger (``System.out``/``System.err``, any
    ``print``/``println``/``printf``, and logging methods on a receiver named like a
    logger), setter (name ``set`` or ``setX``), getter (``get``/``getX``), function (any
    other call, ``new`` expressions and ``super(...)``/``this(...)``); otherwise none.
    """
    if node is None:
        return "none"
    t = node.type
    cat = _DIRECT_CATEGORY.get(t)
    if cat is not None:
        return cat
    if t == "expression_statement":
        expr = _first_named(node)
        if expr is None:
            return "none"
        et = expr.type
        if et == "update_expression":
            return "expression"
        if et == "assignment_expression":
            op = expr.child_by_field_name("operator")
            return "variable" if op is not None and op.type == "=" else "expression"
        if et == "method_invocation":
            return _call_category(expr)
        if et == "object_creation_expression":
            return "function"
        return "none"
    if t == "labeled_statement":
        body = None
        for child in node.named_children:
            if child.type not in _COMMENTS and child.type != "identifier":
                body = child
                break
        return _classify(body)
    return "none"


# --- the tree walk ---------------------------------------------------------------------

class _Walk:
    """Everything one cursor pass collects, in byte offsets of the parsed text."""

    __slots__ = ("leaves", "owners", "struct_spans",
                 "invoc_spans", "sig_end", "before", "after", "error_at", "error_in",
                 "error_bytes")

    def __init__(self):
        self.leaves = []          # (start, end, kind, role mask, owner index) per leaf
        self.owners = [None]      # owner nodes; index 0 means "no owner"
        self.struct_spans = []
        self.invoc_spans = []
        self.sig_end = -1
        self.before = set()       # byte offsets where a statement must start
        self.after = set()        # byte offsets where a statement must end
        self.error_at = -1        # first error position (byte), -1 if none
        self.error_in = -1        # first error position inside the input proper
        self.error_bytes = 0      # size of ERROR nodes + missing nodes (for choosing a wrapper)


def _note_error(w: _Walk, at: int, lo: int, size: int) -> None:
    if w.error_at < 0:
        w.error_at = at
    if w.error_in < 0 and at >= lo:
        w.error_in = at
    w.error_bytes += size


def _walk(tree, lo: int, hi: int) -> _Walk:
    """Collect leaves and role spans; only leaves overlapping bytes [lo, hi) are kept."""
    w = _Walk()
    leaves = w.leaves
    owners = w.owners
    struct_spans, invoc_spans = w.struct_spans, w.invoc_spans
    types = ["<root>"]            # ancestor types; types[-1] is the current node's parent
    owner_stack = [0]
    for_opens = []
    cur = tree.walk()
    owner = 0
    while True:
        node = cur.node
        t = node.type
        if t in _ATOMIC or node.child_count == 0:
            s = node.start_byte
            e = node.end_byte
            if e <= s:
                if node.is_missing:
                    _note_error(w, s, lo, 1)
            elif e > lo and s < hi:
                parent = types[-1]
                mask = 0
                if node.is_named:
                    kind = _NAMED_LEAF_KINDS.get(t)
                    if kind is None:
                        kind = "literal" if (t.endswith("_literal") or t in _ATOMIC) else "other"
                    elif t == "identifier":
                        mask = _IDENT
                        if parent in _NOT_IDENT_PARENTS:
                            mask = 0
                        elif parent == "variable_declarator":
                            if types[-2] not in _LOCAL_DECLARATIONS:
                                mask = 0
                        elif parent == "method_reference":
                            prev = node.prev_sibling
                            if prev is not None and prev.type == "::":
                                mask = 0
                        else:
                            field = cur.field_name
                            if field is not None and (parent, field) in _NOT_IDENT_FIELDS:
                                mask = 0
                                if parent in _ANNOTATIONS:
                                    kind = "type"
                    elif t == "ERROR":
                        _note_error(w, s, lo, e - s)
                else:
                    c = t[0]
                    if c.isalpha() or c == "_":
                        if parent in _PRIMITIVE_PARENTS:
                            kind = "type"
                        else:
                            kind = "keyword"
                            if t in _STRUCTURE_WORDS:
                                mask = _STRUCT
                    else:
                        if t in SYMBOLS:
                            mask = _SYMBOL
                        if t in _PUNCT:
                            kind = "punctuation"
                            if t == "(":
                                if parent in _FOR_TYPES:
                                    for_opens.append(e)
                            elif t == ")":
                                if parent in _FOR_TYPES and for_opens:
                                    struct_spans.append((for_opens.pop(), s))
                        elif parent in _ANGLE_PARENTS and (t == "<" or t == ">"):
                            kind = "punctuation"
                        else:
                            kind = "operator"
                            if t == ":":
                                if parent == "switch_block_statement_group":
                                    w.after.add(e)
                            elif t == "->" and parent == "switch_rule":
                                w.after.add(e)
                leaves.append((s, e, kind, mask, owner))
        else:
            parent = types[-1]
            if t == "method_invocation":
                invoc_spans.append((node.start_byte, node.end_byte))
            elif t == "parenthesized_expression":
                if parent in _COND_PARENTS:
                    struct_spans.append((node.start_byte + 1, node.end_byte - 1))
            elif t == "catch_formal_parameter" or t == "switch_label":
                struct_spans.append((node.start_byte, node.end_byte))
            elif t == "ERROR":
                _note_error(w, node.start_byte, lo, node.end_byte - node.start_byte)
            elif parent in _METHOD_TYPES and (t == "block" or t == "constructor_body"):
                if node.start_byte > w.sig_end:
                    w.sig_end = node.start_byte
            if t in _OWNERS or (t == "block" and parent in _STANDALONE_BLOCK_PARENTS):
                owners.append(node)
                new_owner = len(owners) - 1
            elif t in _ANNOTATIONS and parent == "modifiers":
                owners.append(node)
                new_owner = len(owners) - 1
                w.before.add(node.start_byte)
                w.after.add(node.end_byte)
            else:
                new_owner = owner
            if cur.goto_first_child():
                types.append(t)
                owner_stack.append(owner)
                owner = new_owner
                continue
        while not cur.goto_next_sibling():
            if not cur.goto_parent():
                return w
            types.pop()
            owner = owner_stack.pop()


# --- offsets ---------------------------------------------------------------------------

def _byte_to_char_maps(source: str):
    """(floor, is_boundary) arrays mapping a byte offset of the UTF-8 text to characters."""
    floor = []
    boundary = []
    for ci, ch in enumerate(source):
        n = len(ch.encode("utf-8", "surrogatepass"))
        floor.extend([ci] * n)
        boundary.append(True)
        boundary.extend([False] * (n - 1))
    floor.append(len(source))
    boundary.append(True)
    return floor, boundary


# --- main entry ------------------------------------------------------------------------

def _wrap_order(source: str) -> tuple:
    if _looks_like_unit(source):
        return (_WRAP_NONE, _WRAP_CLASS, _WRAP_METHOD)
    return (_WRAP_CLASS, _WRAP_METHOD, _WRAP_NONE)


def _parse(source: str, data: bytes):
    """Parse with the first wrapper that gives a clean tree (else the least broken one)."""
    parser = _parser()
    best = None
    for prefix, suffix in _wrap_order(source):
        pre = prefix.encode()
        tree = parser.parse(pre + data + suffix.encode())
        lo, hi = len(pre), len(pre) + len(data)
        if not tree.root_node.has_error:
            return tree, lo, hi, _walk(tree, lo, hi)
        w = _walk(tree, lo, hi)
        if best is None or w.error_bytes < best[3].error_bytes:
            best = (tree, lo, hi, w)
    return best


def _mark(starts, spans: list, bit: int, masks: list) -> None:
    """OR ``bit`` into the mask of every token whose start byte lies in one of ``spans``.

    Overlapping spans (nested calls) are merged first, so the cost is linear.
    """
    if not spans:
        return
    spans.sort()
    merged_a, merged_b = spans[0]
    out = []
    for a, b in spans:
        if a <= merged_b:
            if b > merged_b:
                merged_b = b
        else:
            out.append((merged_a, merged_b))
            merged_a, merged_b = a, b
    out.append((merged_a, merged_b))
    for a, b in out:
        for i in range(bisect_left(starts, a), bisect_left(starts, b)):
            masks[i] |= bit


def tokenize(source: str) -> CodeSnippet:
    """Tokenise one Java snippet; never raises (falls back to the lexical lexer)."""
    if not isinstance(source, str):
        source = "" if source is None else str(source)
    try:
        snippet = _tokenize(source)
    except Exception as exc:  # the grammar path must never break a caller
        return lexical_snippet(
            source, NAME, f"Java parsing failed internally ({type(exc).__name__}); "
                          "used a plain lexical split, roles are approximate")
    if snippet is None:
        return lexical_snippet(
            source, NAME, "the Java grammar produced no tokens; used a plain lexical split, "
                          "roles are approximate")
    return snippet


def _tokenize(source: str):
    data = source.encode("utf-8", "surrogatepass")
    tree, lo, hi, w = _parse(source, data)
    parsed = not tree.root_node.has_error
    if not w.leaves:
        return None
    starts_b, ends_b, kinds, masks, owner_of = zip(*w.leaves)
    if source.isascii():
        if parsed:
            cstarts = [x - lo for x in starts_b]
            cends = [x - lo for x in ends_b]
        else:
            cstarts = [max(x, lo) - lo for x in starts_b]
            cends = [min(x, hi) - lo for x in ends_b]
    else:
        floor, boundary = _byte_to_char_maps(source)
        size = hi - lo

        def to_char(b: int, is_end: bool) -> int:
            b = min(max(b - lo, 0), size)
            c = floor[b]
            if is_end and not boundary[b]:
                c += 1
            return c

        cstarts = [to_char(x, False) for x in starts_b]
        cends = [to_char(x, True) for x in ends_b]
    if parsed:
        texts = [source[x:y] for x, y in zip(cstarts, cends)]
        masks = list(masks)
    else:
        cstarts, cends, texts, kinds, masks, owner_of, starts_b, ends_b = _repair(
            source, lo, cstarts, cends, kinds, masks, owner_of)
    n = len(texts)
    if n == 0:
        return None

    # Role masks: symbol / identifier / structure keywords come from the walk; the spans
    # add structure, invocation and signature.
    _mark(starts_b, w.struct_spans, _STRUCT, masks)
    _mark(starts_b, w.invoc_spans, _INVOC, masks)
    if w.sig_end > lo:
        for i in range(bisect_left(starts_b, w.sig_end)):
            masks[i] |= _SIGN

    # Statements.
    alone = [i for i, k in enumerate(kinds) if k == "comment"]
    before = [i for i in range(n) if starts_b[i] in w.before] if w.before else ()
    after = [i for i in range(n) if ends_b[i] in w.after] if w.after else ()
    ranges = split_statements(texts, alone=alone, before=before, after=after)
    owners = w.owners
    cache = {}
    statements = []
    stmt_of = []
    cat_of = []
    for si, (a, b) in enumerate(ranges):
        if kinds[a] == "comment":
            cat = "annotation"
        else:
            oi = owner_of[a]
            cat = cache.get(oi)
            if cat is None:
                cat = cache[oi] = _classify(owners[oi])
        statements.append(Statement(si, cat, a, b))
        stmt_of.extend([si] * (b - a))
        cat_of.extend([cat] * (b - a))

    levels = _LEVELS
    rolesets = _ROLESETS
    tokens = [
        CodeToken(i, texts[i], cstarts[i], cends[i], kinds[i], stmt_of[i], cat_of[i],
                  levels[m], rolesets[m])
        for i, m in enumerate(masks)
    ]
    warnings = [] if parsed else [_error_message(w, lo, hi, data)]
    return CodeSnippet(source=source, language=NAME, tokens=tokens, statements=statements,
                       warnings=warnings, parsed=parsed)


def _repair(source: str, lo: int, cstarts, cends, kinds, masks, owner_of) -> tuple:
    """After a parse with errors: drop overlaps, re-lex whitespace-bearing leaves, fill gaps.

    tree-sitter's error recovery can produce leaves that swallow several tokens (for
    example an unterminated string fragment) or skip characters.  The result keeps every
    grammar leaf it can and lexes the rest, so every visible character is in some token.
    Lexed tokens carry the owner of the leaf they replace (or follow), the symbol role by
    their text, the structure role for structure keywords and no identifier role.
    Returns new parallel lists (char starts, char ends, texts, kinds, role masks, owners,
    byte starts, byte ends).
    """
    if source.isascii():
        def to_byte(c: int) -> int:
            return lo + c
    else:
        c2b = [0]
        total = 0
        for ch in source:
            total += len(ch.encode("utf-8", "surrogatepass"))
            c2b.append(total)

        def to_byte(c: int) -> int:
            return lo + c2b[c]

    out = ([], [], [], [], [], [], [], [])

    def add(cs, ce, kind, mask, owner):
        text = source[cs:ce]
        if not text:
            return
        mask &= ~_SYMBOL
        if text in SYMBOLS:
            mask |= _SYMBOL
        elif kind == "keyword" and text in _STRUCTURE_WORDS:
            mask |= _STRUCT
        out[0].append(cs)
        out[1].append(ce)
        out[2].append(text)
        out[3].append(kind)
        out[4].append(mask)
        out[5].append(owner)
        out[6].append(to_byte(cs))
        out[7].append(to_byte(ce))

    def add_lexed(a, b, owner):
        for s, e, kind in lex(source, NAME, a, b):
            add(s, e, kind, 0, owner)

    pos = 0
    for i in range(len(cstarts)):
        cs, ce, kind = max(cstarts[i], pos), cends[i], kinds[i]
        if ce <= cs:
            continue
        if source[pos:cs].strip():
            add_lexed(pos, cs, owner_of[i])
        text = source[cs:ce]
        stripped = text.strip()
        if not stripped:
            pos = ce
            continue
        if kind not in ("comment", "literal") and any(ch.isspace() for ch in stripped):
            add_lexed(cs, ce, owner_of[i])
        else:
            lead = len(text) - len(text.lstrip())
            trail = len(text) - len(text.rstrip())
            add(cs + lead, ce - trail, kind, masks[i], owner_of[i])
        pos = ce
    if source[pos:].strip():
        add_lexed(pos, len(source), owner_of[-1] if owner_of else 0)
    return out


def _error_message(w: _Walk, lo: int, hi: int, data: bytes) -> str:
    at = w.error_in if w.error_in >= 0 else w.error_at
    if at < 0:
        return "Java code did not parse cleanly; roles may be approximate"
    b = min(max(at - lo, 0), hi - lo)
    prefix = data[:b].decode("utf-8", "replace")
    line = prefix.count("\n") + 1
    col = len(prefix) - (prefix.rfind("\n") + 1) + 1
    return (f"Java code did not parse cleanly (syntax error near line {line}, column {col}); "
            "roles may be approximate")


register_language(NAME, tokenize)
