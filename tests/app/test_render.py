"""HTML and table exports of a tokenised snippet (leancode.render)."""
from __future__ import annotations

import csv
import html
import io
import json
import math
import re

import pytest

import leancode
from leancode import render
from leancode.tokens import CodeSnippet, CodeToken

JAVA = """public List<String> names(Map<String, User> users) {
    // keep the "active" ones & sort
    List<String> out = new ArrayList<>();
\tfor (User u : users.values()) {
        if (u.isActive()) out.add(u.getName());
    }
    return out;
}"""


def strip_tags(fragment: str) -> str:
    inner = re.sub(r"^<pre[^>]*>|</pre>$", "", fragment)
    return html.unescape(re.sub(r"<[^>]+>", "", inner))


@pytest.fixture(scope="module")
def snip():
    s = leancode.tokenize(JAVA, "java")
    assert s.n > 30
    return s


def test_normalize_linear_rank_and_missing():
    assert render.normalize([1.0, 3.0, 2.0]) == [0.0, 1.0, 0.5]
    assert render.normalize([5, 5]) == [0.5, 0.5]
    assert render.normalize([1.0, float("nan"), None, 3.0]) == [0.0, None, None, 1.0]
    assert render.normalize([0.001, 0.002, 100.0], "rank") == [0.0, 0.5, 1.0]
    assert render.normalize([2.0, 1.0, 1.0, 3.0], "rank") == [2 / 3, 1 / 6, 1 / 6, 1.0]
    assert render.normalize([]) == []
    assert render.normalize([float("inf"), None]) == [None, None]
    with pytest.raises(ValueError):
        render.normalize([1.0], "log")


def test_colours_run_from_white_to_dark_with_readable_text():
    assert render.heat_color(0.0) == "#ffffff"
    assert render.heat_color(1.0) == "#800026"
    assert render.heat_color(None) == render.UNSEEN_BG
    assert render.heat_color(7) == render.heat_color(1.0)  # clipped
    assert render.text_color("#ffffff") == "#111"
    assert render.text_color("#800026") == "#fff"


def test_code_keeps_the_original_layout_and_escapes(snip):
    frag = render.code_html(snip)
    assert strip_tags(frag) == JAVA  # every space, tab and newline of the source, in place
    assert ">&lt;</span>" in frag and ">&gt;</span>" in frag and "<String" not in frag
    assert frag.count('class="lc-tok"') == snip.n
    assert "&amp;" in frag  # the comment's '&'


def test_scores_colour_tokens_and_hover_titles(snip):
    scores = [float(i) for i in range(snip.n)]
    scores[3] = float("nan")
    frag = render.code_html(snip, scores)
    spans = re.findall(r'<span class="lc-tok"[^>]*>', frag)
    assert len(spans) == snip.n
    assert "background:#ffffff" in spans[0]
    assert "background:#800026" in spans[-1]
    assert f"background:{render.UNSEEN_BG}" in spans[3]
    title = html.unescape(re.search(r'title="([^"]*)"', spans[-1]).group(1))
    last = snip.tokens[-1]
    assert repr(last.text) in title and f"score: {render.fmt_score(scores[-1])}" in title
    assert f"statement {last.statement}: {last.category}" in title and f"level {last.level}" in title
    assert "score: n/a" in html.unescape(spans[3])


def test_removed_tokens_are_struck_through(snip):
    keep = [i % 3 != 0 for i in range(snip.n)]
    frag = render.code_html(snip, keep=keep, element_id="x1")
    assert frag.count("lc-removed") == keep.count(False)
    assert frag.count("line-through") == keep.count(False)
    assert 'id="x1"' in frag
    assert strip_tags(frag) == JAVA  # removed tokens stay visible (faded), the layout is unchanged


def test_explicit_backgrounds_and_titles(snip):
    frag = render.code_html(snip, backgrounds=render.level_backgrounds(snip), titles=[f"t{i}" for i in range(snip.n)])
    assert 'title="t0"' in frag and f'title="t{snip.n - 1}"' in frag
    assert render.LEVEL_COLORS[snip.tokens[0].level] in frag
    assert len(render.category_backgrounds(snip)) == snip.n


def test_length_mismatch_is_an_error(snip):
    with pytest.raises(ValueError, match="scores"):
        render.code_html(snip, [1.0])
    with pytest.raises(ValueError, match="keep"):
        render.code_html(snip, keep=[True])


def test_inconsistent_offsets_and_crlf_still_render():
    toks = [CodeToken(index=0, text="a", start=0, end=1, kind="identifier"),
            CodeToken(index=1, text="b", start=0, end=1, kind="identifier"),  # overlaps: falls back
            CodeToken(index=2, text="c", start=7, end=8, kind="identifier")]
    s = CodeSnippet(source="a\r\n    c", language="java", tokens=toks)
    # token 1 does not match the source: it is written after a space; CRLF becomes a newline
    out = strip_tags(render.code_html(s))
    assert out.startswith("a b") and out.endswith("c") and "\r" not in out
    empty = CodeSnippet(source="", language="java")
    assert "no code tokens" in render.code_html(empty)


def test_legend_chips_and_swatches():
    leg = render.legend_html(0.001234, 0.5, "CLS attention", unseen=2)
    assert "CLS attention" in leg and "0.001234" in leg and "0.5" in leg and "2 tokens" in leg
    assert "lowest" in render.legend_html(0.0, 1.0, mode="rank")
    chips = render.chips_html([{"text": "[CLS]", "kind": "special", "score": 9.0},
                               {"text": "<q>", "kind": "query", "score": None}], 0.0, 1.0, label="Special")
    assert "[CLS]" in chips and "&lt;q&gt;" in chips and "#800026" in chips and render.UNSEEN_BG in chips
    sw = render.swatch_legend_html({"return": "#ccebc5"}, "Categories")
    assert "#ccebc5" in sw and "return" in sw


def test_standalone_document(snip):
    doc = render.standalone_html([render.code_html(snip), render.legend_html(0, 1)], "A <title>")
    assert doc.startswith("<!DOCTYPE html>") and doc.rstrip().endswith("</html>")
    assert "A &lt;title&gt;" in doc and 'charset="utf-8"' in doc and doc.count("lc-tok") == snip.n
    assert "http" not in doc  # opens offline: nothing is fetched


def test_rows_csv_and_json(snip):
    scores = [0.5] * snip.n
    scores[0] = float("nan")
    keep = [True] * snip.n
    keep[1] = False
    rows = render.token_rows(snip, scores, keep, extra={"other": [1.0] * snip.n, "note": ["x"] * snip.n})
    assert len(rows) == snip.n
    assert rows[0]["score"] is None and rows[1]["kept"] is False and rows[2]["note"] == "x"
    back = list(csv.DictReader(io.StringIO(render.rows_to_csv(rows))))
    assert [r["text"] for r in back] == snip.texts
    assert back[0]["score"] == "" and back[1]["kept"] == "False"
    assert set(back[0]) >= {"index", "text", "start", "end", "kind", "statement", "category", "level", "roles",
                            "score", "kept", "other", "note"}

    def no_nan(token):
        raise AssertionError(f"non-standard JSON constant {token}")

    data = json.loads(render.rows_to_json(rows, {"model": "m", "x": float("inf")}), parse_constant=no_nan)
    assert data["meta"] == {"model": "m", "x": None}
    assert data["tokens"][0]["score"] is None and len(data["tokens"]) == snip.n
    assert math.isclose(data["tokens"][2]["score"], 0.5)


def test_fmt_score():
    assert render.fmt_score(None) == "n/a"
    assert render.fmt_score(float("nan")) == "n/a"
    assert render.fmt_score(0.123456) == "0.1235"
    assert render.fmt_score(1.5e-5) == "1.500e-05"
