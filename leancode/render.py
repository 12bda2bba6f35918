"""HTML and table views of a tokenised snippet, for the app and for exports.

Everything here is a pure function from a :class:`~leancode.tokens.CodeSnippet` (plus optional
per-token scores or a keep-mask) to a string.  The HTML keeps the code in its original layout:
the text between tokens (spaces, newlines, tabs) is copied from the source, and every code token
becomes one ``<span>`` with an inline background colour and a ``title`` attribute that the
browser shows on hover.  Only inline styles are used, so a fragment can be dropped into any page
(Streamlit's ``st.html`` included) and :func:`standalone_html` turns fragments into a complete
document that opens offline.
"""
from __future__ import annotations

import csv
import html
import io
import json
import math
import numbers
from typing import Iterable, Mapping, Optional, Sequence

from .tokens import CATEGORIES, CodeSnippet

#: Sequential palette for importance (light to dark), as RGB stops.
HEAT_STOPS = ((255, 255, 255), (255, 237, 160), (254, 178, 76), (240, 59, 32), (128, 0, 38))

#: Colour of a token that has no score (for example beyond the model's window).
UNSEEN_BG = "#e6e6e6"

#: One colour per DietCode statement category (qualitative, readable under dark text).
CATEGORY_COLORS: dict = {
    "try": "#fdbf6f", "catch": "#fdcdac", "finally": "#f1e2cc", "break": "#e5d8bd", "continue": "#decbe4",
    "return": "#fb9a99", "throw": "#fddaec", "annotation": "#d9d9d9", "while": "#80cdc1", "for": "#b3e2cd",
    "if": "#ffff99", "switch": "#cbd5e8", "expression": "#f4cae4", "synchronized": "#e6f5c9", "case": "#fff2ae",
    "method": "#a6cee3", "variable": "#ccebc5", "logger": "#c2a5cf", "setter": "#dadaeb", "getter": "#d4b9da",
    "function": "#e7d4e8", "none": "#f0f0f0",
}
assert set(CATEGORY_COLORS) == set(CATEGORIES)

#: One colour per SlimCode level: 1 (kept longest) is dark green, 8 (removed first) is red.
LEVEL_COLORS: dict = {
    1: "#1a9850", 2: "#66bd63", 3: "#a6d96a", 4: "#d9ef8b",
    5: "#fee08b", 6: "#fdae61", 7: "#f46d43", 8: "#d73027",
}

_MONO = ("font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,'Liberation Mono',monospace;"
         "font-size:13px;line-height:1.55;")
_PRE_STYLE = ("white-space:pre;overflow-x:auto;tab-size:4;-moz-tab-size:4;margin:0;padding:10px 12px;"
              "border:1px solid #ddd;border-radius:6px;background:#fff;color:#111;" + _MONO)
_TOKEN_STYLE = "border-radius:3px;padding:1px 0;"
_REMOVED_STYLE = "text-decoration:line-through;text-decoration-color:#c0392b;opacity:.38;background:#fde2e1;"


# --------------------------------------------------------------------------- colours

def _is_number(x) -> bool:
    try:
        return x is not None and not isinstance(x, bool) and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def normalize(scores: Sequence, mode: str = "linear") -> list:
    """Map scores to [0, 1] for colouring; missing or non-finite scores map to ``None``.

    ``mode`` ``"linear"``: min-max scaling over the finite scores (all equal: 0.5);
    ``"rank"``: the score's rank among the finite scores (ties share their mean rank), which
    spreads heavy-tailed attention evenly over the colour scale.
    """
    if mode not in ("linear", "rank"):
        raise ValueError(f"unknown normalisation {mode!r}; choose linear or rank")
    vals = [float(s) if _is_number(s) else None for s in scores]
    finite = [v for v in vals if v is not None]
    if not finite:
        return [None] * len(vals)
    if mode == "linear":
        lo, hi = min(finite), max(finite)
        if hi - lo <= 1e-12 * max(1.0, abs(hi)):
            return [None if v is None else 0.5 for v in vals]
        return [None if v is None else (v - lo) / (hi - lo) for v in vals]
    order = sorted(finite)
    if len(order) == 1:
        return [None if v is None else 0.5 for v in vals]
    first: dict = {}
    last: dict = {}
    for i, v in enumerate(order):
        first.setdefault(v, i)
        last[v] = i
    denom = len(order) - 1
    return [None if v is None else (first[v] + last[v]) / 2 / denom for v in vals]


def heat_rgb(t: Optional[float]) -> Optional[tuple]:
    """RGB of position ``t`` in [0, 1] on the heat palette (``None`` stays ``None``)."""
    if t is None:
        return None
    t = min(1.0, max(0.0, float(t)))
    seg = t * (len(HEAT_STOPS) - 1)
    i = min(int(seg), len(HEAT_STOPS) - 2)
    f = seg - i
    a, b = HEAT_STOPS[i], HEAT_STOPS[i + 1]
    return tuple(round(a[c] + (b[c] - a[c]) * f) for c in range(3))


def _hex(rgb: tuple) -> str:
    return "#%02x%02x%02x" % rgb


def heat_color(t: Optional[float]) -> str:
    """Background colour (hex) of a normalised score; grey for ``None``."""
    rgb = heat_rgb(t)
    return UNSEEN_BG if rgb is None else _hex(rgb)


def text_color(background: str) -> str:
    """Black or white, whichever reads better on ``background`` (``#rrggbb``)."""
    r, g, b = (int(background[i:i + 2], 16) for i in (1, 3, 5))
    luminance = 0.299 * r + 0.587 * g + 0.114 * b
    return "#111" if luminance > 140 else "#fff"


def fmt_score(x) -> str:
    """A score as short text: 4 significant digits, or ``n/a``."""
    if not _is_number(x):
        return "n/a"
    x = float(x)
    if x != 0 and (abs(x) < 1e-3 or abs(x) >= 1e5):
        return f"{x:.3e}"
    return f"{x:.4g}"


# --------------------------------------------------------------------------- code

def token_title(snippet: CodeSnippet, i: int, score=None, extra: str = "") -> str:
    """The hover text of token ``i``: text, score, statement and its category, level, roles."""
    t = snippet.tokens[i]
    parts = [f"#{t.index} {t.text!r} ({t.kind})"]
    if score is not None or extra:
        parts.append(f"score: {fmt_score(score)}")
    parts.append(f"statement {t.statement}: {t.category}")
    parts.append(f"SlimCode level {t.level}" + (f"; roles: {', '.join(sorted(t.roles))}" if t.roles else ""))
    if extra:
        parts.append(extra)
    return "\n".join(parts)


def _layout_pieces(snippet: CodeSnippet):
    """Yield ``("gap", text)`` and ``("tok", index)`` pieces that rebuild the source layout.

    Falls back to single spaces between tokens whose offsets do not match the source
    (overlapping or inconsistent spans), so rendering never fails.
    """
    src = snippet.source or ""
    cursor = 0
    for i, t in enumerate(snippet.tokens):
        ok = (isinstance(t.start, int) and isinstance(t.end, int) and cursor <= t.start <= t.end <= len(src)
              and src[t.start:t.end] == t.text)
        if ok:
            if t.start > cursor:
                yield "gap", src[cursor:t.start]
            cursor = t.end
        elif i:
            yield "gap", " "
        yield "tok", i
    # trailing text (after the last token) is dropped except a final newline, which <pre> ignores anyway


def code_html(snippet: CodeSnippet, scores: Optional[Sequence] = None, *, keep: Optional[Sequence] = None,
              backgrounds: Optional[Sequence] = None, titles: Optional[Sequence] = None,
              mode: str = "linear", line_numbers: bool = False, element_id: Optional[str] = None) -> str:
    """The snippet as a ``<pre>`` block in its original layout, one coloured ``<span>`` per token.

    - ``scores``: one number per token (NaN/None: unseen, grey); coloured on the heat palette
      after :func:`normalize` with ``mode``.
    - ``backgrounds``: explicit ``#rrggbb`` colours per token (overrides ``scores`` for colour).
    - ``keep``: keep-mask; removed tokens are struck through and faded.
    - ``titles``: hover text per token (default: :func:`token_title`).
    """
    n = snippet.n
    for name, seq in (("scores", scores), ("keep", keep), ("backgrounds", backgrounds), ("titles", titles)):
        if seq is not None and len(seq) != n:
            raise ValueError(f"{name} has {len(seq)} entries for {n} tokens")
    norm = normalize(scores, mode) if scores is not None else None
    out = []
    for kind, piece in _layout_pieces(snippet):
        if kind == "gap":
            out.append(html.escape(piece.replace("\r\n", "\n").replace("\r", "\n")))
            continue
        i = piece
        style = _TOKEN_STYLE
        if backgrounds is not None and backgrounds[i]:
            bg = backgrounds[i]
            style += f"background:{bg};color:{text_color(bg)};"
        elif norm is not None:
            bg = heat_color(norm[i])
            style += f"background:{bg};color:{text_color(bg)};"
        removed = keep is not None and not keep[i]
        if removed:
            style += _REMOVED_STYLE
        title = titles[i] if titles is not None else token_title(
            snippet, i, scores[i] if scores is not None else None, "removed" if removed else "")
        cls = "lc-tok lc-removed" if removed else "lc-tok"
        out.append(f'<span class="{cls}" data-i="{i}" style="{style}" title="{html.escape(title, quote=True)}">'
                   f"{html.escape(snippet.tokens[i].text)}</span>")
    body = "".join(out)
    if line_numbers and body:
        lines = body.split("\n")
        width = len(str(len(lines)))
        body = "\n".join(f'<span style="color:#999;user-select:none">{k:>{width}} </span>{ln}'
                         for k, ln in enumerate(lines, 1))
    ident = f' id="{html.escape(element_id, quote=True)}"' if element_id else ""
    if not n:
        body = '<span style="color:#888">(no code tokens)</span>'
    return f'<pre class="lc-code"{ident} style="{_PRE_STYLE}">{body}</pre>'


def chips_html(items: Iterable[Mapping], lo: Optional[float] = None, hi: Optional[float] = None,
               label: str = "") -> str:
    """Small coloured boxes for tokens outside the code (special and query tokens).

    Each item has ``text``, ``kind`` and ``score``; colours use the range ``lo``..``hi`` (the code
    tokens' range, so the two views compare) and clip values outside it.
    """
    spans = []
    for it in items:
        s = it.get("score")
        if _is_number(s) and lo is not None and hi is not None and hi > lo:
            bg = heat_color((float(s) - lo) / (hi - lo))
        elif _is_number(s):
            bg = heat_color(0.5)
        else:
            bg = UNSEEN_BG
        title = f"{it.get('text', '')!r} ({it.get('kind', 'special')})\nscore: {fmt_score(s)}"
        spans.append(f'<span title="{html.escape(title, quote=True)}" style="display:inline-block;margin:2px;'
                     f'padding:1px 5px;border:1px solid #ccc;border-radius:4px;background:{bg};'
                     f'color:{text_color(bg)};{_MONO}">{html.escape(str(it.get("text", "")))}</span>')
    head = f'<span style="color:#555;margin-right:6px;font-size:13px">{html.escape(label)}</span>' if label else ""
    return f'<div class="lc-chips">{head}{"".join(spans)}</div>'


def legend_html(lo: Optional[float], hi: Optional[float], label: str = "importance", mode: str = "linear",
                unseen: int = 0) -> str:
    """A colour bar from ``lo`` to ``hi`` with its label (and a grey box when tokens were unseen)."""
    stops = ",".join(_hex(heat_rgb(k / 10)) for k in range(11))
    ends = ("lowest", "highest") if mode == "rank" else (fmt_score(lo), fmt_score(hi))
    extra = ""
    if unseen:
        extra = (f'<span style="margin-left:14px"><span style="display:inline-block;width:14px;height:12px;'
                 f'background:{UNSEEN_BG};border:1px solid #bbb;vertical-align:middle"></span> '
                 f'not seen by the model ({unseen} token{"s" if unseen != 1 else ""})</span>')
    scale = " (rank)" if mode == "rank" else ""
    return (f'<div class="lc-legend" style="font-size:13px;color:#333;margin:6px 0">'
            f'{html.escape(label)}{scale}: <span>{html.escape(ends[0])}</span> '
            f'<span style="display:inline-block;width:180px;height:12px;vertical-align:middle;'
            f'border:1px solid #bbb;background:linear-gradient(to right,{stops})"></span> '
            f'<span>{html.escape(ends[1])}</span>{extra}</div>')


def swatch_legend_html(mapping: Mapping, title: str = "") -> str:
    """A legend of labelled colour boxes, e.g. statement categories or SlimCode levels."""
    items = "".join(
        f'<span style="display:inline-block;margin:2px 8px 2px 0;white-space:nowrap">'
        f'<span style="display:inline-block;width:14px;height:12px;background:{c};border:1px solid #bbb;'
        f'vertical-align:middle"></span> {html.escape(str(k))}</span>'
        for k, c in mapping.items())
    head = f"<b>{html.escape(title)}</b> " if title else ""
    return f'<div class="lc-legend" style="font-size:13px;color:#333;margin:6px 0">{head}{items}</div>'


def category_backgrounds(snippet: CodeSnippet) -> list:
    """One colour per token: its statement category."""
    return [CATEGORY_COLORS.get(t.category, "#f0f0f0") for t in snippet.tokens]


def level_backgrounds(snippet: CodeSnippet) -> list:
    """One colour per token: its SlimCode level (green kept longest, red removed first)."""
    return [LEVEL_COLORS.get(t.level, "#f0f0f0") for t in snippet.tokens]


def standalone_html(fragments, title: str = "LeanCode Studio") -> str:
    """A complete offline HTML document around one fragment or a list of fragments."""
    if isinstance(fragments, str):
        fragments = [fragments]
    body = "\n".join(fragments)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title>"
            "<style>body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px;color:#111}"
            "h1{font-size:20px}h2{font-size:16px;margin-top:22px}</style></head>"
            f"<body><h1>{html.escape(title)}</h1>\n{body}\n</body></html>\n")


# --------------------------------------------------------------------------- tables

def token_rows(snippet: CodeSnippet, scores: Optional[Sequence] = None, keep: Optional[Sequence] = None,
               extra: Optional[Mapping] = None) -> list:
    """One dict per token: index, text, span, kind, statement, category, level, roles, [score], [kept], extras.

    ``extra`` maps a column name to one value per token (for example several score sources).
    Non-finite scores become ``None``.
    """
    rows = []
    for i, t in enumerate(snippet.tokens):
        row = {"index": t.index, "text": t.text, "start": t.start, "end": t.end, "kind": t.kind,
               "statement": t.statement, "category": t.category, "level": t.level,
               "roles": " ".join(sorted(t.roles))}
        if scores is not None:
            row["score"] = float(scores[i]) if _is_number(scores[i]) else None
        if keep is not None:
            row["kept"] = bool(keep[i])
        for name, values in (extra or {}).items():
            v = values[i]
            if isinstance(v, bool) or v is None or isinstance(v, str):
                row[name] = v
            elif isinstance(v, numbers.Number):
                row[name] = float(v) if _is_number(v) else None
            else:
                row[name] = v
        rows.append(row)
    return rows


def rows_to_csv(rows: Sequence[Mapping]) -> str:
    """CSV text (header from the first row's keys, then any new keys in order of appearance)."""
    cols: list = []
    for r in rows:
        for k in r:
            if k not in cols:
                cols.append(k)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in cols})
    return buf.getvalue()


def rows_to_json(rows: Sequence[Mapping], meta: Optional[Mapping] = None) -> str:
    """JSON text ``{"meta": ..., "tokens": rows}`` (NaN never appears: it is written as null)."""
    def clean(v):
        if isinstance(v, float) and not math.isfinite(v):
            return None
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [clean(x) for x in v]
        return v

    return json.dumps({"meta": clean(dict(meta or {})), "tokens": clean(list(rows))}, ensure_ascii=False,
                      indent=1, default=str)


__all__ = ["CATEGORY_COLORS", "LEVEL_COLORS", "UNSEEN_BG", "category_backgrounds", "chips_html", "code_html",
           "fmt_score", "heat_color", "heat_rgb", "legend_html", "level_backgrounds", "normalize",
           "rows_to_csv", "rows_to_json", "standalone_html", "swatch_legend_html", "text_color", "token_rows",
           "token_title"]
