"""``cross``: decoder cross-attention of an encoder-decoder (LeanCode's summarization score).

The decoder is teacher-forced on a target summary (the one given, else the model's own greedy
summary, up to ``max_new_tokens``).  In the chosen decoder layer (default the last, or the mean
of all) the cross-attention, reduced over heads, gives a matrix *targets x code subwords*.  As
in the specification, each subword's score is the max (or mean, ``target_reduce``) over target
positions, then a code token's score combines its subwords (sum by default).  The result keeps
the targets x code-tokens matrix (each row reduced over subwords) and the target tokens; each
target's entry in ``special_tokens`` carries the attention mass it puts on the code.
"""
from __future__ import annotations

import numpy as np

from ..inference import decoder_start_id, eos_id, generate_ids
from .align import CODE
from .base import (ImportanceError, ImportanceSource, Target, WindowScores, collate, reduce_heads,
                   register_source, resolve_layers)

#: Longest teacher-forced target, in subwords.
MAX_TARGET = 128


def target_from_text(handle, summary: str) -> Target:
    """Label ids for ``summary`` as the tokenizer encodes targets, with their decoder inputs."""
    tok = handle.tokenizer
    start = decoder_start_id(handle)
    try:
        ids = tok(text_target=summary, truncation=True, max_length=MAX_TARGET)["input_ids"]
    except TypeError:  # pragma: no cover - tokenizers without text_target
        ids = tok(summary, truncation=True, max_length=MAX_TARGET)["input_ids"]
    ids = list(ids)
    if len(ids) > 1 and ids[0] == start:
        ids = ids[1:]  # e.g. a BERT decoder whose start token is [CLS]
    if not ids:
        eos = eos_id(handle)
        ids = [eos if eos is not None else start]
    return _target(handle, ids, summary, generated=False)


def _target(handle, labels: list, summary: str, generated: bool) -> Target:
    start = decoder_start_id(handle)
    return Target(labels=list(labels), decoder_input_ids=[start] + list(labels[:-1]),
                  tokens=handle.tokenizer.convert_ids_to_tokens(list(labels)), summary=summary, generated=generated)


def prepare_targets(handle, encoded: list, summaries: list, max_new_tokens: int = 32, batch_size: int = 16) -> list:
    """One :class:`Target` per encoded snippet: from its summary, or generated from its first window."""
    targets: list = [None] * len(encoded)
    todo = []
    for i, (enc, summary) in enumerate(zip(encoded, summaries)):
        if summary is not None:
            targets[i] = target_from_text(handle, summary)
        else:
            todo.append(i)
    for s in range(0, len(todo), batch_size):
        chunk = todo[s: s + batch_size]
        batch = collate(handle, [encoded[i].windows[0] for i in chunk])
        for i, ids in zip(chunk, generate_ids(handle, batch, max_new_tokens=max_new_tokens)):
            if not ids:
                eos = eos_id(handle)
                ids = [eos if eos is not None else decoder_start_id(handle)]
            text = handle.tokenizer.decode(ids, skip_special_tokens=True).strip()
            targets[i] = _target(handle, ids, text, generated=True)
    return targets


def decoder_batch(handle, targets: list) -> tuple:
    """Padded ``decoder_input_ids``, ``decoder_attention_mask`` and ``labels`` tensors."""
    import torch

    width = max(len(t.labels) for t in targets)
    pad = handle.tokenizer.pad_token_id
    pad = 0 if pad is None else int(pad)
    dec = torch.full((len(targets), width), pad, dtype=torch.long)
    labels = torch.zeros((len(targets), width), dtype=torch.long)
    mask = torch.zeros((len(targets), width), dtype=torch.long)
    for b, t in enumerate(targets):
        dec[b, : len(t.labels)] = torch.tensor(t.decoder_input_ids, dtype=torch.long)
        labels[b, : len(t.labels)] = torch.tensor(t.labels, dtype=torch.long)
        mask[b, : len(t.labels)] = 1
    return dec.to(handle.device), mask.to(handle.device), labels.to(handle.device)


def require_seq2seq(handle, source: str) -> None:
    if handle.kind != "seq2seq":
        raise ImportanceError(
            f"source {source!r} needs an encoder-decoder model (decoder cross-attention); model {handle.name} "
            "is an encoder: use cls, received, rollout or ig"
        )


@register_source
class CrossAttention(ImportanceSource):
    name = "cross"
    description = "decoder cross-attention onto the code, teacher-forced on the summary; LeanCode's summarization score"
    uses_targets = True
    keeps_matrix = True
    defaults = {"max_new_tokens": 32}

    def check(self, handle, request, queries):
        require_seq2seq(handle, self.name)

    def score(self, handle, request, windows, batch, targets):
        import torch

        dec, dec_mask, _ = decoder_batch(handle, targets)
        with torch.inference_mode():
            out = handle.model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                               decoder_input_ids=dec, decoder_attention_mask=dec_mask,
                               output_attentions=True, return_dict=True)
        cross = getattr(out, "cross_attentions", None)
        if not cross or cross[0] is None:
            raise ImportanceError(f"model {handle.name} did not return cross-attention weights")
        layers = resolve_layers(request.layer, len(cross))
        att = torch.stack([reduce_heads(cross[i].float(), request.head) for i in layers]).mean(dim=0)
        att = att.cpu().numpy()                                    # batch, targets, source
        scored = []
        for b, (w, t) in enumerate(zip(windows, targets)):
            rows = att[b, : len(t.labels), : len(w)]
            mass = rows[:, w.role == CODE].sum(axis=1) if rows.size else np.zeros(len(t.labels))
            scored.append(WindowScores(rows=rows, row_scores=mass))
        return scored
