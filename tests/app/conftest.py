"""Fixtures for the app tests: tiny random models and importance tables built here, offline.

The models are saved to a temporary directory (model + a WordPiece tokenizer trained on the
bundled examples) and the app is pointed at them through ``LEANCODE_MODEL_SEARCH`` /
``LEANCODE_MODEL_SUMMARIZE``; the tables are built from those models over the examples and
served in place of the shipped ones.  Nothing is downloaded.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

SIZES = dict(hidden=32, layers=2, heads=4, ffn=64, positions=512)


def _texts() -> list:
    from leancode.studio import load_examples

    out = []
    for e in load_examples():
        out.append(e.code)
        out.append(e.docstring)
    out += ["public static void main ( String [ ] args ) { System . out . println ( args ) ; }",
            "def f ( x ) : return x + 1", "returns the value of the key from the map"]
    return out


def _tokenizer():
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok.train_from_iterator(_texts(), trainers.WordPieceTrainer(vocab_size=600, special_tokens=specials))
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    tok.decoder = decoders.WordPiece()
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                   sep_token="[SEP]", mask_token="[MASK]")
    fast.model_max_length = SIZES["positions"]
    return fast


def _bert_config(tok, **extra):
    from transformers import BertConfig

    return BertConfig(vocab_size=len(tok), hidden_size=SIZES["hidden"], num_hidden_layers=SIZES["layers"],
                      num_attention_heads=SIZES["heads"], intermediate_size=SIZES["ffn"],
                      max_position_embeddings=SIZES["positions"], pad_token_id=tok.pad_token_id, **extra)


def build_models(root: Path) -> dict:
    """Save three tiny models under ``root``: a search cross-encoder, an encoder-decoder
    summarizer and a bare encoder with no head (like the embedded base model)."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertModel, EncoderDecoderConfig, \
        EncoderDecoderModel

    tok = _tokenizer()
    out = {}
    torch.manual_seed(0)
    search = BertForSequenceClassification(_bert_config(tok, num_labels=2))
    torch.manual_seed(1)
    bare = BertModel(_bert_config(tok))
    torch.manual_seed(2)
    enc = _bert_config(tok)
    dec = _bert_config(tok, is_decoder=True, add_cross_attention=True)
    cfg = EncoderDecoderConfig.from_encoder_decoder_configs(enc, dec)
    cfg.decoder_start_token_id = tok.cls_token_id
    cfg.eos_token_id = tok.sep_token_id
    cfg.pad_token_id = tok.pad_token_id
    summ = EncoderDecoderModel(config=cfg)
    summ.generation_config.decoder_start_token_id = tok.cls_token_id
    summ.generation_config.eos_token_id = tok.sep_token_id
    summ.generation_config.pad_token_id = tok.pad_token_id
    summ.generation_config.max_length = 24
    assert isinstance(enc, BertConfig)
    for name, model in (("search", search), ("summarize", summ), ("bare", bare)):
        path = root / f"tiny-{name}"
        model.save_pretrained(path)
        tok.save_pretrained(path)
        out[name] = path
    return out


def build_tables(models: dict, root: Path) -> Path:
    """LeanCode and DietCode tables for both tasks and languages, from the tiny models over the examples."""
    from leancode import tokenize
    from leancode.importance import compute_importance_batch
    from leancode.models import load_model
    from leancode.studio import load_examples
    from leancode.tables import TableBuilder

    root.mkdir(parents=True, exist_ok=True)
    examples = load_examples()
    for task, source in (("search", "cls"), ("summarize", "cross")):
        handle = load_model(str(models[task]), task=task, device="cpu")
        for lang in ("java", "python"):
            chosen = [e for e in examples if e.language == lang]
            snippets = [tokenize(e.code, lang) for e in chosen]
            results = compute_importance_batch(
                snippets, source=source, model=handle, task=task,
                queries=[e.docstring for e in chosen] if task == "search" else None,
                summaries=[e.summary for e in chosen] if task == "summarize" else None)
            for method in ("leancode", "dietcode"):
                b = TableBuilder(method, task, lang, model=handle.name, source=source, corpus="app examples")
                for snip, res in zip(snippets, results):
                    b.add(snip, res.scores)
                b.build().save(root / f"{method}-{task}-{lang}.json")
    return root


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory) -> dict:
    return build_models(tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="session")
def tiny_tables(tiny_models, tmp_path_factory) -> Path:
    return build_tables(tiny_models, tmp_path_factory.mktemp("tables"))


@pytest.fixture
def app_env(monkeypatch, tiny_models, tiny_tables):
    """Point the app at the tiny models and tables (same process, as AppTest runs the script)."""
    import leancode.tables

    monkeypatch.setenv("LEANCODE_MODEL_SEARCH", str(tiny_models["search"]))
    monkeypatch.setenv("LEANCODE_MODEL_SUMMARIZE", str(tiny_models["summarize"]))
    monkeypatch.setattr(leancode.tables, "TABLES_DIR", tiny_tables)
    return {"models": tiny_models, "tables": tiny_tables}


@pytest.fixture
def search_handle(tiny_models):
    from leancode.models import load_model

    return load_model(str(tiny_models["search"]), task="search", device="cpu")


@pytest.fixture
def summarize_handle(tiny_models):
    from leancode.models import load_model

    return load_model(str(tiny_models["summarize"]), task="summarize", device="cpu")


@pytest.fixture
def bare_handle(tiny_models):
    from leancode.models import load_model

    return load_model(str(tiny_models["bare"]), task="search", device="cpu")
