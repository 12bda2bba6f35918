"""Training code on a tiny random BERT and a tiny corpus; the embedded loaders when artifacts exist."""
from __future__ import annotations

import json
import os

import pytest

torch = pytest.importorskip("torch")

from leancode import embedded  # noqa: E402
from leancode.cli import main  # noqa: E402
from leancode.embedded import (build_summarizer, load_from_artifacts, read_artifact_config,  # noqa: E402
                               stored_state)
from leancode.errors import DataError, ModelLoadError  # noqa: E402
from leancode.training import common, search, summarize  # noqa: E402
from leancode.training.common import (BucketSampler, TrainConfig, lr_factor, resolve_data_dirs,  # noqa: E402
                                      schedule_progress)

JAVA = [
    ("Returns the number of items in the list .", "public int size ( ) { return items . size ( ) ; }"),
    ("Adds an item to the end of the list .", "public void add ( T x ) { items . add ( x ) ; n ++ ; }"),
    ("Removes every item from the list .", "public void clear ( ) { items . clear ( ) ; n = 0 ; }"),
    ("Checks whether the list has no items .", "public boolean isEmpty ( ) { return n == 0 ; }"),
    ("Gets the item at the given index .", "public T get ( int i ) { return items . get ( i ) ; }"),
    ("Sets the name of this node .", "public void setName ( String s ) { this . name = s ; }"),
]
PY = [
    ("Add two numbers and return the sum .", "def add ( a , b ) : return a + b"),
    ("Return the largest value in the list .", "def top ( xs ) : return max ( xs )"),
    ("Read a whole file into a string .", "def read ( p ) : with open ( p ) as f : return f . read ( )"),
    ("Split a line on commas .", "def split ( line ) : return line . split ( ',' )"),
]


def _record(doc, code, lang, i):
    return {"repo": "r", "path": f"f{i}", "func_name": f"f{i}", "language": lang, "code": code,
            "code_tokens": code.split(), "docstring": doc, "docstring_tokens": doc.split()}


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory):
    """A 2-layer random BERT with a WordPiece vocabulary trained on the tiny corpus."""
    from tokenizers import BertWordPieceTokenizer
    from transformers import BertConfig, BertModel, BertTokenizerFast

    d = tmp_path_factory.mktemp("tinybase")
    lines = [t for pair in JAVA + PY for t in pair] * 3
    wp = BertWordPieceTokenizer(lowercase=True)
    wp.train_from_iterator(lines, vocab_size=300, min_frequency=1, show_progress=False)
    tok = BertTokenizerFast(tokenizer_object=wp._tokenizer, unk_token="[UNK]", sep_token="[SEP]",
                            pad_token="[PAD]", cls_token="[CLS]", mask_token="[MASK]", do_lower_case=True)
    tok.save_pretrained(str(d))
    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=len(tok), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=64, max_position_embeddings=96)
    BertModel(cfg).save_pretrained(str(d))
    return d


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    root = tmp_path_factory.mktemp("tinydata")
    for lang, rows in (("java", JAVA), ("python", PY)):
        d = root / lang
        d.mkdir()
        recs = [_record(doc, code, lang, i) for i, (doc, code) in enumerate(rows)]
        for split in ("train", "valid", "test"):
            (d / f"{split}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))
    return root


def _cfg(tiny_base, tiny_data, out, **kw):
    base = dict(data=[str(tiny_data)], out=str(out), steps=3, batch_size=2, max_len=48, seed=0,
                base_dir=str(tiny_base), eval_examples=4, progress=False, precision="fp32", threads=None,
                checkpoint_every=2, log_every=1, device="cpu")
    base.update(kw)
    return TrainConfig(**base)


def _state_equal(a, b, atol=0.0):
    return a.keys() == b.keys() and all(torch.allclose(a[k].float(), b[k].float(), atol=atol) for k in a)


# --------------------------------------------------------------------------- schedule and sampling

def test_schedule_and_lr():
    assert schedule_progress(0, 100, 0.0, None) == 0.0
    assert schedule_progress(50, 100, 10.0, None) == 0.5
    assert schedule_progress(10, 100, 30.0, 60.0) == 0.5          # time runs out first
    assert schedule_progress(100, 100, 0.0, 60.0) == 1.0
    assert lr_factor(0.025, 0.05) == pytest.approx(0.5)
    assert lr_factor(0.05, 0.05) == pytest.approx(1.0)
    assert lr_factor(1.0, 0.05) == 0.0
    assert lr_factor(0.525, 0.05) == pytest.approx(0.5)


def test_bucket_sampler_covers_each_epoch_and_is_reproducible():
    lengths = [(i * 37) % 101 for i in range(64)]
    s = BucketSampler(lengths, batch_size=4, seed=3, chunk_steps=4)
    epoch = [i for step in range(16) for i in s.indices(step)]
    assert sorted(epoch) == list(range(64))                      # every example once per epoch
    again = BucketSampler(lengths, batch_size=4, seed=3, chunk_steps=4)
    assert [again.indices(st) for st in (9, 2, 15)] == [s.indices(st) for st in (9, 2, 15)]
    for step in range(16):                                      # batches are length-sorted slices
        chunk = [i for st in range(step // 4 * 4, step // 4 * 4 + 4) for i in s.indices(st)]
        b = s.indices(step)
        lo, hi = min(lengths[i] for i in b), max(lengths[i] for i in b)
        assert sum(1 for i in chunk if lo < lengths[i] < hi and i not in b) == 0
    assert BucketSampler(lengths, 4, seed=4, chunk_steps=4).indices(0) != s.indices(0) or \
        BucketSampler(lengths, 4, seed=4, chunk_steps=4).indices(1) != s.indices(1)


def test_resolve_data_dirs(tiny_data, tmp_path):
    assert [p.name for p in resolve_data_dirs([tiny_data])] == ["java", "python"]
    assert [p.name for p in resolve_data_dirs([tiny_data / "java"])] == ["java"]
    with pytest.raises(DataError, match="not found"):
        resolve_data_dirs([tmp_path / "missing"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="train.jsonl"):
        resolve_data_dirs([tmp_path / "empty"])


# --------------------------------------------------------------------------- search

def test_pair_batches_positive_and_negative(tiny_base, tiny_data):
    from leancode.embedded import load_base_tokenizer

    exs = common.load_examples(resolve_data_dirs([tiny_data]), "train")
    tok = load_base_tokenizer(tiny_base)
    pb = search.PairBatches(exs, tok, batch_size=3, max_len=48, seed=1)
    batch = pb(0)
    assert batch["labels"].tolist() == [1, 1, 1, 0, 0, 0]
    pos = pb.indices(0)
    neg = pb.negatives(0, pos)
    for i, j in zip(pos, neg):
        assert exs[i].language == exs[j].language and exs[i].code != exs[j].code
    assert pb(5)["input_ids"].tolist() == search.PairBatches(exs, tok, 3, 48, 1)(5)["input_ids"].tolist()


def test_several_negatives_and_the_listwise_loss(tiny_base, tiny_data):
    from leancode.embedded import load_base_tokenizer

    exs = common.load_examples(resolve_data_dirs([tiny_data]), "train")
    tok = load_base_tokenizer(tiny_base)
    pb = search.PairBatches(exs, tok, batch_size=3, max_len=48, seed=1, negatives=3)
    batch = pb(0)
    assert batch["labels"].tolist() == [1] * 3 + [0] * 9
    rounds = [pb.negatives(0, pb.indices(0), r) for r in range(3)]
    assert rounds[0] == pb.negatives(0, pb.indices(0))          # round 0 = the one-negative recipe
    assert len({tuple(r) for r in rounds}) > 1                   # later rounds draw other codes

    class Fixed(torch.nn.Module):
        """A model whose logits are given: gold pairs score high in the first query only."""

        def forward(self, labels=None, **_):
            from types import SimpleNamespace

            margin = torch.tensor([5.0, 0, 0] + [0.0] * 9)
            logits = torch.stack([torch.zeros(12), margin], dim=1)
            loss = torch.nn.functional.cross_entropy(logits, labels)
            return SimpleNamespace(logits=logits, loss=loss)

    loss = search._loss(Fixed(), {"labels": batch["labels"]})
    pair = torch.nn.functional.cross_entropy(
        torch.stack([torch.zeros(12), torch.tensor([5.0, 0, 0] + [0.0] * 9)], 1), batch["labels"])
    # listwise: query 0 ranks its gold first (-log softmax ~ 0.02), queries 1-2 tie with 3 negatives (log 4)
    expected = pair + (-torch.log_softmax(torch.tensor([5.0, 0, 0, 0]), 0)[0] + 2 * torch.log(torch.tensor(4.0))) / 3
    assert torch.isclose(loss, expected, atol=1e-5)
    # one negative per query (6 positives, 6 negatives): the pairwise loss alone
    one_neg = torch.tensor([1] * 6 + [0] * 6)
    assert torch.isclose(search._loss(Fixed(), {"labels": one_neg}), Fixed()(labels=one_neg).loss)
    with pytest.raises(DataError):
        search.PairBatches(exs, tok, batch_size=3, max_len=48, seed=1, negatives=0)


def test_train_search_end_to_end(tiny_base, tiny_data, tmp_path):
    out = tmp_path / "run"
    cfg = _cfg(tiny_base, tiny_data, out, extra={"train_layers": 1, "eval_group": 3})
    summary = search.run(cfg)
    assert summary["steps"] == 3 and summary["stopped_by"] == "steps"
    for lang in ("java", "python"):
        m = summary["metrics"][lang]
        assert m["group"] == 3 and 0 < m["mrr"] <= 1 and m["queries"] >= 3
    art = out / "artifacts"
    cfgj = read_artifact_config(art)
    assert cfgj["architecture"] == "cross-encoder" and cfgj["dtype"] == "float16"
    assert cfgj["stored_prefixes"] == ["bert.encoder.layer.1.", "bert.pooler.", "classifier."]
    # only the trained weights are stored, in fp16
    from safetensors.torch import load_file

    stored = load_file(str(art / "model.safetensors"))
    assert stored and all(v.dtype == torch.float16 for v in stored.values())
    assert all(k.startswith(tuple(cfgj["stored_prefixes"])) for k in stored)
    assert not any(k.startswith("bert.encoder.layer.0.") for k in stored)
    # the rebuilt model carries the stored weights over the untouched base
    model, tok = load_from_artifacts(art, base_dir=tiny_base)
    assert not model.training
    own = dict(model.named_parameters())
    for k, v in stored.items():
        assert torch.equal(own[k].to(torch.float16), v)
    base = search.build_search_model(tiny_base)
    base_params = dict(base.named_parameters())
    assert torch.equal(own["bert.encoder.layer.0.attention.self.query.weight"],
                       base_params["bert.encoder.layer.0.attention.self.query.weight"])
    scores = search.score_pairs(model, tok, ["add two numbers"] * 2, ["def add ( a , b )", "x = 1"], max_len=48)
    assert len(scores) == 2 and all(isinstance(s, float) for s in scores)
    assert (out / "checkpoint.pt").exists() and json.loads((out / "summary.json").read_text())["steps"] == 3


def test_resume_matches_an_uninterrupted_run(tiny_base, tiny_data, tmp_path):
    from leancode.embedded import load_base_tokenizer

    exs = common.load_examples(resolve_data_dirs([tiny_data]), "train")
    tok = load_base_tokenizer(tiny_base)
    prefixes = search.trainable_prefixes(2, 1)

    def make_task(interrupt_at=None):
        torch.manual_seed(0)
        model = search.build_search_model(tiny_base)
        batches = search.PairBatches(exs, tok, 2, 48, 0)

        def make_batch(step):
            if interrupt_at is not None and step == interrupt_at:
                raise KeyboardInterrupt
            return batches(step)

        return common.Task(name="search", model=model, trainable=prefixes, make_batch=make_batch,
                           loss=search._loss, evaluate=lambda m: {},
                           artifact_config={"architecture": "cross-encoder", "task": "search", "num_labels": 2})

    full = tmp_path / "full"
    common.train(make_task(), _cfg(tiny_base, tiny_data, full, steps=4))
    part = tmp_path / "part"
    with pytest.raises(KeyboardInterrupt):
        common.train(make_task(interrupt_at=2), _cfg(tiny_base, tiny_data, part, steps=4))
    assert torch.load(part / "checkpoint.pt", weights_only=False)["step"] == 2
    common.train(make_task(), _cfg(tiny_base, tiny_data, part, steps=4, resume=True))
    a = torch.load(full / "checkpoint.pt", weights_only=False)
    b = torch.load(part / "checkpoint.pt", weights_only=False)
    assert a["step"] == b["step"] == 4
    assert _state_equal(a["params"], b["params"], atol=1e-6)
    # a checkpoint of another task is refused
    with pytest.raises(DataError, match="checkpoint of"):
        t = make_task()
        t.name = "summarize"
        common.train(t, _cfg(tiny_base, tiny_data, part, steps=5, resume=True))
    with pytest.raises(DataError, match="no checkpoint"):
        common.train(make_task(), _cfg(tiny_base, tiny_data, tmp_path / "none", resume=True))


def test_time_bound_stops_training(tiny_base, tiny_data, tmp_path):
    cfg = _cfg(tiny_base, tiny_data, tmp_path / "t", steps=1000, max_minutes=1e-6,
               extra={"train_layers": 1, "eval_group": 2})
    summary = search.run(cfg)
    assert summary["stopped_by"] == "time" and summary["steps"] < 1000


# --------------------------------------------------------------------------- summarize

def test_summarizer_architecture(tiny_base):
    model = build_summarizer(tiny_base, decoder_layers=1)
    enc_words = model.encoder.embeddings.word_embeddings.weight
    assert model.decoder.bert.embeddings.word_embeddings.weight is enc_words
    assert model.decoder.cls.predictions.decoder.weight is enc_words
    # the decoder's self-attention starts as a copy of the encoder's first layer
    assert torch.equal(model.decoder.bert.encoder.layer[0].attention.self.query.weight,
                       model.encoder.encoder.layer[0].attention.self.query.weight)
    ids = torch.tensor([[2, 10, 11, 12, 3]])
    out = model(input_ids=ids, attention_mask=torch.ones_like(ids), decoder_input_ids=torch.tensor([[2, 14, 15]]),
                output_attentions=True)
    assert out.logits.shape == (1, 3, model.decoder.config.vocab_size)
    assert len(out.cross_attentions) == 1 and out.cross_attentions[0].shape == (1, 2, 3, 5)
    stored = stored_state(model, summarize.trainable_prefixes(2, 1))
    assert "decoder.bert.embeddings.word_embeddings.weight" not in stored
    assert any(k.startswith("encoder.encoder.layer.1.") for k in stored)
    assert not any(k.startswith("encoder.encoder.layer.0.") for k in stored)


def test_targets_are_shifted(tiny_base):
    from leancode.embedded import load_base_tokenizer

    tok = load_base_tokenizer(tiny_base)
    dec_in, dec_mask, labels = summarize.encode_targets(tok, ["add two numbers", "split"], 8)
    assert dec_in[0, 0].item() == tok.cls_token_id
    assert labels[0].tolist()[: dec_mask[0].sum().item()][-1] == tok.sep_token_id
    assert dec_in[0, 1:].tolist()[:2] == labels[0, :2].tolist()
    assert (labels[1] == -100).any()                                       # padding is ignored


def test_train_summarize_end_to_end(tiny_base, tiny_data, tmp_path):
    out = tmp_path / "sum"
    cfg = _cfg(tiny_base, tiny_data, out, lr=1e-3,
               extra={"decoder_layers": 1, "train_encoder_layers": 1, "max_target_len": 12})
    summary = summarize.run(cfg)
    assert summary["steps"] == 3
    for lang in ("java", "python"):
        assert 0.0 <= summary["metrics"][lang]["bleu4"] <= 100.0
    art = out / "artifacts"
    cfgj = read_artifact_config(art)
    assert cfgj["architecture"] == "encoder-decoder" and cfgj["decoder_layers"] == 1
    model, tok = load_from_artifacts(art, base_dir=tiny_base)
    assert model.decoder.cls.predictions.decoder.weight is model.encoder.embeddings.word_embeddings.weight
    texts = summarize.generate_summaries(model, tok, ["def add ( a , b ) : return a + b"], max_len=48,
                                         max_new_tokens=5)
    assert len(texts) == 1 and isinstance(texts[0], str)


# --------------------------------------------------------------------------- loading and the command line

def test_loader_errors(tmp_path, tiny_base, monkeypatch):
    with pytest.raises(ModelLoadError, match="missing config.json"):
        read_artifact_config(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"architecture": "cross-encoder", "num_labels": 2}))
    with pytest.raises(ModelLoadError, match="cannot read model weights"):
        load_from_artifacts(tmp_path, base_dir=tiny_base)
    (tmp_path / "config.json").write_text(json.dumps({"architecture": "rnn"}))
    with pytest.raises(ModelLoadError, match="unknown architecture"):
        read_artifact_config(tmp_path)
    with pytest.raises(ModelLoadError, match="unknown embedded model"):
        embedded.load_embedded("no-such-model")
    monkeypatch.setattr(embedded, "RESOURCES", tmp_path / "empty")
    assert not embedded.is_available(embedded.SEARCH_NAME)
    with pytest.raises(ModelLoadError, match="not been trained"):
        embedded.load_embedded(embedded.SEARCH_NAME)


def test_cli_errors(tmp_path, capsys):
    assert main(["train", "search", "--data", str(tmp_path / "nope"), "-o", str(tmp_path / "o")]) == 2
    assert "not found" in capsys.readouterr().err
    assert main(["models", "list"]) == 0
    assert "minilm-base" in capsys.readouterr().out


def test_cli_trains_tiny_search(tiny_base, tiny_data, tmp_path, capsys):
    out = tmp_path / "cli"
    rc = main(["train", "search", "--data", str(tiny_data / "java"), "-o", str(out), "--steps", "2",
               "--batch-size", "2", "--max-len", "48", "--base", str(tiny_base), "--train-layers", "1",
               "--eval-queries", "3", "--eval-group", "3", "--precision", "fp32", "--no-progress",
               "--log-every", "1"])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "search step 2/2 loss" in printed and "steps/s" in printed
    assert (out / "artifacts" / "config.json").exists()


@pytest.mark.parametrize("name", [embedded.SEARCH_NAME, embedded.SUMMARIZE_NAME])
def test_embedded_models_load_offline(name, monkeypatch):
    if not embedded.is_available(name):
        pytest.skip(f"{name} is not trained in this checkout")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    model, tok = embedded.load_embedded(name)
    assert not model.training
    cfg = read_artifact_config(embedded.artifacts_dir(name))
    if cfg["architecture"] == "cross-encoder":
        s = search.score_pairs(model, tok, ["Returns the size of the list ."] * 2,
                               ["public int size ( ) { return n ; }", "public void close ( ) { in . close ( ) ; }"])
        assert s[0] > s[1]
    else:
        text = summarize.generate_summaries(model, tok, ["public int size ( ) { return n ; }"], max_new_tokens=8)
        assert text[0].strip()
        enc = tok(["public int size ( ) { return n ; }"], return_tensors="pt")
        out = model(**enc, decoder_input_ids=torch.tensor([[tok.cls_token_id]]), output_attentions=True)
        assert out.cross_attentions is not None and out.cross_attentions[-1].shape[-1] == enc["input_ids"].shape[1]


def test_embedded_artifacts_fit_the_budget():
    dirs = [embedded.artifacts_dir(n) for n in (embedded.SEARCH_NAME, embedded.SUMMARIZE_NAME)]
    total = sum(f.stat().st_size for d in dirs if d.is_dir() for f in d.rglob("*") if f.is_file())
    assert total <= 80 * 2 ** 20
    assert os.environ.get("HF_HUB_OFFLINE", "1") is not None
