"""Code search: a cross-encoder fine-tuned on ``query [SEP] code`` pairs (CodeBERT's recipe).

Each training query (a docstring summary) is paired once with its own code (label 1) and with
``negatives`` random other codes of the same language and similar length from the train split
(label 0).  The loss is the pairwise classification loss (cross-entropy over the two labels)
plus, with more than one negative, a listwise term: softmax cross-entropy of the gold code's
score (logit margin of label 1 over 0) against its negatives, which is what ranking by that
score rewards.  Only the top encoder layers, the pooler and the classifier are trained and
stored.

Evaluation follows SPEC section 8: the test sample is cut into groups of ``group`` pairs,
every query is scored against the codes of its group, rank = the number of candidates scoring
>= the gold code, and MRR is the mean of 1/rank.
"""
from __future__ import annotations

from typing import Sequence

from ..embedded import SEARCH_ARCH, SEARCH_NAME, build_search_model, load_base_tokenizer
from ..errors import DataError
from ..metrics import mrr, rank_of_gold
from .common import (BucketSampler, Example, Task, example_length, TrainConfig, examples_by_language, load_examples, resolve_data_dirs,
                     sample_examples, seed_everything, setup_threads, train)

DEFAULT_TRAIN_LAYERS = 2
DEFAULT_GROUP = 100
#: Negatives are drawn among this many codes of similar length on each side (at least).
NEGATIVE_WINDOW = 50


def trainable_prefixes(num_layers: int, train_layers: int) -> list[str]:
    """Parameter-name prefixes of the top ``train_layers`` layers, the pooler and the classifier."""
    if not 0 <= train_layers <= num_layers:
        raise DataError(f"train_layers must be between 0 and {num_layers}")
    return ([f"bert.encoder.layer.{i}." for i in range(num_layers - train_layers, num_layers)]
            + ["bert.pooler.", "classifier."])


def encode_pairs(tokenizer, queries: Sequence[str], codes: Sequence[str], max_len: int):
    """Tokenise ``query [SEP] code`` pairs, truncating the code first."""
    return tokenizer(list(queries), list(codes), truncation="longest_first", max_length=max_len,
                     padding=True, return_tensors="pt")


def score_pairs(model, tokenizer, queries: Sequence[str], codes: Sequence[str], *, max_len: int = 192,
                batch_size: int = 50, device=None) -> list[float]:
    """Relevance score of each (query, code) pair: the logit margin of label 1 over label 0."""
    import torch

    device = device if device is not None else next(model.parameters()).device
    if len(queries) != len(codes):
        raise ValueError(f"got {len(queries)} queries and {len(codes)} codes")
    # score in length order (little padding), report in input order
    order = sorted(range(len(codes)), key=lambda i: len(queries[i]) + len(codes[i]))
    scores = [0.0] * len(codes)
    with torch.no_grad():
        for b in range(0, len(order), batch_size):
            chunk = order[b:b + batch_size]
            enc = encode_pairs(tokenizer, [queries[i] for i in chunk], [codes[i] for i in chunk], max_len)
            logits = model(**{k: v.to(device) for k, v in enc.items()}).logits.float()
            for i, v in zip(chunk, (logits[:, 1] - logits[:, 0]).tolist()):
                scores[i] = v
    return scores


def evaluate_mrr(model, tokenizer, examples: Sequence[Example], *, group: int = DEFAULT_GROUP,
                 max_len: int = 192, batch_size: int = 50) -> dict:
    """MRR over ``examples`` cut into consecutive groups of ``group`` (a last partial group is dropped
    unless it is the only one)."""
    n = len(examples)
    if n == 0:
        return {"mrr": 0.0, "queries": 0, "group": group}
    g = min(group, n)
    groups = [examples[i:i + g] for i in range(0, n - g + 1, g)]
    ranks: list[int] = []
    for grp in groups:
        codes = [ex.code for ex in grp]
        for gi, ex in enumerate(grp):
            scores = score_pairs(model, tokenizer, [ex.query] * len(codes), codes, max_len=max_len,
                                 batch_size=batch_size)
            ranks.append(rank_of_gold(scores, gi))
    return {"mrr": round(mrr(ranks), 4), "queries": len(ranks), "group": g,
            "top1": round(sum(r == 1 for r in ranks) / len(ranks), 4)}


class PairBatches:
    """The batch of step ``s``: a pure function of the seed and ``s`` (resumable, reproducible)."""

    def __init__(self, examples: Sequence[Example], tokenizer, batch_size: int, max_len: int, seed: int,
                 negatives: int = 1):
        import numpy as np

        if negatives < 1:
            raise DataError(f"negatives per query must be at least 1, got {negatives}")
        self.n_neg = int(negatives)
        if not examples:
            raise DataError("no training examples")
        self.examples = list(examples)
        self.tokenizer = tokenizer
        self.batch_size = batch_size
        self.max_len = max_len
        self.seed = seed
        self._np = np
        self.sampler = BucketSampler([example_length(ex) for ex in self.examples], batch_size, seed)
        # negatives come from the same language and a similar code length: no length shortcut for
        # the classifier, and batches stay short (length-bucketed)
        lengths = np.asarray([len(ex.code.split()) for ex in self.examples])
        by_lang: dict[str, list[int]] = {}
        for i, ex in enumerate(self.examples):
            by_lang.setdefault(ex.language, []).append(i)
        self.by_lang = {}
        self.position = np.zeros(len(self.examples), dtype=np.int64)
        for lang, members in by_lang.items():
            members = np.asarray(members)
            ordered = members[np.argsort(lengths[members], kind="stable")]
            self.by_lang[lang] = ordered
            self.position[ordered] = np.arange(len(ordered))

    def indices(self, step: int) -> list[int]:
        return self.sampler.indices(step)

    def negatives(self, step: int, positives: Sequence[int], round_: int = 0) -> list[int]:
        """One random other code per positive: same language, close in length."""
        seed = [self.seed, 7919, step] if round_ == 0 else [self.seed, 7919, step, round_]
        rng = self._np.random.default_rng(seed)
        out = []
        for i in positives:
            pool = self.by_lang[self.examples[i].language]
            window = max(NEGATIVE_WINDOW, len(pool) // 20)
            p = int(self.position[i])
            lo, hi = max(0, p - window), min(len(pool), p + window + 1)
            j = i
            for _ in range(8):   # a different code (a pool of one leaves the pair as is)
                j = int(pool[rng.integers(lo, hi)])
                if self.examples[j].code != self.examples[i].code:
                    break
            out.append(j)
        return out

    def __call__(self, step: int) -> dict:
        import torch

        pos = self.indices(step)
        negs = [self.negatives(step, pos, r) for r in range(self.n_neg)]
        queries = [self.examples[i].query for i in pos] * (1 + self.n_neg)
        codes = [self.examples[i].code for i in pos] + [self.examples[j].code for neg in negs for j in neg]
        enc = encode_pairs(self.tokenizer, queries, codes, self.max_len)
        enc = dict(enc)
        enc["labels"] = torch.tensor([1] * len(pos) + [0] * (len(pos) * self.n_neg))
        return enc


def _loss(model, batch):
    """Pairwise cross-entropy, plus the listwise term when each query has several negatives.

    The batch holds the positives first, then each round of negatives in the same query order,
    so row ``r * P + q`` is query ``q``'s pair of round ``r`` (round 0 = its gold code).
    """
    import torch

    out = model(**batch)
    labels = batch["labels"]
    n_pos = int((labels == 1).sum())
    rounds = labels.shape[0] // max(n_pos, 1)
    if rounds <= 2:
        return out.loss
    logits = out.logits.float()
    margin = (logits[:, 1] - logits[:, 0]).view(rounds, n_pos).t()      # (queries, 1 + negatives)
    listwise = torch.nn.functional.cross_entropy(margin, torch.zeros(n_pos, dtype=torch.long,
                                                                     device=margin.device))
    return out.loss + listwise


def run(cfg: TrainConfig) -> dict:
    """Train the code-search cross-encoder as ``cfg`` says; see :func:`leancode.training.common.train`."""
    setup_threads(cfg.threads)
    seed_everything(cfg.seed)
    dirs = resolve_data_dirs(cfg.data)
    train_ex = load_examples(dirs, "train", limit=cfg.train_limit)
    test_ex = load_examples(dirs, "test")
    if not train_ex:
        raise DataError("the train split is empty")
    train_layers = int(cfg.extra.get("train_layers", DEFAULT_TRAIN_LAYERS))
    group = int(cfg.extra.get("eval_group", DEFAULT_GROUP))
    tokenizer = load_base_tokenizer(cfg.base_dir)
    model = build_search_model(cfg.base_dir)
    prefixes = trainable_prefixes(model.config.num_hidden_layers, train_layers)
    n_neg = int(cfg.extra.get("negatives", 1))
    batches = PairBatches(train_ex, tokenizer, cfg.batch_size, cfg.max_len, cfg.seed, negatives=n_neg)
    print(f"search: {len(train_ex)} training pairs from {', '.join(map(str, dirs))}; "
          f"training {', '.join(prefixes)}", flush=True)

    def evaluate(m) -> dict:
        out = {}
        for lang, exs in examples_by_language(test_ex).items():
            sample = sample_examples(exs, cfg.eval_examples, cfg.seed)
            out[lang] = evaluate_mrr(m, tokenizer, sample, group=group, max_len=cfg.max_len)
            print(f"search eval {lang}: {out[lang]}", flush=True)
        return out

    task = Task(
        name="search", model=model, trainable=prefixes, make_batch=batches, loss=_loss, evaluate=evaluate,
        artifact_config={"name": SEARCH_NAME, "task": "search", "architecture": SEARCH_ARCH,
                         "base": "all-MiniLM-L6-v2", "num_labels": 2, "positive_label": 1,
                         "max_len": cfg.max_len, "train_layers": train_layers, "negatives": n_neg,
                         "input": "docstring summary [SEP] code tokens joined by single spaces",
                         "languages": sorted({ex.language for ex in train_ex})},
    )
    return train(task, cfg)
