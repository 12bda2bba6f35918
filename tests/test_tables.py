"""Importance tables: building, JSON round trip, atomic save, bad files, fallbacks, merging."""
from __future__ import annotations

import json
import math
import os

import pytest

import leancode.tables as tables
from leancode.errors import TableError
from leancode.tables import ImportanceTable, TableBuilder, as_table, build_table, default_table
from leancode.tokens import CodeSnippet, CodeToken

NAN = float("nan")


def snip(texts, cats, stmts) -> CodeSnippet:
    toks, pos = [], 0
    for i, (t, c, s) in enumerate(zip(texts, cats, stmts)):
        toks.append(CodeToken(index=i, text=t, start=pos, end=pos + len(t), kind="other",
                              statement=s, category=c))
        pos += len(t) + 1
    return CodeSnippet(source=" ".join(texts), language="java", tokens=toks)


def two_snippets():
    a = snip(["return", "x", ";", "if", "x"], ["return"] * 3 + ["if"] * 2, [0, 0, 0, 1, 1])
    b = snip(["x", "=", "y", ";"], ["variable"] * 4, [0, 0, 0, 0])
    return [(a, [0.5, 0.2, 0.1, 0.4, NAN]), (b, [0.6, 0.3, 0.9, NAN])]


def builder(**kw) -> TableBuilder:
    args = dict(method="leancode", task="search", language="java", model="tiny", source="cls",
                corpus="unit", split="train")
    args.update(kw)
    return TableBuilder(**args)


def built() -> ImportanceTable:
    b = builder()
    for s, scores in two_snippets():
        b.add(s, scores)
    return b.build()


# -------------------------------------------------------------------- builder
def test_builder_means_and_counts():
    t = built()
    assert t.n_snippets == 2
    assert t.token_scores["x"] == [pytest.approx(0.4), 2]      # 0.2 and 0.6; the NaN is skipped
    assert t.token_scores[";"] == [pytest.approx(0.1), 1]
    assert t.context_scores["return"]["x"] == [pytest.approx(0.2), 1]
    assert t.context_scores["variable"]["x"] == [pytest.approx(0.6), 1]
    assert "x" not in t.context_scores["if"]
    # statement attention = the sum of its seen tokens' scores
    assert t.category_scores["return"] == [pytest.approx(0.8), 1]
    assert t.category_scores["if"] == [pytest.approx(0.4), 1]
    assert t.category_scores["variable"] == [pytest.approx(1.8), 1]
    assert t.corpus == {"name": "unit", "split": "train"}
    assert t.created and t.leancode_version


def test_category_score_is_the_mean_over_statements():
    b = builder()
    s = snip(["a", "b", "c"], ["if", "if", "if"], [0, 0, 1])
    b.add(s, [1.0, 2.0, 6.0])   # statement 0: 3.0, statement 1: 6.0
    assert b.build().category_scores["if"] == [pytest.approx(4.5), 2]


def test_statement_with_no_seen_token_is_not_counted():
    b = builder()
    b.add(snip(["a", "b"], ["if", "for"], [0, 1]), [1.0, NAN])
    assert "for" not in b.build().category_scores


def test_add_rejects_wrong_lengths_and_types():
    b = builder()
    s, _ = two_snippets()[0]
    with pytest.raises(TableError, match="got 2 scores"):
        b.add(s, [1.0, 2.0])
    with pytest.raises(TableError):
        b.add(s, ["a"] * 5)
    with pytest.raises(TableError):
        b.add("code", [])


def test_build_table_convenience():
    pairs = two_snippets()
    scores = {id(s): sc for s, sc in pairs}
    t = build_table([s for s, _ in pairs], lambda s: scores[id(s)], method="leancode",
                    task="search", language="java", model="tiny", source="cls", corpus="unit")
    assert t.to_dict()["token_scores"] == built().to_dict()["token_scores"]


# ------------------------------------------------------------------ fallbacks
def test_lookups_and_fallbacks():
    t = built()
    assert t.context_score("return", "x") == pytest.approx(0.2)
    assert t.context_score("if", "x") == pytest.approx(0.4)       # token mean over categories
    assert t.context_score("if", "nothing") == math.inf
    assert t.context_score("if", "nothing", default=-1.0) == -1.0
    assert t.token_score("y") == pytest.approx(0.9)
    assert t.token_score("nothing") == math.inf
    assert t.category_score("return") == pytest.approx(0.8)
    assert t.category_score("logger") == pytest.approx((0.8 + 0.4 + 1.8) / 3)
    assert ImportanceTable("dietcode", "search", "java").category_score("if") == 0.0
    assert t.count("x") == 2 and t.count("x", "return") == 1 and t.count("zz") == 0


def test_token_mean_derived_from_context_entries():
    t = ImportanceTable("leancode", "search", "java",
                        context_scores={"if": {"a": [1.0, 1]}, "for": {"a": [4.0, 3]}})
    assert t.token_score("a") == pytest.approx(3.25)
    assert t.context_score("return", "a") == pytest.approx(3.25)


# ---------------------------------------------------------------- JSON / disk
def test_round_trip(tmp_path):
    t = built()
    path = t.save(tmp_path / "sub" / "table.json")
    data = json.loads(path.read_text())
    assert data["format"] == "leancode-importance-table" and data["version"] == 1
    assert data["provenance"]["source"] == "cls"
    assert data["provenance"]["corpus"] == {"name": "unit", "split": "train"}
    u = ImportanceTable.load(path)
    assert u.to_dict() == t.to_dict()
    assert u == t
    assert "leancode table for search/java" in u.describe()


def test_save_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "t.json"
    built().save(path)
    before = path.read_bytes()

    def broken_dump(*a, **k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(tables.json, "dump", broken_dump)
    with pytest.raises(RuntimeError):
        built().save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["t.json"]


def test_save_refuses_non_finite_scores(tmp_path):
    t = ImportanceTable("leancode", "search", "java", token_scores={"a": [math.nan, 1]})
    with pytest.raises(TableError, match="finite"):
        t.save(tmp_path / "t.json")
    assert os.listdir(tmp_path) == []


def test_save_into_a_folder_path(tmp_path):
    with pytest.raises(TableError, match="folder"):
        built().save(tmp_path)


def good_dict() -> dict:
    return built().to_dict()


@pytest.mark.parametrize("content, message", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "expected a JSON object"),
    (json.dumps({"format": "other"}), "not a LeanCode importance table"),
    (json.dumps({**good_dict(), "version": 2}), "newer"),
    (json.dumps({**good_dict(), "version": "1"}), "version"),
    (json.dumps({**good_dict(), "provenance": {"task": "search"}}), "provenance.method"),
    (json.dumps({**good_dict(), "token_scores": {"a": [1.0]}}), r"token_scores\['a'\]"),
    (json.dumps({**good_dict(), "token_scores": {"a": [1.0, 0]}}), "count"),
    (json.dumps({**good_dict(), "token_scores": {"a": ["x", 1]}}), "finite number"),
    (json.dumps({**good_dict(), "category_scores": [1]}), "category_scores must be an object"),
    (json.dumps({**good_dict(), "context_scores": {"if": {"a": [1, -2]}}}), "count"),
    ('{"format": "leancode-importance-table", "version": 1, "token_scores": {"a": [NaN, 1]}}',
     "finite"),
])
def test_bad_files(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(TableError, match=message):
        ImportanceTable.load(path)


def test_missing_and_binary_files(tmp_path):
    with pytest.raises(TableError, match="not found"):
        ImportanceTable.load(tmp_path / "missing.json")
    with pytest.raises(TableError, match="folder"):
        ImportanceTable.load(tmp_path)
    (tmp_path / "bin.json").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(TableError, match="UTF-8"):
        ImportanceTable.load(tmp_path / "bin.json")


def test_bare_numbers_are_accepted(tmp_path):
    d = good_dict()
    d["token_scores"] = {"a": 0.5}
    path = tmp_path / "t.json"
    path.write_text(json.dumps(d))
    assert ImportanceTable.load(path).token_scores["a"] == [0.5, 1]


# ---------------------------------------------------------------------- merge
def test_merge_equals_building_on_the_union():
    pairs = two_snippets()
    b1, b2, both = builder(), builder(corpus="other"), builder()
    b1.add(*pairs[0])
    b2.add(*pairs[1])
    for p in pairs:
        both.add(*p)
    merged = b1.build().merge(b2.build())
    whole = both.build()
    assert merged.n_snippets == 2
    for key in ("token_scores", "category_scores"):
        got, want = getattr(merged, key), getattr(whole, key)
        assert set(got) == set(want)
        for k in want:
            assert got[k][0] == pytest.approx(want[k][0]) and got[k][1] == want[k][1]
    assert merged.context_scores["return"]["x"] == whole.context_scores["return"]["x"]
    assert merged.corpus["name"] == "unit + other"


def test_merge_refuses_other_languages():
    other = builder(language="python").build()
    with pytest.raises(TableError, match="language"):
        built().merge(other)
    with pytest.raises(TableError):
        built().merge({"not": "a table"})


# -------------------------------------------------------------- shipped tables
def test_default_table_none_when_absent(tmp_path, monkeypatch):
    monkeypatch.setattr(tables, "TABLES_DIR", tmp_path)
    assert default_table("leancode", "search", "java") is None


def test_default_table_loads_the_shipped_file(tmp_path, monkeypatch):
    monkeypatch.setattr(tables, "TABLES_DIR", tmp_path)
    built().save(tmp_path / "leancode-search-java.json")
    t = default_table("leancode", "search", "java")
    assert t is not None and t.token_scores == built().token_scores
    assert default_table("leancode", "summarize", "java") is None


def test_as_table(tmp_path):
    t = built()
    assert as_table(None) is None and as_table(t) is t
    path = t.save(tmp_path / "t.json")
    assert as_table(str(path)).token_scores == t.token_scores
    with pytest.raises(TableError):
        as_table("  ")
    with pytest.raises(TableError):
        as_table(3.5)
