"""Property tests: tokenisation never raises and spans always match the input."""
from __future__ import annotations

import importlib.util

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import leancode
from leancode.languages import java
from leancode.languages.detect import detect
from leancode.languages.lexical import lexical_snippet
from leancode.tokens import CATEGORIES, KINDS, ROLES

HAVE_PYTHON = importlib.util.find_spec("leancode.languages.python") is not None
if HAVE_PYTHON:  # make sure both languages are registered whatever was imported first
    importlib.import_module("leancode.languages.python")

JAVA_PIECES = [
    "public", "static", "void", "int", "String", "class", "f", "x", "y", "if", "else", "for",
    "while", "do", "try", "catch", "finally", "switch", "case", "default", "return", "new",
    "this", "(", ")", "{", "}", "[", "]", ";", ",", ".", "=", "==", "+=", "++", "->", "::",
    "<", ">", ">>>", "?", ":", "@Override", '"a b"', "'c'", '"""\nx"""', "// c\n", "/* c */",
    "/*", '"', "'", "0x1F", "1.5e3", "é", "\n", " ", "\t", "#", "\\", "\ud800",
    "def", "self", "lambda", "elif", "pass", "    ", "print",
]

VALID_JAVA = [
    "public int size ( ) { return this . items . size ( ) ; }",
    "void f(int x) {\n  if (x > 0) { log(x); } else { x++; }\n}",
    'String g(List<String> xs) { return xs.stream().map(s -> s + "!").findFirst().orElse(null); }',
]

code_like = st.lists(st.sampled_from(JAVA_PIECES), max_size=40).map(" ".join)


def mutated(draw_text: str, cuts: list) -> str:
    out = draw_text
    for pos, piece in cuts:
        pos = pos % (len(out) + 1)
        out = out[:pos] + piece + out[pos + 1:]
    return out


mutated_java = st.builds(
    mutated,
    st.sampled_from(VALID_JAVA),
    st.lists(st.tuples(st.integers(0, 500), st.sampled_from(JAVA_PIECES + [""])), max_size=4),
)

any_text = st.one_of(st.text(max_size=200), code_like, mutated_java)


def assert_well_formed(snippet, source: str) -> None:
    assert snippet.source == source
    prev_start, prev_end = -1, 0
    for i, t in enumerate(snippet.tokens):
        assert t.index == i
        assert source[t.start:t.end] == t.text
        assert t.text
        assert t.start > prev_start and t.start >= prev_end
        prev_start, prev_end = t.start, t.end
        assert t.kind in KINDS and t.category in CATEGORIES
        assert 1 <= t.level <= 8 and t.roles <= frozenset(ROLES)
        assert 0 <= t.statement < len(snippet.statements)
    pos = 0
    for st_ in snippet.statements:
        assert st_.start_token == pos and st_.end_token > pos
        pos = st_.end_token
    assert pos == snippet.n


FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(any_text)
def test_java_tokenize_never_raises(source):
    assert_well_formed(java.tokenize(source), source)


@FAST
@given(any_text, st.sampled_from(["java", "python"]))
def test_lexical_never_raises(source, language):
    assert_well_formed(lexical_snippet(source, language, "reason"), source)


@FAST
@given(any_text)
def test_detect_never_raises(source):
    assert detect(source) in ("java", "python")


@pytest.mark.skipif(not HAVE_PYTHON, reason="the Python language module is not available")
@FAST
@given(any_text, st.sampled_from(["java", "python", "auto"]))
def test_leancode_tokenize_never_raises(source, lang):
    snippet = leancode.tokenize(source, lang)
    assert snippet.language in ("java", "python")
    assert_well_formed(snippet, source)


@pytest.mark.skipif(not HAVE_PYTHON, reason="the Python language module is not available")
@pytest.mark.parametrize("lang", ["java", "python", "auto"])
def test_empty_input_gives_zero_tokens(lang):
    for source in ("", "   \n\t"):
        snippet = leancode.tokenize(source, lang)
        assert snippet.n == 0 and snippet.statements == []


def test_java_spans_on_every_visible_character():
    """Every visible character of any input lies inside some token."""
    for source in VALID_JAVA + ["x # y", 'a "b', "é\ud800ü", "\x00"]:
        s = java.tokenize(source)
        covered = [False] * len(source)
        for t in s.tokens:
            for i in range(t.start, t.end):
                covered[i] = True
        assert all(c or ch.isspace() for c, ch in zip(covered, source))
