"""Pruning throughput benchmark (tokenisation included).

Usage:
    leancode corpus build /usr/lib/jvm/openjdk-17/lib/src.zip --lang java -o data/java
    python benchmarks/prune_throughput.py --data data/java/train.jsonl --n 20000 --ratio 0.3

Prints snippets/s per method and writes benchmarks/results/prune_throughput.json.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from leancode.bench.prune import DEFAULT_METHODS, run  # noqa: E402
from leancode.io import atomic_writer  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(ROOT / "data" / "java" / "train.jsonl"))
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--ratio", type=float, default=0.3)
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--lang", default="java")
    ap.add_argument("--methods", default=",".join(DEFAULT_METHODS))
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "prune_throughput.json"))
    a = ap.parse_args()
    res = run(a.data, n=a.n, ratio=a.ratio, methods=a.methods.split(","), workers=a.workers or None,
              lang=a.lang)
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_writer(out) as f:
        json.dump(res, f, indent=1)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
