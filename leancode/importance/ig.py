"""``ig``: Integrated Gradients (Captum) on the input embeddings.

The attributed quantity ``f`` depends on the model:

- a search classifier: the relevance of the (query, code) pair, its log-odds (``target='logit'``,
  default) or its probability (``target='prob'``);
- an encoder-decoder: the log-likelihood of the summary (given, or the model's own greedy one).

The baseline replaces every *code* subword by the pad token (``baseline='pad'``; or ``'mask'``,
``'unk'``) and keeps special tokens and the query, so all attribution lands on code subwords.
Captum's ``LayerIntegratedGradients`` integrates along the straight path between the two
embedding sequences with ``n_steps`` steps; positions, token types and the attention mask stay
those of the real input.  A code token's score is the attribution summed over embedding
dimensions and combined over its subwords (signed; ``absolute=True`` gives magnitudes).

``completeness_gap`` = |sum of attributions - (f(input) - f(baseline))|: how far the integral
approximation is from exact (it shrinks as ``n_steps`` grows).
"""
from __future__ import annotations

from ..inference import relevance
from .align import CODE
from .base import ImportanceError, ImportanceSource, WindowScores, register_source
from .cross import decoder_batch

_BASELINES = ("pad", "mask", "unk")
_TARGETS = ("logit", "prob")


def _baseline_id(tokenizer, kind: str) -> int:
    order = {"pad": ("pad", "mask", "unk"), "mask": ("mask", "pad", "unk"), "unk": ("unk", "pad", "mask")}[kind]
    for name in order:
        value = getattr(tokenizer, f"{name}_token_id", None)
        if isinstance(value, int):
            return value
    return 0


@register_source
class IntegratedGradientsSource(ImportanceSource):
    name = "ig"
    description = "Integrated Gradients on the input embeddings (relevance for search, summary likelihood for seq2seq)"
    uses_targets = True
    defaults = {"n_steps": 32, "absolute": False, "target": "logit", "baseline": "pad", "max_new_tokens": 32,
                "internal_batch_size": 0}

    def check(self, handle, request, queries):
        opts = dict(request.options)
        if opts["baseline"] not in _BASELINES:
            raise ImportanceError(f"unknown IG baseline {opts['baseline']!r}; choose one of: {', '.join(_BASELINES)}")
        if opts["target"] not in _TARGETS:
            raise ImportanceError(f"unknown IG target {opts['target']!r}; choose 'logit' or 'prob'")
        if not isinstance(opts["n_steps"], int) or opts["n_steps"] < 1:
            raise ImportanceError("n_steps must be a positive integer")
        if handle.kind == "encoder":
            reason = handle.relevance_unavailable_reason()
            if reason:
                raise ImportanceError(f"Integrated Gradients on an encoder attributes search relevance, but {reason}")
            if request.task != "search":
                raise ImportanceError("Integrated Gradients for summarization needs an encoder-decoder model")
            if any(q is None for q in queries):
                raise ImportanceError("Integrated Gradients on a search model needs a query (the relevance of "
                                      "the pair is attributed)")

    def score(self, handle, request, windows, batch, targets):
        import torch
        from captum.attr import LayerIntegratedGradients

        opts = dict(request.options)
        model = handle.model
        role = torch.zeros_like(batch["input_ids"], dtype=torch.bool)
        for b, w in enumerate(windows):
            role[b, : len(w)] = torch.as_tensor(w.role == CODE)
        role = role.to(handle.device)
        base_ids = batch["input_ids"].masked_fill(role, _baseline_id(handle.tokenizer, opts["baseline"]))
        n_steps = int(opts["n_steps"])
        ibs = int(opts["internal_batch_size"]) or len(windows) * max(1, min(n_steps, 64 // max(1, len(windows))))

        if handle.kind == "seq2seq":
            layer = model.get_encoder().get_input_embeddings()
            dec_ids, dec_mask, labels = decoder_batch(handle, targets)
            with torch.no_grad():
                dec_embeds = model.get_decoder().get_input_embeddings()(dec_ids).detach()

            def forward(input_ids, attention_mask, dec_embeds, dec_mask, labels):
                out = model(input_ids=input_ids, attention_mask=attention_mask, decoder_inputs_embeds=dec_embeds,
                            decoder_attention_mask=dec_mask, return_dict=True)
                logp = torch.log_softmax(out.logits.float(), dim=-1).gather(-1, labels.unsqueeze(-1)).squeeze(-1)
                return (logp * dec_mask).sum(dim=-1)

            extra = (batch["attention_mask"], dec_embeds, dec_mask, labels)
        else:
            layer = model.get_input_embeddings()
            tt = batch.get("token_type_ids")
            target = opts["target"]

            def forward(input_ids, attention_mask, token_type_ids=None):
                kwargs = {"input_ids": input_ids, "attention_mask": attention_mask}
                if token_type_ids is not None:
                    kwargs["token_type_ids"] = token_type_ids
                return relevance(model(**kwargs, return_dict=True).logits.float(), target)

            extra = (batch["attention_mask"],) + ((tt,) if tt is not None else ())

        ids = batch["input_ids"]
        lig = LayerIntegratedGradients(forward, layer)
        with torch.enable_grad():
            attr = lig.attribute(inputs=ids, baselines=base_ids, additional_forward_args=extra, n_steps=n_steps,
                                 internal_batch_size=ibs)
        per_pos = attr.float().sum(dim=-1).detach()                          # batch, seq

        # f(input) and f at the path's start (baseline embeddings, real positions and mask)
        with torch.no_grad():
            f_x = forward(ids, *extra)
            base_emb = layer(base_ids).detach()
            hook = layer.register_forward_hook(lambda module, inputs, output: base_emb)
            try:
                f_b = forward(ids, *extra)
            finally:
                hook.remove()
            row_scores = None
            if handle.kind == "seq2seq":
                out = model(input_ids=ids, attention_mask=batch["attention_mask"], decoder_inputs_embeds=dec_embeds,
                            decoder_attention_mask=dec_mask, return_dict=True)
                row_scores = torch.log_softmax(out.logits.float(), dim=-1).gather(
                    -1, labels.unsqueeze(-1)).squeeze(-1).cpu().numpy()
        gaps = (per_pos.sum(dim=-1) - (f_x - f_b)).abs().cpu().numpy()
        per_pos, f_x, f_b = per_pos.cpu().numpy(), f_x.cpu().numpy(), f_b.cpu().numpy()
        scored = []
        for b, w in enumerate(windows):
            rs = row_scores[b, : len(targets[b].labels)] if row_scores is not None else None
            scored.append(WindowScores(rows=per_pos[b, : len(w)][None, :], row_scores=rs, gap=float(gaps[b]),
                                       extra={"f_input": float(f_x[b]), "f_baseline": float(f_b[b])}))
        return scored


__all__ = ["IntegratedGradientsSource"]
