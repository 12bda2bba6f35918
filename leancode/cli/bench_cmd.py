"""``leancode bench ...``: benchmarks that print numbers and save them."""
from __future__ import annotations

import json
from typing import Optional

import typer

from . import app

bench_app = typer.Typer(help="Benchmarks: pruning throughput, and the methods' quality and cost.",
                        no_args_is_help=True)
app.add_typer(bench_app, name="bench")


@bench_app.command("prune")
def bench_prune(
    data: str = typer.Option("data/java/train.jsonl", "--data", help="CodeSearchNet-style JSONL."),
    n: int = typer.Option(20000, "--n", help="Number of snippets (cycled if the file has fewer)."),
    ratio: float = typer.Option(0.3, "--ratio"),
    methods: str = typer.Option("slimcode,dietcode,leancode,random", "--methods"),
    workers: int = typer.Option(0, "--workers", help="Processes (0 = all cores)."),
    lang: str = typer.Option("java", "--lang"),
    out: Optional[str] = typer.Option(None, "--out", help="Write the figures as JSON here."),
) -> None:
    """Pruning throughput per method (snippets/s), tokenisation included."""
    from ..bench.prune import run
    from ..io import atomic_writer

    res = run(data, n=n, ratio=ratio, methods=[m.strip() for m in methods.split(",") if m.strip()],
              workers=workers or None, lang=lang, log=typer.echo)
    if out:
        with atomic_writer(out) as f:
            json.dump(res, f, indent=1)
        typer.echo(f"wrote {out}")
