"""The papers' protocol at small scale: fine-tune on pruned code, test on equally pruned code.

For one language, task, method and ratio this

1. takes the first ``train_limit`` usable training records and a seeded sample of the test
   split, and prunes both with the method and ratio (:func:`leancode.dataset.prune_dataset`);
2. fine-tunes two models from the same base with the same seed and steps through
   :mod:`leancode.training` (``search.run`` / ``summarize.run``): one on the unpruned
   training records (the baseline), one on the pruned ones;
3. evaluates with :class:`leancode.evaluate.Evaluator` on the test sample: the baseline model
   on unpruned code (``none``), the pruned-trained model on code pruned with the same method
   and ratio (protocol ``train-pruned``), and, for comparison at the same scale, the baseline
   model on the pruned code (protocol ``test-time``).

It is a *demonstration* that the protocol works end to end: by default it trains for a tiny
number of steps on a CPU, far from the papers' full fine-tuning; meaningful figures need a GPU
and many more steps (``steps``, ``train_limit``).  Trained models and pruned data live under
``OUT/cache/train-pruned/``; a model whose settings have not changed is not trained again, and
evaluated cells are cached like those of ``bench run``.
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable, Optional

from ..errors import DataError, TableError
from ..evaluate import Evaluator, run_metadata
from ..io import atomic_writer, iter_jsonl, write_text_if_changed
from .quality import BenchError, usable, write_sample

PROTOCOL_TRAIN_PRUNED = "train-pruned"
NOTE = ("Papers' protocol at small scale: each model is fine-tuned for only a few steps on a small training sample, "
        "so the figures demonstrate the procedure; they are not comparable with the papers' numbers.")


@dataclass
class TrainPrunedConfig:
    """What ``leancode bench run --train-pruned`` does (see the module docstring)."""

    out: str = "reports"
    langs: tuple = ("java",)
    tasks: tuple = ("search",)
    method: str = "leancode"
    ratio: float = 0.5
    steps: int = 30
    batch_size: int = 8
    max_len: int = 128
    lr: float = 1e-4
    train_limit: int = 2000
    test_limit: int = 50
    group_size: int = 25
    seed: int = 0
    data_root: str = "data"
    base_dir: Optional[str] = None
    table_dir: Optional[str] = None
    device: Optional[str] = None
    eval_batch_size: int = 32
    max_new_tokens: int = 32
    progress: bool = True
    refresh: bool = False
    #: Extra training options passed to the training module (e.g. ``{"decoder_layers": 2}``).
    train_extra: dict = field(default_factory=dict)

    def validate(self) -> "TrainPrunedConfig":
        from ..pruners import available_pruners

        if self.method not in available_pruners() or self.method in ("none", "leancode-instance"):
            raise BenchError(f"--train-pruned needs a pruning method that works without a model run "
                             f"(slimcode, dietcode, leancode or random), got {self.method!r}")
        if not 0 < float(self.ratio) < 1:
            raise BenchError(f"the training ratio must be in (0, 1), got {self.ratio}")
        for name in ("steps", "batch_size", "train_limit"):
            if getattr(self, name) < 1:
                raise BenchError(f"{name.replace('_', ' ')} must be at least 1")
        if self.test_limit < 2 or self.group_size < 2:
            raise BenchError("the test sample and the search groups need at least 2 records")
        if self.max_len < 16:
            raise BenchError("max_len must be at least 16")
        return replace(self, ratio=float(self.ratio), langs=tuple(self.langs), tasks=tuple(self.tasks))


def _first_usable(src, dst: Path, n: int) -> Path:
    lines = []
    for rec in iter_jsonl(src):
        if usable(rec):
            lines.append(json.dumps(rec, ensure_ascii=False, sort_keys=True) + "\n")
            if len(lines) >= n:
                break
    if not lines:
        raise DataError(f"{src}: no usable training record")
    write_text_if_changed(dst, "".join(lines))
    return dst


def _table_for(cfg: TrainPrunedConfig, task: str, lang: str):
    from ..tables import ImportanceTable, table_path

    if cfg.method not in ("dietcode", "leancode"):
        return None
    path = (Path(cfg.table_dir) / f"{cfg.method}-{task}-{lang}.json") if cfg.table_dir else table_path(
        cfg.method, task, lang)
    if not path.exists():
        raise TableError(f"no {cfg.method} table for {task}/{lang} at {path}; build one with `leancode table build` "
                         "or choose --train-method slimcode")
    return ImportanceTable.load(path)


def _prune_file(src: Path, dst: Path, cfg: TrainPrunedConfig, task: str, lang: str) -> Path:
    from ..dataset import prune_dataset

    dst.parent.mkdir(parents=True, exist_ok=True)
    stamp = dst.with_suffix(".source")
    source = f"{src.stat().st_size}:{src.stat().st_mtime_ns}:{cfg.method}:{cfg.ratio}:{cfg.seed}:{task}"
    if dst.exists() and stamp.exists() and stamp.read_text() == source and not cfg.refresh:
        return dst
    prune_dataset(src, dst, cfg.method, ratio=cfg.ratio, table=_table_for(cfg, task, lang), seed=cfg.seed,
                  task=task, lang=lang, workers=1, progress=False)
    stamp.write_text(source)
    return dst


def _train(task: str, data_dir: Path, run_dir: Path, cfg: TrainPrunedConfig, log: Callable[[str], None]) -> Path:
    """Fine-tune a model on ``data_dir`` into ``run_dir`` unless an identical run is there; its artifacts dir."""
    from ..training import search as search_training
    from ..training import summarize as summarize_training
    from ..training.common import TrainConfig

    from ..evaluate import file_sha1

    params = {"task": task, "data": {p.name: file_sha1(p) for p in sorted(data_dir.glob("*.jsonl"))},
              "steps": cfg.steps, "batch_size": cfg.batch_size, "max_len": cfg.max_len, "lr": cfg.lr,
              "seed": cfg.seed, "base_dir": cfg.base_dir, "device": cfg.device, "extra": cfg.train_extra}
    marker = run_dir / "bench-train.json"
    art = run_dir / "artifacts"
    if (not cfg.refresh and marker.exists() and (art / "config.json").exists()
            and json.loads(marker.read_text(encoding="utf-8")) == params):
        log(f"   reusing the model trained in {run_dir}")
        return art
    run_dir.mkdir(parents=True, exist_ok=True)
    tc = TrainConfig(data=[str(data_dir)], out=str(run_dir), steps=cfg.steps, batch_size=cfg.batch_size,
                     seed=cfg.seed, max_len=cfg.max_len, lr=cfg.lr, warmup=0.1, base_dir=cfg.base_dir,
                     eval_examples=min(16, cfg.test_limit), progress=cfg.progress, device=cfg.device,
                     checkpoint_every=0, log_every=max(1, cfg.steps // 5),
                     extra={**({"eval_group": min(16, cfg.group_size)} if task == "search" else {"max_target_len": 24}),
                            **cfg.train_extra})
    t0 = time.perf_counter()
    log(f"   training a {task} model on {data_dir} for {cfg.steps} steps")
    (search_training if task == "search" else summarize_training).run(tc)
    log(f"   trained in {time.perf_counter() - t0:.0f} s")
    with atomic_writer(marker) as f:
        json.dump(params, f, indent=1, sort_keys=True)
    return art


class _ArtifactEvaluator(Evaluator):
    """An :class:`Evaluator` whose model is a training run's artifacts laid over a base model."""

    def __init__(self, *args, artifacts: Path, base_dir: Optional[str], **kwargs) -> None:
        super().__init__(*args, model=str(artifacts), **kwargs)
        self._artifacts = artifacts
        self._base_dir = base_dir
        self._loaded = None

    @property
    def handle(self):
        if self._loaded is None:
            from ..embedded import load_from_artifacts
            from ..models import wrap_model

            model, tok = load_from_artifacts(self._artifacts, base_dir=self._base_dir, device=self.device)
            name = f"{self.task}-{self.language}-trained-on-{self._artifacts.parent.parent.name}"
            self._loaded = wrap_model(model, tok, name, device=self.device, origin="local")
        return self._loaded


def run_train_pruned(cfg: TrainPrunedConfig, log: Callable[[str], None] = print,
                     command: Optional[str] = None) -> tuple:
    """Run the small-scale papers' protocol for every language and task of ``cfg``.

    Returns (rows, metadata).  Rows carry ``protocol`` (``train-pruned`` or ``test-time``) and
    ``trained_on`` (``unpruned`` or ``METHOD rRATIO``); retention is against the baseline row.
    """
    cfg = cfg.validate()
    from .quality import split_path

    root = Path(cfg.out) / "cache" / "train-pruned"
    rows: list = []
    t_start = time.perf_counter()
    log(NOTE)
    for lang in cfg.langs:
        train_src = split_path(cfg.data_root, lang, "train")
        test_src = split_path(cfg.data_root, lang, "test")
        for task in cfg.tasks:
            tag = f"{cfg.method}-r{cfg.ratio:g}"
            log(f"== train-pruned {task} / {lang}: {tag}, {cfg.train_limit} training records, {cfg.steps} steps")
            base_dir = root / lang / task / "unpruned"
            pruned_dir = root / lang / task / tag
            train_plain = _first_usable(train_src, base_dir / "data" / "train.jsonl", cfg.train_limit)
            test_plain = write_sample(test_src, base_dir / "sample", cfg.test_limit, cfg.seed, lang)
            (base_dir / "data" / "test.jsonl").write_bytes(test_plain.read_bytes())
            _prune_file(train_plain, pruned_dir / "data" / "train.jsonl", cfg, task, lang)
            _prune_file(test_plain, pruned_dir / "data" / "test.jsonl", cfg, task, lang)
            art_base = _train(task, base_dir / "data", base_dir / "run", cfg, log)
            art_pruned = _train(task, pruned_dir / "data", pruned_dir / "run", cfg, log)
            common = dict(group_size=cfg.group_size, seed=cfg.seed, table_dir=cfg.table_dir,
                          batch_size=cfg.eval_batch_size, lang=lang, cache_dir=root / "cells", device=cfg.device,
                          max_new_tokens=cfg.max_new_tokens, progress=cfg.progress, refresh=cfg.refresh)
            ev_base = _ArtifactEvaluator(task, test_plain, artifacts=art_base, base_dir=cfg.base_dir, **common)
            ev_pruned = _ArtifactEvaluator(task, test_plain, artifacts=art_pruned, base_dir=cfg.base_dir, **common)
            none = ev_base.cell("none", 0.0)
            trained = ev_pruned.cell(cfg.method, cfg.ratio)
            test_time = ev_base.cell(cfg.method, cfg.ratio)
            for row, protocol, on in ((none, PROTOCOL_TRAIN_PRUNED, "unpruned"),
                                      (trained, PROTOCOL_TRAIN_PRUNED, tag),
                                      (test_time, "test-time", "unpruned")):
                row.update(protocol=protocol, trained_on=on, train_steps=cfg.steps, train_records=cfg.train_limit,
                           retention=(row["value"] / none["value"]) if none["value"] else None)
                rows.append(row)
                ret = "" if row["retention"] is None else f", retention {row['retention']:.3f}"
                log(f"   {protocol:>12} trained on {on:>14}, tested on {row['method']} r={row['ratio']:g}: "
                    f"{row['metric']} {row['value']:.4f}{ret}")
    meta = run_metadata(command, device=rows[0].get("device") if rows else None)
    meta.update({"kind": "train-pruned", "note": NOTE, "config": asdict(cfg),
                 "wall_seconds": round(time.perf_counter() - t_start, 1)})
    return rows, meta


__all__ = ["NOTE", "PROTOCOL_TRAIN_PRUNED", "TrainPrunedConfig", "run_train_pruned"]
