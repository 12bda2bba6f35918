"""``leancode tokens``: the code tokens of a snippet with all their roles."""
from __future__ import annotations

import json
from typing import Optional

import typer

from . import app
from ..io import read_text


@app.command("tokens")
def tokens_command(
    file: Optional[str] = typer.Argument(None, help="Source file, or '-' / nothing for standard input."),
    lang: str = typer.Option("auto", "--lang", "-l", help="java, python or auto."),
    fmt: str = typer.Option("table", "--format", "-f", help="table or json."),
) -> None:
    """Tokenise a function and show each token's kind, statement, category, SlimCode level and roles."""
    from .. import tokenize
    from . import fail

    if fmt not in ("table", "json", "text"):
        raise fail(f"unknown format {fmt!r}; choose table or json")
    snippet = tokenize(read_text(file), lang)
    for w in snippet.warnings:
        typer.echo(f"warning: {w}", err=True)
    if fmt == "json":
        typer.echo(json.dumps(snippet.to_dict(), ensure_ascii=False, indent=1))
        return
    typer.echo(f"# language={snippet.language} tokens={snippet.n} statements={len(snippet.statements)}")
    typer.echo(f"{'idx':>4} {'text':<28} {'kind':<11} {'stmt':>4} {'category':<12} {'lvl':>3} roles")
    for t in snippet.tokens:
        text = t.text if len(t.text) <= 28 else t.text[:25] + "..."
        text = text.replace("\n", "\\n")
        typer.echo(f"{t.index:>4} {text:<28} {t.kind:<11} {t.statement:>4} {t.category:<12} {t.level:>3} "
                   f"{','.join(sorted(t.roles))}")
