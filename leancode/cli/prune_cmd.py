"""``leancode prune`` and ``leancode prune-dataset``."""
from __future__ import annotations

import json
from typing import Optional

import typer

from . import app
from ..io import read_text

_METHOD_HELP = "slimcode, dietcode, leancode, leancode-instance, random or none."


def _check_amount(ratio: Optional[float], budget: Optional[int]):
    from . import fail

    if ratio is None and budget is None:
        raise fail("give --ratio R (fraction of tokens to remove, 0 <= R < 1) or --budget N (tokens to keep)")
    if ratio is not None and budget is not None:
        raise fail("give either --ratio or --budget, not both")


@app.command("prune")
def prune_command(
    file: Optional[str] = typer.Argument(None, help="Source file, or '-' / nothing for standard input."),
    method: str = typer.Option("slimcode", "--method", "-m", help=_METHOD_HELP),
    ratio: Optional[float] = typer.Option(None, "--ratio", "-r", help="Fraction of code tokens to remove, in [0, 1)."),
    budget: Optional[int] = typer.Option(None, "--budget", "-b", help="Keep at most N tokens instead."),
    lang: str = typer.Option("auto", "--lang", "-l", help="java, python or auto."),
    table: Optional[str] = typer.Option(None, "--table", "-t", help="Importance table JSON (dietcode, leancode)."),
    task: str = typer.Option("search", "--task", help="search or summarize: picks the default table."),
    seed: int = typer.Option(0, "--seed", help="Seed of the random method."),
    fmt: str = typer.Option("text", "--format", "-f", help="text or json."),
    lines: bool = typer.Option(False, "--lines", help="Every input line is one CodeSearchNet-style snippet."),
) -> None:
    """Prune a function (or, with --lines, one snippet per line) and print what the model would receive."""
    from .. import tokenize
    from ..pruners import build_pruner, n_to_remove
    from . import fail

    _check_amount(ratio, budget)
    if fmt not in ("text", "json"):
        raise fail(f"unknown format {fmt!r}; choose text or json")
    if task not in ("search", "summarize"):
        raise fail(f"unknown task {task!r}; choose search or summarize")
    n_to_remove(0, ratio, budget)
    pruner = build_pruner(method, table=table, seed=seed, task=task)
    source = read_text(file)
    snippets = source.splitlines() if lines else [source]
    outputs = []
    for i, code in enumerate(snippets, 1):
        snippet = tokenize(code, lang)
        for w in snippet.warnings:
            typer.echo(f"warning: {'line %d: ' % i if lines else ''}{w}", err=True)
        result = pruner.prune(snippet, ratio=ratio, budget=budget)
        if fmt == "text":
            typer.echo(result.pruned_text)
        else:
            outputs.append(result.to_dict())
    if fmt == "json":
        typer.echo(json.dumps(outputs if lines else outputs[0], ensure_ascii=False, indent=1))


@app.command("prune-dataset")
def prune_dataset_command(
    src: str = typer.Argument(..., help="Input JSONL (CodeSearchNet format)."),
    dst: str = typer.Argument(..., help="Output JSONL (written atomically; never the input)."),
    method: str = typer.Option(..., "--method", "-m", help=_METHOD_HELP),
    ratio: Optional[float] = typer.Option(None, "--ratio", "-r", help="Fraction of code tokens to remove, in [0, 1)."),
    budget: Optional[int] = typer.Option(None, "--budget", "-b", help="Keep at most N tokens instead."),
    lang: str = typer.Option("auto", "--lang", "-l", help="Language when records do not say."),
    table: Optional[str] = typer.Option(None, "--table", "-t", help="Importance table JSON."),
    task: str = typer.Option("search", "--task", help="search or summarize: picks the default table."),
    seed: int = typer.Option(0, "--seed"),
    workers: int = typer.Option(0, "--workers", "-w", help="Processes (0 = all cores)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Prune the code of every record of a CodeSearchNet-style JSONL file."""
    from ..dataset import prune_dataset

    _check_amount(ratio, budget)
    stats = prune_dataset(src, dst, method, ratio=ratio, budget=budget, table=table, seed=seed, task=task,
                          lang=lang, workers=workers or None, progress=not quiet)
    pct = 100.0 * stats.removed / stats.tokens if stats.tokens else 0.0
    typer.echo(f"pruned {stats.records:,} snippets with {method}: removed {stats.removed:,} of "
               f"{stats.tokens:,} tokens ({pct:.1f}%) in {stats.seconds:.2f} s "
               f"({stats.per_second:,.0f} snippets/s) -> {dst}")
