"""The command line through its real entry points (console script and main())."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from leancode.cli import main

JAVA = "public int size ( ) { return this . items . size ( ) ; }"
JAVA_RAW = """
public int size() {
    // how many items
    return this.items.size();
}
"""


def run_cli(*args, stdin=None):
    exe = shutil.which("leancode")
    cmd = [exe, *args] if exe else [sys.executable, "-c", "from leancode.cli import entry; entry()", *args]
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=120)


def test_console_script_prune_slimcode_worked_example():
    r = run_cli("prune", "-", "--method", "slimcode", "--ratio", "0.5", "--lang", "java", stdin=JAVA)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "public int size ( return this items size"


def test_console_script_bad_method_is_one_line():
    r = run_cli("prune", "-", "--method", "nope", "--ratio", "0.5", stdin=JAVA)
    assert r.returncode != 0
    assert "Traceback" not in r.stderr
    assert r.stderr.strip().startswith("error:") and "nope" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("args,needle", [
    (["--ratio", "1.0"], "ratio"),
    (["--ratio", "-0.1"], "ratio"),
    (["--ratio", "0.2", "--lang", "cobol"], "unknown language"),
    (["--ratio", "0.2", "--method", "leancode", "--table", "/nonexistent/t.json"], "t.json"),
    ([], "--ratio"),
    (["--ratio", "0.2", "--budget", "3"], "not both"),
])
def test_bad_input_messages(tmp_path, capsys, args, needle):
    f = tmp_path / "a.java"
    f.write_text(JAVA)
    code = main(["prune", str(f), *args])
    err = capsys.readouterr().err
    assert code != 0
    assert needle in err
    assert "Traceback" not in err


def test_unreadable_file(capsys, tmp_path):
    assert main(["prune", str(tmp_path / "missing.java"), "--ratio", "0.1"]) != 0
    assert "not found" in capsys.readouterr().err
    (tmp_path / "bin.java").write_bytes(b"\xff\xfe\x00bad")
    assert main(["tokens", str(tmp_path / "bin.java")]) != 0
    assert "UTF-8" in capsys.readouterr().err


def test_prune_json(tmp_path, capsys):
    f = tmp_path / "a.java"
    f.write_text(JAVA_RAW)
    assert main(["prune", str(f), "--method", "slimcode", "--ratio", "0.3", "--format", "json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["method"] == "slimcode" and d["language"] == "java"
    assert d["n_removed"] == sum(1 for t in d["tokens"] if not t["kept"])
    assert d["pruned"] == " ".join(t["text"] for t in d["tokens"] if t["kept"])
    assert {"kept", "score", "level", "category"} <= set(d["tokens"][0])


def test_prune_budget_and_lines(tmp_path, capsys):
    f = tmp_path / "many.txt"
    f.write_text(JAVA + "\n" + "void f ( int x ) { if ( x > 0 ) { log ( x ) ; } }\n")
    assert main(["prune", str(f), "--lines", "--method", "slimcode", "--budget", "6", "--lang", "java"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out == ["public int size this items size", "void f int x x x"]


def test_prune_random_seeded(tmp_path, capsys):
    f = tmp_path / "a.java"
    f.write_text(JAVA)
    main(["prune", str(f), "--method", "random", "--ratio", "0.5", "--seed", "3"])
    a = capsys.readouterr().out
    main(["prune", str(f), "--method", "random", "--ratio", "0.5", "--seed", "3"])
    assert capsys.readouterr().out == a
    assert len(a.split()) == 8


def test_tokens_json(tmp_path, capsys):
    f = tmp_path / "a.py"
    f.write_text("def add(a, b):\n    # sum\n    return a + b\n")
    assert main(["tokens", str(f), "--format", "json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["language"] == "python"
    texts = [t["text"] for t in d["tokens"]]
    assert texts[:2] == ["def", "add"] and "# sum" in texts
    src = f.read_text()
    for t in d["tokens"]:
        assert src[t["start"]:t["end"]] == t["text"]
        assert 1 <= t["level"] <= 8


def test_empty_input(tmp_path, capsys):
    f = tmp_path / "empty.java"
    f.write_text("   \n")
    assert main(["prune", str(f), "--method", "slimcode", "--ratio", "0.5"]) == 0
    captured = capsys.readouterr()
    assert "empty input" in captured.err
    assert captured.out.strip() == ""
