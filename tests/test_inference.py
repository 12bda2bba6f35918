"""Search relevance and summary generation, batched."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch

from leancode.inference import InferenceError, relevance, search_scores, summarize
from leancode.models import load_model, wrap_model

_spec = importlib.util.spec_from_file_location("leancode_tiny_models_inference",
                                               Path(__file__).parent / "importance" / "conftest.py")
tiny = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tiny)
bert_dir, t5_dir = tiny.bert_dir, tiny.t5_dir  # shared fixtures

CODES = [
    "public String getUserNameFromDb ( int id ) { return db . query ( id ) ; }",
    "int f ( ) { return 1 ; }",
    "for ( int i = 0 ; i < n ; i ++ ) { sum += values [ i ] ; }",
    " ".join(["x"] * 300),                                      # longer than the model window
]


def test_relevance():
    logits = torch.tensor([[0.0, 0.0], [1.0, 3.0]])
    assert torch.allclose(relevance(logits, "prob"), torch.tensor([0.5, torch.sigmoid(torch.tensor(2.0))]))
    assert torch.allclose(relevance(logits, "logit"), torch.tensor([0.0, 2.0]))
    assert torch.allclose(relevance(torch.tensor([[0.0], [2.0]]), "prob"), torch.sigmoid(torch.tensor([0.0, 2.0])))
    with pytest.raises(InferenceError):
        relevance(torch.zeros(1, 3))


def test_search_scores_are_pair_probabilities(bert_dir):
    h = load_model(str(bert_dir), device="cpu")
    scores = search_scores(h, "get user name", CODES, batch_size=3)
    assert len(scores) == len(CODES) and all(0.0 <= s <= 1.0 for s in scores)
    assert search_scores(h, "get user name", CODES, batch_size=1) == pytest.approx(scores, abs=1e-5)
    enc = h.tokenizer("get user name", CODES[0], return_tensors="pt")
    with torch.no_grad():
        expected = torch.softmax(h.model(**enc).logits, dim=-1)[0, 1].item()
    assert scores[0] == pytest.approx(expected, abs=1e-5)
    assert len(set(round(s, 6) for s in scores)) > 1


def test_single_logit_classifier_uses_sigmoid(bert_dir):
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    tok = AutoTokenizer.from_pretrained(bert_dir)
    torch.manual_seed(0)
    model = BertForSequenceClassification(BertConfig(
        vocab_size=len(tok), hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=16,
        max_position_embeddings=64, num_labels=1))
    h = wrap_model(model, tok, "one-logit", device="cpu")
    assert h.can_search and h.num_labels == 1
    enc = tok("find", CODES[1], return_tensors="pt")
    with torch.no_grad():
        expected = torch.sigmoid(model(**enc).logits[0, 0]).item()
    assert search_scores(h, "find", [CODES[1]]) == pytest.approx([expected], abs=1e-6)


def test_summaries_are_batched_and_deterministic(t5_dir):
    h = load_model(str(t5_dir), device="cpu")
    out = summarize(h, CODES, max_new_tokens=6, batch_size=2)
    assert len(out) == len(CODES) and all(isinstance(s, str) for s in out)
    assert summarize(h, CODES, max_new_tokens=6, batch_size=4) == out
    assert summarize(h, [], max_new_tokens=6) == []


def test_length_sorted_batches_keep_the_given_order(bert_dir, t5_dir):
    h = load_model(str(bert_dir), device="cpu")
    batched = search_scores(h, "sum values", CODES, batch_size=2)     # batched longest first inside
    one_by_one = [search_scores(h, "sum values", [c])[0] for c in CODES]
    assert batched == pytest.approx(one_by_one, abs=1e-5)
    g = load_model(str(t5_dir), device="cpu")
    assert summarize(g, CODES, max_new_tokens=6, batch_size=2) == [summarize(g, [c], max_new_tokens=6)[0]
                                                                  for c in CODES]


def test_wrong_kind_of_model(bert_dir, t5_dir):
    with pytest.raises(InferenceError, match="cannot generate"):
        summarize(load_model(str(bert_dir), device="cpu"), CODES[:1])
    with pytest.raises(InferenceError, match="sequence classifier"):
        search_scores(load_model(str(t5_dir), device="cpu"), "q", CODES[:1])
    with pytest.raises(InferenceError, match="batch_size"):
        search_scores(load_model(str(bert_dir), device="cpu"), "q", CODES[:1], batch_size=0)
