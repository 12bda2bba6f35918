"""The importance sources against raw model outputs, and the shared pipeline around them."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from leancode.importance import (ImportanceError, available_sources, clear_importance_cache, compute_importance,
                                 compute_importance_batch, importance_cache_info)
from leancode.importance.align import encode_snippet, reduce_by_owner
from leancode.importance.base import collate
from leancode.importance.rollout import attention_rollout

from .conftest import make_snippet

QUERY = "get user name"


def _raw(handle, snippet, query=None):
    """The encoded window and the raw encoder attentions (layers, heads, seq, seq) of the model."""
    tv = int(getattr(handle.model.config, "type_vocab_size", 0) or 0) if handle.kind == "encoder" else 0
    enc = encode_snippet(handle.tokenizer, snippet.texts, query, max_length=handle.max_length, type_vocab_size=tv)
    w = enc.windows[0]
    batch = collate(handle, [w])
    with torch.no_grad():
        if handle.kind == "seq2seq":
            out = handle.model.get_encoder()(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                                             output_attentions=True)
        else:
            out = handle.model(**batch, output_attentions=True)
    att = torch.stack([a[0] for a in out.attentions]).double().numpy()
    return w, att


def _tokens(w, values, n):
    return reduce_by_owner(np.asarray(values)[None, :], w.owner, n, "sum")[0]


def test_builtin_sources_are_registered():
    assert available_sources() == ["cls", "cross", "ig", "received", "rollout"]


@pytest.mark.parametrize("model", ["bert", "roberta"])
def test_cls_matches_raw_attention_and_rows_sum_to_one(model, request, snippet):
    handle = request.getfixturevalue(model)
    w, att = _raw(handle, snippet, QUERY)
    assert np.allclose(att.sum(axis=-1), 1.0, atol=1e-5)              # every attention row sums to 1
    r = compute_importance(snippet, source="cls", model=handle, query=QUERY)
    assert len(r.scores) == snippet.n
    assert np.allclose(r.scores, _tokens(w, att[-1, :, 0, :].mean(axis=0), snippet.n), atol=1e-6)
    # code tokens and the query/special tokens share the first row's mass: they sum to 1
    kinds = {s["kind"] for s in r.special_tokens}
    assert kinds == {"special", "query"}
    assert [s["text"] for s in r.special_tokens if s["kind"] == "query"] == QUERY.split()
    assert math.isclose(sum(r.scores) + sum(s["score"] for s in r.special_tokens), 1.0, abs_tol=1e-5)
    # the grid: layers x heads attention mass of the first position on code tokens
    assert r.grid.shape == (2, 4)
    assert math.isclose(r.grid[-1].mean(), sum(r.scores), abs_tol=1e-5)
    assert np.all((r.grid >= 0) & (r.grid <= 1 + 1e-6))


def test_cls_layer_and_head_options(bert, snippet):
    w, att = _raw(bert, snippet, QUERY)
    first = att[:, :, 0, :]                                               # layers, heads, seq
    cases = {
        (0, "mean"): first[0].mean(axis=0),
        ("all", "mean"): first.mean(axis=1).mean(axis=0),
        (-1, "max"): first[-1].max(axis=0),
        (-1, 2): first[-1, 2],
    }
    for (layer, head), expected in cases.items():
        r = compute_importance(snippet, source="cls", model=bert, query=QUERY, layer=layer, head=head)
        assert np.allclose(r.scores, _tokens(w, expected, snippet.n), atol=1e-6), (layer, head)
    mean = compute_importance(snippet, source="cls", model=bert, query=QUERY, reduce="mean")
    mx = compute_importance(snippet, source="cls", model=bert, query=QUERY, reduce="max")
    total = compute_importance(snippet, source="cls", model=bert, query=QUERY)
    ident = snippet.texts.index("getUserNameFromDb")
    k = int((w.owner == ident).sum())
    assert k >= 3
    assert math.isclose(total.scores[ident], k * mean.scores[ident], rel_tol=1e-9)
    assert mean.scores[ident] < mx.scores[ident] < total.scores[ident]
    with pytest.raises(ImportanceError, match="out of range"):
        compute_importance(snippet, source="cls", model=bert, head=9)
    with pytest.raises(ImportanceError, match="out of range"):
        compute_importance(snippet, source="cls", model=bert, layer=5)


def test_cls_without_query_has_only_special_tokens(bert, snippet):
    r = compute_importance(snippet, source="cls", model=bert)
    assert [s["kind"] for s in r.special_tokens] == ["special", "special"]
    assert math.isclose(sum(r.scores) + sum(s["score"] for s in r.special_tokens), 1.0, abs_tol=1e-5)


@pytest.mark.parametrize("model", ["bert", "t5"])
def test_received_is_mean_over_heads_and_query_positions(model, request, snippet):
    handle = request.getfixturevalue(model)
    query = QUERY if handle.kind == "encoder" else None
    w, att = _raw(handle, snippet, query)
    r = compute_importance(snippet, source="received", model=handle, query=query)
    expected = att[-1].mean(axis=0).mean(axis=0)
    assert np.allclose(r.scores, _tokens(w, expected, snippet.n), atol=1e-6)


def test_rollout_hand_computed_two_layers():
    a1 = np.array([[0.5, 0.5, 0.0], [0.0, 1.0, 0.0], [0.2, 0.3, 0.5]])
    a2 = np.array([[0.5, 0.0, 0.5], [0.5, 0.25, 0.25], [0.0, 0.0, 1.0]])
    r = attention_rollout(np.stack([a1, a2]))
    # 0.5*A + 0.5*I per layer, then layer 2 x layer 1, worked out by hand
    assert np.allclose(r[0], [0.5875, 0.225, 0.1875])
    assert np.allclose(r[1], [0.2, 0.70625, 0.09375])
    assert np.allclose(r[2], [0.1, 0.15, 0.75])
    assert np.allclose(r.sum(axis=1), 1.0)


def test_rollout_matches_numpy_on_model_attentions(bert, snippet):
    w, att = _raw(bert, snippet, QUERY)
    r = compute_importance(snippet, source="rollout", model=bert, query=QUERY)
    expected = attention_rollout(att.mean(axis=1))[0]
    assert np.allclose(r.scores, _tokens(w, expected, snippet.n), atol=1e-6)
    first_layer = compute_importance(snippet, source="rollout", model=bert, query=QUERY, layer=0)
    assert np.allclose(first_layer.scores, _tokens(w, attention_rollout(att[:1].mean(axis=1))[0], snippet.n),
                       atol=1e-6)


@pytest.mark.parametrize("model", ["t5", "bart", "bert2bert"])
def test_cross_attention_teacher_forced(model, request, snippet):
    handle = request.getfixturevalue(model)
    r = compute_importance(snippet, source="cross", model=handle, task="summarize", summary="get the user name")
    n_targets = len(r.target_tokens)
    assert n_targets >= 2 and r.summary == "get the user name"
    assert r.matrix.shape == (n_targets, snippet.n)
    summary_entries = [s for s in r.special_tokens if s["kind"] == "summary"]
    assert [s["text"] for s in summary_entries] == r.target_tokens
    # each target's attention on the code tokens is the row sum of the matrix, and at most 1
    mass = np.array([s["score"] for s in summary_entries])
    assert np.allclose(r.matrix.sum(axis=1), mass, atol=1e-6)
    assert np.all(mass <= 1 + 1e-6)
    # code mass + attention on the encoder's special tokens = 1 for every target
    specials = [s for s in r.special_tokens if s["kind"] == "special"]
    mean_rows = compute_importance(snippet, source="cross", model=handle, task="summarize",
                                   summary="get the user name", target_reduce="mean")
    assert np.allclose(mean_rows.scores, r.matrix.mean(axis=0), atol=1e-6)
    spec_mean = sum(s["score"] for s in mean_rows.special_tokens if s["kind"] == "special")
    assert math.isclose(sum(mean_rows.scores) + spec_mean, 1.0, abs_tol=1e-5)
    assert specials
    # per the specification: max over targets per subword, then summed over the token's subwords
    assert np.all(np.asarray(r.scores) >= r.matrix.max(axis=0) - 1e-9)


def test_cross_attention_matches_raw_decoder_output(t5, snippet):
    r = compute_importance(snippet, source="cross", model=t5, task="summarize", summary="get the user name",
                           layer=0, head=1)
    enc = encode_snippet(t5.tokenizer, snippet.texts, None, max_length=t5.max_length)
    w = enc.windows[0]
    labels = t5.tokenizer(text_target="get the user name")["input_ids"]
    dec = [t5.model.config.decoder_start_token_id] + labels[:-1]
    with torch.no_grad():
        out = t5.model(input_ids=torch.tensor([w.input_ids]), decoder_input_ids=torch.tensor([dec]),
                       output_attentions=True)
    rows = out.cross_attentions[0][0, 1].double().numpy()               # targets x source, head 1
    assert r.matrix.shape[0] == len(labels)
    assert np.allclose(r.matrix, reduce_by_owner(rows, w.owner, snippet.n, "sum"), atol=1e-6)


@pytest.mark.parametrize("model", ["t5", "bert2bert"])
def test_cross_attention_on_generated_summary(model, request, snippet):
    handle = request.getfixturevalue(model)
    r = compute_importance(snippet, source="cross", model=handle, task="summarize", max_new_tokens=6)
    assert isinstance(r.summary, str)
    assert r.info["summary_generated"] is True
    assert 1 <= len(r.target_tokens) <= 6
    assert r.matrix.shape == (len(r.target_tokens), snippet.n)
    assert all(np.isfinite(r.scores))


def test_cross_attention_needs_an_encoder_decoder(bert, snippet):
    with pytest.raises(ImportanceError, match="encoder-decoder"):
        compute_importance(snippet, source="cross", model=bert)


def test_integrated_gradients_completeness(bert, snippet):
    coarse = compute_importance(snippet, source="ig", model=bert, query=QUERY, n_steps=2)
    fine = compute_importance(snippet, source="ig", model=bert, query=QUERY, n_steps=32)
    delta = fine.info["f_input"][0] - fine.info["f_baseline"][0]
    assert abs(delta) > 1e-2                     # the baseline really changes the relevance
    assert fine.completeness_gap < 1e-3 * max(1.0, abs(delta))
    assert fine.completeness_gap < coarse.completeness_gap
    # attributions land on code tokens only, and add up to f(x) - f(baseline)
    assert math.isclose(sum(fine.scores), delta, abs_tol=2e-3)
    assert all(s["score"] == 0.0 for s in fine.special_tokens)
    assert any(v < 0 for v in fine.scores) or any(v > 0 for v in fine.scores)
    absolute = compute_importance(snippet, source="ig", model=bert, query=QUERY, n_steps=32, absolute=True)
    assert np.allclose(absolute.scores, np.abs(fine.scores))
    prob = compute_importance(snippet, source="ig", model=bert, query=QUERY, n_steps=16, target="prob")
    assert 0.0 <= prob.info["f_input"][0] <= 1.0


def test_integrated_gradients_seq2seq(bert2bert, snippet):
    r = compute_importance(snippet, source="ig", model=bert2bert, task="summarize", summary="get the user name",
                           n_steps=48)
    delta = r.info["f_input"][0] - r.info["f_baseline"][0]
    assert r.completeness_gap < 1e-2 * max(1.0, abs(delta))
    logp = [s["score"] for s in r.special_tokens if s["kind"] == "summary"]
    assert len(logp) == len(r.target_tokens) and all(v <= 0 for v in logp)
    assert math.isclose(sum(logp), r.info["f_input"][0], rel_tol=1e-4)


def test_integrated_gradients_refusals(bert, snippet):
    with pytest.raises(ImportanceError, match="query"):
        compute_importance(snippet, source="ig", model=bert)
    with pytest.raises(ImportanceError, match="encoder-decoder"):
        compute_importance(snippet, source="ig", model=bert, task="summarize", query=QUERY)
    with pytest.raises(ImportanceError, match="baseline"):
        compute_importance(snippet, source="ig", model=bert, query=QUERY, baseline="zeros")


def test_bad_options_are_clear(bert, snippet):
    with pytest.raises(ImportanceError, match="unknown importance source"):
        compute_importance(snippet, source="nope", model=bert)
    with pytest.raises(ImportanceError, match="subword reduction"):
        compute_importance(snippet, source="cls", model=bert, reduce="median")
    with pytest.raises(ImportanceError, match="no option"):
        compute_importance(snippet, source="cls", model=bert, n_steps=3)
    with pytest.raises(ImportanceError, match="layer"):
        compute_importance(snippet, source="cls", model=bert, layer="last")


def test_cache_returns_the_same_result(bert, snippet):
    clear_importance_cache()
    a = compute_importance(snippet, source="cls", model=bert, query=QUERY)
    info = importance_cache_info()
    b = compute_importance(snippet, source="cls", model=bert, query=QUERY)
    assert a is b
    after = importance_cache_info()
    assert after["misses"] == info["misses"] == 1 and after["hits"] == info["hits"] + 1
    c = compute_importance(snippet, source="cls", model=bert, query="another query")
    assert c is not a and importance_cache_info()["misses"] == 2
    size = importance_cache_info()["size"]
    compute_importance_batch([snippet], source="received", model=bert, cache=False)
    assert importance_cache_info()["size"] == size


def test_batch_equals_one_by_one(bert, t5):
    snippets = [make_snippet(t.split()) for t in (
        "int f ( ) { return 1 ; }",
        "public String getUserNameFromDb ( int id ) { return db . query ( id ) ; }",
        "x = y",
    )]
    clear_importance_cache()
    batch = compute_importance_batch(snippets, source="received", model=bert, queries=QUERY, batch_size=3)
    cross = compute_importance_batch(snippets, source="cross", model=t5, task="summarize",
                                     summaries=["one", "get user name", "set x"])
    clear_importance_cache()
    for sn, b, c in zip(snippets, batch, cross):
        single = compute_importance(sn, source="received", model=bert, query=QUERY)
        assert np.allclose(b.scores, single.scores, atol=1e-6)
        single = compute_importance(sn, source="cross", model=t5, task="summarize", summary=c.summary)
        assert np.allclose(c.matrix, single.matrix, atol=1e-6)
    with pytest.raises(ImportanceError, match="queries"):
        compute_importance_batch(snippets, source="cls", model=bert, queries=["a", "b"])


def test_long_input_truncate_and_sliding(bert):
    texts = [f"v{i % 7}" if i % 3 else "getUserNameFromDb" for i in range(60)]
    sn = make_snippet(texts)
    trunc = compute_importance(sn, source="cls", model=bert, query=QUERY)
    assert trunc.truncated and trunc.n_unseen > 0
    scores = np.asarray(trunc.scores)
    unseen = np.isnan(scores)
    assert unseen[-1] and not unseen[0]
    assert unseen.sum() == trunc.n_unseen
    first_unseen = int(np.argmax(unseen))
    assert unseen[first_unseen:].all()                     # the window cut the end only
    slide = compute_importance(sn, source="cls", model=bert, query=QUERY, window="sliding", stride=8)
    assert not slide.truncated
    assert slide.n_unseen == 0 and np.all(np.isfinite(slide.scores))
    assert slide.info["n_windows"] > 1
    # tokens only the first window saw keep the first window's score; the rest are averages
    enc = encode_snippet(bert.tokenizer, texts, QUERY, max_length=bert.max_length, window="sliding", stride=8)
    second = enc.windows[1]
    only_first = int(second.owner[second.owner >= 0].min())
    k = int(enc.windows[0].owner.max()) + 1                     # windows hold whole code tokens
    alone = np.asarray(compute_importance(make_snippet(texts[:k]), source="cls", model=bert, query=QUERY).scores)
    assert np.all(np.isfinite(alone))
    assert np.allclose(slide.scores[:only_first], alone[:only_first], atol=1e-9)
    assert not np.allclose(slide.scores[only_first:k], alone[only_first:k])


def test_result_json(bert, snippet):
    texts = [f"v{i % 7}" for i in range(60)]
    sn = make_snippet(texts)
    r = compute_importance(sn, source="cls", model=bert, query=QUERY)
    d = json.loads(json.dumps(r.to_dict(sn)))
    assert [t["text"] for t in d["tokens"]] == texts
    assert d["tokens"][-1]["score"] is None and d["tokens"][0]["score"] > 0
    assert d["tokens"][3]["start"] == sn.tokens[3].start
    assert {"model", "task", "source", "layer", "head", "special_tokens", "summary"} <= set(d)
    assert d["truncated"] is True


def test_empty_snippet(bert):
    r = compute_importance(make_snippet([]), source="cls", model=bert)
    assert r.scores == [] and r.n_unseen == 0
