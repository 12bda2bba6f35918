"""Inference cost: model time per example at each pruning ratio, and pruning throughput.

All models are timed in one run, with the same batch size, device and examples, on the pruned
code of real test snippets:

* the embedded models (``leancode-mini-search``: a (query, code) forward pass;
  ``leancode-mini-summarize``: generation), when they are trained;
* a CodeBERT-base-sized encoder (``RobertaForSequenceClassification``: 12 layers, hidden 768,
  12 heads, feed-forward 3072) fed (query, code) pairs;
* a CodeT5-base-sized encoder-decoder (``T5ForConditionalGeneration`` with t5-base
  dimensions: 12 + 12 layers, d_model 768, d_ff 3072, 12 heads) generating a summary.

The two base-sized models have **random weights** (nothing is downloaded): their time is
what the architecture costs, their output means nothing.  They have no tokenizer of their
own; both use the embedded MiniLM WordPiece tokenizer (30,522 subwords), so the input
lengths in subwords are those of a BERT-style vocabulary, not of CodeBERT's or CodeT5's BPE.
Every generation decodes a fixed number of tokens (``gen_tokens``: no early stop), so that
the time differences come from the input length alone.  Tokenisation is done before the
clock starts; the clock covers the model calls only.

The per-example time of each (model, method, ratio) is the best (minimum) of ``repeats``
passes over the examples divided by their number; the reduction is relative to the unpruned
row of the same model.
"""
from __future__ import annotations

import math
import os
import platform
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

from ..errors import DataError, LeanCodeError, ModelLoadError
from ..evaluate import record_summary, run_metadata

COST_COLUMNS = ("language", "model", "kind", "weights", "params", "max_len", "method", "ratio", "n",
                "batch_size", "device", "gen_tokens", "mean_code_tokens", "mean_input_subwords",
                "truncated_fraction", "seconds_per_example", "reduction", "subword_reduction")

#: The models the cost benchmark times by default (``embedded`` = both embedded models).
DEFAULT_MODELS = ("embedded", "codebert-base", "codet5-base")
#: What the CodeBERT- and CodeT5-sized models are.
RANDOM_WEIGHTS_NOTE = ("The CodeBERT-base-sized and CodeT5-base-sized models have random weights and the embedded "
                       "MiniLM WordPiece tokenizer: their timings measure the architecture's cost only.")


class CostError(LeanCodeError, ValueError):
    """Bad cost-benchmark arguments."""


@dataclass
class TimingModel:
    """A model to time: a built model, its tokenizer, and how to feed it."""

    name: str
    kind: str                  # "encoder" (query, code) pairs or "seq2seq" (code -> generated text)
    model: Any
    tokenizer: Any
    max_len: int
    weights: str               # "trained" or "random"
    task: str = "search"       # the task whose tables prune its inputs
    note: str = ""

    @property
    def params(self) -> int:
        return int(sum(p.numel() for p in self.model.parameters()))


# ----------------------------------------------------------------------------- models

def timing_tokenizer():
    """The tokenizer of the random-weight models: the embedded MiniLM WordPiece tokenizer."""
    from ..embedded import load_base_tokenizer

    return load_base_tokenizer()


def encoder_model(tokenizer, *, name: str = "codebert-base-sized", layers: int = 12, hidden: int = 768,
                  heads: int = 12, ffn: int = 3072, max_len: int = 256, seed: int = 0) -> TimingModel:
    """A random-weight ``RobertaForSequenceClassification`` (2 labels) of the given size.

    The defaults are CodeBERT-base's dimensions; ``max_len`` is the input truncation (the
    position table holds ``max_len + 2`` entries, RoBERTa style).
    """
    import torch
    from transformers import RobertaConfig, RobertaForSequenceClassification

    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 1
    cfg = RobertaConfig(vocab_size=len(tokenizer), hidden_size=hidden, num_hidden_layers=layers,
                        num_attention_heads=heads, intermediate_size=ffn, max_position_embeddings=max_len + pad + 2,
                        pad_token_id=pad, type_vocab_size=1, num_labels=2)
    torch.manual_seed(seed)
    model = RobertaForSequenceClassification(cfg).eval()
    return TimingModel(name=name, kind="encoder", model=model, tokenizer=tokenizer, max_len=max_len, weights="random",
                       task="search", note=f"RoBERTa encoder, {layers} layers, hidden {hidden}, random weights")


def seq2seq_model(tokenizer, *, name: str = "codet5-base-sized", d_model: int = 768, d_ff: int = 3072,
                  layers: int = 12, decoder_layers: Optional[int] = None, heads: int = 12, d_kv: int = 64,
                  max_len: int = 512, seed: int = 0) -> TimingModel:
    """A random-weight ``T5ForConditionalGeneration`` of the given size (defaults: t5-base / CodeT5-base)."""
    import torch
    from transformers import T5Config, T5ForConditionalGeneration

    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    eos = tokenizer.sep_token_id if tokenizer.sep_token_id is not None else tokenizer.eos_token_id
    cfg = T5Config(vocab_size=len(tokenizer), d_model=d_model, d_ff=d_ff, num_layers=layers,
                   num_decoder_layers=decoder_layers or layers, num_heads=heads, d_kv=d_kv, pad_token_id=pad,
                   eos_token_id=eos, decoder_start_token_id=pad)
    torch.manual_seed(seed)
    model = T5ForConditionalGeneration(cfg).eval()
    return TimingModel(name=name, kind="seq2seq", model=model, tokenizer=tokenizer, max_len=max_len, weights="random",
                       task="summarize", note=f"T5 encoder-decoder, {layers}+{decoder_layers or layers} layers, "
                                              f"d_model {d_model}, random weights")


def embedded_models(device: str = "cpu") -> tuple:
    """(the trained embedded models that are available, {name: why not}) as :class:`TimingModel`."""
    from .. import embedded

    out, missing = [], {}
    for name, kind, task in ((embedded.SEARCH_NAME, "encoder", "search"),
                             (embedded.SUMMARIZE_NAME, "seq2seq", "summarize")):
        if not embedded.is_available(name):
            missing[name] = "not trained yet"
            continue
        try:
            model, tok = embedded.load_embedded(name, device=device)
        except ModelLoadError as e:
            missing[name] = str(e)
            continue
        from ..models import infer_max_length

        out.append(TimingModel(name=name, kind=kind, model=model, tokenizer=tok, max_len=infer_max_length(model, tok),
                               weights="trained", task=task, note="embedded, fine-tuned"))
    return out, missing


def default_models(names: Sequence[str] = DEFAULT_MODELS, device: str = "cpu", *, encoder_len: int = 256,
                   seq2seq_len: int = 512) -> tuple:
    """Build the models named in ``names`` (``embedded``, ``codebert-base``, ``codet5-base``).

    Returns (models, {name: why it is left out}).
    """
    models, missing = [], {}
    known = {"embedded", "codebert-base", "codet5-base"}
    bad = [n for n in names if n not in known]
    if bad:
        raise CostError(f"unknown timing model {bad[0]!r}; choose from: {', '.join(sorted(known))}")
    tok = None
    for n in names:
        if n == "embedded":
            got, why = embedded_models(device)
            models.extend(got)
            missing.update(why)
            continue
        tok = tok or timing_tokenizer()
        models.append(encoder_model(tok, max_len=encoder_len) if n == "codebert-base"
                      else seq2seq_model(tok, max_len=seq2seq_len))
    return models, missing


# ----------------------------------------------------------------------------- inputs

@dataclass
class CostInputs:
    """Real test snippets, their queries, and their pruned text per (task, method, ratio)."""

    language: str
    queries: list
    code_tokens: dict = field(default_factory=dict)      # (task, method, ratio) -> mean code tokens
    texts: dict = field(default_factory=dict)            # (task, method, ratio) -> list of model texts
    notes: dict = field(default_factory=dict)            # method -> why it is left out


def build_inputs(path, language: str, n: int, methods: Sequence[str], ratios: Sequence[float], *,
                 tasks: Sequence[str] = ("search", "summarize"), seed: int = 0, table_dir=None) -> CostInputs:
    """Draw ``n`` usable snippets of ``path`` with ``seed`` and prune them with every method and ratio.

    Table-driven methods use the task's table (shipped, or ``table_dir/{method}-{task}-{lang}.json``);
    a method whose table is missing is left out with a note.
    """
    from ..dataset import record_code
    from ..languages import tokenize
    from ..pruners import build_pruner
    from ..tables import ImportanceTable, default_table
    from .quality import sample_records

    if n < 1:
        raise CostError(f"the number of timed examples must be at least 1, got {n}")
    records = sample_records(path, n, seed)
    snippets = [tokenize(record_code(r), language) for r in records]
    keep = [i for i, s in enumerate(snippets) if s.n > 0]
    snippets = [snippets[i] for i in keep]
    inputs = CostInputs(language=language, queries=[record_summary(records[i]) for i in keep])
    if not snippets:
        raise DataError(f"{path}: no snippet to time")
    for task in tasks:
        base = [s.model_text for s in snippets]
        inputs.texts[(task, "none", 0.0)] = base
        inputs.code_tokens[(task, "none", 0.0)] = sum(s.n for s in snippets) / len(snippets)
        for method in methods:
            if method in ("none", "leancode-instance"):
                continue
            table = None
            if method in ("dietcode", "leancode"):
                if table_dir is not None:
                    p = Path(table_dir) / f"{method}-{task}-{language}.json"
                    table = ImportanceTable.load(p) if p.exists() else None
                else:
                    table = default_table(method, task, language)
                if table is None:
                    inputs.notes[f"{method}/{task}"] = f"no {method} table for {task}/{language}"
                    continue
            pruner = build_pruner(method, table=table, seed=seed, task=task)
            for ratio in ratios:
                results = [pruner.prune(s, ratio=ratio) for s in snippets]
                inputs.texts[(task, method, float(ratio))] = [r.pruned_text for r in results]
                inputs.code_tokens[(task, method, float(ratio))] = (
                    sum(r.n_tokens - r.n_removed for r in results) / len(results))
    return inputs


# ----------------------------------------------------------------------------- timing

def _batches(tm: TimingModel, texts: Sequence[str], queries: Sequence[str], batch_size: int) -> tuple:
    """Tokenised batches (before timing) and (mean subwords, fraction truncated)."""
    tok = tm.tokenizer
    names = {"input_ids", "attention_mask"}
    if tm.kind == "encoder" and int(getattr(tm.model.config, "type_vocab_size", 0) or 0) > 1:
        names.add("token_type_ids")
    batches, lengths, truncated = [], [], 0
    for i in range(0, len(texts), batch_size):
        codes = list(texts[i:i + batch_size])
        if tm.kind == "encoder":
            qs = list(queries[i:i + batch_size])
            full = tok(qs, codes, truncation=False)["input_ids"]
            enc = tok(qs, codes, truncation="only_second", max_length=tm.max_len, padding=True, return_tensors="pt")
        else:
            full = tok(codes, truncation=False)["input_ids"]
            enc = tok(codes, truncation=True, max_length=tm.max_len, padding=True, return_tensors="pt")
        truncated += sum(1 for ids in full if len(ids) > tm.max_len)
        lengths.extend(int(x) for x in enc["attention_mask"].sum(dim=1))
        batches.append({k: v for k, v in enc.items() if k in names})
    return batches, sum(lengths) / max(len(lengths), 1), truncated / max(len(texts), 1)


def _run_batches(tm: TimingModel, batches: list, device: str, gen_tokens: int) -> float:
    import torch

    t0 = time.perf_counter()
    with torch.inference_mode():
        for b in batches:
            b = {k: v.to(device) for k, v in b.items()}
            if tm.kind == "encoder":
                tm.model(**b)
            else:
                tm.model.generate(**b, max_new_tokens=gen_tokens, min_new_tokens=gen_tokens, num_beams=1,
                                  do_sample=False)
        if str(device).startswith("cuda"):
            torch.cuda.synchronize()
    return time.perf_counter() - t0


def time_models(models: Sequence[TimingModel], inputs: CostInputs, *, batch_size: int = 8, device: str = "cpu",
                repeats: int = 1, gen_tokens: int = 32, log: Callable[[str], None] = print) -> list:
    """Time every model on every (method, ratio) input of its task; one row per (model, method, ratio)."""
    if batch_size < 1 or repeats < 1 or gen_tokens < 1:
        raise CostError("batch size, repeats and generated tokens must be at least 1")
    rows = []
    for tm in models:
        tm.model.to(device)
        tm.model.eval()
        keys = sorted((k for k in inputs.texts if k[0] == tm.task), key=lambda k: (k[1] != "none", k[1], k[2]))
        prepared = {k: _batches(tm, inputs.texts[k], inputs.queries, batch_size) for k in keys}
        # warm-up: one untimed batch (lazy initialisation, allocator)
        _run_batches(tm, prepared[keys[0]][0][:1], device, gen_tokens)
        best = {k: math.inf for k in keys}
        for _ in range(repeats):
            for k in keys:
                best[k] = min(best[k], _run_batches(tm, prepared[k][0], device, gen_tokens))
        n = len(inputs.queries)
        base_key = (tm.task, "none", 0.0)
        base_t, base_len = best[base_key] / n, prepared[base_key][1]
        for k in keys:
            _, method, ratio = k
            per = best[k] / n
            row = {"language": inputs.language, "model": tm.name, "kind": tm.kind, "weights": tm.weights,
                   "params": tm.params, "max_len": tm.max_len, "method": method, "ratio": ratio, "n": n,
                   "batch_size": batch_size, "device": str(device), "gen_tokens": gen_tokens if tm.kind == "seq2seq"
                   else None, "mean_code_tokens": inputs.code_tokens[k], "mean_input_subwords": prepared[k][1],
                   "truncated_fraction": prepared[k][2], "seconds_per_example": per,
                   "reduction": 1.0 - per / base_t if base_t > 0 else None,
                   "subword_reduction": 1.0 - prepared[k][1] / base_len if base_len else None}
            rows.append(row)
            log(f"   {tm.name:>24} {method:>9} r={ratio:<4g} {1000 * per:8.2f} ms/example "
                f"({prepared[k][1]:.0f} subwords; {100 * (row['reduction'] or 0):+.1f}% time saved)")
        tm.model.to("cpu")
    return rows


# ----------------------------------------------------------------------------- the cost run

@dataclass
class CostConfig:
    """What ``leancode bench cost`` measures."""

    out: str = "reports"
    langs: tuple = ("java",)
    methods: tuple = ("slimcode", "dietcode", "leancode", "random")
    ratios: tuple = (0.1, 0.2, 0.3, 0.4, 0.5)
    models: tuple = DEFAULT_MODELS
    n: int = 64
    batch_size: int = 8
    repeats: int = 2
    gen_tokens: int = 32
    encoder_len: int = 256
    seq2seq_len: int = 512
    device: Optional[str] = None
    data_root: str = "data"
    split: str = "test"
    seed: int = 0
    table_dir: Optional[str] = None
    throughput_n: int = 2000
    throughput_workers: Optional[int] = None
    throughput_ratio: float = 0.3

    def to_dict(self) -> dict:
        return asdict(self)


QUICK_COST = {"n": 24, "repeats": 1, "throughput_n": 1000, "methods": ("slimcode", "leancode")}


def cost_config(quick: bool = False, **overrides) -> CostConfig:
    preset = dict(QUICK_COST) if quick else {}
    preset.update({k: v for k, v in overrides.items() if v is not None})
    return CostConfig(**preset)


def pruning_throughput(path, language: str, *, n: int, ratio: float, methods: Sequence[str],
                       workers: Optional[int] = None, log: Callable[[str], None] = print) -> dict:
    """Pruning throughput (snippets/s) per method: :func:`leancode.bench.prune.run` on ``n`` snippets."""
    from .prune import run

    methods = [m for m in methods if m not in ("none", "leancode-instance")]
    if not methods:
        return {}
    return run(path, n=n, ratio=ratio, methods=methods, workers=workers, lang=language,
               log=lambda s: log(f"   {s}"))


def run_cost(cfg: CostConfig, log: Callable[[str], None] = print, command: Optional[str] = None,
             timing_models: Optional[Sequence[TimingModel]] = None) -> dict:
    """Pruning throughput and inference time per ratio; returns the cost report as a dict.

    ``timing_models`` replaces the models named in ``cfg.models`` (tests pass tiny ones).
    """
    from ..models import default_device
    from .quality import split_path

    device = cfg.device or default_device()
    ratios = sorted({float(r) for r in cfg.ratios if float(r) > 0})
    if not ratios or any(not (0 < r < 1) for r in ratios):
        raise CostError("give ratios in (0, 1)")
    missing: dict = {}
    if timing_models is None:
        log(f"building timing models: {', '.join(cfg.models)}")
        models, missing = default_models(cfg.models, device, encoder_len=cfg.encoder_len,
                                         seq2seq_len=cfg.seq2seq_len)
    else:
        models = list(timing_models)
    for name, why in missing.items():
        log(f"   {name} left out: {why}")
    if not models:
        raise CostError("no model to time")
    tasks = sorted({m.task for m in models})
    rows, throughput, notes = [], {}, {}
    t_start = time.perf_counter()
    for lang in cfg.langs:
        path = split_path(cfg.data_root, lang, cfg.split)
        log(f"== cost / {lang}: pruning throughput on {cfg.throughput_n} snippets")
        if cfg.throughput_n > 0:
            throughput[lang] = pruning_throughput(path, lang, n=cfg.throughput_n, ratio=cfg.throughput_ratio,
                                                  methods=cfg.methods, workers=cfg.throughput_workers, log=log)
        inputs = build_inputs(path, lang, cfg.n, cfg.methods, ratios, tasks=tasks, seed=cfg.seed,
                              table_dir=cfg.table_dir)
        for k, v in inputs.notes.items():
            notes[f"{lang}:{k}"] = v
            log(f"   {v}: left out of the timings")
        log(f"== cost / {lang}: model time per example on {len(inputs.queries)} snippets, batch {cfg.batch_size}, "
            f"{device}")
        rows.extend(time_models(models, inputs, batch_size=cfg.batch_size, device=device, repeats=cfg.repeats,
                                gen_tokens=cfg.gen_tokens, log=log))
    import torch

    meta = run_metadata(command, device=device)
    meta.update({"kind": "cost", "config": cfg.to_dict(), "torch_threads": torch.get_num_threads(),
                 "random_weights_note": RANDOM_WEIGHTS_NOTE, "models_left_out": missing, "notes": notes,
                 "models": [{"name": m.name, "kind": m.kind, "weights": m.weights, "params": m.params,
                             "max_len": m.max_len, "task": m.task, "note": m.note} for m in models],
                 "tokenizer": "embedded MiniLM WordPiece (random-weight models); each trained model its own",
                 "timing": (f"best of {cfg.repeats} pass(es); model calls only (tokenised beforehand); "
                            f"generation decodes exactly {cfg.gen_tokens} tokens"),
                 "wall_seconds": round(time.perf_counter() - t_start, 1),
                 "machine_extra": {"python": platform.python_version(), "cpus": os.cpu_count()}})
    return {"metadata": meta, "inference": rows, "throughput": throughput}


def cost_stem(report: dict) -> str:
    """``cost`` for a run timed on the CPU, ``cost-cuda`` for one timed on a GPU, so that one report
    folder can hold both (the report shows the GPU run in its own section)."""
    machine = (report.get("metadata") or {}).get("machine") or {}
    return "cost-cuda" if str(machine.get("device") or "cpu").startswith("cuda") else "cost"


def write_cost(report: dict, out_dir, stem: Optional[str] = None) -> tuple:
    """Write ``out_dir/STEM.json`` (everything) and ``out_dir/STEM.csv`` (the timing rows); the stem
    is :func:`cost_stem` unless given."""
    import json

    from ..io import atomic_writer
    from .quality import _clean, rows_csv

    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise DataError(f"output {out} exists and is not a directory")
    out.mkdir(parents=True, exist_ok=True)
    stem = stem or cost_stem(report)
    csv_path, json_path = out / f"{stem}.csv", out / f"{stem}.json"
    with atomic_writer(csv_path) as f:
        f.write(rows_csv(report["inference"], COST_COLUMNS))
    with atomic_writer(json_path) as f:
        json.dump(_clean(report), f, indent=1, allow_nan=False)
        f.write("\n")
    return csv_path, json_path


__all__ = ["COST_COLUMNS", "CostConfig", "CostError", "CostInputs", "DEFAULT_MODELS", "QUICK_COST", "cost_stem",
           "RANDOM_WEIGHTS_NOTE", "TimingModel", "build_inputs", "cost_config", "default_models", "embedded_models",
           "encoder_model", "pruning_throughput", "run_cost", "seq2seq_model", "time_models", "timing_tokenizer",
           "write_cost"]
