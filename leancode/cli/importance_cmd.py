"""``leancode importance``, ``leancode search-score`` and ``leancode summarize``.

Models are loaded only when a command runs, so the command line itself starts fast.
"""
from __future__ import annotations

import json
import math
from typing import Optional

import typer

from ..errors import DataError
from ..languages import tokenize
from . import app

_SOURCES_HELP = "cls | received | rollout | cross | ig"


def read_input(file: Optional[str]) -> str:
    """The text of ``file``, or of standard input for ``-`` / no file."""
    from ..io import read_text

    return read_text(file)


def snippet_from_input(file: Optional[str], lang: str):
    """Read and tokenise the input; warnings go to stderr; no tokens is an error."""
    code = read_input(file)
    snippet = tokenize(code, lang)
    for w in snippet.warnings:
        typer.echo(f"warning: {w}", err=True)
    if snippet.n == 0:
        raise DataError("the input has no code tokens")
    return snippet


def _fmt(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "unseen"
    return f"{v:.4f}"


def _colour(score: float, lo: float, hi: float, signed: bool) -> str:
    if signed:
        m = max(abs(lo), abs(hi)) or 1.0
        a = min(1.0, abs(score) / m)
        base = (46, 160, 67) if score >= 0 else (215, 48, 39)
    else:
        a = 0.0 if hi <= lo else (score - lo) / (hi - lo)
        base = (240, 59, 32)
    r, g, b = (int(255 + (c - 255) * a) for c in base)
    return f"#{r:02x}{g:02x}{b:02x}"


def render_rich(snippet, result):
    """The source with every token's background coloured by its score (a ``rich`` Text)."""
    from rich.text import Text

    text = Text(snippet.source)
    finite = [s for s in result.scores if not math.isnan(s)]
    if not finite:
        return text
    lo, hi = min(finite), max(finite)
    signed = lo < 0
    for tok, s in zip(snippet.tokens, result.scores):
        style = "on #e6e6e6 dim" if math.isnan(s) else f"black on {_colour(s, lo, hi, signed)}"
        text.stylize(style, tok.start, tok.end)
    return text


def render_text(snippet, result, colour: bool) -> str | None:
    """Plain-text report; with ``colour`` the code itself is printed by the caller instead."""
    lines = [f"model: {result.model}  task: {result.task}  source: {result.source}  "
             f"layer: {result.layer}  head: {result.head}"]
    if result.summary is not None:
        lines.append(f"summary: {result.summary}")
    if result.truncated:
        lines.append(f"note: {result.n_unseen} tokens past the model window were not seen "
                     "(use --window sliding to score them)")
    if result.completeness_gap is not None:
        lines.append(f"completeness gap: {result.completeness_gap:.3g}")
    others = [f"{s['text']}={_fmt(s['score'])}" for s in result.special_tokens if s["kind"] != "summary"]
    if others:
        lines.append("special/query: " + " ".join(others))
    if not colour:
        width = max(len(t.text) for t in snippet.tokens)
        lines.append(f"{'#':>5}  {'token':<{width}}  score")
        for tok, s in zip(snippet.tokens, result.scores):
            lines.append(f"{tok.index:>5}  {tok.text:<{width}}  {_fmt(s)}")
    return "\n".join(lines)


@app.command("importance")
def importance_command(
    file: Optional[str] = typer.Argument(None, help="File with one function, or - for standard input."),
    lang: str = typer.Option("auto", "--lang", help="java | python | auto"),
    task: str = typer.Option("search", "--task", help="search | summarize"),
    query: Optional[str] = typer.Option(None, "--query", help="Query paired with the code (search)."),
    summary: Optional[str] = typer.Option(None, "--summary", help="Target summary for cross/ig (seq2seq); "
                                          "default: the model's own."),
    source: str = typer.Option("cls", "--source", help=_SOURCES_HELP),
    layer: str = typer.Option("-1", "--layer", help="Layer index (negative from the end) or 'all'."),
    head: str = typer.Option("mean", "--head", help="mean | max | head index"),
    model: Optional[str] = typer.Option(None, "--model", help="Model name or directory (default: the task's)."),
    window: str = typer.Option("truncate", "--window", help="truncate | sliding"),
    reduce: str = typer.Option("sum", "--reduce", help="How subwords of a token combine: sum | mean | max"),
    steps: int = typer.Option(32, "--steps", help="Integrated Gradients steps (ig)."),
    absolute: bool = typer.Option(False, "--abs", help="Magnitudes of IG attributions instead of signed."),
    fmt: str = typer.Option("text", "--format", help="text | json"),
) -> None:
    """Score every code token by how much a model relies on it."""
    from ..importance import compute_importance
    from ..models import load_model

    if fmt not in ("text", "json"):
        raise DataError(f"unknown format {fmt!r}; choose text or json")
    snippet = snippet_from_input(file, lang)
    handle = load_model(model, task=task)
    options = {"n_steps": steps, "absolute": absolute} if source.strip().lower() == "ig" else {}
    result = compute_importance(snippet, source=source, model=handle, task=task, query=query, summary=summary,
                                layer=layer, head=head, reduce=reduce, window=window, **options)
    if fmt == "json":
        typer.echo(json.dumps(result.to_dict(snippet), indent=2))
        return
    from rich.console import Console

    console = Console()
    colour = console.is_terminal
    typer.echo(render_text(snippet, result, colour))
    if colour:
        console.print(render_rich(snippet, result))


@app.command("search-score")
def search_score_command(
    file: Optional[str] = typer.Argument(None, help="File with one function, or - for standard input."),
    query: str = typer.Option(..., "--query", help="The natural-language query."),
    model: Optional[str] = typer.Option(None, "--model", help="Model name or directory (default: the search model)."),
    lang: str = typer.Option("auto", "--lang", help="java | python | auto"),
) -> None:
    """Print the probability that the code is relevant to the query."""
    from ..inference import search_scores
    from ..models import load_model

    snippet = snippet_from_input(file, lang)
    handle = load_model(model, task="search")
    typer.echo(f"{search_scores(handle, query, [snippet.model_text])[0]:.6f}")


@app.command("summarize")
def summarize_command(
    file: Optional[str] = typer.Argument(None, help="File with one function, or - for standard input."),
    model: Optional[str] = typer.Option(None, "--model", help="Model name or directory "
                                        "(default: the summarization model)."),
    lang: str = typer.Option("auto", "--lang", help="java | python | auto"),
    max_new_tokens: int = typer.Option(32, "--max-new-tokens", help="Longest summary, in subwords."),
    beams: int = typer.Option(1, "--beams", help="Beam size (1: greedy)."),
) -> None:
    """Print the summary the model generates for the code."""
    from ..inference import summarize
    from ..models import load_model

    snippet = snippet_from_input(file, lang)
    handle = load_model(model, task="summarize")
    typer.echo(summarize(handle, [snippet.model_text], max_new_tokens=max_new_tokens, num_beams=beams)[0])
