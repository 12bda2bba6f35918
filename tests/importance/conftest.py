"""Tiny models for the importance tests: random weights, tokenizers trained here on a few lines.

Each fixture builds its model once per test session, saves it (model + tokenizer) to a temporary
directory and loads it back through :func:`leancode.models.load_model`, the way users load
local models.  Nothing is downloaded.
"""
from __future__ import annotations

import pytest

CORPUS = [
    "public String getUserNameFromDb ( int id ) { return db . query ( id ) ; }",
    "def get_user_name ( self , uid ) : return self . db [ uid ]",
    "private int count = 0 ; count += 1 ; if ( count > max ) { throw new Error ( ) ; }",
    "for ( int i = 0 ; i < n ; i ++ ) { sum += values [ i ] ; }",
    "String name = user . getName ( ) ; return name . trim ( ) ;",
    'print ( "hello world" ) # say hi',
    "get the user name from the db and return it",
    "set user id , find name in list , read value from map",
    "public void setValue ( int value ) { this . value = value ; }",
    "return a list of names sorted by length",
]

SIZES = dict(hidden=32, layers=2, heads=4, ffn=64, positions=64)


def make_snippet(texts, language: str = "java"):
    """A :class:`CodeSnippet` whose source is ``texts`` joined by single spaces."""
    from leancode.tokens import CodeSnippet, CodeToken

    tokens, pos = [], 0
    for i, t in enumerate(texts):
        tokens.append(CodeToken(index=i, text=t, start=pos, end=pos + len(t), kind="other"))
        pos += len(t) + 1
    return CodeSnippet(source=" ".join(texts), language=language, tokens=tokens)


def _wordpiece():
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok.train_from_iterator(CORPUS, trainers.WordPieceTrainer(vocab_size=160, special_tokens=specials))
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    tok.decoder = decoders.WordPiece()
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                   sep_token="[SEP]", mask_token="[MASK]")


def _bytelevel(trim_offsets: bool):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    tok.train_from_iterator(CORPUS, trainers.BpeTrainer(
        vocab_size=330, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tok.post_processor = processors.RobertaProcessing(("</s>", 2), ("<s>", 0), trim_offsets=trim_offsets,
                                                      add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>",
                                   pad_token="<pad>", cls_token="<s>", sep_token="</s>", mask_token="<mask>")


def _unigram():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.Unigram())
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    specials = ["<pad>", "</s>", "<unk>"]
    tok.train_from_iterator(CORPUS, trainers.UnigramTrainer(vocab_size=120, special_tokens=specials,
                                                            unk_token="<unk>"))
    eos = tok.token_to_id("</s>")
    tok.post_processor = processors.TemplateProcessing(single="$A </s>", pair="$A </s> $B:1 </s>:1",
                                                       special_tokens=[("</s>", eos)])
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    return PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="</s>", unk_token="<unk>", pad_token="<pad>")


def _save(tmp_path_factory, name, model, tokenizer):
    path = tmp_path_factory.mktemp(name)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def bert_dir(tmp_path_factory):
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    tok = _wordpiece()
    cfg = BertConfig(vocab_size=len(tok), hidden_size=SIZES["hidden"], num_hidden_layers=SIZES["layers"],
                     num_attention_heads=SIZES["heads"], intermediate_size=SIZES["ffn"],
                     max_position_embeddings=SIZES["positions"], num_labels=2, pad_token_id=tok.pad_token_id,
                     initializer_range=0.3)
    return _save(tmp_path_factory, "bert", BertForSequenceClassification(cfg), tok)


@pytest.fixture(scope="session")
def roberta_dir(tmp_path_factory):
    import torch
    from transformers import RobertaConfig, RobertaForSequenceClassification

    torch.manual_seed(1)
    tok = _bytelevel(trim_offsets=False)
    cfg = RobertaConfig(vocab_size=len(tok), hidden_size=SIZES["hidden"], num_hidden_layers=SIZES["layers"],
                        num_attention_heads=SIZES["heads"], intermediate_size=SIZES["ffn"],
                        max_position_embeddings=SIZES["positions"] + 2, num_labels=2, pad_token_id=1, initializer_range=0.3,
                        bos_token_id=0, eos_token_id=2, type_vocab_size=1)
    return _save(tmp_path_factory, "roberta", RobertaForSequenceClassification(cfg), tok)


@pytest.fixture(scope="session")
def t5_dir(tmp_path_factory):
    import torch
    from transformers import T5Config, T5ForConditionalGeneration

    torch.manual_seed(2)
    tok = _unigram()
    cfg = T5Config(vocab_size=len(tok), d_model=SIZES["hidden"], d_kv=8, d_ff=SIZES["ffn"],
                   num_layers=SIZES["layers"], num_decoder_layers=SIZES["layers"], num_heads=SIZES["heads"],
                   pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id,
                   decoder_start_token_id=tok.pad_token_id)
    tok.model_max_length = SIZES["positions"]
    return _save(tmp_path_factory, "t5", T5ForConditionalGeneration(cfg), tok)


@pytest.fixture(scope="session")
def bart_dir(tmp_path_factory):
    import torch
    from transformers import BartConfig, BartForConditionalGeneration

    torch.manual_seed(3)
    tok = _bytelevel(trim_offsets=True)
    cfg = BartConfig(vocab_size=len(tok), d_model=SIZES["hidden"], encoder_layers=SIZES["layers"],
                     decoder_layers=SIZES["layers"], encoder_attention_heads=SIZES["heads"],
                     decoder_attention_heads=SIZES["heads"], encoder_ffn_dim=SIZES["ffn"],
                     decoder_ffn_dim=SIZES["ffn"], max_position_embeddings=SIZES["positions"], pad_token_id=1,
                     bos_token_id=0, eos_token_id=2, decoder_start_token_id=2, forced_eos_token_id=2)
    return _save(tmp_path_factory, "bart", BartForConditionalGeneration(cfg), tok)


@pytest.fixture(scope="session")
def bert2bert_dir(tmp_path_factory):
    """A BERT encoder + BERT decoder with cross-attention (EncoderDecoderModel)."""
    import torch
    from transformers import BertConfig, EncoderDecoderConfig, EncoderDecoderModel

    torch.manual_seed(4)
    tok = _wordpiece()
    common = dict(vocab_size=len(tok), hidden_size=SIZES["hidden"], num_hidden_layers=SIZES["layers"],
                  num_attention_heads=SIZES["heads"], intermediate_size=SIZES["ffn"],
                  max_position_embeddings=SIZES["positions"], pad_token_id=tok.pad_token_id)
    cfg = EncoderDecoderConfig.from_encoder_decoder_configs(
        BertConfig(**common), BertConfig(**common, is_decoder=True, add_cross_attention=True))
    cfg.decoder_start_token_id = tok.cls_token_id
    cfg.eos_token_id = tok.sep_token_id
    cfg.pad_token_id = tok.pad_token_id
    return _save(tmp_path_factory, "bert2bert", EncoderDecoderModel(config=cfg), tok)


def _load(path):
    from leancode.models import load_model

    return load_model(str(path), device="cpu")


@pytest.fixture(scope="session")
def bert(bert_dir):
    return _load(bert_dir)


@pytest.fixture(scope="session")
def roberta(roberta_dir):
    return _load(roberta_dir)


@pytest.fixture(scope="session")
def t5(t5_dir):
    return _load(t5_dir)


@pytest.fixture(scope="session")
def bart(bart_dir):
    return _load(bart_dir)


@pytest.fixture(scope="session")
def bert2bert(bert2bert_dir):
    return _load(bert2bert_dir)


@pytest.fixture(scope="session")
def snippet():
    return make_snippet("public String getUserNameFromDb ( int id ) { return db . query ( id ) ; }".split())
