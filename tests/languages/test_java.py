"""Java tokens, kinds, SlimCode roles and levels, and DietCode statements."""
from __future__ import annotations

import math

import pytest

from leancode.languages import java
from leancode.tokens import CATEGORIES, KINDS, ROLES


def tok(source: str):
    snippet = java.tokenize(source)
    check_spans(snippet)
    return snippet


def check_spans(snippet) -> None:
    prev_end = 0
    for i, t in enumerate(snippet.tokens):
        assert t.index == i
        assert snippet.source[t.start:t.end] == t.text
        assert t.text
        assert t.start >= prev_end
        prev_end = t.end
        assert t.kind in KINDS
        assert t.category in CATEGORIES
        assert 1 <= t.level <= 8
        assert t.roles <= frozenset(ROLES)
        st = snippet.statements[t.statement]
        assert st.start_token <= i < st.end_token
        assert st.category == t.category
    # statements tile the tokens in order
    pos = 0
    for k, st in enumerate(snippet.statements):
        assert st.index == k and st.start_token == pos and st.end_token > st.start_token
        pos = st.end_token
    assert pos == snippet.n


def slimcode_keep(snippet, ratio: float) -> list:
    """SlimCode removal as SPEC section 3 states it: level 8 first, rightmost first."""
    n = snippet.n
    k = math.ceil(ratio * n - 1e-9)
    order = sorted(snippet.tokens, key=lambda t: (-t.level, -t.index))
    removed = {t.index for t in order[:k]}
    return [t.text for t in snippet.tokens if t.index not in removed]


def by_text(snippet, text: str, nth: int = 0):
    return [t for t in snippet.tokens if t.text == text][nth]


def statement_of(snippet, text: str, nth: int = 0):
    t = by_text(snippet, text, nth)
    st = snippet.statements[t.statement]
    return st.category, " ".join(snippet.texts[st.start_token:st.end_token])


# --- SPEC worked examples ---------------------------------------------------------------

def test_spec_example_size():
    s = tok("public int size ( ) { return this . items . size ( ) ; }")
    assert s.parsed and not s.warnings
    assert s.n == 16
    levels = [t.level for t in s.tokens]
    assert levels == [1, 1, 1, 8, 8, 8, 7, 5, 8, 5, 8, 5, 8, 8, 8, 8]
    assert by_text(s, "public").roles == {"signature"}
    assert by_text(s, "this").roles == {"invocation"}
    assert by_text(s, "items").roles == {"invocation"}
    assert " ".join(slimcode_keep(s, 0.5)) == "public int size ( return this items size"


def test_spec_example_if_log():
    s = tok("void f ( int x ) { if ( x > 0 ) { log ( x ) ; } }")
    assert s.n == 21
    assert sum(1 for t in s.tokens if "symbol" in t.roles) == 12
    level = {(t.text, t.index): t.level for t in s.tokens}
    assert [level[(x, i)] for x, i in (("void", 0), ("f", 1), ("int", 3), ("x", 4))] == [1, 1, 1, 1]
    assert "identifier" not in s.tokens[4].roles          # the parameter
    assert level[("if", 7)] == 6 and level[("0", 11)] == 6
    assert level[("x", 9)] == 2                            # structure + identifier
    assert s.tokens[9].roles == {"structure", "identifier"}
    assert level[("log", 14)] == 5
    assert level[("x", 16)] == 3                           # invocation + identifier
    assert " ".join(slimcode_keep(s, 0.7)) == "void f int x x x"


def test_raw_layout_gives_same_tokens_as_csn_style():
    raw = "public int size() {\n    return this.items.size();\n}\n"
    csn = "public int size ( ) { return this . items . size ( ) ; }"
    a, b = tok(raw), tok(csn)
    assert a.texts == b.texts
    assert [t.level for t in a.tokens] == [t.level for t in b.tokens]
    assert [t.category for t in a.tokens] == [t.category for t in b.tokens]


# --- tokens, spans and kinds -------------------------------------------------------------

def test_raw_source_with_comments_and_layout():
    src = (
        "/** Adds two numbers. */\n"
        "public static int add(int a, int b) {\n"
        "    // the sum\n"
        "    int s = a + b; /* inline */\n"
        "    return s;\n"
        "}\n"
    )
    s = tok(src)
    assert s.parsed
    comments = [t for t in s.tokens if t.kind == "comment"]
    assert [c.text for c in comments] == ["/** Adds two numbers. */", "// the sum", "/* inline */"]
    assert all(c.category == "annotation" for c in comments)
    # each comment is a statement of its own
    for c in comments:
        st = s.statements[c.statement]
        assert st.end_token - st.start_token == 1
    kinds = {t.text: t.kind for t in s.tokens if t.kind != "comment"}
    assert kinds["public"] == "keyword" and kinds["int"] == "type" and kinds["add"] == "identifier"
    assert kinds["("] == "punctuation" and kinds["+"] == "operator" and kinds[";"] == "punctuation"


def test_literals_are_single_tokens():
    src = 'void f ( ) { String s = "hello big world" ; char c = \' \' ; String t = "a\\"b" ; long n = 0x1FL ; }'
    s = tok(src)
    lits = [t.text for t in s.tokens if t.kind == "literal"]
    assert lits == ['"hello big world"', "' '", '"a\\"b"', "0x1FL"]


def test_text_block_is_one_token():
    src = 'String f() {\n    return """\n        hello\n        world""";\n}'
    s = tok(src)
    assert s.parsed
    block = [t for t in s.tokens if t.text.startswith('"""')]
    assert len(block) == 1 and "world" in block[0].text and block[0].kind == "literal"


def test_bare_method_spans_map_to_original_characters():
    src = "int twice(int v) { return v * 2; }"
    s = tok(src)
    assert s.parsed
    assert s.texts == ["int", "twice", "(", "int", "v", ")", "{", "return", "v", "*", "2", ";", "}"]
    assert s.tokens[0].start == 0 and s.tokens[-1].end == len(src)


def test_whole_class_and_several_methods():
    src = (
        "public class Box {\n"
        "  private int n;\n"
        "  public int get() { return n; }\n"
        "  public void set(int v) { this.n = v; }\n"
        "}\n"
    )
    s = tok(src)
    assert s.parsed
    assert s.texts[:3] == ["public", "class", "Box"]
    cats = {statement_of(s, "private")[0], statement_of(s, "get")[0], statement_of(s, "set")[0]}
    assert cats == {"variable", "method"}
    two = tok("int a() { return 1; }\nint b() { return 2; }")
    assert two.parsed and two.texts.count("return") == 2


def test_generics_lambda_and_anonymous_class():
    src = (
        "Map<String, List<Integer>> build(List<String> keys) {\n"
        "  Map<String, List<Integer>> m = new HashMap<>();\n"
        "  keys.forEach(k -> m.put(k, new ArrayList<>()));\n"
        "  Runnable r = new Runnable() { public void run() { m.clear(); } };\n"
        "  return m;\n"
        "}"
    )
    s = tok(src)
    assert s.parsed
    gt = [t for t in s.tokens if t.text == ">"]
    assert gt and all(t.kind == "punctuation" for t in gt)
    assert ">>" not in s.texts                    # nested generics close with two tokens
    arrow = by_text(s, "->")
    assert arrow.kind == "operator" and "symbol" not in arrow.roles
    assert "invocation" in arrow.roles            # inside keys.forEach(...)
    k_param = by_text(s, "k")
    assert "identifier" not in k_param.roles      # a lambda parameter is not an identifier
    assert "identifier" in by_text(s, "k", 1).roles
    # The anonymous class's method counts as a method declaration for the signature
    # (SPEC section 3): every token before its body's "{" is signature.
    run_body = [t for t in s.tokens if t.text == "{"][2]
    assert all("signature" in t.roles for t in s.tokens[:run_body.index])
    assert by_text(s, "return").level == 7


def test_unicode_identifiers_and_strings():
    src = 'String grüße(int ñ) { String s = "héllo wörld 😀"; return s + ñ; }'
    s = tok(src)
    assert s.parsed
    assert "grüße" in s.texts and '"héllo wörld 😀"' in s.texts
    last = s.tokens[-1]
    assert last.text == "}" and last.end == len(src)


def test_kinds_of_keywords_types_and_literals():
    s = tok("boolean ok(Object o) { return o != null && this.flag == true; }")
    kinds = {t.text: t.kind for t in s.tokens}
    assert kinds["boolean"] == "type" and kinds["Object"] == "type"
    assert kinds["null"] == "literal" and kinds["true"] == "literal"
    assert kinds["this"] == "keyword" and kinds["return"] == "keyword"
    assert kinds["&&"] == "operator" and kinds["."] == "punctuation"


# --- roles ----------------------------------------------------------------------------

def test_identifier_role_rules():
    src = ("void f(int p) { int local = p; System.out.println(local); this.count = other.size; "
           "obj.field.call(arg); }")
    s = tok(src)
    role = lambda text, nth=0: "identifier" in by_text(s, text, nth).roles  # noqa: E731
    assert not role("f") and not role("p")            # method name, parameter
    assert role("local") and role("p", 1)             # declared local, bare read
    assert role("System") and not role("out") and not role("println")
    assert role("local", 1)                           # argument
    assert not role("count")                          # field after a dot
    assert role("other") and not role("size")
    assert role("obj") and not role("field") and not role("call") and role("arg")
    assert not role("int")


def test_structure_role_covers_headers_catch_and_case_labels():
    src = ("void f(int[] xs) { for (int i = 0; i < xs.length; i++) { g(i); } "
           "while (ok) { h(); } do { k(); } while (more); "
           "try { m(); } catch (IOException e) { n(); } "
           "switch (mode) { case FAST: q(); break; default: r(); } }")
    s = tok(src)
    struct = lambda text, nth=0: "structure" in by_text(s, text, nth).roles  # noqa: E731
    for word in ("for", "while", "do", "try", "catch", "switch", "case"):
        assert struct(word)
    assert struct("i") and struct("xs", 1) and struct("length")
    assert not struct("g") and not struct("i", 3)     # body of the for loop
    assert struct("ok") and struct("more")
    assert struct("IOException") and struct("e")
    assert struct("mode") and struct("FAST") and not struct("q")
    assert by_text(s, "IOException").level == 6
    assert by_text(s, "FAST").level == 2              # case label + identifier


def test_invocation_role_includes_nested_calls_and_arguments():
    s = tok("void f() { a.b(c.d(e), \"s\"); }")
    inv = [t.text for t in s.tokens if "invocation" in t.roles]
    assert inv == ["a", ".", "b", "(", "c", ".", "d", "(", "e", ")", ",", '"s"', ")"]
    assert by_text(s, '"s"').level == 5 and by_text(s, "e").level == 3


def test_symbols_exclude_compound_assignment_and_arrow():
    s = tok("void f() { x += 1; y = z >>> 2; Runnable r = () -> {}; }")
    assert "symbol" not in by_text(s, "+=").roles
    assert "symbol" in by_text(s, ">>>").roles
    assert by_text(s, "+=").level != 8


def test_levels_follow_roles():
    for src in ("void f ( int x ) { if ( x > 0 ) { log ( x ) ; } }",
                "public int size ( ) { return this . items . size ( ) ; }"):
        for t in tok(src).tokens:
            r = t.roles
            expected = (8 if "symbol" in r else 6 if "structure" in r and "identifier" not in r
                        else 5 if "invocation" in r and "identifier" not in r
                        else 2 if "structure" in r else 3 if "invocation" in r
                        else 4 if "identifier" in r else 1 if "signature" in r else 7)
            assert t.level == expected, t


# --- statements and categories ----------------------------------------------------------

CATEGORY_SOURCE = """
@Override
public void handle(Request req) throws IOException {
    // a comment
    int total = 0;
    total += req.size();
    counter++;
    LOG.info("handling " + req);
    System.out.println(total);
    req.setUser(user);
    req.getUser();
    process(req);
    this.state = total;
    synchronized (lock) { notifyAll(); }
    for (int i = 0; i < 3; i++) { total--; }
    for (Item it : req.items()) { continue; }
    while (total > 0) { total -= 2; }
    do { total++; } while (total < 3);
    if (total > 1) { return; } else { throw new IllegalStateException("x"); }
    switch (total) {
        case 1: break;
        default: total = 2;
    }
    try { close(); } catch (Exception e) { e.printStackTrace(); } finally { done(); }
}
"""


@pytest.fixture(scope="module")
def categories():
    s = java.tokenize(CATEGORY_SOURCE)
    check_spans(s)
    assert s.parsed, s.warnings
    return s


@pytest.mark.parametrize("text,nth,category", [
    ("@", 0, "annotation"),
    ("// a comment", 0, "annotation"),
    ("handle", 0, "method"),
    ("total", 0, "variable"),
    ("+=", 0, "expression"),
    ("counter", 0, "expression"),
    ("LOG", 0, "logger"),
    ("System", 0, "logger"),
    ("setUser", 0, "setter"),
    ("getUser", 0, "getter"),
    ("process", 0, "function"),
    ("state", 0, "variable"),
    ("synchronized", 0, "synchronized"),
    ("notifyAll", 0, "function"),
    ("for", 0, "for"),
    ("for", 1, "for"),
    ("continue", 0, "continue"),
    ("while", 0, "while"),
    ("do", 0, "while"),
    ("while", 1, "while"),
    ("if", 0, "if"),
    ("else", 0, "if"),
    ("return", 0, "return"),
    ("throw", 0, "throw"),
    ("switch", 0, "switch"),
    ("case", 0, "case"),
    ("break", 0, "break"),
    ("default", 0, "case"),
    ("try", 0, "try"),
    ("catch", 0, "catch"),
    ("finally", 0, "finally"),
    ("done", 0, "function"),
])
def test_statement_categories(categories, text, nth, category):
    got, stmt = statement_of(categories, text, nth)
    assert got == category, stmt


def test_statement_boundaries(categories):
    s = categories
    assert statement_of(s, "@") == ("annotation", "@ Override")
    assert statement_of(s, "public")[1] == "public void handle ( Request req ) throws IOException {"
    assert statement_of(s, "for")[1] == "for ( int i = 0 ; i < 3 ; i ++ ) {"
    assert statement_of(s, "case")[1] == "case 1 :"
    assert statement_of(s, "break")[1] == "break ;"
    # a closing brace is its own statement, classified by the construct it closes
    closing = [t for t in s.tokens if t.text == "}"]
    assert all(s.statements[t.statement].end_token - s.statements[t.statement].start_token == 1
               for t in closing)
    assert closing[-1].category == "method"
    finally_close = closing[-2]
    assert finally_close.category == "finally"


def test_lambda_block_inside_call_stays_one_statement():
    s = tok("void f() { xs.forEach(x -> { g(x); h(x); }); }")
    cat, text = statement_of(s, "xs")
    assert text == "xs . forEach ( x -> { g ( x ) ; h ( x ) ; } ) ;" and cat == "function"


def test_switch_rule_and_label():
    s = tok("void f(int x) { switch (x) { case 1 -> go(); default -> stop(); } }")
    assert s.parsed
    assert statement_of(s, "case") == ("case", "case 1 ->")
    assert statement_of(s, "go") == ("function", "go ( ) ;")


def test_labeled_loop_is_a_loop_statement():
    s = tok("void f() { outer: while (true) { break outer; } }")
    assert statement_of(s, "outer")[0] == "while"
    assert "identifier" not in by_text(s, "outer", 1).roles


def test_loose_statements_parse_in_a_method_wrapper():
    s = tok("int x = 1;\nfoo(x);")
    assert s.parsed
    assert [st.category for st in s.statements] == ["variable", "function"]


# --- broken input ------------------------------------------------------------------------

def test_broken_code_keeps_tokens_and_warns():
    src = "public void f() {\n  int x = 3 # 4;\n  foo(;\n}"
    s = tok(src)
    assert not s.parsed
    assert len(s.warnings) == 1
    assert "did not parse cleanly" in s.warnings[0] and "line" in s.warnings[0]
    assert "#" in s.texts and "foo" in s.texts
    visible = "".join(src.split())
    assert "".join(s.texts) == visible                # every visible character is in a token


def test_unclosed_method_warning_points_at_the_end():
    src = "public void f() {\n  g();\n"
    s = tok(src)
    assert not s.parsed
    assert "line 3" in s.warnings[0]
    assert s.texts == ["public", "void", "f", "(", ")", "{", "g", "(", ")", ";"]


@pytest.mark.parametrize("src", [
    'void f() { String s = "abc ; }',
    "void f() { /* never closed",
    "))))) {{{{ ;;; }}}",
    "é ü ∑ \ud800 'x",
    "@",
    "\x00\x01 class",
])
def test_garbage_never_raises_and_covers_input(src):
    s = tok(src)
    assert not s.parsed and s.warnings
    assert "".join(s.texts) == "".join(src.split())


def test_internal_failure_falls_back_to_lexical(monkeypatch):
    def boom(*_a, **_k):
        raise RuntimeError("boom")

    monkeypatch.setattr(java, "_parse", boom)
    s = java.tokenize("int f() { return 1; }")
    assert not s.parsed and "lexical" in s.warnings[0]
    assert s.texts == ["int", "f", "(", ")", "{", "return", "1", ";", "}"]


def test_registered_language():
    import leancode.languages as langs

    assert langs._LANGUAGES.get("java") is java.tokenize
    assert java.NAME == "java"
