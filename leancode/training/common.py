"""What both training tasks share: data loading, seeding, devices, the training loop with
time-bounded schedules, checkpoints with resume, and the final artifact export.

The loop is deliberately small: a task supplies a model, the names of its trainable
parameters, a function that builds the batch of step ``s`` (a pure function of the seed and
``s``, so a resumed run sees the same batches as an uninterrupted one) and a loss.
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import random
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

from ..corpus import read_jsonl
from ..errors import DataError, LeanCodeError

log = logging.getLogger("leancode.training")

CHECKPOINT = "checkpoint.pt"


@dataclass
class Example:
    """One (documentation, code) pair as the models see it."""

    query: str          # the docstring summary, words and punctuation joined by spaces
    code: str           # the code tokens joined by single spaces (SPEC section 1)
    language: str


@dataclass
class TrainConfig:
    """Options shared by ``leancode train search`` and ``leancode train summarize``."""

    data: list
    out: str
    steps: int = 3000
    max_minutes: float | None = None
    batch_size: int = 16
    seed: int = 0
    max_len: int = 192
    lr: float = 1e-4
    warmup: float = 0.05
    weight_decay: float = 0.01
    resume: bool = False
    checkpoint_every: int = 200
    log_every: int = 50
    threads: int | None = None
    device: str | None = None
    precision: str = "auto"
    base_dir: str | None = None
    eval_examples: int = 200
    train_limit: int | None = None
    progress: bool = True
    extra: dict = field(default_factory=dict)


# --------------------------------------------------------------------------- data

def resolve_data_dirs(dirs: Iterable[str | os.PathLike]) -> list[Path]:
    """Directories holding ``train.jsonl``: each given directory, or its sub-directories that do."""
    out: list[Path] = []
    for d in dirs:
        p = Path(d)
        if not p.is_dir():
            raise DataError(f"data directory not found: {p}")
        if (p / "train.jsonl").is_file():
            out.append(p)
            continue
        subs = sorted(s for s in p.iterdir() if s.is_dir() and (s / "train.jsonl").is_file())
        if not subs:
            raise DataError(f"{p} holds no train.jsonl (build one with `leancode corpus build`)")
        out.extend(subs)
    if not out:
        raise DataError("no data directory given")
    return out


def record_to_example(rec: dict) -> Example | None:
    """The :class:`Example` of a CodeSearchNet record, or None when a field is missing or empty."""
    doc = rec.get("docstring_tokens")
    code = rec.get("code_tokens")
    if not isinstance(doc, list) or not isinstance(code, list) or not doc or not code:
        return None
    return Example(" ".join(map(str, doc)), " ".join(map(str, code)), str(rec.get("language", "")))


def load_examples(dirs: Sequence[Path], split: str, limit: int | None = None) -> list[Example]:
    """All usable examples of ``split`` over ``dirs`` (at most ``limit`` from each directory)."""
    out: list[Example] = []
    for d in dirs:
        path = Path(d) / f"{split}.jsonl"
        if not path.is_file():
            raise DataError(f"{d} has no {split}.jsonl")
        for rec in read_jsonl(path, limit=limit):
            ex = record_to_example(rec)
            if ex is not None:
                out.append(ex)
    return out


def examples_by_language(examples: Sequence[Example]) -> dict[str, list[Example]]:
    groups: dict[str, list[Example]] = {}
    for ex in examples:
        groups.setdefault(ex.language, []).append(ex)
    return dict(sorted(groups.items()))


def sample_examples(examples: Sequence[Example], n: int, seed: int) -> list[Example]:
    """A seeded sample of ``n`` examples (all of them, shuffled, when fewer)."""
    idx = list(range(len(examples)))
    random.Random(seed).shuffle(idx)
    return [examples[i] for i in idx[:n]]


class BucketSampler:
    """Which examples form the batch of a step: a pure function of the seed and the step.

    Steps are grouped into chunks of ``chunk_steps``.  Each chunk takes the next
    ``chunk_steps * batch_size`` examples of a seeded per-epoch permutation, sorts them by
    length and cuts them into batches, whose order is then shuffled.  Batches of similar
    lengths waste little on padding (about half the compute on code corpora), while every
    example is still seen once per epoch.  Resuming at step ``s`` gives exactly the batches an
    uninterrupted run would have seen.
    """

    def __init__(self, lengths: Sequence[int], batch_size: int, seed: int, chunk_steps: int = 50):
        import numpy as np

        if len(lengths) == 0:
            raise DataError("no training examples")
        if batch_size < 1 or chunk_steps < 1:
            raise DataError("batch size and chunk size must be at least 1")
        self._np = np
        self.lengths = np.asarray(lengths)
        self.n = len(lengths)
        self.batch_size = batch_size
        self.seed = seed
        self.chunk_steps = chunk_steps
        self._perm_cache: dict[int, object] = {}
        self._chunk_cache: dict[int, list] = {}

    def _perm(self, epoch: int):
        if epoch not in self._perm_cache:
            self._perm_cache = {epoch: self._np.random.default_rng([self.seed, epoch]).permutation(self.n)}
        return self._perm_cache[epoch]

    def _chunk(self, chunk: int) -> list:
        if chunk not in self._chunk_cache:
            size = self.chunk_steps * self.batch_size
            start = chunk * size
            idx = [int(self._perm(q // self.n)[q % self.n]) for q in range(start, start + size)]
            idx.sort(key=lambda i: (int(self.lengths[i]), i))
            batches = [idx[b:b + self.batch_size] for b in range(0, size, self.batch_size)]
            order = self._np.random.default_rng([self.seed, 104729, chunk]).permutation(len(batches))
            self._chunk_cache = {chunk: [batches[int(o)] for o in order]}
        return self._chunk_cache[chunk]

    def indices(self, step: int) -> list[int]:
        """The example indices of step ``step``."""
        return list(self._chunk(step // self.chunk_steps)[step % self.chunk_steps])


def example_length(ex: Example) -> int:
    """A cheap length proxy (whitespace tokens of query and code) for bucketing."""
    return len(ex.query.split()) + len(ex.code.split())


# --------------------------------------------------------------------------- runtime

def seed_everything(seed: int) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed % (2 ** 32))
    torch.manual_seed(seed)


def setup_threads(threads: int | None) -> None:
    import torch

    if threads:
        torch.set_num_threads(int(threads))
        os.environ.setdefault("OMP_NUM_THREADS", str(threads))


def pick_device(device: str | None = None):
    """``device`` if given, else CUDA when present, else CPU."""
    import torch

    if device:
        try:
            dev = torch.device(device)
        except RuntimeError as e:
            raise LeanCodeError(f"unknown device {device!r}: {e}") from e
        if dev.type == "cuda" and not torch.cuda.is_available():
            raise LeanCodeError("--device cuda was asked for but no GPU is available")
        return dev
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def use_bf16(device, precision: str) -> bool:
    """Whether to run the forward passes under bfloat16 autocast.

    ``auto`` picks bf16 on GPUs that support it and on CPUs with AMX or AVX-512 BF16 units
    (where it is several times faster than fp32); ``fp32`` and ``bf16`` force the choice.
    """
    import torch

    if precision not in ("auto", "fp32", "bf16"):
        raise LeanCodeError(f"unknown precision {precision!r}: expected auto, fp32 or bf16")
    if precision != "auto":
        return precision == "bf16"
    if device.type == "cuda":
        return bool(torch.cuda.is_bf16_supported())
    cpu = getattr(torch, "cpu", None)
    for probe in ("_is_amx_tile_supported", "_is_avx512_bf16_supported"):
        fn = getattr(cpu, probe, None)
        try:
            if fn is not None and fn():
                return True
        except Exception:  # pragma: no cover - probe missing on exotic builds
            continue
    return False


def autocast(device, enabled: bool):
    import torch

    if not enabled:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16)


def schedule_progress(step: int, steps: int, elapsed: float, max_seconds: float | None) -> float:
    """Training progress in [0, 1]: the larger of the step fraction and the time fraction.

    A wall-time bound therefore compresses the learning-rate schedule instead of cutting it
    off while the rate is still high.
    """
    p = step / max(steps, 1)
    if max_seconds:
        p = max(p, elapsed / max_seconds)
    return min(max(p, 0.0), 1.0)


def lr_factor(progress: float, warmup: float) -> float:
    """Linear warm-up over the first ``warmup`` fraction, then linear decay to 0."""
    if warmup > 0 and progress < warmup:
        return max(progress / warmup, 1e-3)
    return max(0.0, (1.0 - progress) / max(1.0 - warmup, 1e-9))


def _atomic_torch_save(obj, path: Path) -> None:
    import torch

    from ..io import atomic_path

    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def write_json_atomic(path: Path, obj) -> None:
    from ..io import write_json_atomic as _write

    _write(path, obj, indent=2, sort_keys=True)


# --------------------------------------------------------------------------- the loop

@dataclass
class Task:
    """What a training task plugs into :func:`train`."""

    name: str                                   # "search" or "summarize"
    model: object
    trainable: list                             # parameter-name prefixes that are trained and stored
    make_batch: Callable[[int], dict]           # step -> tensors (CPU)
    loss: Callable[[object, dict], object]      # (model, batch on device) -> scalar loss
    evaluate: Callable[[object], dict]          # model -> metrics
    artifact_config: dict                       # what config.json says besides the weights


def set_trainable(model, prefixes: Sequence[str]) -> list:
    """Freeze every parameter except those whose name starts with one of ``prefixes``; return them."""
    prefixes = tuple(prefixes)
    params = []
    seen = set()
    for name, p in model.named_parameters(remove_duplicate=False):
        train = name.startswith(prefixes)
        if id(p) in seen:
            continue
        seen.add(id(p))
        p.requires_grad_(train)
        if train:
            params.append((name, p))
    if not params:
        raise LeanCodeError(f"no parameter matches the trainable prefixes {list(prefixes)}")
    return params


def train(task: Task, cfg: TrainConfig) -> dict:
    """Run the training loop of ``task``; write checkpoints, then artifacts and metrics to ``cfg.out``.

    Returns a summary dict (steps, wall time, final loss, evaluation metrics).
    """
    import torch
    from tqdm import tqdm

    from ..embedded import save_artifacts

    out = Path(cfg.out)
    if out.exists() and not out.is_dir():
        raise DataError(f"output {out} exists and is not a directory")
    out.mkdir(parents=True, exist_ok=True)
    device = pick_device(cfg.device)
    bf16 = use_bf16(device, cfg.precision)
    model = task.model
    named = set_trainable(model, task.trainable)
    model.to(device)
    decay = [p for n, p in named if p.ndim >= 2]
    no_decay = [p for n, p in named if p.ndim < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay},
                                   {"params": no_decay, "weight_decay": 0.0}], lr=cfg.lr)
    step, elapsed_before = 0, 0.0
    ckpt_path = out / CHECKPOINT
    if cfg.resume:
        if not ckpt_path.is_file():
            raise DataError(f"--resume: no checkpoint at {ckpt_path}")
        ckpt = torch.load(ckpt_path, map_location="cpu", weights_only=False)
        if ckpt.get("task") != task.name:
            raise DataError(f"{ckpt_path} is a checkpoint of {ckpt.get('task')!r}, not {task.name!r}")
        own = dict(named)
        with torch.no_grad():
            for k, v in ckpt["params"].items():
                if k not in own:
                    raise DataError(f"{ckpt_path} does not match the model (unknown parameter {k})")
                own[k].copy_(v.to(device))
        optimizer.load_state_dict(ckpt["optimizer"])
        step = int(ckpt["step"])
        elapsed_before = float(ckpt["elapsed"])
        torch.set_rng_state(ckpt["torch_rng"])
        log.info("resumed %s from step %d (%.1f min already trained)", task.name, step, elapsed_before / 60)

    def save_checkpoint() -> None:
        state = {"task": task.name, "step": step, "elapsed": elapsed_before + (time.time() - t0),
                 "params": {n: p.detach().cpu().clone() for n, p in named},
                 "optimizer": optimizer.state_dict(), "torch_rng": torch.get_rng_state(),
                 "config": asdict(cfg)}
        _atomic_torch_save(state, ckpt_path)

    max_seconds = cfg.max_minutes * 60 if cfg.max_minutes else None
    model.train()
    t0 = time.time()
    last_log_t, last_log_step = t0, step
    losses: list[float] = []
    bar = tqdm(total=cfg.steps, initial=step, desc=f"train {task.name}", unit="step",
               disable=not cfg.progress, mininterval=1.0 if sys.stderr.isatty() else 30.0,
               file=sys.stderr)
    stopped_by = "steps"
    try:
        while step < cfg.steps:
            elapsed = elapsed_before + (time.time() - t0)
            progress = schedule_progress(step, cfg.steps, elapsed, max_seconds)
            if progress >= 1.0:
                stopped_by = "time"
                break
            factor = lr_factor(progress, cfg.warmup)
            for group in optimizer.param_groups:
                group["lr"] = cfg.lr * factor
            batch = {k: v.to(device) for k, v in task.make_batch(step).items()}
            with autocast(device, bf16):
                loss = task.loss(model, batch)
            if not torch.isfinite(loss):
                raise LeanCodeError(f"training diverged at step {step} (loss {loss.item()})")
            loss.backward()
            torch.nn.utils.clip_grad_norm_([p for _, p in named], 1.0)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            losses.append(float(loss.item()))
            bar.update(1)
            if step % cfg.log_every == 0:
                now = time.time()
                rate = (step - last_log_step) / max(now - last_log_t, 1e-9)
                recent = losses[-cfg.log_every:]
                line = (f"{task.name} step {step}/{cfg.steps} loss {sum(recent) / len(recent):.4f} "
                        f"lr {cfg.lr * factor:.2e} {rate:.2f} steps/s "
                        f"elapsed {(elapsed_before + now - t0) / 60:.1f} min")
                bar.write(line, file=sys.stdout)
                sys.stdout.flush()
                last_log_t, last_log_step = now, step
            if cfg.checkpoint_every and step % cfg.checkpoint_every == 0:
                save_checkpoint()
    except KeyboardInterrupt:
        save_checkpoint()
        bar.close()
        raise
    bar.close()
    save_checkpoint()
    train_seconds = elapsed_before + (time.time() - t0)
    print(f"{task.name}: trained {step} steps in {train_seconds / 60:.1f} min (stopped by {stopped_by}); evaluating",
          flush=True)
    model.eval()
    t_eval = time.time()
    with torch.no_grad(), autocast(device, bf16):
        metrics = task.evaluate(model)
    eval_seconds = time.time() - t_eval
    summary = {
        "task": task.name, "steps": step, "stopped_by": stopped_by,
        "train_minutes": round(train_seconds / 60, 2), "eval_minutes": round(eval_seconds / 60, 2),
        "final_loss": round(sum(losses[-cfg.log_every:]) / max(len(losses[-cfg.log_every:]), 1), 4)
        if losses else None,
        "device": str(device), "precision": "bf16-autocast" if bf16 else "fp32",
        "metrics": metrics,
    }
    art_cfg = dict(task.artifact_config)
    art_cfg["training"] = {**summary, "config": {k: v for k, v in asdict(cfg).items()
                                                  if k not in ("progress",)}}
    model.cpu()
    save_artifacts(model, out / "artifacts", art_cfg, task.trainable)
    write_json_atomic(out / "summary.json", summary)
    print(json.dumps(summary, indent=2), flush=True)
    return summary


def configure_logging() -> None:
    """Log lines with timestamps on stdout (for ``nohup ... > log``)."""
    if not log.handlers:
        h = logging.StreamHandler(sys.stderr)
        h.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
        log.addHandler(h)
        log.setLevel(logging.INFO)
        log.propagate = False


def artifact_size_bytes(dirs: Iterable[Path]) -> int:
    return sum(f.stat().st_size for d in dirs for f in Path(d).glob("*") if f.is_file())


__all__ = ["BucketSampler", "example_length", "CHECKPOINT", "Example", "Task", "TrainConfig", "autocast", "configure_logging",
           "examples_by_language", "load_examples", "lr_factor", "pick_device", "record_to_example",
           "resolve_data_dirs", "sample_examples", "schedule_progress", "seed_everything", "set_trainable",
           "setup_threads", "train", "use_bf16", "write_json_atomic", "artifact_size_bytes"]
