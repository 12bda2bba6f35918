"""Importance of each code token, read from a model.

An *importance source* turns one model run into a score per subword position; this module
does everything around it, the same way for every source: encode the snippet (exact subword to
code-token alignment, the search pair format, truncation or sliding windows), batch and pad
the windows, run the source, reduce subwords to code tokens, merge windows, and cache.

Entry points: :func:`compute_importance` (one snippet) and :func:`compute_importance_batch`
(many snippets, one forward per batch; used to build importance tables).  Both return
:class:`ImportanceResult` objects with one score per code token of the snippet, ``NaN`` for
the tokens the model did not see.
"""
from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np

from ..errors import LeanCodeError
from ..tokens import CodeSnippet
from .align import CODE, QUERY, SPECIAL, Encoded, Window, encode_snippet, reduce_by_owner, seen_masks


class ImportanceError(LeanCodeError, ValueError):
    """A request for importance that cannot be served (bad option, wrong kind of model...)."""


REDUCTIONS = ("sum", "mean", "max")
WINDOWS = ("truncate", "sliding")
TARGET_REDUCTIONS = ("max", "mean")
TASKS = ("search", "summarize")


# ----------------------------------------------------------------------------- result


@dataclass
class ImportanceResult:
    """Scores of one snippet's code tokens from one model and one importance source.

    ``scores`` has one value per code token (``NaN``: the token lay past the model window);
    ``special_tokens`` lists the other inputs in order: special tokens, query words (search)
    and, for decoder targets, each summary token (its attention mass on the code for ``cross``,
    its log-probability for ``ig``).  ``info`` holds details: ``n_windows``, ``max_length``,
    ``reduce``, ``window``, the source's options, and per-window values as lists (IG's
    ``f_input`` and ``f_baseline``).
    """

    source: str
    model: str
    task: str
    layer: Any
    head: Any
    scores: list                                  # list[float], one per code token, NaN when unseen
    special_tokens: list = field(default_factory=list)   # [{text, kind, score}]
    summary: str | None = None
    matrix: np.ndarray | None = None              # targets x code tokens (cross-attention)
    target_tokens: list = field(default_factory=list)
    grid: np.ndarray | None = None                # layers x heads CLS attention mass on code tokens
    truncated: bool = False
    n_unseen: int = 0
    completeness_gap: float | None = None
    info: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.scores)

    def array(self) -> np.ndarray:
        """The scores as a float array (NaN for unseen tokens)."""
        return np.asarray(self.scores, dtype=np.float64)

    def to_dict(self, snippet: CodeSnippet | None = None) -> dict:
        """JSON-ready form: every code token in order with its text, span and score (null if unseen)."""
        tokens = []
        for i, score in enumerate(self.scores):
            entry = {"index": i}
            if snippet is not None and i < snippet.n:
                tok = snippet.tokens[i]
                entry.update(text=tok.text, start=tok.start, end=tok.end)
            entry["score"] = _json_float(score)
            tokens.append(entry)
        d = {
            "model": self.model,
            "task": self.task,
            "source": self.source,
            "layer": self.layer,
            "head": self.head,
            "tokens": tokens,
            "special_tokens": [dict(s, score=_json_float(s.get("score"))) for s in self.special_tokens],
            "summary": self.summary,
            "truncated": self.truncated,
            "n_unseen": self.n_unseen,
            "completeness_gap": _json_float(self.completeness_gap),
        }
        if self.target_tokens:
            d["target_tokens"] = list(self.target_tokens)
        if self.matrix is not None:
            d["matrix"] = [[_json_float(v) for v in row] for row in np.asarray(self.matrix)]
        if self.grid is not None:
            d["grid"] = [[_json_float(v) for v in row] for row in np.asarray(self.grid)]
        return d


def _json_float(v):
    if v is None:
        return None
    v = float(v)
    return None if math.isnan(v) or math.isinf(v) else v


# ----------------------------------------------------------------------------- requests


@dataclass(frozen=True)
class Request:
    """The options of one importance computation (validated)."""

    task: str = "search"
    layer: Any = -1
    head: Any = "mean"
    reduce: str = "sum"
    window: str = "truncate"
    target_reduce: str = "max"
    stride: int | None = None
    options: tuple = ()                           # sorted (name, value) pairs of source options

    def opt(self, name: str):
        return dict(self.options)[name]

    def key(self) -> tuple:
        return (self.task, self.layer, self.head, self.reduce, self.window, self.target_reduce, self.stride,
                self.options)


def normalize_layer(layer) -> Any:
    if isinstance(layer, str):
        text = layer.strip().lower()
        if text == "all":
            return "all"
        try:
            return int(text)
        except ValueError:
            raise ImportanceError(f"layer must be an integer or 'all', got {layer!r}") from None
    if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)):
        raise ImportanceError(f"layer must be an integer or 'all', got {layer!r}")
    return int(layer)


def normalize_head(head) -> Any:
    if isinstance(head, str):
        text = head.strip().lower()
        if text in ("mean", "max"):
            return text
        try:
            return int(text)
        except ValueError:
            raise ImportanceError(f"head must be 'mean', 'max' or an integer, got {head!r}") from None
    if isinstance(head, bool) or not isinstance(head, (int, np.integer)):
        raise ImportanceError(f"head must be 'mean', 'max' or an integer, got {head!r}")
    return int(head)


def resolve_layers(layer, n_layers: int) -> list:
    """Layer indices (0-based) for ``layer`` (an int, negative from the end, or 'all')."""
    if layer == "all":
        return list(range(n_layers))
    if not -n_layers <= layer < n_layers:
        raise ImportanceError(f"layer {layer} is out of range: the model has {n_layers} layers "
                              f"(use 0..{n_layers - 1}, -1 for the last, or 'all')")
    return [layer % n_layers]


def reduce_heads(att, head):
    """Reduce attention ``(batch, heads, ...)`` over heads: 'mean', 'max' or one head index."""
    n_heads = att.shape[1]
    if head == "mean":
        return att.mean(dim=1)
    if head == "max":
        return att.max(dim=1).values
    if not -n_heads <= head < n_heads:
        raise ImportanceError(f"head {head} is out of range: the model has {n_heads} heads per layer")
    return att[:, head]


def encoder_attentions(handle, batch: dict) -> tuple:
    """Self-attention weights of every encoder layer, each ``(batch, heads, seq, seq)``."""
    import torch

    model = handle.model
    with torch.inference_mode():
        if handle.kind == "seq2seq":
            out = model.get_encoder()(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                                      output_attentions=True, return_dict=True)
        else:
            base = getattr(model, "base_model", model)
            out = base(**batch, output_attentions=True, return_dict=True)
    att = getattr(out, "attentions", None)
    if not att or att[0] is None:
        raise ImportanceError(f"model {handle.name} did not return attention weights")
    return tuple(a.float() for a in att)


# ----------------------------------------------------------------------------- sources


@dataclass
class WindowScores:
    """What a source returns for one window.

    ``rows``: scores per subword position, shape (rows, positions); one row for most sources,
    one per target token for cross-attention.  ``row_scores`` (one value per row) and
    ``targets`` label the rows; ``grid`` is the layers x heads CLS mass on code tokens.
    """

    rows: np.ndarray
    grid: np.ndarray | None = None
    row_scores: np.ndarray | None = None
    gap: float | None = None
    extra: dict = field(default_factory=dict)


@dataclass
class Target:
    """A decoder target for teacher forcing: the label ids and their decoder inputs."""

    labels: list
    decoder_input_ids: list
    tokens: list
    summary: str
    generated: bool


class ImportanceSource:
    """Base class of importance sources.  Subclasses set ``name`` and implement :meth:`score`."""

    name: str = ""
    description: str = ""
    #: the source reads a decoder target (teacher forcing) on encoder-decoder models
    uses_targets: bool = False
    #: source-specific options and their defaults
    defaults: dict = {}
    #: rows are kept as a targets x tokens matrix in the result
    keeps_matrix: bool = False

    def check(self, handle, request: Request, queries: list) -> None:
        """Raise :class:`ImportanceError` when this source cannot serve ``request`` on ``handle``."""

    def score(self, handle, request: Request, windows: list, batch: dict, targets: list) -> list:
        """Score a padded batch of windows; return one :class:`WindowScores` per window."""
        raise NotImplementedError

    def normalize_options(self, options: dict) -> tuple:
        unknown = sorted(set(options) - set(self.defaults))
        if unknown:
            accepted = ", ".join(sorted(self.defaults)) or "none"
            raise ImportanceError(f"source {self.name!r} has no option {', '.join(unknown)} (accepted: {accepted})")
        merged = {**self.defaults, **{k: v for k, v in options.items() if v is not None}}
        return tuple(sorted(merged.items()))


_SOURCES: dict = {}


def register_source(cls):
    """Class decorator: make an :class:`ImportanceSource` subclass available by its ``name``."""
    if not cls.name:
        raise ValueError("an importance source needs a name")
    _SOURCES[cls.name] = cls
    return cls


def _load_builtin() -> None:
    from . import cls, cross, ig, received, rollout  # noqa: F401


def available_sources() -> list:
    _load_builtin()
    return sorted(_SOURCES)


def get_source(name: str) -> ImportanceSource:
    """An instance of the source registered as ``name``."""
    _load_builtin()
    key = (name or "").strip().lower()
    if key not in _SOURCES:
        raise ImportanceError(f"unknown importance source {name!r}; choose one of: {', '.join(sorted(_SOURCES))}")
    return _SOURCES[key]()


# ----------------------------------------------------------------------------- cache

_CACHE_SIZE = 1024
_CACHE: OrderedDict = OrderedDict()
_CACHE_LOCK = threading.Lock()
_STATS = {"hits": 0, "misses": 0}


def clear_importance_cache() -> None:
    with _CACHE_LOCK:
        _CACHE.clear()
        _STATS.update(hits=0, misses=0)


def importance_cache_info() -> dict:
    """Hits, misses (computations) and current size of the result cache."""
    with _CACHE_LOCK:
        return {**_STATS, "size": len(_CACHE), "max_size": _CACHE_SIZE}


def _cache_get(key):
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            _STATS["hits"] += 1
            return _CACHE[key]
    return None


def _cache_put(key, value) -> None:
    with _CACHE_LOCK:
        _CACHE[key] = value
        _CACHE.move_to_end(key)
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)


# ----------------------------------------------------------------------------- public API


def _as_snippet(code, lang: str) -> CodeSnippet:
    if isinstance(code, CodeSnippet):
        return code
    if isinstance(code, str):
        from ..languages import tokenize

        return tokenize(code, lang)
    raise ImportanceError(f"expected a CodeSnippet or a string of code, got {type(code).__name__}")


def _broadcast(value, n: int, what: str) -> list:
    if value is None or isinstance(value, str):
        return [value] * n
    values = list(value)
    if len(values) != n:
        raise ImportanceError(f"got {len(values)} {what} for {n} snippets")
    return values


def make_request(source: ImportanceSource, task: str, layer, head, reduce: str, window: str,
                 target_reduce: str, stride, options: dict) -> Request:
    if task not in TASKS:
        raise ImportanceError(f"unknown task {task!r}; choose 'search' or 'summarize'")
    if reduce not in REDUCTIONS:
        raise ImportanceError(f"unknown subword reduction {reduce!r}; choose one of: {', '.join(REDUCTIONS)}")
    if window not in WINDOWS:
        raise ImportanceError(f"unknown window mode {window!r}; choose 'truncate' or 'sliding'")
    if target_reduce not in TARGET_REDUCTIONS:
        raise ImportanceError(f"unknown target reduction {target_reduce!r}; choose 'max' or 'mean'")
    if stride is not None and (not isinstance(stride, int) or stride < 0):
        raise ImportanceError(f"stride must be a non-negative integer, got {stride!r}")
    return Request(task=task, layer=normalize_layer(layer), head=normalize_head(head), reduce=reduce,
                   window=window, target_reduce=target_reduce, stride=stride,
                   options=source.normalize_options(options))


def compute_importance(snippet, source: str = "cls", model=None, task: str = "search", query: str | None = None,
                       summary: str | None = None, layer=-1, head="mean", reduce: str = "sum",
                       window: str = "truncate", target_reduce: str = "max", *, stride: int | None = None,
                       lang: str = "auto", **options) -> ImportanceResult:
    """Importance of every code token of ``snippet`` from ``model`` through ``source``.

    ``snippet`` is a :class:`CodeSnippet` (or a code string, tokenised as ``lang``); ``model`` a
    name, a directory or a :class:`~leancode.models.ModelHandle` (``None``: the task's default).
    ``query`` makes the search input the pair (query, code); ``summary`` is the decoder target
    for cross-attention and gradients on encoder-decoders (generated when ``None``).
    ``layer``: an int (negative from the end) or ``'all'`` (mean over layers); ``head``:
    ``'mean'``, ``'max'`` or an index; ``reduce``: how subwords of a token combine
    (``sum``/``mean``/``max``); ``window``: ``truncate`` (unseen tokens are NaN) or ``sliding``;
    ``target_reduce``: how cross-attention target rows combine.  Further keyword ``options``
    go to the source (for ``ig``: ``n_steps``, ``absolute``, ``target``, ``baseline``).

    Identical requests are served from an in-process LRU cache (the same result object).
    """
    return compute_importance_batch([snippet], source=source, model=model, task=task, queries=query,
                                    summaries=summary, layer=layer, head=head, reduce=reduce, window=window,
                                    target_reduce=target_reduce, stride=stride, lang=lang, **options)[0]


def compute_importance_batch(snippets: Iterable, source: str = "cls", model=None, task: str = "search",
                             queries=None, summaries=None, layer=-1, head="mean", reduce: str = "sum",
                             window: str = "truncate", target_reduce: str = "max", *, stride: int | None = None,
                             batch_size: int = 16, lang: str = "auto", progress: bool = False,
                             cache: bool = True, **options) -> list:
    """Importance for many snippets, padded into batches with one forward per batch.

    ``queries`` / ``summaries`` are one string for all snippets, ``None``, or one per snippet.
    Results come back in input order; requests already computed in this process are reused,
    and new results are kept for reuse unless ``cache=False`` (one-off passes over a corpus).
    The other options are those of :func:`compute_importance`.
    """
    from ..models import ensure_handle

    snippets = [_as_snippet(s, lang) for s in snippets]
    n = len(snippets)
    queries = _broadcast(queries, n, "queries")
    summaries = _broadcast(summaries, n, "summaries")
    if batch_size < 1:
        raise ImportanceError("batch_size must be at least 1")
    src = get_source(source)
    request = make_request(src, task, layer, head, reduce, window, target_reduce, stride, options)
    handle = ensure_handle(model, task)
    used_queries = [q if task == "search" and q is not None and q.strip() else None for q in queries]
    used_summaries = [s if handle.kind == "seq2seq" and src.uses_targets and s is not None and s.strip() else None
                      for s in summaries]
    src.check(handle, request, used_queries)

    results: list = [None] * n
    pending: dict = {}
    for i, sn in enumerate(snippets):
        key = (handle.cache_id, src.name, tuple(sn.texts), used_queries[i], used_summaries[i], request.key())
        hit = _cache_get(key)
        if hit is not None:
            results[i] = hit
        else:
            pending.setdefault(key, []).append(i)
    if pending:
        keys = list(pending)
        firsts = [pending[k][0] for k in keys]
        with _CACHE_LOCK:
            _STATS["misses"] += len(keys)
        computed = []
        group = max(64, 8 * batch_size)   # bounds the memory held by intermediate window outputs
        for g in range(0, len(firsts), group):
            part = firsts[g: g + group]
            computed.extend(_compute(handle, src, request, [snippets[i] for i in part],
                                     [used_queries[i] for i in part], [used_summaries[i] for i in part],
                                     batch_size, progress))
        for key, res in zip(keys, computed):
            if cache:
                _cache_put(key, res)
            for i in pending[key]:
                results[i] = res
    return results


# ----------------------------------------------------------------------------- computation


def collate(handle, windows: list) -> dict:
    """Pad a list of windows into tensors on the model's device."""
    import torch

    pad = handle.tokenizer.pad_token_id
    pad = 0 if pad is None else int(pad)
    width = max(len(w) for w in windows)
    ids = torch.full((len(windows), width), pad, dtype=torch.long)
    mask = torch.zeros((len(windows), width), dtype=torch.long)
    use_tt = all(w.token_type_ids is not None for w in windows)
    tt = torch.zeros((len(windows), width), dtype=torch.long) if use_tt else None
    for b, w in enumerate(windows):
        ids[b, : len(w)] = torch.tensor(w.input_ids, dtype=torch.long)
        mask[b, : len(w)] = 1
        if use_tt:
            tt[b, : len(w)] = torch.tensor(w.token_type_ids, dtype=torch.long)
    batch = {"input_ids": ids.to(handle.device), "attention_mask": mask.to(handle.device)}
    if use_tt:
        batch["token_type_ids"] = tt.to(handle.device)
    return batch


def _type_vocab_size(handle) -> int:
    if handle.kind != "encoder":
        return 0
    return int(getattr(handle.model.config, "type_vocab_size", 0) or 0)


def _compute(handle, src: ImportanceSource, request: Request, snippets: list, queries: list, summaries: list,
             batch_size: int, progress: bool) -> list:
    encoded: list = [None] * len(snippets)
    for i, sn in enumerate(snippets):
        if sn.n:
            encoded[i] = encode_snippet(handle.tokenizer, sn.texts, queries[i], max_length=handle.max_length,
                                        window=request.window, stride=request.stride, snippet_index=i,
                                        type_vocab_size=_type_vocab_size(handle))
    targets: list = [None] * len(snippets)
    if src.uses_targets and handle.kind == "seq2seq":
        from .cross import prepare_targets

        live = [i for i, e in enumerate(encoded) if e is not None]
        prepared = prepare_targets(handle, [encoded[i] for i in live], [summaries[i] for i in live],
                                   max_new_tokens=int(dict(request.options).get("max_new_tokens", 32)),
                                   batch_size=batch_size)
        for i, t in zip(live, prepared):
            targets[i] = t

    flat = [(i, w) for i, e in enumerate(encoded) if e is not None for w in e.windows]
    order = sorted(range(len(flat)), key=lambda k: len(flat[k][1]))
    outputs: list = [None] * len(flat)
    chunks = [order[s: s + batch_size] for s in range(0, len(order), batch_size)]
    if progress and chunks:
        from tqdm import tqdm

        chunks = tqdm(chunks, desc=f"importance ({src.name})", unit="batch")
    for chunk in chunks:
        wins = [flat[k][1] for k in chunk]
        batch = collate(handle, wins)
        scored = src.score(handle, request, wins, batch, [targets[flat[k][0]] for k in chunk])
        for k, ws in zip(chunk, scored):
            outputs[k] = ws

    per_snippet: list = [[] for _ in snippets]
    for (i, w), ws in zip(flat, outputs):
        per_snippet[i].append((w, ws))
    return [_merge(handle, src, request, sn, encoded[i], per_snippet[i], targets[i]) for i, sn in enumerate(snippets)]


def _entries(window: Window, row: np.ndarray, reduce: str, query_words: list) -> list:
    """Special tokens and query words of one window, in input order, with their scores."""
    out, seen_q = [], {}
    for pos, role in enumerate(window.role):
        if role == SPECIAL:
            out.append({"text": window.subwords[pos], "kind": "special", "positions": [pos]})
        elif role == QUERY:
            q = int(window.query_owner[pos])
            if q not in seen_q:
                seen_q[q] = len(out)
                text = query_words[q] if 0 <= q < len(query_words) else window.subwords[pos]
                out.append({"text": text, "kind": "query", "positions": []})
            out[seen_q[q]]["positions"].append(pos)
    for e in out:
        vals = row[e.pop("positions")]
        if reduce == "sum" or len(vals) == 1:
            e["score"] = float(vals.sum())
        elif reduce == "mean":
            e["score"] = float(vals.mean())
        else:
            e["score"] = float(vals.max())
    return out


def _reduce_rows(rows: np.ndarray, how: str) -> np.ndarray:
    if rows.shape[0] == 1:
        return rows[0]
    return rows.max(axis=0) if how == "max" else rows.mean(axis=0)


def _merge(handle, src: ImportanceSource, request: Request, snippet: CodeSnippet, enc: Encoded | None,
           scored: list, target: Target | None) -> ImportanceResult:
    layer, head = request.layer, request.head
    if enc is None or not scored:
        return ImportanceResult(source=src.name, model=handle.name, task=request.task, layer=layer, head=head,
                                scores=[], summary=None, info={"warning": "no code tokens"})
    n = enc.layout.n
    sum_full, cnt_full = np.zeros(n), np.zeros(n)
    sum_part, cnt_part = np.zeros(n), np.zeros(n)
    mat_sum = mat_cnt = None
    grids, row_scores, gaps, entries_all, extras = [], [], [], [], []
    query_words = [enc.query[s:e] for s, e in enc.query_layout.spans] if enc.query_layout else []
    for window, ws in scored:
        rows = np.atleast_2d(np.asarray(ws.rows, dtype=np.float64))
        row = _reduce_rows(rows, request.target_reduce)
        tok = reduce_by_owner(row[None, :], window.owner, n, request.reduce)[0]
        fully, partly = seen_masks(window, enc.layout)
        sum_full[fully] += tok[fully]
        cnt_full[fully] += 1
        sum_part[partly] += tok[partly]
        cnt_part[partly] += 1
        if src.keeps_matrix:
            m = reduce_by_owner(rows, window.owner, n, request.reduce)
            if mat_sum is None:
                mat_sum = {"full": np.zeros_like(m), "part": np.zeros_like(m)}
                mat_cnt = {"full": np.zeros(n), "part": np.zeros(n)}
            if m.shape == mat_sum["full"].shape:
                for kind, mask in (("full", fully), ("part", partly)):
                    mat_sum[kind][:, mask] += m[:, mask]
                    mat_cnt[kind][mask] += 1
        if ws.grid is not None:
            grids.append(np.asarray(ws.grid, dtype=np.float64))
        if ws.row_scores is not None:
            row_scores.append(np.asarray(ws.row_scores, dtype=np.float64))
        if ws.gap is not None:
            gaps.append(float(ws.gap))
        entries_all.append(_entries(window, row, request.reduce, query_words))
        extras.append(ws.extra)

    scores = np.full(n, np.nan)
    full = cnt_full > 0
    scores[full] = sum_full[full] / cnt_full[full]
    part = ~full & (cnt_part > 0)
    scores[part] = sum_part[part] / cnt_part[part]
    if dict(request.options).get("absolute"):
        scores = np.abs(scores)
    n_unseen = int(np.isnan(scores).sum())

    special = entries_all[0]
    if len(entries_all) > 1 and all(len(e) == len(special) for e in entries_all):
        special = [dict(e, score=float(np.mean([ea[k]["score"] for ea in entries_all])))
                   for k, e in enumerate(special)]
    if target is not None:
        rs = np.mean(row_scores, axis=0) if row_scores else np.full(len(target.tokens), np.nan)
        special = special + [{"text": t, "kind": "summary", "score": float(s)} for t, s in zip(target.tokens, rs)]

    matrix = None
    if mat_sum is not None:
        # like the scores: windows that saw the whole token first, else those that saw part of it
        matrix = np.full_like(mat_sum["full"], np.nan)
        for kind, mask in (("full", mat_cnt["full"] > 0),
                           ("part", (mat_cnt["full"] == 0) & (mat_cnt["part"] > 0))):
            matrix[:, mask] = mat_sum[kind][:, mask] / mat_cnt[kind][mask]
    info = {"n_windows": len(scored), "max_length": handle.max_length, "reduce": request.reduce,
            "window": request.window, "n_subwords": int(sum(int((w.role == CODE).sum()) for w, _ in scored))}
    if src.uses_targets and target is not None:
        info["summary_generated"] = target.generated
        info["target_reduce"] = request.target_reduce
    for key, value in dict(request.options).items():
        info[key] = value
    for ex in extras:
        for key, value in ex.items():
            info.setdefault(key, [])
            info[key].append(value)
    return ImportanceResult(
        source=src.name, model=handle.name, task=request.task, layer=layer, head=head,
        scores=[float(v) for v in scores], special_tokens=special,
        summary=target.summary if target is not None else None, matrix=matrix,
        target_tokens=list(target.tokens) if target is not None else [],
        grid=np.mean(grids, axis=0) if grids else None,
        truncated=bool(enc.truncated and request.window == "truncate"),
        n_unseen=n_unseen, completeness_gap=max(gaps) if gaps else None, info=info,
    )


__all__ = ["ImportanceError", "ImportanceResult", "ImportanceSource", "Request", "Target", "WindowScores",
           "available_sources", "clear_importance_cache", "collate", "compute_importance",
           "compute_importance_batch", "get_source", "importance_cache_info", "make_request",
           "normalize_head", "normalize_layer", "reduce_heads", "register_source", "resolve_layers"]
