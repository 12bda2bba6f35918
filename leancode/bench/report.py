"""The benchmark report: aggregates over seeds, plots, the paper comparison, and REPORT.md.

Inputs (all in one folder, ``reports/`` by default): ``results.json`` (or ``results.csv``)
from ``leancode bench run``, and optionally ``cost.json`` (``leancode bench cost``),
``train-pruned.json`` (``bench run --train-pruned``) and ``DISCUSSION.md`` (a hand-written
interpretation, included verbatim).  Outputs: ``REPORT.md`` and ``plots/*.html`` (always;
Plotly) and ``plots/*.png`` (Kaleido when it works offline, else Matplotlib).

The Streamlit page ``pages/5_Benchmark.py`` uses the same functions: :func:`load_report`,
:func:`plot_specs` and :func:`to_plotly`.
"""
from __future__ import annotations

import csv
import json
import math
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Optional, Sequence

from . import paper

METHOD_ORDER = ("none", "random", "slimcode", "dietcode", "leancode", "leancode-instance")
METHOD_LABELS = {"none": "Unpruned", "random": "Random", "slimcode": "SlimCode", "dietcode": "DietCode",
                 "leancode": "LeanCode", "leancode-instance": "LeanCode (per snippet)"}
METHOD_COLORS = {"none": "#444444", "random": "#9e9e9e", "slimcode": "#1f77b4", "dietcode": "#ff7f0e",
                 "leancode": "#2ca02c", "leancode-instance": "#17becf"}
MODEL_COLORS = ("#2ca02c", "#9467bd", "#d62728", "#8c564b", "#e377c2", "#1f77b4")
METRIC_LABELS = {"mrr": "MRR", "bleu": "smoothed BLEU-4 (×100)"}
TASK_LABELS = {"search": "Code search", "summarize": "Code summarization"}
DISCUSSION_FILE = "DISCUSSION.md"
#: ``<!-- results-date: ISO date -->`` on the first line of DISCUSSION.md ties it to one run.
DISCUSSION_STAMP = "results-date:"


def label(method: str) -> str:
    return METHOD_LABELS.get(method, method)


def _method_key(m: str) -> tuple:
    return (METHOD_ORDER.index(m) if m in METHOD_ORDER else len(METHOD_ORDER), m)


# ----------------------------------------------------------------------------- loading

def _read_json(path: Path) -> Optional[dict]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _num(text: str):
    if text == "":
        return None
    try:
        v = float(text)
    except ValueError:
        return text
    return int(v) if v.is_integer() and "." not in text and "e" not in text.lower() else v


def load_results(out_dir) -> Optional[dict]:
    """``{"metadata", "rows"}`` from ``results.json`` (else ``results.csv``), or None when absent."""
    out = Path(out_dir)
    data = _read_json(out / "results.json")
    if data is not None and isinstance(data.get("rows"), list):
        return {"metadata": data.get("metadata") or {}, "rows": data["rows"]}
    path = out / "results.csv"
    if path.is_file():
        with open(path, newline="", encoding="utf-8") as f:
            rows = [{k: _num(v) if k not in ("task", "language", "model", "method", "metric", "protocol", "device")
                     else v for k, v in r.items()} for r in csv.DictReader(f)]
        for r in rows:
            r["ratio"] = float(r.get("ratio") or 0.0)
        return {"metadata": {}, "rows": rows} if rows else None
    return None


#: An optional second cost run on a GPU (``leancode bench cost --device cuda``, written as
#: ``cost.json`` elsewhere and stored here under this name).
GPU_COST_FILE = "cost-cuda.json"


def load_cost(out_dir, name: str = "cost.json") -> Optional[dict]:
    data = _read_json(Path(out_dir) / name)
    return data if data is not None and isinstance(data.get("inference"), list) else None


def load_train_pruned(out_dir) -> Optional[dict]:
    data = _read_json(Path(out_dir) / "train-pruned.json")
    return data if data is not None and isinstance(data.get("rows"), list) else None


def load_discussion(out_dir) -> Optional[str]:
    p = Path(out_dir) / DISCUSSION_FILE
    try:
        text = p.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return text or None


@dataclass
class Report:
    """Everything a benchmark folder holds, aggregated."""

    out_dir: Path
    results: Optional[dict]
    cost: Optional[dict]
    train_pruned: Optional[dict]
    discussion: Optional[str]
    aggregates: list = field(default_factory=list)
    cost_gpu: Optional[dict] = None

    @property
    def empty(self) -> bool:
        return self.results is None and self.cost is None and self.train_pruned is None

    def views(self) -> list:
        """(task, language) pairs with quality results, in a stable order."""
        return sorted({(a["task"], a["language"]) for a in self.aggregates},
                      key=lambda v: (v[0] != "search", v[1] != "java", v))

    def cost_languages(self, gpu: bool = False) -> list:
        cost = self.cost_gpu if gpu else self.cost
        if not cost:
            return []
        return sorted({r["language"] for r in cost["inference"]}, key=lambda x: (x != "java", x))


def load_report(out_dir) -> Report:
    """Read a benchmark folder (missing parts are None; nothing raises on absent files)."""
    out = Path(out_dir)
    results = load_results(out)
    agg = aggregate(results["rows"]) if results else []
    return Report(out_dir=out, results=results, cost=load_cost(out), train_pruned=load_train_pruned(out),
                  discussion=load_discussion(out), aggregates=agg, cost_gpu=load_cost(out, GPU_COST_FILE))


# ----------------------------------------------------------------------------- aggregation

def stats(values: Iterable) -> Optional[dict]:
    """Mean, sample standard deviation (n-1; 0 for one value), min, max and count; None if empty."""
    vals = [float(v) for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if not vals:
        return None
    mean = sum(vals) / len(vals)
    std = math.sqrt(sum((v - mean) ** 2 for v in vals) / (len(vals) - 1)) if len(vals) > 1 else 0.0
    return {"mean": mean, "std": std, "min": min(vals), "max": max(vals), "n": len(vals)}


def aggregate(rows: Sequence[dict]) -> list:
    """One entry per (task, language, model, method, ratio): stats over seeds.

    ``value`` and ``retention`` are :func:`stats` dicts; ``time_saved`` is the stats of
    ``1 - infer_seconds / infer_seconds(unpruned, same seed)``; ``prune_ms`` and ``infer_ms``
    are means.
    """
    groups: dict = {}
    base_infer = {}
    for r in rows:
        if r.get("protocol") not in (None, "", "test-time"):
            continue
        key = (r["task"], r["language"], r["model"], r["method"], round(float(r["ratio"]), 6))
        groups.setdefault(key, []).append(r)
        if r["method"] == "none":
            base_infer[(r["task"], r["language"], r["model"], r.get("seed"))] = r.get("infer_seconds")
    out = []
    for (task, lang, model, method, ratio), rs in groups.items():
        saved = []
        for r in rs:
            b = base_infer.get((task, lang, model, r.get("seed")))
            if b and r.get("infer_seconds") is not None:
                saved.append(1.0 - float(r["infer_seconds"]) / float(b))
        out.append({
            "task": task, "language": lang, "model": model, "method": method, "ratio": ratio,
            "metric": rs[0].get("metric"), "seeds": sorted({r.get("seed") for r in rs}, key=str),
            "n": stats(r.get("n") for r in rs)["mean"] if any(r.get("n") is not None for r in rs) else None,
            "group_size": rs[0].get("group_size"),
            "value": stats(r.get("value") for r in rs), "retention": stats(r.get("retention") for r in rs),
            "time_saved": stats(saved),
            "prune_ms": _mean_ms(r.get("prune_seconds") for r in rs),
            "infer_ms": _mean_ms(r.get("infer_seconds") for r in rs),
            "removed_fraction": (stats(r.get("removed_fraction") for r in rs) or {}).get("mean"),
        })
    out.sort(key=lambda a: (a["task"], a["language"], a["model"], _method_key(a["method"]), a["ratio"]))
    return out


def _mean_ms(values) -> Optional[float]:
    s = stats(values)
    return None if s is None else 1000 * s["mean"]


def select(agg: Sequence[dict], task: str, language: str) -> list:
    return [a for a in agg if a["task"] == task and a["language"] == language]


def lookup(agg: Sequence[dict], task: str, language: str) -> dict:
    """``{(method, ratio): entry}`` for one task and language (the first model when several)."""
    out = {}
    for a in select(agg, task, language):
        out.setdefault((a["method"], round(a["ratio"], 6)), a)
    return out


def ratios_of(agg: Sequence[dict]) -> list:
    return sorted({a["ratio"] for a in agg if a["method"] != "none"})


def methods_of(agg: Sequence[dict]) -> list:
    return sorted({a["method"] for a in agg}, key=_method_key)


# ----------------------------------------------------------------------------- paper comparison

def comparison_rows(agg: Sequence[dict]) -> list:
    """Ours vs published retention for every published point whose task has Java results."""
    out = []
    for task in ("search", "summarize"):
        table = lookup(agg, task, paper.LANGUAGE)
        if not table:
            continue
        for p in paper.paper_points(task, paper.LANGUAGE):
            ours = table.get((p.method, round(p.ratio, 6)))
            ret = ours["retention"] if ours else None
            out.append({"task": task, "method": p.method, "ratio": p.ratio, "paper_value": p.value,
                        "paper_retention": p.retention, "paper_low": p.retention_low, "paper_high": p.retention_high,
                        "paper_note": p.note, "ours": ret,
                        "ours_value": ours["value"] if ours else None,
                        "difference": (ret["mean"] - p.retention) if ret else None})
    return out


def ordering_rows(agg: Sequence[dict]) -> list:
    """Per task and published ratio: the published and our ordering of the papers' methods.

    ``agree`` is True when both orders are the same; ``pairs`` counts the method pairs ordered
    alike.  Methods we have no result for are left out of both orders.
    """
    out = []
    for task in ("search", "summarize"):
        table = lookup(agg, task, paper.LANGUAGE)
        if not table:
            continue
        for ratio in paper.paper_ratios(task):
            published = paper.paper_ordering(task, ratio)
            ours_ret = {m: table[(m, round(ratio, 6))]["retention"]["mean"] for m in published
                        if (m, round(ratio, 6)) in table and table[(m, round(ratio, 6))]["retention"]}
            if len(ours_ret) < 2:
                continue
            published = [m for m in published if m in ours_ret]
            ours = sorted(ours_ret, key=lambda m: -ours_ret[m])
            pairs = [(a, b) for i, a in enumerate(published) for b in published[i + 1:]]
            alike = sum(1 for a, b in pairs if ours_ret[a] > ours_ret[b])
            out.append({"task": task, "ratio": ratio, "paper_order": published, "our_order": ours,
                        "our_retention": ours_ret, "agree": published == ours, "pairs_alike": alike,
                        "pairs": len(pairs)})
    return out


def cost_summary(cost: Optional[dict], method: str = "leancode") -> list:
    """Per language and timing model: time saved per ratio for ``method`` (else the first method timed)."""
    if not cost:
        return []
    rows = cost.get("inference") or []
    out = []
    for lang in sorted({r["language"] for r in rows}, key=lambda x: (x != "java", x)):
        for model in dict.fromkeys(r["model"] for r in rows if r["language"] == lang):
            rs = [r for r in rows if r["language"] == lang and r["model"] == model]
            methods = [m for m in dict.fromkeys(r["method"] for r in rs) if m != "none"]
            if not methods:
                continue
            m = method if method in methods else methods[0]
            base = next((r for r in rs if r["method"] == "none"), None)
            out.append({"language": lang, "model": model, "method": m, "weights": rs[0].get("weights"),
                        "params": rs[0].get("params"), "kind": rs[0].get("kind"),
                        "base_ms": 1000 * base["seconds_per_example"] if base else None,
                        "points": {r["ratio"]: r for r in rs if r["method"] == m}})
    return out


# ----------------------------------------------------------------------------- plot specs

@dataclass
class Series:
    """One line of a plot: y (and optional error bars) over x."""

    name: str
    x: list
    y: list
    err: Optional[list] = None           # symmetric error (std)
    err_low: Optional[list] = None       # asymmetric ranges (paper ranges)
    err_high: Optional[list] = None
    color: Optional[str] = None
    dash: bool = False
    mode: str = "lines+markers"
    group: str = "ours"                  # "ours" or "paper"


@dataclass
class PlotSpec:
    """A plot independent of the drawing library (Plotly for HTML and the app, Matplotlib as fallback)."""

    key: str
    title: str
    x_label: str
    y_label: str
    series: list
    y_percent: bool = False
    note: str = ""


def _pct_axis(ratios: Sequence[float]) -> list:
    return [100 * r for r in ratios]


def metric_plot(agg: Sequence[dict], task: str, language: str) -> Optional[PlotSpec]:
    sel = select(agg, task, language)
    if not sel:
        return None
    base = next((a for a in sel if a["method"] == "none" and a["value"]), None)
    series = []
    for m in methods_of(sel):
        if m == "none":
            continue
        pts = sorted((a for a in sel if a["method"] == m and a["value"]), key=lambda a: a["ratio"])
        if base:
            pts = [base] + pts
        if not pts:
            continue
        series.append(Series(label(m), _pct_axis([a["ratio"] for a in pts]), [a["value"]["mean"] for a in pts],
                             err=[a["value"]["std"] for a in pts], color=METHOD_COLORS.get(m)))
    metric = sel[0]["metric"]
    seeds = max(len(a["seeds"]) for a in sel)
    return PlotSpec(f"metric-{task}-{language}", f"{TASK_LABELS.get(task, task)} ({language}): "
                    f"{METRIC_LABELS.get(metric, metric)} vs pruning ratio", "tokens removed (%)",
                    METRIC_LABELS.get(metric, metric), series,
                    note=f"mean ± std over {seeds} seed(s); {_scope(sel)}")


def _scope(sel: Sequence[dict]) -> str:
    a = sel[0]
    n = int(round(a["n"])) if a.get("n") else "?"
    if a["task"] == "search":
        return f"{n} queries per seed, groups of {a.get('group_size')} candidates"
    return f"{n} summaries per seed"


def retention_plot(agg: Sequence[dict], task: str, language: str, with_paper: bool = True) -> Optional[PlotSpec]:
    sel = select(agg, task, language)
    if not sel:
        return None
    series = []
    for m in methods_of(sel):
        if m == "none":
            continue
        pts = sorted((a for a in sel if a["method"] == m and a["retention"]), key=lambda a: a["ratio"])
        if not pts:
            continue
        series.append(Series(label(m), [0.0] + _pct_axis([a["ratio"] for a in pts]),
                             [1.0] + [a["retention"]["mean"] for a in pts],
                             err=[0.0] + [a["retention"]["std"] for a in pts], color=METHOD_COLORS.get(m)))
    if with_paper:
        series.extend(paper_series(task))
    note = f"ours: {language}, mean ± std over seeds"
    if with_paper:
        note += "; dashed: published (Java, fine-tuned on pruned code, approximate)"
    return PlotSpec(f"retention-{task}-{language}", f"{TASK_LABELS.get(task, task)} ({language}): retention vs ratio",
                    "tokens removed (%)", "retention (metric / unpruned metric)", series, note=note)


def paper_series(task: str) -> list:
    """The published retentions of ``task`` as dashed reference series (one per method)."""
    out = []
    for m in paper.METHODS:
        pts = paper.paper_points(task, paper.LANGUAGE, m)
        if not pts:
            continue
        x = [0.0] + _pct_axis([p.ratio for p in pts])
        y = [1.0] + [p.retention for p in pts]
        lo = [0.0] + [p.retention - p.retention_low for p in pts]
        hi = [0.0] + [p.retention_high - p.retention for p in pts]
        ranged = any(v > 0 for v in lo + hi)
        out.append(Series(f"{label(m)} (paper)", x, y, err_low=lo if ranged else None,
                          err_high=hi if ranged else None, color=METHOD_COLORS.get(m), dash=True,
                          mode="lines+markers", group="paper"))
    return out


def cost_device(cost: Optional[dict]) -> str:
    """The device a cost run timed on, in words (``cpu``, or the GPU's name)."""
    machine = ((cost or {}).get("metadata") or {}).get("machine") or {}
    device = str(machine.get("device") or "cpu")
    if device.startswith("cuda"):
        return machine.get("gpu") or device
    return device


def time_plot(cost: Optional[dict], language: str, method: str = "leancode",
              key_prefix: str = "time") -> Optional[PlotSpec]:
    """Inference time saved vs ratio per timing model (cost benchmark), with the paper's LeanCode range."""
    summ = [s for s in cost_summary(cost, method) if s["language"] == language]
    if not summ:
        return None
    series = []
    for i, s in enumerate(summ):
        pts = sorted(s["points"].values(), key=lambda r: r["ratio"])
        w = "random weights" if s["weights"] == "random" else "trained"
        series.append(Series(f"{s['model']} ({w})", [0.0] + _pct_axis([r["ratio"] for r in pts]),
                             [0.0] + [r.get("reduction") or 0.0 for r in pts],
                             color=MODEL_COLORS[i % len(MODEL_COLORS)]))
    lo, hi = paper.LEANCODE_TIME_SAVED_AT_50
    series.append(Series("LeanCode (paper, 50%)", [50.0], [(lo + hi) / 2], err_low=[(hi - lo) / 2],
                         err_high=[(hi - lo) / 2], color=METHOD_COLORS["leancode"], mode="markers", group="paper"))
    used = {s["method"] for s in summ}
    return PlotSpec(f"{key_prefix}-{language}", f"Inference time saved vs ratio ({language}, "
                    f"{', '.join(map(label, used))} pruning, {cost_device(cost)})", "tokens removed (%)", "time saved vs unpruned", series, y_percent=True,
                    note="same batch size and device for every model; " + ((cost or {}).get("metadata", {})
                                                                          .get("timing", "")))


def plot_specs(report: Report) -> dict:
    """Every plot of the report: metric and retention per (task, language), time saved per language."""
    out = {}
    for task, lang in report.views():
        for spec in (metric_plot(report.aggregates, task, lang), retention_plot(report.aggregates, task, lang)):
            if spec is not None:
                out[spec.key] = spec
    for lang in report.cost_languages():
        spec = time_plot(report.cost, lang)
        if spec is not None:
            out[spec.key] = spec
    for lang in report.cost_languages(gpu=True):
        spec = time_plot(report.cost_gpu, lang, key_prefix="time-gpu")
        if spec is not None:
            out[spec.key] = spec
    return out


# ----------------------------------------------------------------------------- drawing

def to_plotly(spec: PlotSpec):
    """The spec as a Plotly figure."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for s in spec.series:
        err = None
        if s.err is not None:
            err = dict(type="data", array=s.err, visible=True, thickness=1)
        elif s.err_low is not None or s.err_high is not None:
            err = dict(type="data", symmetric=False, array=s.err_high or [0] * len(s.x),
                       arrayminus=s.err_low or [0] * len(s.x), visible=True, thickness=1)
        fig.add_trace(go.Scatter(x=s.x, y=s.y, name=s.name, mode=s.mode, error_y=err,
                                 line=dict(color=s.color, dash="dash" if s.dash else "solid"),
                                 marker=dict(symbol="diamond" if s.group == "paper" else "circle", size=8),
                                 opacity=0.75 if s.group == "paper" else 1.0))
    fig.update_layout(title=dict(text=spec.title), xaxis_title=spec.x_label, yaxis_title=spec.y_label,
                      template="plotly_white", legend=dict(orientation="v"), margin=dict(t=60, b=80),
                      annotations=[dict(text=spec.note, showarrow=False, xref="paper", yref="paper", x=0, y=-0.2,
                                        xanchor="left", font=dict(size=10, color="#666"))] if spec.note else [])
    if spec.y_percent:
        fig.update_yaxes(tickformat=".0%")
    return fig


def to_matplotlib_png(spec: PlotSpec, path) -> Path:
    """Draw the spec with Matplotlib (the PNG fallback when Kaleido cannot run)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    try:
        for s in spec.series:
            yerr = None
            if s.err is not None:
                yerr = s.err
            elif s.err_low is not None or s.err_high is not None:
                yerr = [s.err_low or [0] * len(s.x), s.err_high or [0] * len(s.x)]
            style = "--" if s.dash else "-"
            if s.mode == "markers":
                style = "none"
            ax.errorbar(s.x, s.y, yerr=yerr, label=s.name, color=s.color, linestyle=style,
                        marker="D" if s.group == "paper" else "o", markersize=5, capsize=3,
                        alpha=0.75 if s.group == "paper" else 1.0)
        ax.set_title(spec.title, fontsize=10)
        ax.set_xlabel(spec.x_label)
        ax.set_ylabel(spec.y_label)
        if spec.y_percent:
            from matplotlib.ticker import PercentFormatter

            ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        if spec.note:
            fig.text(0.01, 0.01, spec.note, fontsize=7, color="#666")
        fig.tight_layout(rect=(0, 0.03, 1, 1))
        fig.savefig(path)
    finally:
        plt.close(fig)
    return Path(path)


def _kaleido_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("kaleido") is not None


def _kaleido_pngs(figs: list, paths: list, timeout: float) -> None:
    """Write PNGs with Kaleido in a worker thread; raise when it fails or takes longer than ``timeout``."""
    if not os.environ.get("BROWSER_PATH"):
        for candidate in ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"):
            if Path(candidate).exists():
                os.environ["BROWSER_PATH"] = candidate
                break
    outcome: dict = {}

    def work() -> None:
        try:
            import plotly.io as pio

            if hasattr(pio, "write_images"):
                pio.write_images(figs, [str(p) for p in paths], width=900, height=540)
            else:  # pragma: no cover - older plotly
                for f, p in zip(figs, paths):
                    f.write_image(str(p), width=900, height=540)
            outcome["ok"] = True
        except BaseException as e:  # noqa: BLE001 - any failure means: fall back
            outcome["error"] = e

    t = threading.Thread(target=work, daemon=True)
    t.start()
    t.join(timeout)
    if t.is_alive():
        raise TimeoutError(f"Kaleido did not finish within {timeout:.0f} s")
    if "error" in outcome:
        raise outcome["error"]
    missing = [p for p in paths if not Path(p).is_file()]
    if missing:
        raise RuntimeError(f"Kaleido wrote no {missing[0]}")


def export_plots(specs: dict, plot_dir, *, png: str = "auto", plotlyjs: str = "directory",
                 kaleido_timeout: float = 180.0, log: Callable[[str], None] = print) -> dict:
    """Write every spec as HTML (always) and PNG; returns ``{"html": {...}, "png": {...}, "png_engine": ...}``.

    ``png``: ``auto`` (Kaleido, falling back to Matplotlib), ``kaleido``, ``matplotlib`` or
    ``none``.  ``plotlyjs``: ``directory`` (one ``plotly.min.js`` beside the pages: works
    offline), ``cdn`` (small pages that need the network) or ``inline``.
    """
    if png not in ("auto", "kaleido", "matplotlib", "none"):
        raise ValueError(f"png must be auto, kaleido, matplotlib or none, got {png!r}")
    include = {"directory": "directory", "cdn": "cdn", "inline": True}.get(plotlyjs)
    if include is None:
        raise ValueError(f"plotlyjs must be directory, cdn or inline, got {plotlyjs!r}")
    d = Path(plot_dir)
    d.mkdir(parents=True, exist_ok=True)
    figs = {k: to_plotly(s) for k, s in specs.items()}
    html = {}
    for k, fig in figs.items():
        p = d / f"{k}.html"
        fig.write_html(str(p), include_plotlyjs=include, full_html=True)
        html[k] = p
    pngs: dict = {}
    engine = None
    if png != "none" and figs:
        keys = list(figs)
        paths = [d / f"{k}.png" for k in keys]
        if png in ("auto", "kaleido") and _kaleido_available():
            try:
                _kaleido_pngs([figs[k] for k in keys], paths, kaleido_timeout)
                engine = "kaleido"
            except Exception as e:  # noqa: BLE001
                if png == "kaleido":
                    raise
                log(f"Kaleido could not export PNG ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}); "
                    "using Matplotlib")
        elif png == "kaleido":
            raise RuntimeError("Kaleido is not installed (pip install kaleido)")
        if engine is None:
            for k, p in zip(keys, paths):
                to_matplotlib_png(specs[k], p)
            engine = "matplotlib"
        pngs = dict(zip(keys, paths))
    return {"html": html, "png": pngs, "png_engine": engine}


# ----------------------------------------------------------------------------- markdown

def _f(v, digits: int = 3) -> str:
    return "–" if v is None else f"{v:.{digits}f}"


def _pm(s: Optional[dict], digits: int = 3) -> str:
    if not s:
        return "–"
    return f"{s['mean']:.{digits}f} ± {s['std']:.{digits}f}"


def _rng(s: Optional[dict], digits: int = 3) -> str:
    if not s:
        return "–"
    return f"{s['mean']:.{digits}f} ± {s['std']:.{digits}f} [{s['min']:.{digits}f}, {s['max']:.{digits}f}]"


def _pct(v: Optional[float], digits: int = 1) -> str:
    return "–" if v is None else f"{100 * v:.{digits}f}%"


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], align: Optional[str] = None) -> str:
    align = align or ("l" + "r" * (len(head) - 1))
    sep = ["---:" if a == "r" else ":---" for a in align]
    lines = ["| " + " | ".join(head) + " |", "| " + " | ".join(sep) + " |"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def quality_tables(agg: Sequence[dict], task: str, language: str) -> str:
    """Markdown: the metric (mean ± std) and retention (mean ± std [min, max]) per method × ratio."""
    sel = select(agg, task, language)
    if not sel:
        return ""
    table = lookup(agg, task, language)
    ratios = ratios_of(sel)
    metric = sel[0]["metric"]
    digits = 3 if metric == "mrr" else 2
    base = table.get(("none", 0.0))
    methods = [m for m in methods_of(sel) if m != "none"]
    head = ["method"] + [f"{100 * r:g}%" for r in ratios]
    metric_rows = []
    for m in methods:
        metric_rows.append([label(m)] + [_pm(table[(m, round(r, 6))]["value"], digits)
                                         if (m, round(r, 6)) in table else "–" for r in ratios])
    ret_rows = []
    for m in methods:
        ret_rows.append([label(m)] + [_rng(table[(m, round(r, 6))]["retention"])
                                      if (m, round(r, 6)) in table else "–" for r in ratios])
    time_rows = []
    for m in methods:
        cells = []
        for r in ratios:
            a = table.get((m, round(r, 6)))
            cells.append("–" if not a else f"{_f(a['prune_ms'], 2)} / {_f(a['infer_ms'], 1)} / "
                                           f"{_pct((a['time_saved'] or {}).get('mean'))}")
        time_rows.append([label(m)] + cells)
    seeds = max(len(a["seeds"]) for a in sel)
    parts = [
        f"**{METRIC_LABELS.get(metric, metric)}**, mean ± std over {seeds} seed(s) ({_scope(sel)}; "
        f"model `{sel[0]['model']}`); unpruned: **{_pm(base['value'] if base else None, digits)}**",
        "", _table(head, metric_rows), "",
        "**Retention** (metric / unpruned metric of the same seed), mean ± std [min, max]:", "",
        _table(head, ret_rows), "",
        "**Cost in this run**: pruning ms per snippet / model ms per input / inference time saved vs unpruned "
        f"(unpruned: {_f(base['infer_ms'] if base else None, 1)} ms per input; each cell is timed when it is "
        "computed, so cells reused from an earlier run keep that run's times: the controlled timing is the Cost "
        "section):", "",
        _table(head, time_rows),
    ]
    return "\n".join(parts)


def comparison_markdown(agg: Sequence[dict]) -> str:
    """The side-by-side with the published figures, and the orderings (generated from the numbers)."""
    rows = comparison_rows(agg)
    if not rows:
        return ("No Java results in this run, so there is nothing to set beside the published figures "
                "(they are all Java).")
    lines = []
    for task in ("search", "summarize"):
        rs = [r for r in rows if r["task"] == task]
        if not rs:
            continue
        head = ["method", "ratio", "paper metric", "paper retention", "our retention (mean ± std)", "ours − paper"]
        body = []
        for r in rs:
            pr = (_f(r["paper_retention"]) if r["paper_low"] == r["paper_high"]
                  else f"{r['paper_low']:.2f}–{r['paper_high']:.2f}")
            body.append([label(r["method"]), f"{100 * r['ratio']:g}%",
                         _f(r["paper_value"]) if r["paper_value"] is not None else r["paper_note"], pr,
                         _pm(r["ours"]), "–" if r["difference"] is None else f"{r['difference']:+.3f}"])
        lines += [f"**{TASK_LABELS[task]}** (Java):", "", _table(head, body, "lrrrrr"), ""]
    orders = ordering_rows(agg)
    if orders:
        lines.append("**Ordering of the three methods by retention** (best first):")
        lines.append("")
        body = []
        for o in orders:
            body.append([TASK_LABELS[o["task"]], f"{100 * o['ratio']:g}%", " > ".join(map(label, o["paper_order"])),
                         " > ".join(f"{label(m)} ({o['our_retention'][m]:.3f})" for m in o["our_order"]),
                         "yes" if o["agree"] else f"no ({o['pairs_alike']}/{o['pairs']} pairs alike)"])
        lines.append(_table(["task", "ratio", "paper", "this run", "same order"], body, "llllr"))
        agree = sum(1 for o in orders if o["agree"])
        lines += ["", f"The orderings agree at {agree} of {len(orders)} published points."]
        ours_first = sum(1 for o in orders if o["our_order"][0] == "leancode")
        paper_first = sum(1 for o in orders if paper.paper_ordering(o["task"], o["ratio"])[:1] == ["leancode"])
        lines.append(f"LeanCode has the best retention of the three at {ours_first} of these {len(orders)} points in "
                     f"this run, and at {paper_first} of them in the paper.")
    return "\n".join(lines)


def cost_markdown(cost: Optional[dict]) -> str:
    if not cost:
        return "No cost benchmark in this folder (run `leancode bench cost`)."
    meta = cost.get("metadata") or {}
    parts = []
    thr = cost.get("throughput") or {}
    if thr:
        head = ["language", "method", "prune only, 1 core (snippets/s)", "tokenise + prune, all cores (snippets/s)"]
        body = []
        for lang, res in thr.items():
            for m, row in (res.get("methods") or {}).items():
                body.append([lang, label(m), f"{row['prune_1core_per_s']:,.0f}", f"{row['end_to_end_per_s']:,.0f}"])
            body.append([lang, "*(tokenise only, 1 core)*", f"{res.get('tokenize_1core_per_s', 0):,.0f}", ""])
        first = next(iter(thr.values()))
        parts += [f"**Pruning throughput** ({first.get('snippets')} snippets, ratio {first.get('ratio')}, "
                  f"{first.get('workers')} worker processes for the end-to-end figure):", "",
                  _table(head, body, "llrr"), ""]
    summ = cost_summary(cost)
    if summ:
        ratios = sorted({r for s in summ for r in s["points"]})
        head = ["language", "model", "params", "pruned with", "unpruned ms/example"] + [f"{100 * r:g}%" for r in ratios]
        body = []
        for s in summ:
            cells = []
            for r in ratios:
                p = s["points"].get(r)
                cells.append("–" if not p else f"{1000 * p['seconds_per_example']:.1f} ms ({_pct(p['reduction'])})")
            w = " (random weights)" if s["weights"] == "random" else ""
            body.append([s["language"], f"`{s['model']}`{w}", f"{(s['params'] or 0) / 1e6:.0f} M", label(s["method"]),
                         _f(s["base_ms"], 1)] + cells)
        rows = cost.get("inference") or []
        any_row = rows[0] if rows else {}
        parts += [f"**Model time per example** (time saved vs unpruned in parentheses; batch "
                  f"{any_row.get('batch_size')}, device {any_row.get('device')}, {meta.get('torch_threads')} torch "
                  f"thread(s); {meta.get('timing', '')}):", "", _table(head, body, "ll" + "r" * (len(head) - 2)), "",
                  meta.get("random_weights_note", ""), ""]
        methods = sorted({r["method"] for r in rows if r["method"] != "none"}, key=_method_key)
        if len(methods) > 1:
            top = max(r["ratio"] for r in rows)
            head = ["model"] + [f"{label(m)}: subwords / time saved" for m in methods]
            body = []
            for lang in sorted({r["language"] for r in rows}):
                for model in dict.fromkeys(r["model"] for r in rows if r["language"] == lang):
                    cells = []
                    for m in methods:
                        p = next((r for r in rows if r["language"] == lang and r["model"] == model and
                                  r["method"] == m and abs(r["ratio"] - top) < 1e-9), None)
                        cells.append("–" if not p else f"{p['mean_input_subwords']:.0f} / {_pct(p['reduction'])}")
                    body.append([f"{lang} `{model}`"] + cells)
            parts += [f"**By method at {100 * top:g}%** (mean input subwords / time saved): every method removes the "
                      "same number of code tokens, but not the same number of subwords.", "",
                      _table(head, body, "l" + "r" * len(methods)), ""]
        lo, hi = paper.LEANCODE_TIME_SAVED_AT_50
        at50 = [s for s in summ if 0.5 in s["points"] and s["method"] == "leancode"]
        if at50:
            txt = ", ".join(f"`{s['model']}` {_pct(s['points'][0.5]['reduction'])} ({s['language']})" for s in at50)
            parts.append(f"At 50% LeanCode pruning this run saves {txt}; the paper reports "
                         f"{100 * lo:.1f}–{100 * hi:.1f}% less inference time.")
    if meta.get("models_left_out"):
        parts.append("Models left out: " + "; ".join(f"{k}: {v}" for k, v in meta["models_left_out"].items()) + ".")
    return "\n".join(parts)


def train_pruned_markdown(tp: Optional[dict]) -> str:
    if not tp:
        return ""
    meta = tp.get("metadata") or {}
    cfg = meta.get("config") or {}
    head = ["task", "language", "model trained on", "tested on", "protocol", "metric", "retention"]
    body = []
    for r in tp["rows"]:
        tested = "unpruned" if r["method"] == "none" else f"{label(r['method'])} {100 * r['ratio']:g}%"
        digits = 3 if r["metric"] == "mrr" else 2
        body.append([r["task"], r["language"], r.get("trained_on", ""), tested, r.get("protocol", ""),
                     f"{r['metric']} {r['value']:.{digits}f}", _f(r.get("retention"))])
    return "\n".join([
        f"{meta.get('note', '')}", "",
        f"Settings: {cfg.get('steps')} training steps of batch {cfg.get('batch_size')}, {cfg.get('train_limit')} "
        f"training records, {cfg.get('test_limit')} test records"
        + (f", groups of {cfg.get('group_size')}" if any(r['task'] == 'search' for r in tp['rows']) else "")
        + f"; command `{meta.get('command', '')}`; {meta.get('date', '')}.", "",
        _table(head, body, "lllllrr")])


def _machine(meta: dict) -> str:
    m = meta.get("machine") or {}
    v = meta.get("versions") or {}
    bits = [m.get("platform"), f"{m.get('cpus')} CPUs" if m.get("cpus") else None, m.get("processor") or None,
            f"device {m.get('device')}" if m.get("device") else None, m.get("gpu")]
    vers = ", ".join(f"{k} {val}" for k, val in v.items())
    return "; ".join(b for b in bits if b) + (f" ({vers})" if vers else "")


def discussion_markdown(report: Report) -> str:
    text = report.discussion
    if not text:
        return ("*No discussion has been written for this run yet: the interpretation belongs in "
                f"`{DISCUSSION_FILE}` next to the results, written from the numbers above.*")
    first = text.splitlines()[0]
    date = (report.results or {}).get("metadata", {}).get("date")
    if DISCUSSION_STAMP in first:
        stamp = first.split(DISCUSSION_STAMP, 1)[1].strip().rstrip("->").strip()
        text = "\n".join(text.splitlines()[1:]).strip()
        if date and stamp != date:
            text = (f"> **Note:** this discussion was written for the results of {stamp}; the figures above come "
                    f"from a later run ({date}) and may differ.\n\n" + text)
    return text


def markdown_report(report: Report, plots: Optional[dict] = None) -> str:
    """REPORT.md as a string."""
    res = report.results or {}
    meta = res.get("metadata") or {}
    cfg = meta.get("config") or {}
    lines = ["# LeanCode Studio benchmark", ""]
    if report.results:
        lines += [
            f"*{meta.get('protocol_note', 'Test-time pruning of models fine-tuned on unpruned code.')}*", "",
            f"- Date: {meta.get('date', '?')} (mode: {meta.get('mode', '?')})",
            f"- Command: `{meta.get('command', '?')}`",
            f"- Machine: {_machine(meta)}",
            f"- Seeds: {', '.join(map(str, cfg.get('seeds', []))) or '?'} (a seed draws the test sample, shuffles "
            "the search groups and seeds the random method)",
            f"- Cells: {meta.get('cells_computed', '?')} computed, {meta.get('cells_cached', '?')} reused from the "
            f"cache; wall time {meta.get('wall_seconds', '?')} s",
        ]
        if report.cost:
            cm = report.cost.get("metadata") or {}
            lines.append(f"- Cost command: `{cm.get('command', '?')}` ({cm.get('date', '?')}, "
                         f"wall time {cm.get('wall_seconds', '?')} s)")
        if meta.get("notes"):
            lines.append("- Left out: " + "; ".join(meta["notes"]))
        lines.append("")
        lines.append("Code search MRR is measured with small candidate groups (stated with each table); the papers "
                     "use groups of 1000, so absolute MRRs are not comparable, retention is.")
        lines.append("")
        for task, lang in report.views():
            lines += [f"## {TASK_LABELS.get(task, task)}: {lang}", "", quality_tables(report.aggregates, task, lang), ""]
            for key in (f"metric-{task}-{lang}", f"retention-{task}-{lang}"):
                lines += _plot_links(plots, key, report.out_dir)
            lines.append("")
        lines += ["## Compared with the published figures", "", f"*{paper.SOURCE}*", "",
                  comparison_markdown(report.aggregates), ""]
    else:
        lines += ["No quality results yet: run `leancode bench run --quick`.", ""]
    lines += ["## Cost", "", cost_markdown(report.cost), ""]
    for lang in report.cost_languages():
        lines += _plot_links(plots, f"time-{lang}", report.out_dir)
    if report.cost_gpu:
        gm = report.cost_gpu.get("metadata") or {}
        lines += ["", f"## Cost on a GPU ({cost_device(report.cost_gpu)})", "",
                  f"`{gm.get('command', '?')}` ({gm.get('date', '?')}; {_machine(gm)}; file `{GPU_COST_FILE}`)", "",
                  cost_markdown(report.cost_gpu), ""]
        for lang in report.cost_languages(gpu=True):
            lines += _plot_links(plots, f"time-gpu-{lang}", report.out_dir)
    if report.train_pruned:
        lines += ["", "## The papers' protocol (fine-tuning on pruned code), small scale", "",
                  train_pruned_markdown(report.train_pruned), ""]
    lines += ["", "## Discussion", "", discussion_markdown(report), ""]
    return "\n".join(lines).rstrip() + "\n"


def _plot_links(plots: Optional[dict], key: str, out_dir: Path) -> list:
    if not plots:
        return []
    html = (plots.get("html") or {}).get(key)
    png = (plots.get("png") or {}).get(key)
    out = []
    if png:
        out.append(f"![{key}]({Path(png).relative_to(out_dir).as_posix()})")
    if html:
        out.append(f"[interactive plot]({Path(html).relative_to(out_dir).as_posix()})")
    return out + [""] if out else []


@dataclass
class ReportFiles:
    markdown: Path
    html: dict
    png: dict
    png_engine: Optional[str]


def write_report(out_dir, *, png: str = "auto", plotlyjs: str = "directory",
                 log: Callable[[str], None] = print) -> ReportFiles:
    """Aggregate the folder's results and write ``REPORT.md`` and ``plots/``."""
    from ..errors import DataError
    from ..io import atomic_writer

    out = Path(out_dir)
    report = load_report(out)
    if report.empty:
        raise DataError(f"no benchmark results in {out} (run `leancode bench run --quick --out {out}`)")
    specs = plot_specs(report)
    plots = export_plots(specs, out / "plots", png=png, plotlyjs=plotlyjs, log=log)
    md = markdown_report(report, plots)
    path = out / "REPORT.md"
    with atomic_writer(path) as f:
        f.write(md)
    return ReportFiles(markdown=path, html=plots["html"], png=plots["png"], png_engine=plots["png_engine"])


def reports_dir() -> Path:
    """Where the app looks for the committed reports: ``$LEANCODE_REPORTS_DIR`` or ``<repo>/reports``."""
    env = os.environ.get("LEANCODE_REPORTS_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "reports"


__all__ = ["METHOD_COLORS", "METHOD_LABELS", "METHOD_ORDER", "PlotSpec", "Report", "ReportFiles", "Series",
           "aggregate", "comparison_markdown", "comparison_rows", "cost_markdown", "cost_summary", "export_plots",
           "label", "load_cost", "load_report", "load_results", "lookup", "markdown_report", "metric_plot",
           "ordering_rows", "paper_series", "plot_specs", "quality_tables", "reports_dir", "retention_plot", "select",
           "stats", "time_plot", "to_matplotlib_png", "to_plotly", "write_report"]
