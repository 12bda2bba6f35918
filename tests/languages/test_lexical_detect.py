"""The lexical fallback and language auto-detection."""
from __future__ import annotations

import pytest

from leancode.languages.detect import detect
from leancode.languages.lexical import lex, lexical_snippet, split_statements
from leancode.tokens import KINDS


def spans_ok(snippet) -> None:
    prev = 0
    for i, t in enumerate(snippet.tokens):
        assert t.index == i
        assert snippet.source[t.start:t.end] == t.text and t.text
        assert t.start >= prev
        prev = t.end
        assert t.kind in KINDS
        st = snippet.statements[t.statement]
        assert st.start_token <= i < st.end_token


# --- lexer -------------------------------------------------------------------------------

def test_java_lexer_tokens_and_kinds():
    src = 'int x = a >>>= 2; // done\nString s = "a b\\" c"; char c = \'\\n\'; /* x\ny */ d->e::f;'
    toks = [(src[s:e], k) for s, e, k in lex(src, "java")]
    assert ("int", "type") in toks and ("x", "identifier") in toks
    assert (">>>=", "operator") in toks and ("// done", "comment") in toks
    assert ('"a b\\" c"', "literal") in toks and ("'\\n'", "literal") in toks
    assert ("/* x\ny */", "comment") in toks
    assert ("->", "operator") in toks and ("::", "punctuation") in toks
    assert (";", "punctuation") in toks


def test_python_lexer_strings_comments_numbers():
    src = 'def f(x):\n    s = rb"q" + f\'{x}\' + """doc\nmore"""  # note\n    return 1.5e3 ** 2 // 3j\n'
    toks = [(src[s:e], k) for s, e, k in lex(src, "python")]
    assert ("def", "keyword") in toks and ("f", "identifier") in toks
    assert ('rb"q"', "literal") in toks and ("f'{x}'", "literal") in toks
    assert ('"""doc\nmore"""', "literal") in toks and ("# note", "comment") in toks
    assert ("1.5e3", "literal") in toks and ("**", "operator") in toks
    assert ("//", "operator") in toks and ("3j", "literal") in toks


def test_unterminated_literals_and_odd_characters():
    src = '"open string\nx /* open comment'
    toks = [src[s:e] for s, e, _k in lex(src, "java")]
    assert toks == ['"open string', "x", "/* open comment"]
    odd = "a § b \x00"
    toks = [(odd[s:e], k) for s, e, k in lex(odd, "java")]
    assert ("§", "other") in toks and ("\x00", "other") in toks


def test_split_statements_rules():
    texts = "for ( i = 0 ; i < n ; i ++ ) { a ; } b".split()
    assert split_statements(texts) == [(0, 14), (14, 16), (16, 17), (17, 18)]
    texts = ["x", "//c", "y", ";"]
    assert split_statements(texts, alone=[1]) == [(0, 1), (1, 2), (2, 4)]
    assert split_statements(["a", "b", "c"], before=[1], after=[1]) == [(0, 1), (1, 2), (2, 3)]
    assert split_statements([]) == []


# --- snippet -------------------------------------------------------------------------------

def test_lexical_snippet_java_levels_and_statements():
    s = lexical_snippet("void f() { if (x) { g(x); } }", "java", "fallback used")
    spans_ok(s)
    assert not s.parsed and s.warnings == ["fallback used"]
    levels = {t.text: t.level for t in s.tokens}
    assert levels["("] == 8 and levels["if"] == 6 and levels["g"] == 7 and levels["void"] == 7
    assert by_roles(s, "if") == {"structure"} and by_roles(s, "{") == {"symbol"}
    assert all(t.category == "none" for t in s.tokens)
    stmts = [" ".join(s.texts[st.start_token:st.end_token]) for st in s.statements]
    assert stmts == ["void f ( ) {", "if ( x ) {", "g ( x ) ;", "}", "}"]


def by_roles(snippet, text):
    return next(t.roles for t in snippet.tokens if t.text == text)


def test_lexical_snippet_python_splits_lines_outside_brackets():
    src = "def f(a,\n      b):\n    x = {1: 2,\n         3: 4}\n    if x: return a\n"
    s = lexical_snippet(src, "python", "why")
    spans_ok(s)
    stmts = [" ".join(s.texts[st.start_token:st.end_token]) for st in s.statements]
    assert stmts == ["def f ( a , b ) :", "x = { 1 : 2 , 3 : 4 }", "if x : return a"]
    assert next(t for t in s.tokens if t.text == "if").level == 6


@pytest.mark.parametrize("bad", [None, 12, b"bytes"])
def test_lexical_snippet_never_raises_on_non_strings(bad):
    s = lexical_snippet(bad, "java", "r")
    assert s.source == ("" if bad is None else str(bad))
    spans_ok(s)


# --- detect -------------------------------------------------------------------------------

@pytest.mark.parametrize("src,lang", [
    ("public int size ( ) { return this . items . size ( ) ; }", "java"),
    ("void f ( int x ) { if ( x > 0 ) { log ( x ) ; } }", "java"),
    ("@Override\npublic String toString() {\n    return name;\n}", "java"),
    ("List<String> xs = new ArrayList<>();", "java"),
    ("if (a) { b(); }", "java"),
    ("def f ( x ) : return x + 1", "python"),
    ("def size(self):\n    return len(self.items)\n", "python"),
    ("@property\ndef name(self):\n    return self._name", "python"),
    ("async def g():\n    await h()\n", "python"),
    ("for x in range(10):\n    print(x)\n", "python"),
    ("class A:\n    pass\n", "python"),
    ("x += 1\ny = [i for i in x if i is not None]\n", "python"),
])
def test_detect(src, lang):
    assert detect(src) == lang


@pytest.mark.parametrize("src", ["", "   ", "x", "x = 1", None, 42, "\ud800"])
def test_detect_defaults_to_java_when_ambiguous(src):
    assert detect(src) == "java"


def test_detect_is_fast_on_pathological_input():
    import time

    for src in ("public " * 2000, "if " * 5000, " " * 20000 + "x", "a<" * 5000, "@a " * 3000):
        t = time.perf_counter()
        assert detect(src) in ("java", "python")
        assert time.perf_counter() - t < 0.5
