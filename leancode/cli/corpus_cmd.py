"""``leancode corpus build``: mine documented functions into CodeSearchNet-style JSONL."""
from __future__ import annotations

import time
from pathlib import Path
from typing import List, Optional

import typer

from . import app

corpus_app = typer.Typer(help="Build training/evaluation corpora from source code.", no_args_is_help=True)
app.add_typer(corpus_app, name="corpus")


@corpus_app.command("build")
def build(
    sources: List[Path] = typer.Argument(..., help="Source directories, .zip archives (e.g. the JDK's src.zip) or files."),
    lang: str = typer.Option(..., "--lang", help="Language to mine: java or python."),
    output: Path = typer.Option(..., "-o", "--output", help="Output directory for train/valid/test.jsonl."),
    seed: int = typer.Option(0, "--seed", help="Seed mixed into the path hash that assigns files to splits."),
    max_tokens: int = typer.Option(256, "--max-tokens", help="Skip functions with more code tokens than this."),
    limit: Optional[int] = typer.Option(None, "--limit", help="Stop after this many functions were kept."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress lines."),
) -> None:
    """Mine documented functions from SOURCES and write DIR/{train,valid,test}.jsonl (split by file path)."""
    from ..corpus import LANGUAGES, SPLITS, build_corpus
    from ..errors import DataError

    lang = lang.lower()
    if lang not in LANGUAGES:
        raise DataError(f"unknown language {lang!r}: expected one of {', '.join(LANGUAGES)}")
    t0 = time.perf_counter()
    progress = None if quiet else (lambda msg: typer.echo(f"  {msg}", err=True))
    stats = build_corpus(sources, lang, output, seed=seed, max_tokens=max_tokens, limit=limit,
                         progress=progress)
    elapsed = time.perf_counter() - t0
    d = stats.to_dict()
    typer.echo(f"mined {d['kept']} {lang} functions from {d['files_scanned']} files in {elapsed:.1f}s -> {output}")
    typer.echo("  " + ", ".join(f"{s}: {d['per_split'][s]}" for s in SPLITS))
    if d["files_skipped"]:
        typer.echo("  files skipped: " + ", ".join(f"{k}: {v}" for k, v in d["files_skipped"].items()))
    typer.echo(f"  functions seen: {d['functions_seen']}")
    if d["skipped"]:
        typer.echo("  functions skipped: " + ", ".join(f"{k}: {v}" for k, v in d["skipped"].items()))
