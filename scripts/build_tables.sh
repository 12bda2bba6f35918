#!/usr/bin/env bash
# Rebuilds the importance tables shipped in leancode/resources/tables/ from the embedded models.
# Needs the mined corpora: leancode corpus build /usr/lib/jvm/openjdk-17/lib/src.zip --lang java -o data/java
#                          leancode corpus build "$(python3 -c 'import sysconfig;print(sysconfig.get_paths()["stdlib"])')" --lang python -o data/python
# Usage: bash scripts/build_tables.sh [LIMIT]   (one language per process; both run in parallel)
set -euo pipefail
cd "$(dirname "$0")/.."
LIMIT=${1:-2000}
OUT=leancode/resources/tables
mkdir -p "$OUT"
build_lang() {
  local lang=$1
  for task in search summarize; do
    for method in leancode dietcode; do
      OMP_NUM_THREADS=1 leancode table build --method "$method" --task "$task" --lang "$lang" \
        --data "data/$lang/train.jsonl" --limit "$LIMIT" --batch-size 16 -q \
        -o "$OUT/$method-$task-$lang.json"
    done
  done
}
build_lang java & p1=$!
build_lang python & p2=$!
wait $p1; wait $p2
