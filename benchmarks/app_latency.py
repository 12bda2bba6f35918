"""Latency of the app's three interactive paths, measured after the model has loaded.

Usage:
    python benchmarks/app_latency.py [--model NAME] [--reps 5] [--threads N] [--summarize]
                                     [--out benchmarks/results/app_latency.json]

On a ~200-token Java method and the embedded default search model, on this machine's CPU:

1. heatmap: one importance computation (CLS attention, last layer, mean over heads) for a new
   input (the in-process result cache is cleared before every repetition); target <= 300 ms;
2. slider move: every method's pruning at one ratio from the cached scores, no model run
   (``leancode.studio.prune_all``); target <= 50 ms;
3. Quality page: search relevance of the pruned code of the page's default methods (LeanCode,
   DietCode, SlimCode) at 10 ratios, 0-90 % (``leancode.studio.quality_curves``); target <= 5 s.
   The same with all five methods is printed too.

When the default model has no classification head (the untrained ``minilm-base``), step 3 runs
on the same encoder with an untrained head: the same computation, so the same cost.  When the
package ships no LeanCode/DietCode table for Java search, tables are built in memory from the
benchmark model over the bundled examples, so that every method really prunes.
Prints one line per figure (median and min over repetitions) and writes them as JSON.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from leancode import studio  # noqa: E402
from leancode.io import atomic_writer  # noqa: E402

#: A realistic Java method of about 200 code tokens.
JAVA_200 = """public Map<String, Integer> countWords(Path file, Set<String> stopWords, int minLength) throws IOException {
    Map<String, Integer> counts = new HashMap<>();
    try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        String line;
        while ((line = reader.readLine()) != null) {
            for (String word : line.toLowerCase().split("\\\\W+")) {
                if (word.length() < minLength || stopWords.contains(word)) {
                    continue;
                }
                Integer previous = counts.get(word);
                counts.put(word, previous == null ? 1 : previous + 1);
            }
        }
    } catch (MalformedInputException e) {
        LOG.warn("skipping unreadable file " + file + ": " + e.getMessage());
        return Collections.emptyMap();
    }
    if (counts.size() > MAX_WORDS) {
        LOG.info("trimming " + (counts.size() - MAX_WORDS) + " rare words from " + file);
        counts.values().removeIf(count -> count < 2);
    }
    return counts;
}
"""
QUERY = "Count how often each word occurs in a text file, ignoring stop words and short words."
TARGETS_MS = {"heatmap_ms": 300.0, "slider_ms": 50.0, "quality_ms": 5000.0}


def _stats(samples: list) -> dict:
    return {"median": statistics.median(samples), "min": min(samples), "n": len(samples)}


def _search_handle(name: str):
    """The search model; when it has no head, the same encoder with an untrained one (same cost)."""
    from leancode.models import load_model, wrap_model

    handle = load_model(name, task="search")
    if studio.capabilities(handle).relevance:
        return handle, handle, ""
    from leancode import embedded

    model = embedded.build_search_model()
    tokenizer = embedded.load_base_tokenizer()
    head = wrap_model(model, tokenizer, f"{name}+untrained-head", device=handle.device)
    return handle, head, (f"{name} has no classification head: the Quality figure uses the same encoder with "
                          "an untrained head (identical cost)")


def _ensure_tables(handle) -> str:
    """Point the table directory at tables built here when none is shipped for Java search."""
    from leancode import tables, tokenize
    from leancode.importance import compute_importance_batch

    if all(tables.table_path(m, "search", "java").exists() for m in ("leancode", "dietcode")):
        return "shipped tables"
    tmp = Path(tempfile.mkdtemp(prefix="lc-bench-tables-"))
    exs = [e for e in studio.load_examples() if e.language == "java"]
    snippets = [tokenize(e.code, "java") for e in exs]
    results = compute_importance_batch(snippets, source="cls", model=handle, task="search",
                                       queries=[e.docstring for e in exs])
    for method in ("leancode", "dietcode"):
        b = tables.TableBuilder(method, "search", "java", model=handle.name, source="cls", corpus="examples")
        for s, r in zip(snippets, results):
            b.add(s, r.scores)
        b.build().save(tmp / f"{method}-search-java.json")
    tables.TABLES_DIR = tmp
    return f"no shipped tables: built from {len(exs)} examples with {handle.name}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None, help="search model (default: the app's default)")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=0,
                    help="torch CPU threads (default: what the app uses, leancode.studio.app_torch_threads())")
    ap.add_argument("--summarize", action="store_true",
                    help="also time the summarization Quality page (generation; no target)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "app_latency.json"))
    a = ap.parse_args()

    import torch

    from leancode.importance import clear_importance_cache

    torch.set_num_threads(a.threads if a.threads > 0 else studio.app_torch_threads())

    name = studio.model_name_for("search", a.model)
    t0 = time.perf_counter()
    handle, relevance_handle, note = _search_handle(name)
    load_s = time.perf_counter() - t0
    snippet = studio.prepare(JAVA_200, "java").snippet
    tables_note = _ensure_tables(handle)
    print(f"model {handle.name} on {handle.device} (loaded in {load_s:.1f} s); torch threads "
          f"{torch.get_num_threads()}; {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs")
    print(f"snippet: {snippet.n} Java code tokens; {tables_note}")
    if note:
        print(f"note: {note}")

    # warm-up (first calls allocate and build caches)
    studio.analyze(snippet, handle, task="search", source="cls", query=QUERY)

    heat = []
    scores = None
    for _ in range(a.reps):
        clear_importance_cache()
        t = time.perf_counter()
        an = studio.analyze(snippet, handle, task="search", source="cls", query=QUERY)
        heat.append(1000 * (time.perf_counter() - t))
        if not an.ok:
            raise SystemExit(f"importance failed: {an.error}")
        scores = an.scores

    slider = []
    ratios = [r / 100 for r in range(5, 95, 5)]
    for _ in range(a.reps):
        for r in ratios:
            t = time.perf_counter()
            out = studio.prune_all(snippet, r, scores, task="search")
            slider.append(1000 * (time.perf_counter() - t))
    failed = {m: oc.error for m, oc in out.items() if not oc.ok}

    def quality_run(methods) -> tuple:
        samples, rep = [], None
        for _ in range(max(1, a.reps // 2)):
            t = time.perf_counter()
            rep = studio.quality_curves(snippet, relevance_handle, task="search", query=QUERY, scores=scores,
                                        methods=methods)
            samples.append(1000 * (time.perf_counter() - t))
            if not rep.ok:
                raise SystemExit(f"quality curves failed: {rep.error}")
        return samples, rep

    quality, rep = quality_run(studio.QUALITY_METHODS)
    quality_all, _ = quality_run(studio.COMPARE_METHODS)

    res = {
        "model": handle.name, "relevance_model": relevance_handle.name, "device": handle.device,
        "n_tokens": snippet.n, "cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(),
        "load_s": load_s, "tables": tables_note, "methods_failed": failed,
        "heatmap_ms": _stats(heat), "slider_ms": _stats(slider), "quality_ms": _stats(quality),
        "quality_all_methods_ms": _stats(quality_all),
        "quality_ms_per_example": {str(t["ratio"]): t["ms_per_example"] for t in rep.timing},
        "targets_ms": TARGETS_MS,
    }
    for key, label in (("heatmap_ms", "heatmap (one importance computation)"),
                       ("slider_ms", "slider move (prune_all from cached scores)"),
                       ("quality_ms", "Quality page, 10 ratios x 3 methods (default)")):
        s = res[key]
        ok = "OK" if s["median"] <= TARGETS_MS[key] else "OVER"
        print(f"{label:45s} median {s['median']:9.1f} ms  min {s['min']:9.1f} ms  "
              f"target <= {TARGETS_MS[key]:.0f} ms  {ok}")
    s = res["quality_all_methods_ms"]
    print(f"{'Quality page, 10 ratios x 5 methods':45s} median {s['median']:9.1f} ms  min {s['min']:9.1f} ms")
    per = statistics.median(rep.timing[i]["ms_per_example"] for i in range(len(rep.timing)))
    print(f"{'model time per example (median over ratios)':45s} {per:9.1f} ms; load average "
          f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    if failed:
        print(f"methods that did not prune: {failed}")
    if a.summarize:
        from leancode.models import load_model

        sname = studio.model_name_for("summarize")
        shandle = load_model(sname, task="summarize")
        if studio.capabilities(shandle).generation:
            studio.quality_curves(snippet, shandle, task="summarize", ratios=(0.0,), methods=("slimcode",))
            t = time.perf_counter()
            srep = studio.quality_curves(snippet, shandle, task="summarize", methods=studio.QUALITY_METHODS,
                                         reference="Count how often each word occurs in a text file.")
            ms = 1000 * (time.perf_counter() - t)
            res["summarize_quality_ms"] = ms
            res["summarize_model"] = sname
            ran = sorted({r["key"] for r in srep.rows})
            res["summarize_methods"] = ran
            print(f"{'Quality page, summarization (' + sname + ')':45s} {ms:9.1f} ms for {len(ran)} method(s) "
                  f"{', '.join(ran)}" + (f"  ({srep.error})" if srep.error else ""))
        else:
            print(f"summarization: {sname} cannot generate; skipped")
    out_path = Path(a.out)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_writer(out_path) as f:
        json.dump(res, f, indent=1)
    print(f"wrote {out_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
