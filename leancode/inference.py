"""Model inference: search relevance of (query, code) pairs and generated summaries.

Inputs are model texts: code tokens joined by single spaces (``CodeSnippet.model_text``), which
is how the models were trained.  Everything runs in batches under ``torch.inference_mode()``;
inputs longer than the model window are truncated on the code side.
"""
from __future__ import annotations

from .errors import LeanCodeError


class InferenceError(LeanCodeError, ValueError):
    """The model cannot do what was asked (no classification head, not a generator...)."""


def _require_search(handle) -> None:
    reason = handle.relevance_unavailable_reason()
    if reason:
        raise InferenceError(reason)


def _require_seq2seq(handle) -> None:
    if handle.kind != "seq2seq":
        raise InferenceError(f"model {handle.name} is an encoder and cannot generate summaries; "
                             "use an encoder-decoder such as leancode-mini-summarize")


def cut_query(tokenizer, query: str, max_subwords: int) -> str:
    """``query`` shortened to at most ``max_subwords`` subwords (on a subword boundary)."""
    enc = tokenizer(query, add_special_tokens=False, return_offsets_mapping=True)
    offs = enc["offset_mapping"]
    if len(offs) <= max_subwords:
        return query
    return query[: offs[max_subwords - 1][1]]


def relevance(logits, target: str = "prob"):
    """Relevance from classifier logits ``(batch, labels)``: probability or log-odds of 'relevant'.

    Two labels: softmax of label 1 (``prob``) or ``logit1 - logit0`` (``logit``); one label:
    sigmoid of the logit (``prob``) or the logit itself.
    """
    import torch

    if logits.shape[-1] == 1:
        return torch.sigmoid(logits[:, 0]) if target == "prob" else logits[:, 0]
    if logits.shape[-1] == 2:
        return torch.softmax(logits, dim=-1)[:, 1] if target == "prob" else logits[:, 1] - logits[:, 0]
    raise InferenceError(f"a relevance classifier needs 1 or 2 labels, this one has {logits.shape[-1]}")


def _model_inputs(handle, enc: dict) -> dict:
    keep = {"input_ids", "attention_mask"}
    if handle.kind == "encoder" and int(getattr(handle.model.config, "type_vocab_size", 0) or 0) > 1:
        keep.add("token_type_ids")
    return {k: v.to(handle.device) for k, v in enc.items() if k in keep}


def _length_order(codes: list) -> list:
    """Indices of ``codes`` from longest to shortest, so each batch pads to similar lengths
    (results are put back in the given order)."""
    return sorted(range(len(codes)), key=lambda i: -len(codes[i]))


def search_scores(handle, query: str, codes: list, batch_size: int = 32) -> list:
    """Probability that each code in ``codes`` is relevant to ``query`` (one float per code).

    Codes are batched longest first to cut padding; the scores come back in the given order."""
    import torch

    _require_search(handle)
    if batch_size < 1:
        raise InferenceError("batch_size must be at least 1")
    tok = handle.tokenizer
    n_special = tok.num_special_tokens_to_add(pair=True)
    query = cut_query(tok, query or "", max(1, (handle.max_length - n_special) // 2))
    texts = [c if isinstance(c, str) else str(c) for c in codes]
    order = _length_order(texts)
    scores: list = [0.0] * len(texts)
    for start in range(0, len(order), batch_size):
        idx = order[start: start + batch_size]
        chunk = [texts[i] for i in idx]
        enc = tok([query] * len(chunk), chunk, truncation="only_second", max_length=handle.max_length,
                  padding=True, return_tensors="pt")
        with torch.inference_mode():
            logits = handle.model(**_model_inputs(handle, enc)).logits.float()
        for i, v in zip(idx, relevance(logits, "prob").cpu()):
            scores[i] = float(v)
    return scores


def decoder_start_id(handle) -> int:
    """The token id the decoder starts from."""
    for cfg in (getattr(handle.model, "generation_config", None), handle.model.config):
        value = getattr(cfg, "decoder_start_token_id", None) if cfg is not None else None
        if isinstance(value, int):
            return value
    for value in (handle.model.config.pad_token_id, handle.tokenizer.bos_token_id, handle.tokenizer.cls_token_id):
        if isinstance(value, int):
            return value
    raise InferenceError(f"model {handle.name} has no decoder start token id in its config")


def eos_id(handle) -> int | None:
    for value in (getattr(getattr(handle.model, "generation_config", None), "eos_token_id", None),
                  handle.model.config.eos_token_id, handle.tokenizer.eos_token_id, handle.tokenizer.sep_token_id):
        if isinstance(value, list) and value:
            value = value[0]
        if isinstance(value, int):
            return value
    return None


def generate_ids(handle, batch: dict, max_new_tokens: int = 32, num_beams: int = 1) -> list:
    """Greedy (or beam) generation from a padded encoder batch; the generated ids of each row,
    without the start token, up to and including the first end-of-sequence token."""
    import torch

    _require_seq2seq(handle)
    start, eos = decoder_start_id(handle), eos_id(handle)
    pad = handle.tokenizer.pad_token_id
    kwargs = dict(max_new_tokens=int(max_new_tokens), num_beams=int(num_beams), do_sample=False,
                  decoder_start_token_id=start)
    if eos is not None:
        kwargs["eos_token_id"] = eos
    if pad is not None:
        kwargs["pad_token_id"] = pad
    with torch.inference_mode():
        out = handle.model.generate(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], **kwargs)
    rows = []
    for seq in out.tolist():
        ids = seq[1:] if seq and seq[0] == start else list(seq)
        if eos is not None and eos in ids:
            ids = ids[: ids.index(eos) + 1]
        rows.append(ids)
    return rows


def summarize(handle, codes: list, max_new_tokens: int = 32, num_beams: int = 1, batch_size: int = 16) -> list:
    """Generated summary of each code (one string per code, in the given order; batched longest
    first to cut padding)."""
    _require_seq2seq(handle)
    if batch_size < 1:
        raise InferenceError("batch_size must be at least 1")
    tok = handle.tokenizer
    texts = [c if isinstance(c, str) else str(c) for c in codes]
    order = _length_order(texts)
    out: list = [""] * len(texts)
    for start in range(0, len(order), batch_size):
        idx = order[start: start + batch_size]
        enc = tok([texts[i] for i in idx], truncation=True, max_length=handle.max_length, padding=True,
                  return_tensors="pt")
        batch = _model_inputs(handle, enc)
        for i, ids in zip(idx, generate_ids(handle, batch, max_new_tokens=max_new_tokens, num_beams=num_beams)):
            out[i] = tok.decode(ids, skip_special_tokens=True).strip()
    return out


__all__ = ["InferenceError", "cut_query", "decoder_start_id", "eos_id", "generate_ids", "relevance",
           "search_scores", "summarize"]
