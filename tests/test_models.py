"""Model loading: names, directories, the embedded MiniLM base, offline errors."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from leancode import embedded
from leancode.errors import ModelLoadError
from leancode.models import ModelHandle, clear_model_cache, infer_max_length, load_model, wrap_model

_spec = importlib.util.spec_from_file_location("leancode_tiny_models",
                                               Path(__file__).parent / "importance" / "conftest.py")
tiny = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tiny)
bert_dir, roberta_dir, t5_dir = tiny.bert_dir, tiny.roberta_dir, tiny.t5_dir  # shared fixtures


@pytest.fixture()
def offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")


def test_unknown_hub_name_offline_is_one_clear_error(offline):
    with pytest.raises(ModelLoadError) as e:
        load_model("no-such-org/no-such-model-xyz", device="cpu")
    assert str(e.value) == ("cannot load model no-such-org/no-such-model-xyz offline: download it once with "
                            "network (e.g. huggingface-cli download no-such-org/no-such-model-xyz) or pass a "
                            "local directory")


def test_bad_paths(tmp_path, offline):
    with pytest.raises(ModelLoadError, match="no model directory"):
        load_model("./no/such/model", device="cpu")
    with pytest.raises(ModelLoadError, match="not a saved model directory"):
        load_model(str(tmp_path), device="cpu")
    with pytest.raises(ModelLoadError, match="unknown task"):
        load_model(str(tmp_path), task="translate")


def test_minilm_base_loads_offline_and_gives_cls_scores(offline):
    from leancode.importance import compute_importance
    from leancode.inference import InferenceError, search_scores

    handle = load_model("minilm-base", device="cpu")
    assert load_model("minilm-base", device="cpu") is handle
    assert handle.kind == "encoder" and handle.origin == "embedded"
    assert not handle.can_search and "no classification head" in handle.relevance_unavailable_reason()
    assert handle.max_length == 256 and handle.n_layers == 6   # sentence-transformers trained it at 256
    assert handle.length_source == "sentence_bert_config.json:max_seq_length"
    snippet = tiny.make_snippet("public int size ( ) { return this . items . size ( ) ; }".split())
    r = compute_importance(snippet, source="cls", model=handle, query="number of items")
    assert len(r.scores) == snippet.n and np.all(np.isfinite(r.scores)) and min(r.scores) > 0
    assert r.grid.shape == (6, 12)
    with pytest.raises(InferenceError, match="no classification head"):
        search_scores(handle, "q", ["x"])


def test_default_model_comes_from_embedded(monkeypatch, offline):
    monkeypatch.setattr(embedded, "default_model", lambda task: embedded.BASE_NAME)
    assert load_model(None, task="summarize", device="cpu") is load_model("minilm-base", device="cpu")


def test_embedded_names_use_the_embedded_loader(monkeypatch, bert_dir):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    clear_model_cache()
    monkeypatch.delattr(embedded, "load_embedded", raising=False)
    with pytest.raises(ModelLoadError, match="not available"):
        load_model(embedded.SEARCH_NAME, device="cpu")
    calls = []

    def fake(name, device):
        calls.append((name, device))
        return (AutoModelForSequenceClassification.from_pretrained(bert_dir),
                AutoTokenizer.from_pretrained(bert_dir))

    monkeypatch.setattr(embedded, "load_embedded", fake, raising=False)
    try:
        h = load_model(embedded.SEARCH_NAME, device="cpu")
        assert calls == [(embedded.SEARCH_NAME, "cpu")]
        assert h.name == embedded.SEARCH_NAME and h.origin == "embedded" and h.can_search
        assert h.model.config._attn_implementation == "eager"
        load_model(embedded.SEARCH_NAME, device="cpu")
        assert len(calls) == 1                                   # cached
    finally:
        clear_model_cache()


def test_local_directories(bert_dir, roberta_dir, t5_dir):
    bert = load_model(str(bert_dir), device="cpu")
    assert load_model(str(bert_dir), task="summarize", device="cpu") is bert
    assert isinstance(bert, ModelHandle)
    assert (bert.kind, bert.can_search, bert.can_summarize, bert.num_labels) == ("encoder", True, False, 2)
    assert bert.max_length == 64 and not bert.model.training
    assert bert.model.config._attn_implementation == "eager"
    roberta = load_model(str(roberta_dir), device="cpu")
    assert roberta.max_length == 64                  # 66 position embeddings minus RoBERTa's offset
    t5 = load_model(str(t5_dir), device="cpu")
    assert (t5.kind, t5.can_search, t5.can_summarize) == ("seq2seq", False, True)
    assert t5.max_length == 64 and t5.n_layers == 2 and t5.n_decoder_layers == 2
    assert "encoder-decoder" in t5.relevance_unavailable_reason()


def test_decoder_only_models_are_refused(tmp_path, bert_dir):
    from transformers import AutoTokenizer, GPT2Config, GPT2LMHeadModel

    cfg = GPT2Config(vocab_size=200, n_embd=16, n_layer=1, n_head=2, n_positions=32)
    GPT2LMHeadModel(cfg).save_pretrained(tmp_path)
    AutoTokenizer.from_pretrained(bert_dir).save_pretrained(tmp_path)
    with pytest.raises(ModelLoadError, match="decoder-only"):
        load_model(str(tmp_path), device="cpu")


def test_infer_max_length_and_wrap(bert_dir):
    from transformers import AutoTokenizer, BertConfig, BertModel

    tok = AutoTokenizer.from_pretrained(bert_dir)
    model = BertModel(BertConfig(vocab_size=len(tok), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                                 intermediate_size=16, max_position_embeddings=40))
    assert infer_max_length(model, tok) == 40
    tok.model_max_length = 24
    assert infer_max_length(model, tok) == 24
    h = wrap_model(model, tok, "plain", device="cpu")
    assert h.kind == "encoder" and not h.can_search and h.notes
    assert model.config._attn_implementation == "eager"        # attention weights are needed
    from leancode.importance import compute_importance

    r = compute_importance(tiny.make_snippet(["int", "x", ";"]), source="cls", model=h)
    assert len(r.scores) == 3 and all(0 < v < 1 for v in r.scores)
