"""Corpus mining: fields, filters, duplicates, determinism and the path-based split."""
from __future__ import annotations

import json
import zipfile

import pytest

from leancode.cli import main
from leancode.corpus import (build_corpus, clean_javadoc, clean_python_docstring, first_sentence, is_test_path,
                             mine, mine_file, read_jsonl, split_of, split_words)
from leancode.errors import DataError

FIELDS = {"repo", "path", "func_name", "language", "code", "code_tokens", "docstring", "docstring_tokens"}

JAVA_LIST = '''package demo;

/** A small list. */
public class Box {
    private int n;

    /** Makes an empty box with room for items. */
    public Box() {
        n = 0;
    }

    /**
     * Returns the number of items in this box.
     * More text that is not part of the summary.
     *
     * @return the count, never {@code null}
     */
    @Override
    public int size() {
        // a comment that is not a token
        return this.n;
    }

    /** Adds {@code x} to the <b>box</b> and returns it. */
    public String add(String x) {
        String s = "a \\" b";
        n++;
        return s + x;
    }

    /** Too short to say much. */
    public int one() { return 1; }

    /** Ok. */
    public int undocumentedReally() {
        int a = 1;
        return a;
    }

    public int noDoc() {
        int a = 1;
        return a;
    }

    /** Tests whether the box works fine. */
    public void testBox() {
        int a = 1;
        n = a;
    }

    /** Computes the answer to everything here. */
    public abstract int answer();

    /** Copies the number of items into the other box. */
    public void copyTo(Box other) {
        other.n = n;
        return;
    }
}
'''

JAVA_DUP = '''package demo;

class Other {
    /** Returns the number of items in this box, again. */
    @Override
    public int size() {
        // a different comment
        return this.n;
    }
}
'''

PY_MOD = '''"""Module doc."""


def add(a, b):
    """Add two numbers and return the sum.

    :param a: first
    """
    total = a + b
    return total


def tiny():
    """Return one single value."""
    return 1


class Stack:
    """A stack."""

    def __init__(self):
        """Create an empty stack of items."""
        self.items = []
        self.n = 0

    def push(self, x):
        r"""Push an item on top of the stack."""
        # remember it
        self.items.append(x) or \
            None
        return x


def test_add():
    """Check that add adds numbers."""
    assert add(1, 2) == 3
    assert add(2, 2) == 4
'''


@pytest.fixture
def java_tree(tmp_path):
    root = tmp_path / "proj"
    (root / "src" / "demo").mkdir(parents=True)
    (root / "src" / "demo" / "Box.java").write_text(JAVA_LIST)
    (root / "src" / "demo" / "Other.java").write_text(JAVA_DUP)
    (root / "src" / "test" / "demo").mkdir(parents=True)
    (root / "src" / "test" / "demo" / "BoxCheck.java").write_text(JAVA_LIST.replace("class Box", "class BoxCheck"))
    (root / "README.md").write_text("not code")
    return root


@pytest.fixture
def py_zip(tmp_path):
    path = tmp_path / "pylib.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("pkg/mod.py", PY_MOD)
        zf.writestr("pkg/tests/test_mod.py", PY_MOD)
        zf.writestr("pkg/site-packages/ext.py", PY_MOD)
        zf.writestr("pkg/notes.txt", "text")
    return path


def _all(splits):
    return [r for s in ("train", "valid", "test") for r in splits[s]]


def test_java_fields_and_filters(java_tree):
    splits, stats = mine([java_tree], "java")
    recs = _all(splits)
    names = sorted(r["func_name"] for r in recs)
    assert names == ["Box.add", "Box.copyTo", "Box.size"]
    for r in recs:
        assert FIELDS <= set(r)
        assert r["language"] == "java"
        assert r["repo"] == "proj"
        assert r["path"].startswith("src/demo/")
        assert r["partition"] == split_of(r["path"])
    size = next(r for r in recs if r["func_name"] == "Box.size")
    assert size["code"].startswith("@Override\npublic int size() {")
    assert "/**" not in size["code"] and "// a comment" in size["code"]
    assert size["code_tokens"] == ["@", "Override", "public", "int", "size", "(", ")", "{", "return", "this",
                                   ".", "n", ";", "}"]
    assert size["docstring"].startswith("Returns the number of items in this box.")
    assert "@return" not in size["docstring"]
    assert size["docstring_tokens"] == ["Returns", "the", "number", "of", "items", "in", "this", "box", "."]
    add = next(r for r in recs if r["func_name"] == "Box.add")
    assert '"a \\" b"' in add["code_tokens"]                      # a string literal is one token
    assert add["docstring"] == "Adds x to the box and returns it."  # inline tags and HTML removed
    # skip reasons
    assert stats.skipped["constructor"] == 1
    assert stats.skipped["trivial"] == 1
    assert stats.skipped["short_docstring"] == 1
    assert stats.skipped["no_docstring"] >= 1
    assert stats.skipped["test"] == 1
    assert stats.skipped["no_body"] == 1
    assert stats.skipped["duplicate"] == 1            # Other.size has the same code tokens as Box.size
    assert stats.files_skipped["test_path"] == 1
    assert stats.files_scanned == 2


def test_duplicate_keeps_first_in_path_order(java_tree):
    recs = _all(mine([java_tree], "java")[0])
    assert [r["path"] for r in recs if r["func_name"].endswith(".size")] == ["src/demo/Box.java"]


def test_python_zip(py_zip):
    splits, stats = mine([py_zip], "python")
    recs = _all(splits)
    assert [r["func_name"] for r in recs] == ["add", "Stack.push"]
    add = recs[0]
    assert add["repo"] == "pylib" and add["path"] == "pkg/mod.py"
    assert add["code"] == "def add(a, b):\n    total = a + b\n    return total"
    assert add["code_tokens"] == ["def", "add", "(", "a", ",", "b", ")", ":", "total", "=", "a", "+", "b",
                                  "return", "total"]
    assert add["docstring"] == "Add two numbers and return the sum."
    assert add["docstring_tokens"] == ["Add", "two", "numbers", "and", "return", "the", "sum", "."]
    push = recs[1]
    assert "remember it" in push["code"] and "#" not in " ".join(push["code_tokens"])
    assert push["code"].startswith("def push(self, x):\n    # remember it")
    assert "\\" not in " ".join(push["code_tokens"]) and push["code_tokens"][-4:] == ["or", "None", "return", "x"]
    assert stats.skipped["constructor"] == 1 and stats.skipped["trivial"] == 1 and stats.skipped["test"] == 1
    assert stats.files_skipped["test_path"] == 1       # pkg/tests/...; site-packages is never listed
    assert stats.files_scanned == 1


def test_max_tokens_and_limit(java_tree):
    splits, stats = mine([java_tree], "java", max_tokens=14)
    assert sorted(r["func_name"] for r in _all(splits)) == ["Box.size"]
    assert stats.skipped["too_long"] == 2
    splits, stats = mine([java_tree], "java", limit=1)
    assert stats.kept == 1 and len(_all(splits)) == 1


def test_build_writes_files_deterministically(java_tree, tmp_path):
    out1, out2 = tmp_path / "o1", tmp_path / "o2"
    build_corpus([java_tree], "java", out1)
    build_corpus([java_tree], "java", out2)
    for split in ("train", "valid", "test"):
        a = (out1 / f"{split}.jsonl").read_bytes()
        assert a == (out2 / f"{split}.jsonl").read_bytes()
    rows = [r for s in ("train", "valid", "test") for r in read_jsonl(out1 / f"{s}.jsonl")]
    assert len(rows) == 3
    stats = json.loads((out1 / "stats.json").read_text())
    assert stats["kept"] == 3 and stats["per_split"]
    assert not list(out1.glob(".*.tmp"))


def test_split_is_by_path_and_stable():
    paths = [f"pkg/m{i}/File{i}.java" for i in range(2000)]
    splits = [split_of(p) for p in paths]
    assert splits == [split_of(p) for p in paths]       # stable
    frac = {s: splits.count(s) / len(splits) for s in ("train", "valid", "test")}
    assert 0.75 < frac["train"] < 0.85 and 0.07 < frac["valid"] < 0.13 and 0.07 < frac["test"] < 0.13
    assert [split_of(p, seed=1) for p in paths] != splits  # the seed changes the assignment


def test_one_file_never_spans_two_splits(tmp_path):
    root = tmp_path / "many"
    root.mkdir()
    for i in range(30):
        body = "\n".join(f'''    /** Returns the value number {j} of file {i}. */
    public int v{j}() {{
        int x = {i * 100 + j};
        return x;
    }}''' for j in range(3))
        (root / f"F{i}.java").write_text(f"class F{i} {{\n{body}\n}}\n")
    splits, _ = mine([root], "java")
    where = {}
    for s, recs in splits.items():
        for r in recs:
            where.setdefault(r["path"], set()).add(s)
    assert len(where) == 30 and all(len(v) == 1 for v in where.values())
    # adding files does not move the existing ones
    (root / "Extra.java").write_text("class Extra {}\n")
    again, _ = mine([root], "java")
    assert {r["path"]: s for s, rs in again.items() for r in rs} == {p: next(iter(v)) for p, v in where.items()}


def test_text_helpers():
    assert split_words("Returns the size, e.g. 3.") == ["Returns", "the", "size", ",", "e", ".", "g", ".", "3", "."]
    assert first_sentence("Returns x, e.g. the size. More here.") == "Returns x, e.g. the size."
    assert first_sentence("First para\nstill first.\n\nSecond.") == "First para still first."
    assert first_sentence("No period at all") == "No period at all"
    assert clean_javadoc("/**\n * See {@link Foo#bar(int) the bar}.\n * @param x y\n */") == "See the bar."
    assert clean_javadoc("/** Uses {@link java.util.List#size}. */") == "Uses java.util.List.size."
    assert clean_javadoc("/** a &lt; b <i>here</i>. */") == "a < b here."
    assert clean_python_docstring('"""Do it.\n\n    Args:\n        x: y\n    """') == "Do it."
    assert is_test_path("a/tests/b.py") and is_test_path("a/idle_test/b.py") and is_test_path("FooTest.java")
    assert not is_test_path("a/contest/b.py") and not is_test_path("java/util/Latest.java")


def test_mine_file_never_raises_on_broken_code():
    recs = mine_file(b"class A { /** Returns a thing here. */ int f( { return 1; } ", "A.java", "java")
    assert isinstance(recs, list)


def test_errors(tmp_path, java_tree):
    with pytest.raises(DataError, match="source not found"):
        mine([tmp_path / "nope"], "java")
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"not a zip")
    with pytest.raises(DataError, match="zip"):
        mine([bad], "java")
    with pytest.raises(DataError, match="unknown language"):
        mine([java_tree], "cobol")
    target = tmp_path / "file.txt"
    target.write_text("x")
    with pytest.raises(DataError, match="not a directory"):
        build_corpus([java_tree], "java", target)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError, match="no java files"):
        build_corpus([empty], "java", tmp_path / "out")


def test_cli(java_tree, tmp_path, capsys):
    out = tmp_path / "cli"
    assert main(["corpus", "build", str(java_tree), "--lang", "java", "-o", str(out), "-q"]) == 0
    printed = capsys.readouterr().out
    assert "mined 3 java functions from 2 files" in printed
    assert "duplicate: 1" in printed and "constructor: 1" in printed
    assert (out / "train.jsonl").exists() and (out / "test.jsonl").exists()
    target = tmp_path / "f.txt"
    target.write_text("")
    assert main(["corpus", "build", str(java_tree), "--lang", "java", "-o", str(target)]) == 2
    assert "not a directory" in capsys.readouterr().err
    assert main(["corpus", "build", str(tmp_path / "missing"), "--lang", "java", "-o", str(out)]) == 2
    assert main(["corpus", "build", str(java_tree), "--lang", "rust", "-o", str(out)]) == 2
