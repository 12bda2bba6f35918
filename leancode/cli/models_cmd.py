"""``leancode train search|summarize`` and ``leancode models list|eval``: the embedded models."""
from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from . import app

train_app = typer.Typer(help="Fine-tune the embedded models from a mined corpus.", no_args_is_help=True)
models_app = typer.Typer(help="The embedded offline models.", no_args_is_help=True)
app.add_typer(train_app, name="train")
app.add_typer(models_app, name="models")


def _config(data, out, steps, max_minutes, batch_size, seed, max_len, lr, resume, threads, device, precision,
            base, eval_examples, train_limit, checkpoint_every, log_every, no_progress, extra):
    from ..training.common import TrainConfig

    if steps < 1:
        raise typer.BadParameter("--steps must be at least 1")
    if batch_size < 1:
        raise typer.BadParameter("--batch-size must be at least 1")
    if max_len < 8:
        raise typer.BadParameter("--max-len must be at least 8")
    if max_minutes is not None and max_minutes <= 0:
        raise typer.BadParameter("--max-minutes must be positive")
    return TrainConfig(data=[str(d) for d in data], out=str(out), steps=steps, max_minutes=max_minutes,
                       batch_size=batch_size, seed=seed, max_len=max_len, lr=lr, resume=resume,
                       threads=threads, device=device, precision=precision,
                       base_dir=str(base) if base else None, eval_examples=eval_examples,
                       train_limit=train_limit, checkpoint_every=checkpoint_every, log_every=log_every,
                       progress=not no_progress, extra=extra)


_DATA = typer.Option(..., "--data", help="Corpus directory with train/test.jsonl, or a directory of such "
                                         "directories; repeat to mix languages.")
_OUT = typer.Option(..., "-o", "--output", help="Run directory: checkpoint, summary.json and artifacts/.")
_RESUME = typer.Option(False, "--resume", help="Continue from the checkpoint in the run directory.")
_THREADS = typer.Option(None, "--threads", help="CPU threads for torch (default: torch's choice).")
_DEVICE = typer.Option(None, "--device", help="cpu or cuda (default: cuda when present).")
_PRECISION = typer.Option("auto", "--precision", help="auto, fp32 or bf16 (autocast).")
_BASE = typer.Option(None, "--base", help="Base model directory (default: the embedded all-MiniLM-L6-v2).")
_LIMIT = typer.Option(None, "--train-limit", help="Use at most this many training records per data directory.")
_CKPT = typer.Option(200, "--checkpoint-every", help="Steps between checkpoints (0: only at the end).")
_LOG = typer.Option(50, "--log-every", help="Steps between log lines.")
_NOPROG = typer.Option(False, "--no-progress", help="No progress bar.")


@train_app.command("search")
def train_search(
    data: List[Path] = _DATA,
    output: Path = _OUT,
    steps: int = typer.Option(3000, "--steps", help="Maximum optimisation steps."),
    max_minutes: Optional[float] = typer.Option(None, "--max-minutes", help="Wall-time bound; the LR schedule "
                                                "follows whichever of steps or time runs out first."),
    batch_size: int = typer.Option(16, "--batch-size", help="Queries per step (each gives a positive and a negative pair)."),
    seed: int = typer.Option(0, "--seed"),
    max_len: int = typer.Option(192, "--max-len", help="Maximum pair length in subword tokens."),
    lr: float = typer.Option(1e-4, "--lr", help="Peak learning rate."),
    train_layers: int = typer.Option(2, "--train-layers", help="Top encoder layers to train (plus pooler and classifier)."),
    negatives: int = typer.Option(1, "--negatives", help="Negative codes per query; more than 1 adds a listwise "
                                  "ranking loss."),
    eval_queries: int = typer.Option(200, "--eval-queries", help="Test queries per language for the final MRR."),
    eval_group: int = typer.Option(100, "--eval-group", help="Candidates per query group for the final MRR."),
    resume: bool = _RESUME, threads: Optional[int] = _THREADS, device: Optional[str] = _DEVICE,
    precision: str = _PRECISION, base: Optional[Path] = _BASE, train_limit: Optional[int] = _LIMIT,
    checkpoint_every: int = _CKPT, log_every: int = _LOG, no_progress: bool = _NOPROG,
) -> None:
    """Fine-tune the code-search cross-encoder (query [SEP] code against random negatives)."""
    from ..training import search
    from ..training.common import configure_logging

    configure_logging()
    cfg = _config(data, output, steps, max_minutes, batch_size, seed, max_len, lr, resume, threads, device,
                  precision, base, eval_queries, train_limit, checkpoint_every, log_every, no_progress,
                  {"train_layers": train_layers, "eval_group": eval_group, "negatives": negatives})
    summary = search.run(cfg)
    typer.echo(f"artifacts written to {Path(output) / 'artifacts'} "
               f"(copy them to {_resources('leancode-mini-search')} to embed them)")
    del summary


@train_app.command("summarize")
def train_summarize(
    data: List[Path] = _DATA,
    output: Path = _OUT,
    steps: int = typer.Option(3000, "--steps", help="Maximum optimisation steps."),
    max_minutes: Optional[float] = typer.Option(None, "--max-minutes", help="Wall-time bound; the LR schedule "
                                                "follows whichever of steps or time runs out first."),
    batch_size: int = typer.Option(32, "--batch-size", help="Examples per step."),
    seed: int = typer.Option(0, "--seed"),
    max_len: int = typer.Option(192, "--max-len", help="Maximum code length in subword tokens."),
    lr: float = typer.Option(2e-4, "--lr", help="Peak learning rate."),
    decoder_layers: int = typer.Option(3, "--decoder-layers", help="Decoder layers (with cross-attention)."),
    train_encoder_layers: int = typer.Option(1, "--train-encoder-layers", help="Top encoder layers to train."),
    max_target_len: int = typer.Option(32, "--max-target-len", help="Maximum summary length in subword tokens."),
    eval_examples: int = typer.Option(300, "--eval-examples", help="Test examples per language for the final BLEU."),
    eval_beams: int = typer.Option(1, "--eval-beams", help="Beam size for the final BLEU (1 = greedy)."),
    resume: bool = _RESUME, threads: Optional[int] = _THREADS, device: Optional[str] = _DEVICE,
    precision: str = _PRECISION, base: Optional[Path] = _BASE, train_limit: Optional[int] = _LIMIT,
    checkpoint_every: int = _CKPT, log_every: int = _LOG, no_progress: bool = _NOPROG,
) -> None:
    """Fine-tune the encoder-decoder summariser (code tokens -> docstring summary)."""
    from ..training import summarize
    from ..training.common import configure_logging

    configure_logging()
    cfg = _config(data, output, steps, max_minutes, batch_size, seed, max_len, lr, resume, threads, device,
                  precision, base, eval_examples, train_limit, checkpoint_every, log_every, no_progress,
                  {"decoder_layers": decoder_layers, "train_encoder_layers": train_encoder_layers,
                   "max_target_len": max_target_len, "eval_beams": eval_beams})
    summarize.run(cfg)
    typer.echo(f"artifacts written to {Path(output) / 'artifacts'} "
               f"(copy them to {_resources('leancode-mini-summarize')} to embed them)")


def _resources(name: str) -> Path:
    from ..embedded import artifacts_dir

    return artifacts_dir(name)


@models_app.command("list")
def models_list(as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """The embedded models, whether they are available, their stored size and measured quality."""
    from ..embedded import BASE_NAME, EMBEDDED_NAMES, artifacts_dir, is_available

    rows = []
    for name in EMBEDDED_NAMES:
        row = {"name": name, "available": is_available(name), "stored_mb": None, "task": None, "metrics": None}
        if name == BASE_NAME:
            row["task"] = "encoder (base of the others)"
        else:
            d = artifacts_dir(name)
            if (d / "config.json").is_file():
                try:
                    cfg = json.loads((d / "config.json").read_text(encoding="utf-8"))
                except ValueError:
                    cfg = {}
                row["task"] = cfg.get("task")
                row["metrics"] = {k: {m: v for m, v in val.items() if m != "samples"}
                                  for k, val in (cfg.get("training", {}).get("metrics") or {}).items()}
                row["stored_mb"] = round(sum(f.stat().st_size for f in d.iterdir() if f.is_file()) / 2 ** 20, 2)
        rows.append(row)
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        state = "available" if r["available"] else "not trained"
        size = f"{r['stored_mb']} MB" if r["stored_mb"] is not None else "-"
        typer.echo(f"{r['name']:<26} {state:<12} {size:>9}  {r['task'] or ''}")
        for lang, m in (r["metrics"] or {}).items():
            typer.echo(f"{'':<28}{lang}: " + ", ".join(f"{k}={v}" for k, v in m.items()))


@models_app.command("eval")
def models_eval(
    name: str = typer.Argument(..., help="leancode-mini-search or leancode-mini-summarize, or an artifacts directory."),
    data: List[Path] = _DATA,
    split: str = typer.Option("test", "--split", help="Split to evaluate on."),
    examples: int = typer.Option(200, "--examples", help="Examples (queries) per language."),
    group: int = typer.Option(100, "--group", help="Code search: candidates per group."),
    beams: int = typer.Option(1, "--beams", help="Summarisation: beam size."),
    seed: int = typer.Option(0, "--seed", help="Seed of the example sample."),
    threads: Optional[int] = _THREADS, device: Optional[str] = _DEVICE, precision: str = _PRECISION,
) -> None:
    """Measure a trained model: MRR (code search) or smoothed BLEU-4 (summarisation) per language."""
    import time

    import torch

    from ..embedded import is_embedded, load_embedded, load_from_artifacts, read_artifact_config
    from ..training.common import (autocast, examples_by_language, load_examples, pick_device,
                                   resolve_data_dirs, sample_examples, setup_threads, use_bf16)

    setup_threads(threads)
    dev = pick_device(device)
    if is_embedded(name):
        from ..embedded import artifacts_dir

        cfg = read_artifact_config(artifacts_dir(name))
        model, tok = load_embedded(name, device=dev)
    else:
        cfg = read_artifact_config(Path(name))
        model, tok = load_from_artifacts(Path(name), device=dev)
    exs = load_examples(resolve_data_dirs(data), split)
    bf16 = use_bf16(dev, precision)
    max_len = int(cfg.get("max_len", 192))
    for lang, group_ex in examples_by_language(exs).items():
        sample = sample_examples(group_ex, examples, seed)
        t0 = time.time()
        with torch.no_grad(), autocast(dev, bf16):
            if cfg["task"] == "search":
                from ..training.search import evaluate_mrr

                res = evaluate_mrr(model, tok, sample, group=group, max_len=max_len)
            else:
                from ..training.summarize import evaluate_bleu

                res = evaluate_bleu(model, tok, sample, max_len=max_len,
                                    max_new_tokens=int(cfg.get("max_target_len", 32)), num_beams=beams)
                res.pop("samples", None)
        res["seconds"] = round(time.time() - t0, 1)
        typer.echo(f"{lang}: " + json.dumps(res))
