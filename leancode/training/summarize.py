"""Code summarisation: an encoder-decoder with cross-attention trained to write the docstring summary.

The encoder is the base MiniLM (frozen except, by default, its top layer); the decoder is a
small BERT decoder with cross-attention whose word embeddings and LM head are tied to the
encoder's (see :func:`leancode.embedded.build_summarizer`).  The target is the docstring's
first sentence; the input is the code tokens joined by spaces.  Quality is smoothed BLEU-4
(``leancode.metrics.corpus_bleu``) of greedy (or beam) generations on a test sample.
"""
from __future__ import annotations

from typing import Sequence

from ..embedded import SUMMARIZE_ARCH, SUMMARIZE_NAME, build_summarizer, load_base_tokenizer
from ..errors import DataError
from ..metrics import corpus_bleu
from .common import (BucketSampler, Example, Task, example_length, TrainConfig, examples_by_language, load_examples, resolve_data_dirs,
                     sample_examples, seed_everything, setup_threads, train)

DEFAULT_DECODER_LAYERS = 3
DEFAULT_ENCODER_LAYERS = 1
DEFAULT_TARGET_LEN = 32
LABEL_SMOOTHING = 0.1


def trainable_prefixes(num_encoder_layers: int, train_encoder_layers: int) -> list[str]:
    """The whole decoder (its tied word embeddings excepted) plus the top encoder layers."""
    if not 0 <= train_encoder_layers <= num_encoder_layers:
        raise DataError(f"encoder layers to train must be between 0 and {num_encoder_layers}")
    return (["decoder."] + [f"encoder.encoder.layer.{i}."
                            for i in range(num_encoder_layers - train_encoder_layers, num_encoder_layers)])


def encode_sources(tokenizer, codes: Sequence[str], max_len: int):
    return tokenizer(list(codes), truncation=True, max_length=max_len, padding=True, return_tensors="pt")


def encode_targets(tokenizer, summaries: Sequence[str], max_target_len: int):
    """Decoder inputs (``[CLS] w1 .. wn``) and labels (``w1 .. wn [SEP]``, padding = -100)."""
    enc = tokenizer(list(summaries), truncation=True, max_length=max_target_len + 1, padding=True,
                    return_tensors="pt")
    ids, mask = enc["input_ids"], enc["attention_mask"]
    dec_in, dec_mask = ids[:, :-1].clone(), mask[:, :-1].clone()
    labels = ids[:, 1:].clone()
    labels[mask[:, 1:] == 0] = -100
    return dec_in, dec_mask, labels


def generate_summaries(model, tokenizer, codes: Sequence[str], *, max_len: int = 192,
                       max_new_tokens: int = DEFAULT_TARGET_LEN, num_beams: int = 1,
                       batch_size: int = 32, device=None) -> list[str]:
    """Generate one summary per code (greedy with ``num_beams=1``)."""
    import torch

    device = device if device is not None else next(model.parameters()).device
    order = sorted(range(len(codes)), key=lambda i: len(codes[i]))   # little padding
    out: list[str] = [""] * len(codes)
    with torch.no_grad():
        for b in range(0, len(order), batch_size):
            chunk = order[b:b + batch_size]
            enc = encode_sources(tokenizer, [codes[i] for i in chunk], max_len)
            gen = model.generate(input_ids=enc["input_ids"].to(device),
                                 attention_mask=enc["attention_mask"].to(device),
                                 max_new_tokens=max_new_tokens, num_beams=num_beams, do_sample=False)
            for i, text in zip(chunk, tokenizer.batch_decode(gen, skip_special_tokens=True)):
                out[i] = text.strip()
    return out


def evaluate_bleu(model, tokenizer, examples: Sequence[Example], *, max_len: int = 192,
                  max_new_tokens: int = DEFAULT_TARGET_LEN, num_beams: int = 1) -> dict:
    """Smoothed BLEU-4 (x100) of generated summaries against the reference summaries."""
    if not examples:
        return {"bleu4": 0.0, "examples": 0}
    hyps = generate_summaries(model, tokenizer, [ex.code for ex in examples], max_len=max_len,
                              max_new_tokens=max_new_tokens, num_beams=num_beams)
    refs = [ex.query for ex in examples]
    return {"bleu4": round(corpus_bleu(refs, hyps), 2), "examples": len(examples), "num_beams": num_beams,
            "samples": [{"reference": r, "generated": h} for r, h in list(zip(refs, hyps))[:5]]}


class Seq2SeqBatches:
    """The batch of step ``s`` (a pure function of the seed and ``s``)."""

    def __init__(self, examples: Sequence[Example], tokenizer, batch_size: int, max_len: int,
                 max_target_len: int, seed: int):
        if not examples:
            raise DataError("no training examples")
        self.examples = list(examples)
        self.tokenizer = tokenizer
        self.batch_size = batch_size
        self.max_len = max_len
        self.max_target_len = max_target_len
        self.seed = seed
        self.sampler = BucketSampler([example_length(ex) for ex in self.examples], batch_size, seed)

    def indices(self, step: int) -> list[int]:
        return self.sampler.indices(step)

    def __call__(self, step: int) -> dict:
        idx = self.indices(step)
        src = encode_sources(self.tokenizer, [self.examples[i].code for i in idx], self.max_len)
        dec_in, dec_mask, labels = encode_targets(self.tokenizer, [self.examples[i].query for i in idx],
                                                  self.max_target_len)
        return {"input_ids": src["input_ids"], "attention_mask": src["attention_mask"],
                "decoder_input_ids": dec_in, "decoder_attention_mask": dec_mask, "labels": labels}


def _loss(model, batch):
    import torch.nn.functional as F

    out = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                decoder_input_ids=batch["decoder_input_ids"],
                decoder_attention_mask=batch["decoder_attention_mask"])
    logits = out.logits.float()
    return F.cross_entropy(logits.reshape(-1, logits.size(-1)), batch["labels"].reshape(-1),
                           ignore_index=-100, label_smoothing=LABEL_SMOOTHING)


def run(cfg: TrainConfig) -> dict:
    """Train the summariser as ``cfg`` says; see :func:`leancode.training.common.train`."""
    setup_threads(cfg.threads)
    seed_everything(cfg.seed)
    dirs = resolve_data_dirs(cfg.data)
    train_ex = load_examples(dirs, "train", limit=cfg.train_limit)
    test_ex = load_examples(dirs, "test")
    if not train_ex:
        raise DataError("the train split is empty")
    decoder_layers = int(cfg.extra.get("decoder_layers", DEFAULT_DECODER_LAYERS))
    enc_layers = int(cfg.extra.get("train_encoder_layers", DEFAULT_ENCODER_LAYERS))
    target_len = int(cfg.extra.get("max_target_len", DEFAULT_TARGET_LEN))
    beams = int(cfg.extra.get("eval_beams", 1))
    tokenizer = load_base_tokenizer(cfg.base_dir)
    model = build_summarizer(cfg.base_dir, decoder_layers=decoder_layers, tokenizer=tokenizer)
    prefixes = trainable_prefixes(model.encoder.config.num_hidden_layers, enc_layers)
    batches = Seq2SeqBatches(train_ex, tokenizer, cfg.batch_size, cfg.max_len, target_len, cfg.seed)
    print(f"summarize: {len(train_ex)} training examples from {', '.join(map(str, dirs))}; "
          f"training {', '.join(prefixes)}", flush=True)

    def evaluate(m) -> dict:
        out = {}
        for lang, exs in examples_by_language(test_ex).items():
            sample = sample_examples(exs, cfg.eval_examples, cfg.seed)
            out[lang] = evaluate_bleu(m, tokenizer, sample, max_len=cfg.max_len, max_new_tokens=target_len,
                                      num_beams=beams)
            print(f"summarize eval {lang}: bleu4 {out[lang]['bleu4']} on {out[lang]['examples']}", flush=True)
        return out

    task = Task(
        name="summarize", model=model, trainable=prefixes, make_batch=batches, loss=_loss, evaluate=evaluate,
        artifact_config={"name": SUMMARIZE_NAME, "task": "summarize", "architecture": SUMMARIZE_ARCH,
                         "base": "all-MiniLM-L6-v2", "decoder_layers": decoder_layers,
                         "train_encoder_layers": enc_layers, "max_len": cfg.max_len,
                         "max_target_len": target_len,
                         "input": "code tokens joined by single spaces",
                         "target": "docstring summary (first sentence)",
                         "languages": sorted({ex.language for ex in train_ex})},
    )
    return train(task, cfg)
