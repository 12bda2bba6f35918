"""Exact subword -> code-token alignment for WordPiece, byte-level BPE and Unigram tokenizers."""
from __future__ import annotations

import numpy as np
import pytest

from leancode.importance.align import (CODE, QUERY, SPECIAL, code_layout, encode_snippet, map_offsets,
                                       reduce_by_owner, word_layout)

from .conftest import make_snippet

MARKERS = ("##", "Ġ", "▁")


def _piece_text(layout, offset):
    """The characters a subword covers, without the separator spaces."""
    s, e = offset
    return layout.text[s:e].strip()


def test_code_layout_keeps_each_token_span():
    texts = ["a", "getUserName", '"x y"', ";"]
    lay = code_layout(texts)
    assert lay.text == 'a getUserName "x y" ;'
    for t, (s, e) in zip(texts, lay.spans):
        assert lay.text[s:e] == t
    # the space inside the string literal belongs to the literal, the separators to nobody
    assert lay.owner[lay.text.index("x y") + 1] == 2
    assert lay.owner[1] == -1


def test_map_offsets_edge_cases():
    lay = code_layout(["ab", "cd", "e"])            # "ab cd e"
    offsets = [
        (0, 1), (1, 2),      # two pieces of 'ab'
        (2, 5),              # byte-level piece that includes the leading space: ' cd'
        (5, 6),              # a lone separator space ('▁' / 'Ġ' alone) opens the next token
        (6, 7),
        (3, 3),              # an empty piece inside 'cd'
    ]
    assert map_offsets(offsets, lay).tolist() == [0, 0, 1, 2, 2, 1]
    # a piece spanning two tokens goes to the one with most characters in it
    assert map_offsets([(1, 5)], lay).tolist() == [1]
    assert map_offsets([(0, 4)], lay).tolist() == [0]


def test_word_layout_splits_on_whitespace():
    lay = word_layout("find  user\tname")
    assert [lay.text[s:e] for s, e in lay.spans] == ["find", "user", "name"]


@pytest.mark.parametrize("model", ["bert", "roberta", "t5", "bart"])
def test_alignment_is_exact(model, request, snippet):
    handle = request.getfixturevalue(model)
    query = "get user name" if handle.kind == "encoder" else None
    enc = encode_snippet(handle.tokenizer, snippet.texts, query, max_length=handle.max_length,
                         type_vocab_size=int(getattr(handle.model.config, "type_vocab_size", 0) or 0))
    assert not enc.truncated and len(enc.windows) == 1
    w = enc.windows[0]
    tok = handle.tokenizer(*((query, enc.layout.text) if query else (enc.layout.text,)),
                           return_offsets_mapping=True)
    offsets = tok["offset_mapping"]
    assert w.input_ids == tok["input_ids"]
    code_positions = np.flatnonzero(w.role == CODE)
    assert code_positions.size >= snippet.n
    for i, text in enumerate(snippet.texts):
        mine = [p for p in code_positions if w.owner[p] == i]
        assert mine, f"token {text!r} got no subword"
        # the pieces of token i are contiguous and rebuild exactly its characters
        assert mine == list(range(mine[0], mine[-1] + 1))
        rebuilt = "".join(_piece_text(enc.layout, offsets[p]) for p in mine)
        assert rebuilt.lower() == text.lower()
    # the long identifier is split in several subwords, all of them owned by it
    ident = snippet.texts.index("getUserNameFromDb")
    pieces = [w.subwords[p] for p in code_positions if w.owner[p] == ident]
    assert len(pieces) >= 3
    assert "".join(p for p in pieces).replace("##", "").replace("Ġ", "").replace("▁", "").lower() \
        == "getusernamefromdb"
    # nothing outside the code is owned by a code token
    assert (w.owner[w.role != CODE] == -1).all()


@pytest.mark.parametrize("model", ["bert", "roberta"])
def test_query_words_are_separate_from_code(model, request, snippet):
    handle = request.getfixturevalue(model)
    enc = encode_snippet(handle.tokenizer, snippet.texts, "find the user name", max_length=handle.max_length)
    w = enc.windows[0]
    q = np.flatnonzero(w.role == QUERY)
    assert q.size >= 4
    assert sorted(set(w.query_owner[q].tolist())) == [0, 1, 2, 3]
    assert (w.owner[q] == -1).all()
    assert w.role[0] == SPECIAL
    # pair format: the query comes first, then the code
    assert q.max() < np.flatnonzero(w.role == CODE).min()


def test_reduce_by_owner():
    values = np.array([[1.0, 2.0, 3.0, 4.0, 5.0]])
    owner = np.array([-1, 0, 0, 2, 2])
    assert reduce_by_owner(values, owner, 3, "sum").tolist() == [[5.0, 0.0, 9.0]]
    assert reduce_by_owner(values, owner, 3, "mean").tolist() == [[2.5, 0.0, 4.5]]
    assert reduce_by_owner(values, owner, 3, "max").tolist() == [[3.0, 0.0, 5.0]]


def test_long_input_windows(bert):
    texts = [f"v{i % 7}" if i % 3 else "getUserNameFromDb" for i in range(60)]
    trunc = encode_snippet(bert.tokenizer, texts, "find", max_length=bert.max_length, window="truncate")
    slide = encode_snippet(bert.tokenizer, texts, "find", max_length=bert.max_length, window="sliding", stride=8)
    assert trunc.truncated and len(trunc.windows) == 1
    assert len(slide.windows) > 1
    assert all(len(w) <= bert.max_length for w in slide.windows)
    # every token is owned in some window, and consecutive windows overlap
    owned = set()
    for w in slide.windows:
        owned |= set(w.owner[w.owner >= 0].tolist())
    assert owned == set(range(len(texts)))
    a, b = slide.windows[0], slide.windows[1]
    assert set(a.owner[a.owner >= 0].tolist()) & set(b.owner[b.owner >= 0].tolist())
    # windows cut between code tokens, never inside one: a token is whole in every window it is in
    for w in slide.windows:
        for t in set(w.owner[w.owner >= 0].tolist()):
            assert (w.owner == t).sum() == (trunc.windows[0].owner == t).sum() or t >= trunc.windows[0].owner.max()
    # only the code side is cut: the query is in every window
    assert all((w.role == QUERY).sum() == (trunc.windows[0].role == QUERY).sum() for w in slide.windows)


def test_unparsable_snippet_with_odd_characters(bert):
    sn = make_snippet(["x", "\u0007", "é", "ünïcödé", "y"])
    enc = encode_snippet(bert.tokenizer, sn.texts, None, max_length=bert.max_length)
    w = enc.windows[0]
    owners = set(w.owner[w.owner >= 0].tolist())
    assert {0, 2, 3, 4} <= owners


@pytest.mark.parametrize("name", ["bert", "roberta", "t5", "bart"])
@pytest.mark.parametrize("query", [None, "find the user name"])
def test_sliding_windows_cover_every_token_for_every_tokenizer(name, query, request):
    handle = request.getfixturevalue(name)
    texts = [f"v{i % 7}" if i % 3 else "getUserNameFromDb" for i in range(80)] + ["\u00e9t\u00e9", "x"]
    enc = encode_snippet(handle.tokenizer, texts, query, max_length=handle.max_length, window="sliding", stride=6)
    assert enc.truncated and len(enc.windows) > 1
    assert all(len(w) <= handle.max_length for w in enc.windows)
    owned = set()
    for w in enc.windows:
        owned |= set(w.owner[w.owner >= 0].tolist())
    assert owned == set(range(len(texts)))
    assert enc.windows[0].seen_lo == 0 and enc.windows[-1].seen_hi == len(enc.layout.text)
    for a, b in zip(enc.windows, enc.windows[1:]):
        assert a.seen_lo < b.seen_lo < a.seen_hi <= b.seen_hi      # ordered and overlapping
