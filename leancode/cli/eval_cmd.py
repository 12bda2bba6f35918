"""``leancode eval`` (quality and cost of every method) and ``leancode table build``."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from . import app

table_app = typer.Typer(help="Importance tables for DietCode and LeanCode.", no_args_is_help=True)
app.add_typer(table_app, name="table")


def _split_list(text: str, what: str) -> list:
    items = [t.strip() for t in (text or "").split(",") if t.strip()]
    if not items:
        from . import fail

        raise fail(f"give at least one {what} (comma separated)")
    return items


def _parse_ratios(text: str) -> list:
    from . import fail

    out = []
    for item in _split_list(text, "ratio"):
        try:
            out.append(float(item))
        except ValueError:
            raise fail(f"ratio {item!r} is not a number; give fractions such as 0.1,0.3,0.5") from None
    return out


def _command_line(ctx: typer.Context) -> str:
    """The invoked command rebuilt from its parsed options (whatever the entry point was)."""
    import shlex

    parts = ["leancode", ctx.info_name or ""]
    if ctx.parent is not None and ctx.parent.info_name and ctx.parent.parent is not None:
        parts.insert(1, ctx.parent.info_name)
    for key, value in (ctx.params or {}).items():
        if value is None or value is False:
            continue
        flag = "--" + key.replace("_", "-")
        parts.append(flag if value is True else f"{flag} {shlex.quote(str(value))}")
    return " ".join(parts)


@app.command("eval")
def eval_command(
    ctx: typer.Context,
    task: str = typer.Option(..., "--task", help="search (MRR) or summarize (BLEU-4)."),
    data: str = typer.Option(..., "--data", help="Test set: CodeSearchNet-style JSONL."),
    out: str = typer.Option(..., "--out", "-o", help="Output directory for results.csv and results.json."),
    methods: str = typer.Option(",".join(("none", "random", "slimcode", "dietcode", "leancode",
                                          "leancode-instance")), "--methods", help="Comma-separated methods."),
    ratios: str = typer.Option("0.1,0.2,0.3,0.4,0.5", "--ratios", help="Comma-separated pruning ratios in (0, 1)."),
    group_size: int = typer.Option(100, "--group-size", help="Code search: candidates per query (papers: 1000)."),
    queries_per_group: int = typer.Option(0, "--queries-per-group",
                                          help="Code search: queries asked per group, each ranked against the "
                                               "whole group (0 = every member)."),
    limit: Optional[int] = typer.Option(None, "--limit", help="Use only the first N records."),
    model: Optional[str] = typer.Option(None, "--model", help="Model name or directory (default: the embedded one)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the group shuffle and of the random method."),
    table_dir: Optional[str] = typer.Option(None, "--table-dir",
                                            help="Folder of {method}-{task}-{language}.json tables."),
    batch_size: int = typer.Option(32, "--batch-size", help="Model batch size (the same for every cell)."),
    lang: str = typer.Option("auto", "--lang", "-l", help="java, python or auto (from the records)."),
    cache_dir: Optional[str] = typer.Option(None, "--cache-dir",
                                            help="Folder of finished cells to reuse (default: OUT/cells)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Neither read nor write cached cells."),
    refresh: bool = typer.Option(False, "--refresh", help="Recompute every cell and overwrite the cache."),
    device: Optional[str] = typer.Option(None, "--device", help="cpu or cuda (default: cuda when available)."),
    max_new_tokens: int = typer.Option(32, "--max-new-tokens", help="Summarize: longest generated summary."),
    beams: int = typer.Option(1, "--beams", help="Summarize: beam size (1 = greedy)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
) -> None:
    """Measure quality (with its unpruned baseline and retention) and cost of each method and ratio."""
    from ..evaluate import Evaluator, format_rows, write_results
    from . import fail

    if task not in ("search", "summarize"):
        raise fail(f"unknown task {task!r}; choose search or summarize")
    method_list = _split_list(methods, "method")
    ratio_list = _parse_ratios(ratios)
    out_dir = Path(out)
    if out_dir.exists() and not out_dir.is_dir():
        raise fail(f"--out {out} exists and is not a directory")
    cache = None if no_cache else (cache_dir or str(out_dir / "cells"))
    if queries_per_group < 0:
        raise fail("--queries-per-group must be 0 (every member) or more")
    ev = Evaluator(task, data, model=model, group_size=group_size, limit=limit, seed=seed, table_dir=table_dir,
                   batch_size=batch_size, lang=lang, cache_dir=cache, device=device, max_new_tokens=max_new_tokens,
                   num_beams=beams, progress=not quiet, refresh=refresh,
                   queries_per_group=queries_per_group or None)
    rows = ev.run(method_list, ratio_list)
    meta = ev.metadata(command=_command_line(ctx))
    meta["methods"] = method_list
    meta["ratios"] = ratio_list
    csv_path, json_path = write_results(rows, out_dir, meta)
    what = "MRR" if task == "search" else "smoothed BLEU-4 (x100)"
    scope = f", groups of {rows[0]['group_size']}" if task == "search" else ""
    typer.echo(f"{task} on {ev.test.n} {ev.language} examples with {rows[0]['model']} ({what}{scope}; "
               f"device {ev.device}, batch {batch_size})")
    typer.echo(format_rows(rows))
    if ev.cached_cells:
        typer.echo(f"{ev.cached_cells} of {len(rows)} cells reused from {cache}")
    typer.echo(f"wrote {csv_path} and {json_path}")


@table_app.command("build")
def table_build_command(
    ctx: typer.Context,
    method: str = typer.Option(..., "--method", "-m", help="leancode or dietcode."),
    task: str = typer.Option(..., "--task", help="search or summarize."),
    data: str = typer.Option(..., "--data", help="Training set: CodeSearchNet-style JSONL."),
    output: str = typer.Option(..., "-o", "--output", help="Table JSON to write."),
    model: Optional[str] = typer.Option(None, "--model", help="Model name or directory (default: the embedded one)."),
    limit: Optional[int] = typer.Option(None, "--limit", help="Use only the first N records."),
    batch_size: int = typer.Option(16, "--batch-size", help="Model batch size."),
    lang: str = typer.Option("auto", "--lang", "-l", help="java, python or auto (from the records)."),
    device: Optional[str] = typer.Option(None, "--device", help="cpu or cuda (default: cuda when available)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Compute an importance table from a model's attention over a training corpus."""
    from ..table_build import build_table_file
    from . import fail

    if method not in ("leancode", "dietcode"):
        raise fail(f"unknown table method {method!r}; choose leancode or dietcode")
    if task not in ("search", "summarize"):
        raise fail(f"unknown task {task!r}; choose search or summarize")
    table = build_table_file(method, task, data, output, model=model, limit=limit, batch_size=batch_size,
                             lang=lang, device=device, progress=not quiet,
                             command=_command_line(ctx))
    typer.echo(table.describe())
    typer.echo(f"wrote {output}")
