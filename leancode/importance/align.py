"""Exact alignment of model subwords to code tokens, and the model input windows.

The model reads the *model text*: the code tokens joined by single spaces.  Each code token
keeps its character span in that text; the fast tokenizer's offset mapping gives the span of
every subword, so each subword belongs to exactly the code token whose characters it covers.
This works for every tokenizer family:

- WordPiece (BERT, ``##`` continuations): offsets cover the word piece only;
- byte-level BPE (RoBERTa, BART, ``Ġ`` marks a preceding space): offsets may include the
  leading space, which belongs to no token and is ignored; several byte pieces of one
  multi-byte character share the same offsets and all go to its token;
- SentencePiece / Unigram (T5, ``▁`` marks a word start): a lone ``▁`` piece covers only a
  space (or nothing) and is given to the token that follows it.

A subword that covers characters of two tokens (possible only with tokenizers that do not split
on spaces) goes to the token with most characters in it.

For search the input is the pair (query, code) in the tokenizer's own pair format.  When the
input is longer than the model window only the code side is cut: either truncated (tokens past
the window are *unseen*) or cut into overlapping windows (``sliding``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from ..errors import LeanCodeError
from ..inference import cut_query

#: Roles of a subword position in a window.
SPECIAL, QUERY, CODE = 0, 1, 2

_WORD = re.compile(r"\S+")


@dataclass
class TextLayout:
    """A text and the character spans of its units (code tokens or query words)."""

    text: str
    spans: list                  # list[(start, end)] per unit, in the text
    owner: np.ndarray            # per character: unit index, -1 for separators
    next_owner: np.ndarray       # per position 0..len: the first unit owning a char at or after it

    @property
    def n(self) -> int:
        return len(self.spans)


def _layout_from_spans(text: str, spans: list) -> TextLayout:
    owner = np.full(len(text), -1, dtype=np.int64)
    for i, (s, e) in enumerate(spans):
        owner[s:e] = i
    nxt = np.full(len(text) + 1, -1, dtype=np.int64)
    following = -1
    for pos in range(len(text) - 1, -1, -1):
        if owner[pos] >= 0:
            following = owner[pos]
        nxt[pos] = following
    return TextLayout(text=text, spans=list(spans), owner=owner, next_owner=nxt)


def code_layout(texts: list) -> TextLayout:
    """Join code token texts by single spaces, keeping each token's span in the joined text."""
    spans, pos = [], 0
    for t in texts:
        spans.append((pos, pos + len(t)))
        pos += len(t) + 1
    return _layout_from_spans(" ".join(texts), spans)


def word_layout(text: str) -> TextLayout:
    """Split ``text`` (a query) into whitespace-separated words."""
    return _layout_from_spans(text, [(m.start(), m.end()) for m in _WORD.finditer(text)])


def map_offsets(offsets: list, layout: TextLayout) -> np.ndarray:
    """The unit index (or -1) of each subword, given its ``(start, end)`` offsets in the layout text."""
    out = np.full(len(offsets), -1, dtype=np.int64)
    length = len(layout.text)
    for j, (s, e) in enumerate(offsets):
        s, e = max(0, min(int(s), length)), max(0, min(int(e), length))
        if e > s:
            owners = layout.owner[s:e]
            owners = owners[owners >= 0]
            if owners.size:
                vals, counts = np.unique(owners, return_counts=True)
                out[j] = int(vals[np.argmax(counts)])
                continue
        # whitespace-only or empty piece (a lone '▁' or 'Ġ'): it opens the next unit
        nxt = int(layout.next_owner[min(e, length)]) if length else -1
        if nxt < 0 and layout.n:
            nxt = layout.n - 1
        out[j] = nxt
    return out


@dataclass
class Window:
    """One model input: a (query, code part) pair or a code part, with each position's role."""

    snippet: int                   # index of the snippet in the request
    input_ids: list
    token_type_ids: list | None
    subwords: list                 # subword strings
    role: np.ndarray               # SPECIAL / QUERY / CODE per position
    owner: np.ndarray              # code token index per position (-1 when not code)
    query_owner: np.ndarray        # query word index per position (-1 when not query)
    seen_lo: int                   # code characters [seen_lo, seen_hi) are fully inside this window
    seen_hi: int
    info: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.input_ids)


@dataclass
class Encoded:
    """All windows of one snippet."""

    layout: TextLayout
    query: str | None
    query_layout: TextLayout | None
    windows: list
    truncated: bool               # the code did not fit in one window (or was cut)


def encode_snippet(tokenizer, texts: list, query: str | None = None, *, max_length: int = 512,
                   window: str = "truncate", stride: int | None = None, snippet_index: int = 0,
                   type_vocab_size: int = 0) -> Encoded:
    """Encode one snippet (its code token texts) for the model, with exact subword alignment.

    ``window='truncate'`` keeps the first window only; ``'sliding'`` returns every window, each
    overlapping the previous one by ``stride`` subwords (default a quarter of the code room).
    Only the code side is ever cut; a query longer than half the window is shortened first.
    """
    if window not in ("truncate", "sliding"):
        raise LeanCodeError(f"unknown window mode {window!r}; choose 'truncate' or 'sliding'")
    if not getattr(tokenizer, "is_fast", False):
        raise LeanCodeError("exact alignment needs a fast tokenizer (with offset mappings)")
    layout = code_layout(list(texts))
    pair = query is not None and query.strip() != ""
    n_special = tokenizer.num_special_tokens_to_add(pair=pair)
    qtext, qlayout = None, None
    if pair:
        qtext = cut_query(tokenizer, query.strip(), max(1, (max_length - n_special) // 2))
        qlayout = word_layout(qtext)
        q_len = len(tokenizer(qtext, add_special_tokens=False)["input_ids"])
    else:
        q_len = 0
    room = max_length - n_special - q_len
    if room < 2:
        raise LeanCodeError(f"the model window ({max_length} subwords) leaves no room for the code")
    if stride is None:
        stride = room // 4
    stride = max(0, min(int(stride), room - 1))
    code_seq = 1 if pair else 0

    def encode(code_text: str):
        """The code (part) in model windows; only the first window is used (cut if too long)."""
        args = (qtext, code_text) if pair else (code_text,)
        return tokenizer(*args, truncation="only_second" if pair else True, max_length=max_length,
                         return_overflowing_tokens=True, return_offsets_mapping=True)

    def make_window(enc, w: int, shift: int, first: bool, last: bool) -> Window:
        ids = list(enc["input_ids"][w])
        offs = [(int(a) + shift, int(b) + shift) for a, b in enc["offset_mapping"][w]]
        seq = enc.sequence_ids(w)
        role = np.array([SPECIAL if q is None else (CODE if q == code_seq else QUERY) for q in seq], dtype=np.int64)
        owner = np.full(len(ids), -1, dtype=np.int64)
        qowner = np.full(len(ids), -1, dtype=np.int64)
        code_pos = np.flatnonzero(role == CODE)
        if code_pos.size:
            owner[code_pos] = map_offsets([offs[p] for p in code_pos], layout)
        if pair:
            q_pos = np.flatnonzero(role == QUERY)
            if q_pos.size:   # query offsets are not shifted
                qowner[q_pos] = map_offsets([enc["offset_mapping"][w][p] for p in q_pos], qlayout)
        lo = 0 if first else (int(min(offs[p][0] for p in code_pos)) if code_pos.size else shift)
        hi = len(layout.text) if last else (int(max(offs[p][1] for p in code_pos)) if code_pos.size else shift)
        tt = None
        if type_vocab_size > 1 and "token_type_ids" in enc:
            tt = [min(int(t), type_vocab_size - 1) for t in enc["token_type_ids"][w]]
        return Window(snippet=snippet_index, input_ids=ids, token_type_ids=tt,
                      subwords=tokenizer.convert_ids_to_tokens(ids), role=role, owner=owner, query_owner=qowner,
                      seen_lo=lo, seen_hi=hi)

    enc = encode(layout.text)
    truncated = len(enc["input_ids"]) > 1
    if not truncated or window == "truncate":
        windows = [make_window(enc, 0, 0, True, not truncated)]
    else:
        spans = _window_spans(tokenizer, layout, room, stride)
        windows = [make_window(encode(layout.text[lo:hi]), 0, lo, i == 0, i == len(spans) - 1)
                   for i, (lo, hi) in enumerate(spans)]
    return Encoded(layout=layout, query=qtext, query_layout=qlayout, windows=windows, truncated=truncated)


def _window_spans(tokenizer, layout: TextLayout, room: int, stride: int) -> list:
    """Character spans ``(lo, hi)`` of the code parts of sliding windows.

    Windows hold whole code tokens (a token longer than a window gets a window of its own, cut
    by the model's truncation) of at most ``room`` subwords, each window starting about
    ``stride`` subwords (and at least one token) before the previous one ended.  The code is
    tokenised once, without the tokenizer's overflow handling, which not every tokenizers release
    gets right for pairs.
    """
    enc = tokenizer(layout.text, add_special_tokens=False, return_offsets_mapping=True)
    owners = map_offsets(list(enc["offset_mapping"]), layout)
    counts = np.bincount(owners[owners >= 0], minlength=layout.n)[: layout.n]
    ends = np.cumsum(counts)                 # subwords up to and including each token
    starts = ends - counts
    budget = max(1, room - 2)                # re-tokenising a part can shift a subword or two
    spans, t, n = [], 0, layout.n
    while t < n:
        u = t + 1
        while u < n and ends[u] - starts[t] <= budget:
            u += 1
        spans.append((layout.spans[t][0], layout.spans[u - 1][1]))
        if u >= n:
            break
        nxt = u
        while nxt - 1 > t and ends[u - 1] - starts[nxt - 1] <= stride:
            nxt -= 1
        if nxt == u and u - 1 > t:
            nxt = u - 1                      # overlap by at least one token
        t = max(nxt, t + 1)
    return spans


def reduce_by_owner(values: np.ndarray, owner: np.ndarray, n: int, reduce: str = "sum") -> np.ndarray:
    """Reduce per-subword ``values`` (rows x positions) to per-unit values (rows x n).

    Units with no subword get 0.  ``reduce`` is ``sum``, ``mean`` or ``max``.
    """
    values = np.atleast_2d(np.asarray(values, dtype=np.float64))
    rows = values.shape[0]
    out = np.zeros((rows, n), dtype=np.float64)
    mask = owner >= 0
    if not mask.any() or n == 0:
        return out
    idx = owner[mask]
    vals = values[:, mask]
    if reduce == "sum":
        for r in range(rows):
            out[r] = np.bincount(idx, weights=vals[r], minlength=n)[:n]
    elif reduce == "mean":
        counts = np.bincount(idx, minlength=n)[:n]
        for r in range(rows):
            sums = np.bincount(idx, weights=vals[r], minlength=n)[:n]
            out[r] = np.divide(sums, counts, out=np.zeros(n), where=counts > 0)
    elif reduce == "max":
        out[:] = -np.inf
        for r in range(rows):
            np.maximum.at(out[r], idx, vals[r])
        out[np.isneginf(out)] = 0.0
    else:
        raise LeanCodeError(f"unknown subword reduction {reduce!r}; choose sum, mean or max")
    return out


def seen_masks(window: Window, layout: TextLayout) -> tuple:
    """(fully seen, partly seen) boolean masks over the code tokens for one window."""
    n = layout.n
    partly = np.zeros(n, dtype=bool)
    own = window.owner[window.owner >= 0]
    partly[own] = True
    if n:
        spans = np.asarray(layout.spans, dtype=np.int64).reshape(n, 2)
        fully = (spans[:, 0] >= window.seen_lo) & (spans[:, 1] <= window.seen_hi)
    else:
        fully = np.zeros(0, dtype=bool)
    # a token inside the window range is seen even if the tokenizer produced no subword for it
    return fully, partly | fully


__all__ = ["CODE", "Encoded", "QUERY", "SPECIAL", "TextLayout", "Window", "code_layout", "encode_snippet",
           "map_offsets", "reduce_by_owner", "seen_masks", "word_layout"]
