"""The ``leancode`` command line.

Each command group lives in its own module of this package and adds itself to :data:`app`.
:func:`main` turns every :class:`~leancode.errors.LeanCodeError` into one clear line on
stderr and a non-zero exit status, never a traceback.
"""
from __future__ import annotations

import sys

import typer

app = typer.Typer(
    name="leancode",
    help="LeanCode Studio: see which code tokens a model relies on, and prune the rest.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_COMMAND_MODULES = ("tokens_cmd", "prune_cmd", "corpus_cmd", "importance_cmd", "models_cmd",
                    "eval_cmd", "bench_cmd")


def _load_commands() -> None:
    import importlib

    for name in _COMMAND_MODULES:
        importlib.import_module(f"{__name__}.{name}")


def fail(message: str, code: int = 2) -> "typer.Exit":
    """Print ``error: message`` on stderr and return an Exit to raise."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def main(argv=None) -> int:
    from ..errors import LeanCodeError

    _load_commands()
    try:
        rv = app(args=argv, standalone_mode=False)
        if isinstance(rv, int) and not isinstance(rv, bool):
            return rv
    except typer.Exit as e:  # explicit exits from commands
        return int(e.exit_code or 0)
    except LeanCodeError as e:
        typer.echo(f"error: {e}", err=True)
        return 2
    except (FileNotFoundError, IsADirectoryError, PermissionError, UnicodeDecodeError) as e:
        typer.echo(f"error: {e}", err=True)
        return 2
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        return 130
    except Exception as e:  # click usage errors and the like
        import click

        if isinstance(e, click.exceptions.Abort):
            typer.echo("aborted", err=True)
            return 1
        if isinstance(e, click.ClickException):
            e.show()
            return e.exit_code
        raise
    return 0


def entry() -> None:
    sys.exit(main())
