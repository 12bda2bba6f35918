"""The analysis behind LeanCode Studio's pages, as plain functions (no Streamlit here).

The app calls these and caches their results; tests call them directly.  The flow:

1. :func:`prepare` checks and tokenises the user's input (empty, too long, unparseable).
2. :func:`analyze` runs one importance source of a model over the snippet once
   (:func:`leancode.importance.compute_importance`); its result is cached per input.
3. :func:`prune_all` prunes the snippet with every method at one ratio **without running a
   model**: table-driven methods use their tables, ``leancode-instance`` reuses the cached
   scores.  A method with no table for this task and language gets an error of its own.
4. :func:`quality_curves` runs the model on the pruned code at each ratio: search relevance
   of (query, pruned code), or a generated summary with BLEU-4 against a reference and against
   the summary of the unpruned code, plus the inference time per ratio.
5. The ``*_figure`` functions turn those results into plotly figures.
"""
from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional, Sequence

from .errors import LeanCodeError
from .tokens import CodeSnippet

#: Longest input the app analyses, in characters (longer input is refused with a message).
MAX_INPUT_CHARS = 20_000

#: The methods compared side by side, in display order.
COMPARE_METHODS = ("leancode", "dietcode", "slimcode", "random", "leancode-instance")

#: The methods the Quality page runs by default (each adds one model run per ratio).
QUALITY_METHODS = ("leancode", "dietcode", "slimcode")

#: Display names of the methods.
METHOD_LABELS = {
    "leancode": "LeanCode", "dietcode": "DietCode", "slimcode": "SlimCode", "random": "Random",
    "leancode-instance": "LeanCode (per snippet)", "none": "Unpruned",
}

#: Importance sources and what they measure.
SOURCE_LABELS = {
    "cls": "CLS attention",
    "received": "Attention received",
    "rollout": "Attention rollout",
    "cross": "Cross-attention (decoder)",
    "ig": "Integrated Gradients",
}

#: Ratios of the quality curves: 0, 10, ..., 90 %.
QUALITY_RATIOS = tuple(round(0.1 * i, 1) for i in range(10))

TASKS = ("search", "summarize")
TASK_LABELS = {"search": "Code search", "summarize": "Code summarization"}

#: Environment variables that override the app's default model per task.
MODEL_ENV = {"search": "LEANCODE_MODEL_SEARCH", "summarize": "LEANCODE_MODEL_SUMMARIZE"}

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "assets" / "examples"


def _err(e: BaseException) -> str:
    """An exception as one readable line."""
    msg = str(e).strip() or type(e).__name__
    return msg if isinstance(e, LeanCodeError) else f"{type(e).__name__}: {msg}"


# --------------------------------------------------------------------------- examples

@dataclass(frozen=True)
class Example:
    """A ready-made input: code, its language, its docstring (default query) and summary (reference)."""

    id: str
    title: str
    language: str
    code: str
    docstring: str
    summary: str
    shape: str = ""


def load_examples(directory: Optional[Path] = None) -> list:
    """Every example in ``directory`` (default ``assets/examples``), sorted by id.

    Each example is one JSON file with ``title``, ``language``, ``code``, ``docstring`` and
    optionally ``summary`` (default: the docstring's first sentence) and ``shape``.  Files that
    cannot be read are skipped.
    """
    directory = Path(directory) if directory is not None else EXAMPLES_DIR
    out = []
    for path in sorted(directory.glob("*.json")):
        try:
            d = json.loads(path.read_text(encoding="utf-8"))
            doc = str(d.get("docstring", "")).strip()
            out.append(Example(id=str(d.get("id") or path.stem), title=str(d.get("title") or path.stem),
                               language=str(d["language"]), code=str(d["code"]), docstring=doc,
                               summary=str(d.get("summary") or first_sentence(doc)),
                               shape=str(d.get("shape", ""))))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return out


def first_sentence(text: str) -> str:
    """The first sentence of a docstring (up to the first '. ' or newline paragraph)."""
    text = " ".join((text or "").split())
    for end in (". ", "? ", "! "):
        i = text.find(end)
        if i >= 0:
            return text[:i + 1]
    return text


# --------------------------------------------------------------------------- models

def model_name_for(task: str, override: Optional[str] = None) -> str:
    """The model the app uses for ``task``: ``override`` if given, else the task's environment
    variable (``LEANCODE_MODEL_SEARCH`` / ``LEANCODE_MODEL_SUMMARIZE``), else the embedded default."""
    if override and override.strip():
        return override.strip()
    env = os.environ.get(MODEL_ENV.get(task, ""), "").strip()
    if env:
        return env
    from .embedded import default_model

    return default_model(task)


def app_torch_threads() -> int:
    """CPU threads the app gives PyTorch: ``LEANCODE_TORCH_THREADS`` if set, else all cores but one.

    Leaving one core to the web server and the rest of the machine matters: on a busy 2-core
    machine, two PyTorch threads made one importance computation about ten times slower than one
    thread (the threads wait on each other at every parallel step).
    """
    env = os.environ.get("LEANCODE_TORCH_THREADS", "").strip()
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            pass
    return max(1, (os.cpu_count() or 1) - 1)


@dataclass
class Capabilities:
    """What a loaded model can do in the app, with a reason for each missing feature."""

    name: str
    encoder_attention: bool = True
    relevance: bool = False         # a classification head: (query, code) relevance
    generation: bool = False        # a decoder: summaries and cross-attention
    n_layers: int = 0
    n_heads: int = 0
    max_tokens: int = 0
    missing: dict = field(default_factory=dict)   # feature -> why it is unavailable

    @property
    def cross_attention(self) -> bool:
        return self.generation


def capabilities(handle: Any) -> Capabilities:
    """What a loaded model handle can do (uses its ``can_search``/``can_summarize`` flags when it has
    them, else inspects the model's class and config)."""
    model = getattr(handle, "model", None)
    name = str(getattr(handle, "name", "") or "model")
    kind = str(getattr(handle, "kind", "") or "").lower()
    config = getattr(model, "config", None)
    is_seq2seq = bool(getattr(config, "is_encoder_decoder", False)) or kind == "seq2seq"
    arch = type(model).__name__ if model is not None else ""
    has_head = arch.endswith("ForSequenceClassification")
    if hasattr(handle, "can_search"):
        has_head = bool(handle.can_search)
    if hasattr(handle, "can_summarize"):
        is_seq2seq = bool(handle.can_summarize)
    enc_cfg = config
    if getattr(config, "model_type", "") == "encoder-decoder" and getattr(config, "encoder", None) is not None:
        enc_cfg = config.encoder
    n_layers = 0
    for k in ("num_hidden_layers", "encoder_layers", "num_layers"):
        if isinstance(getattr(enc_cfg, k, None), int):
            n_layers = getattr(enc_cfg, k)
            break
    n_heads = 0
    for k in ("num_attention_heads", "encoder_attention_heads", "num_heads"):
        if isinstance(getattr(enc_cfg, k, None), int):
            n_heads = getattr(enc_cfg, k)
            break
    max_tokens = int(getattr(handle, "max_length", 0) or getattr(enc_cfg, "max_position_embeddings", 0) or 0)
    cap = Capabilities(name=name, relevance=has_head, generation=is_seq2seq,
                       n_layers=n_layers, n_heads=n_heads, max_tokens=max_tokens)
    if not cap.relevance:
        why = None
        if callable(getattr(handle, "relevance_unavailable_reason", None)):
            why = handle.relevance_unavailable_reason()
        cap.missing["relevance"] = why or (
            f"{name} has no classification head, so it cannot score how well code matches a query "
            "(search relevance). Use a fine-tuned search model such as leancode-mini-search.")
    if not cap.generation:
        cap.missing["generation"] = (
            f"{name} has no decoder, so it cannot write summaries and has no cross-attention. "
            "Use a summarization model such as leancode-mini-summarize.")
    return cap


def sources_for(task: str, cap: Capabilities) -> list:
    """``[(source, label, available, why_not)]`` for the importance sources of ``task``."""
    try:
        from .importance import available_sources

        known = list(available_sources())
    except Exception:  # the importance package is missing or broken: offer the spec's list
        known = list(SOURCE_LABELS)
    order = ["cls", "received", "rollout", "cross", "ig"] if task == "search" else \
        ["cross", "cls", "received", "rollout", "ig"]
    out = []
    for s in order:
        if s not in known:
            continue
        why = ""
        if s == "cross" and not cap.generation:
            why = cap.missing.get("generation", "no decoder")
        elif s == "ig" and task == "search" and not cap.relevance:
            why = cap.missing.get("relevance", "no classification head")
        elif s == "ig" and task == "summarize" and not cap.generation:
            why = cap.missing.get("generation", "no decoder")
        out.append((s, SOURCE_LABELS.get(s, s), not why, why))
    return out


def default_source(task: str, cap: Optional[Capabilities] = None) -> str:
    """The source LeanCode uses for ``task``: CLS attention (search) or cross-attention (summarize),
    falling back to CLS attention when the model has no decoder."""
    if task == "summarize" and (cap is None or cap.generation):
        return "cross"
    return "cls"


# --------------------------------------------------------------------------- input

@dataclass
class Prepared:
    """The checked and tokenised input: ``snippet`` is None when ``error`` says why."""

    snippet: Optional[CodeSnippet]
    error: Optional[str] = None
    warnings: list = field(default_factory=list)
    language: str = ""


def prepare(code: Optional[str], lang: str = "auto", max_chars: int = MAX_INPUT_CHARS) -> Prepared:
    """Check and tokenise the user's code; never raises.

    Refuses empty input and input over ``max_chars`` characters; an unknown language is an
    error; code that does not parse is still tokenised, with the parser's warning.
    """
    from .languages import tokenize

    code = "" if code is None else str(code)
    if not code.strip():
        return Prepared(None, "The input is empty: paste a Java or Python function, or pick an example.")
    if len(code) > max_chars:
        return Prepared(None, f"The input has {len(code):,} characters, more than this app's limit of "
                              f"{max_chars:,}. Paste one function (or use the command line for large files).")
    try:
        snippet = tokenize(code, lang or "auto")
    except LeanCodeError as e:
        return Prepared(None, _err(e))
    except Exception as e:  # the tokenizer promises not to raise; stay safe anyway
        return Prepared(None, f"could not tokenise the input: {_err(e)}")
    warnings = list(snippet.warnings)
    if snippet.n == 0:
        return Prepared(None, "No code tokens were found in the input." + (f" ({'; '.join(warnings)})"
                                                                          if warnings else ""),
                        warnings, snippet.language)
    if not snippet.parsed and not any("pars" in w.lower() for w in warnings):
        warnings.append(f"the code does not parse as {snippet.language}; it is still analysed token by token")
    return Prepared(snippet, None, warnings, snippet.language)


#: Language of an uploaded file by its extension.
UPLOAD_SUFFIX_LANG = {".java": "java", ".py": "python"}


def read_upload(name: str, data: bytes, max_chars: int = MAX_INPUT_CHARS) -> tuple:
    """An uploaded file as ``(code, language, error)``: UTF-8 text and the language its extension
    names ('auto' otherwise); ``error`` says why it was refused (then ``code`` is None)."""
    if len(data) > 4 * max_chars:
        return None, "auto", (f"{name} is {len(data):,} bytes, far over the limit of {max_chars:,} characters; "
                              "upload or paste a single function instead.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, "auto", f"{name} is not UTF-8 text."
    if "\x00" in text:
        return None, "auto", f"{name} looks like a binary file, not source code."
    return text, UPLOAD_SUFFIX_LANG.get(Path(name).suffix.lower(), "auto"), None


# --------------------------------------------------------------------------- importance

@dataclass
class Analysis:
    """One importance source of one model over one snippet (what the heatmap shows)."""

    snippet: CodeSnippet
    task: str
    model: str
    source: str
    layer: Any = -1
    head: Any = "mean"
    scores: list = field(default_factory=list)        # one float per code token, NaN = unseen
    special_tokens: list = field(default_factory=list)
    summary: Optional[str] = None
    matrix: Optional[list] = None                     # targets x code tokens
    target_tokens: list = field(default_factory=list)
    grid: Optional[list] = None                       # layers x heads
    truncated: bool = False
    n_unseen: int = 0
    info: dict = field(default_factory=dict)
    seconds: float = 0.0
    error: Optional[str] = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def finite_range(self) -> tuple:
        vals = [s for s in self.scores if isinstance(s, float) and math.isfinite(s)]
        return (min(vals), max(vals)) if vals else (None, None)

    def window_note(self) -> str:
        """How an input longer than the model's window was handled ('' when it fit)."""
        if not self.truncated and not self.n_unseen:
            return ""
        how = self.info.get("window", "truncate")
        if how == "sliding":
            return ("The code is longer than the model's input window; it was read in overlapping "
                    "windows and the scores were merged.")
        return (f"The code is longer than the model's input window: {self.n_unseen} code token(s) past "
                "the window were not seen and show in grey (they are removed last by the per-snippet "
                "method). Choose the sliding window to score them all.")


def _tolist(x) -> Optional[list]:
    if x is None:
        return None
    if hasattr(x, "tolist"):
        x = x.tolist()
    return [(_tolist(r) if isinstance(r, (list, tuple)) or hasattr(r, "tolist") else r) for r in x]


def _floats(xs) -> list:
    out = []
    for s in (xs if xs is not None else []):
        try:
            out.append(float("nan") if s is None else float(s))
        except (TypeError, ValueError):
            out.append(float("nan"))
    return out


def analyze(snippet: CodeSnippet, handle: Any, *, task: str = "search", source: Optional[str] = None,
            query: Optional[str] = None, summary: Optional[str] = None, layer: Any = -1, head: Any = "mean",
            window: str = "truncate") -> Analysis:
    """Run one importance source over ``snippet`` with a loaded model; never raises.

    Problems (a source the model cannot provide, a model error) come back in ``error``.
    """
    source = source or default_source(task)
    name = str(getattr(handle, "name", "") or "")
    a = Analysis(snippet=snippet, task=task, model=name, source=source, layer=layer, head=head)
    t0 = time.perf_counter()
    try:
        from .importance import compute_importance

        r = compute_importance(snippet, source=source, model=handle, task=task,
                               query=(query or None) if task == "search" else None,
                               summary=(summary or None) if task == "summarize" else None,
                               layer=layer, head=head, window=window)
    except LeanCodeError as e:
        a.error = _err(e)
    except ImportError as e:
        a.error = f"importance scores are not available in this installation ({e})"
    except Exception as e:
        a.error = f"{SOURCE_LABELS.get(source, source)} failed: {_err(e)}"
    else:
        a.scores = _floats(getattr(r, "scores", None))
        if len(a.scores) != snippet.n:
            a.error = f"the importance source returned {len(a.scores)} scores for {snippet.n} tokens"
        a.special_tokens = [dict(d) for d in (getattr(r, "special_tokens", None) or [])]
        a.summary = getattr(r, "summary", None)
        a.matrix = _tolist(getattr(r, "matrix", None))
        a.target_tokens = list(getattr(r, "target_tokens", None) or [])
        a.grid = _tolist(getattr(r, "grid", None))
        a.truncated = bool(getattr(r, "truncated", False))
        a.n_unseen = int(getattr(r, "n_unseen", 0) or 0)
        a.info = dict(getattr(r, "info", None) or {})
        a.info.setdefault("window", window)
    a.seconds = time.perf_counter() - t0
    return a


# --------------------------------------------------------------------------- pruning

@dataclass
class MethodOutcome:
    """One method's pruning of the snippet, or why it could not prune it."""

    method: str
    result: Any = None            # PruneResult
    error: Optional[str] = None
    seconds: float = 0.0

    @property
    def label(self) -> str:
        return METHOD_LABELS.get(self.method, self.method)

    @property
    def ok(self) -> bool:
        return self.result is not None


def n_removed_for(n: int, ratio: float) -> int:
    """How many of ``n`` tokens every method removes at ``ratio`` (SPEC section 2: ceil(r*n))."""
    from .pruners.base import n_to_remove

    return n_to_remove(n, ratio=ratio)


def tables_state() -> tuple:
    """A cheap fingerprint of the shipped tables (names and modification times), for result caches:
    results computed before a table was added or rebuilt are not reused."""
    from . import tables

    try:
        return tuple(sorted((p.name, p.stat().st_mtime_ns) for p in Path(tables.TABLES_DIR).glob("*.json")))
    except OSError:
        return ()


def _pruner(method: str, task: str, seed: int):
    """A fresh pruner (cheap: shipped tables are cached by :func:`leancode.tables.default_table`)."""
    from .pruners import build_pruner

    return build_pruner(method, seed=seed, task=task)


def prune_all(snippet: CodeSnippet, ratio: float, scores: Optional[Sequence] = None, *,
              methods: Iterable[str] = COMPARE_METHODS, task: str = "search", seed: int = 0,
              scores_error: Optional[str] = None) -> dict:
    """Prune ``snippet`` at ``ratio`` with each method; returns ``{method: MethodOutcome}``.

    No model runs here: ``leancode-instance`` prunes from ``scores`` (the cached per-snippet
    importance); when ``scores`` is None its outcome carries ``scores_error`` (or a default
    message).  A table-driven method without a table for this task and language, or any other
    pruning error, is reported in that method's outcome only.
    """
    out = {}
    for m in methods:
        t0 = time.perf_counter()
        oc = MethodOutcome(m)
        try:
            if m == "leancode-instance":
                if scores is None:
                    oc.error = scores_error or "needs this snippet's importance scores from a model"
                else:
                    oc.result = _pruner(m, task, seed).prune_with_scores(snippet, list(scores), ratio=ratio)
            else:
                oc.result = _pruner(m, task, seed).prune(snippet, ratio=ratio)
        except LeanCodeError as e:
            oc.error = _err(e)
        except Exception as e:
            oc.error = f"{METHOD_LABELS.get(m, m)} failed: {_err(e)}"
        oc.seconds = time.perf_counter() - t0
        out[m] = oc
    return out


def removed_by_role(result: Any, by: str = "category") -> dict:
    """Count the tokens ``result`` removed per statement category (``by="category"``), per SlimCode
    level (``"level"``) or per lexical kind (``"kind"``)."""
    if by not in ("category", "level", "kind"):
        raise ValueError(f"unknown grouping {by!r}; choose category, level or kind")
    counts: dict = {}
    for t, k in zip(result.snippet.tokens, result.keep):
        if not k:
            key = f"level {t.level}" if by == "level" else getattr(t, by)
            counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0]))))


def outcome_rows(outcomes: Mapping) -> list:
    """A summary row per method: kept, removed, pruned text or the error."""
    rows = []
    for m, oc in outcomes.items():
        if oc.ok:
            r = oc.result
            rows.append({"method": oc.label, "tokens": r.n_tokens, "kept": r.n_tokens - r.n_removed,
                         "removed": r.n_removed, "pruned": r.pruned_text, "error": ""})
        else:
            rows.append({"method": oc.label, "tokens": None, "kept": None, "removed": None, "pruned": "",
                         "error": oc.error})
    return rows


def prune_token_rows(snippet: CodeSnippet, outcomes: Mapping) -> list:
    """One row per token with ``kept_<method>`` and ``reason_<method>`` columns (for exports)."""
    from .render import token_rows

    extra: dict = {}
    for m, oc in outcomes.items():
        if oc.ok:
            extra[f"kept_{m}"] = [bool(k) for k in oc.result.keep]
            extra[f"reason_{m}"] = list(oc.result.reasons)
    return token_rows(snippet, extra=extra)


# --------------------------------------------------------------------------- quality

@dataclass
class QualityReport:
    """Quality of each method's pruned code over ratios (one model run per ratio)."""

    task: str
    model: str
    ratios: list
    rows: list = field(default_factory=list)      # {method, ratio, kept, relevance|summary, bleu_*}
    timing: list = field(default_factory=list)    # {ratio, n_texts, seconds, ms_per_example, tokens}
    errors: dict = field(default_factory=dict)    # method -> why it has no curve
    error: Optional[str] = None                   # why there is no report at all
    unpruned_summary: Optional[str] = None
    unpruned_relevance: Optional[float] = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


def _timed(fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t0


def quality_curves(snippet: CodeSnippet, handle: Any, *, task: str = "search", query: Optional[str] = None,
                   reference: Optional[str] = None, scores: Optional[Sequence] = None,
                   ratios: Sequence[float] = QUALITY_RATIOS, methods: Iterable[str] = COMPARE_METHODS,
                   seed: int = 0) -> QualityReport:
    """Run the model on every method's pruned code at every ratio; never raises.

    Search: the relevance of (``query``, pruned code) from
    :func:`leancode.inference.search_scores`.  Summarization: the summary generated by
    :func:`leancode.inference.summarize`, its smoothed sentence BLEU-4 (x100) against
    ``reference`` and against the unpruned code's summary.  Per ratio, the pruned texts of all
    methods go through the model in one batch (one text per method, so the batch size is the
    same at every ratio); the batch time divided by its size is the time per example.
    """
    cap = capabilities(handle)
    name = cap.name
    ratios = [float(r) for r in ratios]
    rep = QualityReport(task=task, model=name, ratios=ratios)
    t_all = time.perf_counter()
    if task == "search" and not cap.relevance:
        rep.error = cap.missing["relevance"]
        return rep
    if task == "summarize" and not cap.generation:
        rep.error = cap.missing["generation"]
        return rep
    if task == "search" and not (query or "").strip():
        rep.error = "Type a query (what the code should be found for) to measure search relevance."
        return rep
    try:
        from . import inference
    except ImportError as e:
        rep.error = f"model inference is not available in this installation ({e})"
        return rep
    methods = list(methods)
    texts_by_ratio = []
    for r in ratios:
        outcomes = prune_all(snippet, r, scores, methods=methods, task=task, seed=seed)
        per = {}
        for m, oc in outcomes.items():
            if oc.ok:
                per[m] = (oc.result.pruned_text, oc.result.n_tokens - oc.result.n_removed)
            else:
                rep.errors.setdefault(m, oc.error)
        texts_by_ratio.append(per)
    try:
        # The unpruned input first: the baseline, and a warm-up so that no ratio pays for it.
        if task == "summarize":
            (base,), _ = _timed(inference.summarize, handle, [snippet.model_text])
            rep.unpruned_summary = str(base)
        else:
            (base,), _ = _timed(inference.search_scores, handle, query, [snippet.model_text])
            rep.unpruned_relevance = float(base)
        for r, per in zip(ratios, texts_by_ratio):
            if not per:
                continue
            batch = [t for t, _ in per.values()]   # one text per method: the same batch size at every ratio
            if task == "search":
                values, secs = _timed(inference.search_scores, handle, query, batch)
            else:
                values, secs = _timed(inference.summarize, handle, batch)
            values = list(values)
            rep.timing.append({"ratio": r, "n_texts": len(batch), "seconds": secs,
                               "ms_per_example": 1000.0 * secs / len(batch),
                               "tokens": round(sum(n for _, n in per.values()) / len(per), 1)})
            for (m, (_, kept)), v in zip(per.items(), values):
                row = {"method": METHOD_LABELS.get(m, m), "key": m, "ratio": r, "kept": kept}
                if task == "search":
                    row["relevance"] = float(v)
                else:
                    row["summary"] = str(v)
                rep.rows.append(row)
    except LeanCodeError as e:
        rep.error = _err(e)
    except Exception as e:
        rep.error = f"the model failed on the pruned code: {_err(e)}"
    rep.seconds = time.perf_counter() - t_all
    if task == "summarize" and rep.error is None:
        add_bleu(rep, reference)
    return rep


def add_bleu(rep: QualityReport, reference: Optional[str]) -> QualityReport:
    """Fill ``bleu_reference`` (vs ``reference``; None when it is empty) and ``bleu_unpruned`` (vs the
    unpruned code's summary) on every summary row, as smoothed sentence BLEU-4 x 100.

    Kept apart from :func:`quality_curves` so that editing the reference needs no model run.
    """
    try:
        from .metrics import sentence_bleu
    except ImportError:
        rep.errors["bleu"] = "BLEU is not available in this installation (leancode.metrics)"
        return rep
    ref = (reference or "").strip()
    for row in rep.rows:
        if "summary" not in row:
            continue
        row["bleu_reference"] = 100.0 * sentence_bleu(ref, row["summary"]) if ref else None
        row["bleu_unpruned"] = (100.0 * sentence_bleu(rep.unpruned_summary, row["summary"])
                                if rep.unpruned_summary is not None else None)
    return rep


def summaries_table(rep: QualityReport) -> list:
    """Rows ``{ratio, <method>: summary ...}`` for the summarization table."""
    by_ratio: dict = {}
    for row in rep.rows:
        if "summary" in row:
            by_ratio.setdefault(row["ratio"], {"ratio": f"{round(100 * row['ratio'])}%"})[row["method"]] = \
                row["summary"]
    return [by_ratio[r] for r in sorted(by_ratio)]


# --------------------------------------------------------------------------- teaching

def statement_rows(snippet: CodeSnippet) -> list:
    """One row per statement: index, category, token count and its text (as the model sees it)."""
    groups: dict = {}
    for t in snippet.tokens:
        g = groups.setdefault(t.statement, {"statement": t.statement, "category": t.category, "tokens": 0,
                                            "text": []})
        g["tokens"] += 1
        g["text"].append(t.text)
    return [{**g, "text": " ".join(g["text"])} for g in groups.values()]


def level_rows(snippet: CodeSnippet) -> list:
    """Per SlimCode level (8 removed first): how many tokens and which texts."""
    by: dict = {}
    for t in snippet.tokens:
        by.setdefault(t.level, []).append(t.text)
    return [{"level": lv, "tokens": len(by[lv]), "examples": " ".join(dict.fromkeys(by[lv]))[:120]}
            for lv in sorted(by, reverse=True)]


def dietcode_statement_values(snippet: CodeSnippet, task: str = "search") -> tuple:
    """DietCode's view of the snippet: ``(rows, error)``, one row per statement with its category
    score from the table (the knapsack value) and its length (the knapsack weight)."""
    from .tables import default_table

    try:
        table = default_table("dietcode", task, snippet.language)
    except LeanCodeError as e:
        return [], _err(e)
    if table is None:
        return [], f"no DietCode table is shipped for {task}/{snippet.language}"
    rows = statement_rows(snippet)
    for r in rows:
        r["value"] = table.category_score(r["category"])
    return rows, None


def leancode_token_scores(snippet: CodeSnippet, task: str = "search") -> tuple:
    """LeanCode's table score of every token (SPEC section 6): ``(scores, how, error)``.

    ``how`` is 0 when the (statement category, text) entry exists, 1 when the token's mean over
    all categories is used, 2 when the table never saw the text (+infinity: removed last).
    """
    from .tables import default_table

    try:
        table = default_table("leancode", task, snippet.language)
    except LeanCodeError as e:
        return [], [], _err(e)
    if table is None:
        return [], [], f"no LeanCode table is shipped for {task}/{snippet.language}"
    ctx = table.context_means()
    tok = table.token_means()
    scores, how = [], []
    for t in snippet.tokens:
        s = ctx.get(t.category, {}).get(t.text)
        if s is not None:
            scores.append(float(s))
            how.append(0)
        elif t.text in tok:
            scores.append(float(tok[t.text]))
            how.append(1)
        else:
            scores.append(math.inf)
            how.append(2)
    return scores, how, None


# --------------------------------------------------------------------------- charts

def _go():
    import plotly.graph_objects as go

    return go


def grid_figure(grid: Sequence[Sequence[float]], title: str = "CLS attention mass on code tokens"):
    """Heatmap of a layers x heads grid (row 0 = first layer)."""
    go = _go()
    z = [list(map(float, row)) for row in grid]
    fig = go.Figure(go.Heatmap(
        z=z, x=[f"h{h}" for h in range(len(z[0]) if z else 0)], y=[f"L{i}" for i in range(len(z))],
        colorscale="YlOrRd", colorbar={"title": "mass"},
        hovertemplate="layer %{y}, head %{x}: %{z:.3f}<extra></extra>"))
    fig.update_layout(title=title, xaxis_title="head", yaxis_title="layer", height=340,
                      margin={"l": 40, "r": 20, "t": 50, "b": 40})
    return fig


def cross_figure(matrix: Sequence[Sequence[float]], targets: Sequence[str], code_tokens: Sequence[str],
                 title: str = "Cross-attention: summary tokens x code tokens"):
    """Heatmap of the decoder's cross-attention (one row per generated/target token)."""
    go = _go()
    xs = [f"{i}:{t}" for i, t in enumerate(code_tokens)]
    ys = [f"{i}:{t}" for i, t in enumerate(targets)]
    fig = go.Figure(go.Heatmap(z=[[float("nan") if v is None else float(v) for v in row] for row in matrix],
                               x=xs, y=ys, colorscale="YlOrRd",
                               hovertemplate="%{y} -> %{x}: %{z:.4f}<extra></extra>"))
    fig.update_layout(title=title, height=max(300, 22 * len(ys) + 120),
                      yaxis={"autorange": "reversed"}, margin={"l": 40, "r": 20, "t": 50, "b": 80})
    return fig


def roles_figure(outcomes: Mapping, by: str = "category"):
    """Grouped bars: removed tokens per statement category (or SlimCode level) for each method."""
    go = _go()
    fig = go.Figure()
    for m, oc in outcomes.items():
        if not oc.ok:
            continue
        counts = removed_by_role(oc.result, by)
        fig.add_trace(go.Bar(name=oc.label, x=list(counts), y=list(counts.values())))
    what = {"level": "SlimCode level", "category": "statement category"}.get(by, "lexical kind")
    fig.update_layout(barmode="group", height=340, title=f"Removed tokens by {what}",
                      yaxis_title="tokens removed", margin={"l": 40, "r": 20, "t": 50, "b": 40})
    return fig


def quality_figure(rep: QualityReport, metric: str = "relevance"):
    """One line per method: ``metric`` (relevance, bleu_reference, bleu_unpruned, kept) vs ratio."""
    go = _go()
    titles = {"relevance": "Search relevance of (query, pruned code)", "bleu_reference":
              "BLEU-4 vs reference summary", "bleu_unpruned": "BLEU-4 vs summary of unpruned code",
              "kept": "Tokens kept"}
    fig = go.Figure()
    by: dict = {}
    for row in rep.rows:
        if row.get(metric) is not None:
            by.setdefault(row["method"], []).append((row["ratio"] * 100, row[metric]))
    for method, pts in by.items():
        fig.add_trace(go.Scatter(x=[p[0] for p in pts], y=[p[1] for p in pts], mode="lines+markers",
                                 name=method))
    if metric == "relevance" and rep.unpruned_relevance is not None:
        fig.add_hline(y=rep.unpruned_relevance, line_dash="dash", line_color="#555",
                      annotation_text="unpruned", annotation_position="bottom right")
    fig.update_layout(title=titles.get(metric, metric), xaxis_title="tokens removed (%)",
                      yaxis_title=metric, height=360, margin={"l": 40, "r": 20, "t": 50, "b": 40})
    return fig


def timing_figure(rep: QualityReport):
    """Model inference time per example vs ratio."""
    go = _go()
    fig = go.Figure(go.Scatter(x=[t["ratio"] * 100 for t in rep.timing],
                               y=[t["ms_per_example"] for t in rep.timing], mode="lines+markers",
                               name="ms per example"))
    fig.update_layout(title="Model inference time per example", xaxis_title="tokens removed (%)",
                      yaxis_title="ms", height=320, margin={"l": 40, "r": 20, "t": 50, "b": 40})
    return fig


def figure_html(fig) -> str:
    """A chart as a standalone HTML page (plotly.js inlined, so it opens offline)."""
    return fig.to_html(include_plotlyjs=True, full_html=True)


def figure_png(fig) -> Optional[bytes]:
    """A chart as PNG bytes, or None when no static image engine (kaleido) works here."""
    try:
        import kaleido  # noqa: F401
    except ImportError:
        return None
    try:
        return fig.to_image(format="png")
    except Exception:
        return None


__all__ = [
    "Analysis", "COMPARE_METHODS", "Capabilities", "Example", "MAX_INPUT_CHARS", "METHOD_LABELS", "MethodOutcome",
    "Prepared", "QUALITY_METHODS", "app_torch_threads", "QUALITY_RATIOS", "QualityReport", "SOURCE_LABELS", "TASKS", "add_bleu",
    "analyze", "capabilities", "cross_figure", "default_source", "dietcode_statement_values", "figure_html",
    "figure_png", "first_sentence", "grid_figure", "leancode_token_scores", "level_rows", "load_examples",
    "model_name_for", "n_removed_for", "outcome_rows", "prepare", "prune_all", "prune_token_rows",
    "quality_curves", "quality_figure", "read_upload", "removed_by_role", "roles_figure", "sources_for",
    "statement_rows", "summaries_table", "tables_state", "timing_figure",
]
