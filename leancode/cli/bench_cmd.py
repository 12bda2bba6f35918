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


def _items(text: Optional[str], what: str) -> Optional[list]:
    """A comma-separated option as a list (None when not given)."""
    if text is None:
        return None
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        from . import fail

        raise fail(f"give at least one {what} (comma separated)")
    return items


def _floats(text: Optional[str], what: str) -> Optional[list]:
    from . import fail

    items = _items(text, what)
    if items is None:
        return None
    try:
        return [float(x) for x in items]
    except ValueError:
        raise fail(f"{what}s must be numbers, got {text!r}") from None


def _ints(text: Optional[str], what: str) -> Optional[list]:
    from . import fail

    items = _items(text, what)
    if items is None:
        return None
    try:
        return [int(x) for x in items]
    except ValueError:
        raise fail(f"{what}s must be whole numbers, got {text!r}") from None


def _command_line(ctx: typer.Context) -> str:
    """The command as typed: the options given on the command line, rebuilt from their parsed values."""
    import shlex

    parts = ["leancode", "bench", ctx.info_name or ""]
    for key, value in (ctx.params or {}).items():
        if getattr(ctx.get_parameter_source(key), "name", "COMMANDLINE") != "COMMANDLINE":
            continue
        if value is None:
            continue
        if value is False:
            if key == "cost":
                parts.append("--no-cost")
            elif key == "report":
                parts.append("--no-report")
            continue
        flag = "--" + key.replace("_", "-")
        parts.append(flag if value is True else f"{flag} {shlex.quote(str(value))}")
    return " ".join(parts)


def _set_threads(threads: Optional[int]) -> None:
    from . import fail

    if threads is None:
        return
    if threads < 1:
        raise fail("--threads must be at least 1")
    import torch

    torch.set_num_threads(threads)


_OUT = typer.Option("reports", "--out", "-o", help="Report folder (results, cache, REPORT.md, plots).")
_PNG = typer.Option("auto", "--png", help="PNG export: auto (Kaleido, else Matplotlib), kaleido, matplotlib or none.")


@bench_app.command("run")
def bench_run(
    ctx: typer.Context,
    quick: bool = typer.Option(False, "--quick", help="Small samples (search: 50 queries per seed in groups of 25; "
                                                      "100 summaries per seed; ratios 0.1,0.3,0.5): about half an "
                                                      "hour on a 2-core CPU. Default (full): groups of 100 "
                                                      "candidates, 20 queries per group, 200 summaries per seed, "
                                                      "ratios 0.1-0.5: about 1.5 h."),
    langs: str = typer.Option("java,python", "--langs", help="Languages (test split of data/LANG/)."),
    tasks: str = typer.Option("search,summarize", "--tasks", help="search (MRR) and/or summarize (BLEU-4)."),
    methods: str = typer.Option("none,random,slimcode,dietcode,leancode,leancode-instance", "--methods"),
    ratios: Optional[str] = typer.Option(None, "--ratios", help="Pruning ratios (default 0.1-0.5; quick: 0.1,0.3,0.5)."),
    seeds: str = typer.Option("0,1,2", "--seeds", help="Seeds: test sample, search groups, random baseline."),
    group_size: Optional[int] = typer.Option(None, "--group-size",
                                             help="Code search candidates per query (default 100; quick 25; "
                                                  "papers 1000)."),
    queries_per_group: Optional[int] = typer.Option(None, "--queries-per-group",
                                                    help="Search: queries asked per group, each ranked against "
                                                         "the whole group (default 20; 0 = every member, "
                                                         "the usual choice on a GPU; quick: all)."),
    limit: Optional[int] = typer.Option(None, "--limit", help="Test records drawn per seed, for both tasks."),
    search_limit: Optional[int] = typer.Option(None, "--search-limit", help="Test records per seed for search."),
    summarize_limit: Optional[int] = typer.Option(None, "--summarize-limit", help="Test records per seed for "
                                                                                  "summarize."),
    out: str = _OUT,
    data_root: str = typer.Option("data", "--data-root", help="Folder holding LANG/{train,test}.jsonl."),
    batch_size: Optional[int] = typer.Option(None, "--batch-size", help="Model batch size, the same for every cell "
                                                                        "(default: 32 on a GPU; on a CPU 4 for "
                                                                        "search, 16 for summarize)."),
    summarize_batch_size: Optional[int] = typer.Option(None, "--summarize-batch-size",
                                                       help="Batch size of summarize only."),
    device: Optional[str] = typer.Option(None, "--device", help="cpu or cuda (default: cuda when available)."),
    search_model: Optional[str] = typer.Option(None, "--search-model", help="Search model (default: embedded)."),
    summarize_model: Optional[str] = typer.Option(None, "--summarize-model", help="Summarizer (default: embedded)."),
    table_dir: Optional[str] = typer.Option(None, "--table-dir", help="Folder of {method}-{task}-{lang}.json tables."),
    cost: bool = typer.Option(True, "--cost/--no-cost", help="Also run the cost benchmark."),
    train_pruned: bool = typer.Option(False, "--train-pruned", help="Instead: the papers' protocol at small scale "
                                                                    "(fine-tune on pruned code, test on pruned code)."),
    train_method: str = typer.Option("leancode", "--train-method", help="--train-pruned: pruning method."),
    train_ratio: float = typer.Option(0.5, "--train-ratio", help="--train-pruned: pruning ratio."),
    train_steps: int = typer.Option(30, "--train-steps", help="--train-pruned: fine-tuning steps per model."),
    train_limit: int = typer.Option(2000, "--train-limit", help="--train-pruned: training records."),
    strict: bool = typer.Option(False, "--strict", help="Fail when a method or task cannot run (default: leave it "
                                                        "out with a note)."),
    refresh: bool = typer.Option(False, "--refresh", help="Recompute every cell (ignore the cache)."),
    threads: Optional[int] = typer.Option(None, "--threads", help="CPU threads for torch (default: torch's choice)."),
    png: str = _PNG,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
) -> None:
    """Quality (and cost) of every method and ratio per language and task over several seeds; resumable.

    Test-time pruning: the models were fine-tuned on unpruned code and are tested on pruned code.
    """
    from ..bench.quality import bench_config, run_quality, write_rows
    from ..bench.report import write_report

    _set_threads(threads)
    lang_list = _items(langs, "language")
    task_list = _items(tasks, "task")
    seed_list = _ints(seeds, "seed")
    ratio_list = _floats(ratios, "ratio")
    command = _command_line(ctx)
    if train_pruned:
        from ..bench.train_pruned import TrainPrunedConfig, run_train_pruned

        tp = TrainPrunedConfig(out=out, langs=tuple(lang_list), tasks=tuple(task_list), method=train_method,
                               ratio=train_ratio, steps=train_steps, train_limit=train_limit,
                               test_limit=limit or search_limit or 50, group_size=group_size or 25,
                               seed=seed_list[0], data_root=data_root, table_dir=table_dir, device=device,
                               eval_batch_size=batch_size or 8, progress=not quiet, refresh=refresh)
        rows, meta = run_train_pruned(tp, log=typer.echo, command=command)
        csv_path, json_path = write_rows(rows, out, meta, stem="train-pruned")
        typer.echo(f"wrote {csv_path} and {json_path}")
    else:
        overrides = dict(out=out, langs=tuple(lang_list), tasks=tuple(task_list), methods=tuple(_items(methods, "method")),
                         ratios=tuple(ratio_list) if ratio_list else None, seeds=tuple(seed_list),
                         group_size=group_size, queries_per_group=queries_per_group,
                         search_limit=search_limit or limit,
                         summarize_limit=summarize_limit or limit, data_root=data_root, batch_size=batch_size,
                         summarize_batch_size=summarize_batch_size,
                         device=device, table_dir=table_dir, strict=strict, refresh=refresh, progress=not quiet,
                         models={k: v for k, v in (("search", search_model), ("summarize", summarize_model)) if v})
        cfg = bench_config(quick, **overrides)
        res = run_quality(cfg, log=typer.echo, command=command)
        csv_path, json_path = write_rows(res.rows, out, res.metadata)
        typer.echo(f"wrote {csv_path} and {json_path}")
        if cost:
            from ..bench.cost import cost_config, run_cost, write_cost

            cc = cost_config(quick, out=out, langs=tuple(lang_list), ratios=tuple(cfg.ratios), device=device,
                             data_root=data_root, table_dir=table_dir)
            rep = run_cost(cc, log=typer.echo, command=command + " (cost part)")
            paths = write_cost(rep, out)
            typer.echo(f"wrote {paths[0]} and {paths[1]}")
    files = write_report(out, png=png, log=typer.echo)
    typer.echo(f"wrote {files.markdown} and {len(files.html)} plots"
               + (f" (PNG by {files.png_engine})" if files.png_engine else ""))


@bench_app.command("cost")
def bench_cost(
    ctx: typer.Context,
    quick: bool = typer.Option(False, "--quick", help="24 examples, one pass, SlimCode and LeanCode only."),
    langs: str = typer.Option("java", "--langs", help="Languages (test split of data/LANG/)."),
    methods: Optional[str] = typer.Option(None, "--methods", help="Pruning methods (default slimcode,dietcode,"
                                                                  "leancode,random)."),
    ratios: str = typer.Option("0.1,0.2,0.3,0.4,0.5", "--ratios"),
    models: str = typer.Option("embedded,codebert-base,codet5-base", "--models",
                               help="embedded (the trained embedded models), codebert-base and codet5-base "
                                    "(random-weight, base-sized)."),
    n: Optional[int] = typer.Option(None, "--n", help="Timed test snippets (default 64; quick 24)."),
    batch_size: int = typer.Option(8, "--batch-size", help="The same batch size for every model."),
    repeats: Optional[int] = typer.Option(None, "--repeats", help="Timed passes; the best is kept (default 2)."),
    gen_tokens: int = typer.Option(32, "--gen-tokens", help="Tokens every generation decodes."),
    encoder_len: int = typer.Option(256, "--encoder-len", help="Truncation of the CodeBERT-sized input."),
    seq2seq_len: int = typer.Option(512, "--seq2seq-len", help="Truncation of the CodeT5-sized input."),
    throughput_n: Optional[int] = typer.Option(None, "--throughput-n", help="Snippets for pruning throughput "
                                                                           "(0 = skip)."),
    device: Optional[str] = typer.Option(None, "--device", help="cpu or cuda (default: cuda when available)."),
    data_root: str = typer.Option("data", "--data-root"),
    table_dir: Optional[str] = typer.Option(None, "--table-dir"),
    out: str = _OUT,
    report: bool = typer.Option(True, "--report/--no-report", help="Regenerate REPORT.md afterwards."),
    threads: Optional[int] = typer.Option(None, "--threads", help="CPU threads for torch (default: torch's choice)."),
    png: str = _PNG,
) -> None:
    """Pruning throughput and model inference time per example at each ratio (same batch, same device)."""
    from ..bench.cost import cost_config, run_cost, write_cost
    from . import fail

    _set_threads(threads)

    if n is not None and n < 1:
        raise fail("--n must be at least 1")
    cfg = cost_config(quick, out=out, langs=tuple(_items(langs, "language")),
                      methods=tuple(_items(methods, "method")) if methods else None,
                      ratios=tuple(_floats(ratios, "ratio")), models=tuple(_items(models, "model")), n=n,
                      batch_size=batch_size, repeats=repeats, gen_tokens=gen_tokens, encoder_len=encoder_len,
                      seq2seq_len=seq2seq_len, throughput_n=throughput_n, device=device, data_root=data_root,
                      table_dir=table_dir)
    rep = run_cost(cfg, log=typer.echo, command=_command_line(ctx))
    paths = write_cost(rep, out)
    typer.echo(f"wrote {paths[0]} and {paths[1]}")
    if report:
        from ..bench.report import write_report

        files = write_report(out, png=png, log=typer.echo)
        typer.echo(f"wrote {files.markdown}")


@bench_app.command("report")
def bench_report(
    out: str = _OUT,
    png: str = _PNG,
    plotlyjs: str = typer.Option("directory", "--plotlyjs", help="directory (offline), cdn or inline."),
) -> None:
    """Regenerate REPORT.md and the plots from the results in the report folder."""
    from ..bench.report import write_report
    from . import fail

    if png not in ("auto", "kaleido", "matplotlib", "none"):
        raise fail(f"--png must be auto, kaleido, matplotlib or none, got {png!r}")
    if plotlyjs not in ("directory", "cdn", "inline"):
        raise fail(f"--plotlyjs must be directory, cdn or inline, got {plotlyjs!r}")
    files = write_report(out, png=png, plotlyjs=plotlyjs, log=typer.echo)
    typer.echo(f"wrote {files.markdown}, {len(files.html)} HTML plots"
               + (f" and {len(files.png)} PNG ({files.png_engine})" if files.png else ""))
