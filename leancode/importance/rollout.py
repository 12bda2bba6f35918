"""``rollout``: attention rollout (Abnar & Zuidema, 2020), read at the first position.

Each layer's head-averaged attention ``A`` is mixed with the residual connection,
``0.5 * A + 0.5 * I``, and its rows renormalised; the layers are multiplied from the first up
to the chosen one (default: all), ``R = Â_L ... Â_1``, and the row of position 0 gives how much
of each input flows into the first position's final representation.
"""
from __future__ import annotations

import numpy as np

from .base import (ImportanceError, ImportanceSource, WindowScores, encoder_attentions, reduce_heads,
                   register_source)


def attention_rollout(attentions, residual: float = 0.5) -> np.ndarray:
    """Rollout of ``attentions`` of shape (layers, seq, seq), already reduced over heads.

    Returns the (seq, seq) matrix ``Â_L @ ... @ Â_1`` with ``Â = (1 - residual) A + residual I``
    row-normalised.
    """
    att = np.asarray(attentions, dtype=np.float64)
    if att.ndim != 3 or att.shape[1] != att.shape[2]:
        raise ValueError("attentions must have shape (layers, seq, seq)")
    eye = np.eye(att.shape[1])
    result = eye
    for a in att:
        mixed = (1.0 - residual) * a + residual * eye
        mixed = mixed / mixed.sum(axis=-1, keepdims=True)
        result = mixed @ result
    return result


def _last_layer(layer, n_layers: int) -> int:
    from .base import resolve_layers

    if layer == "all":
        return n_layers - 1
    return resolve_layers(layer, n_layers)[0]


@register_source
class AttentionRollout(ImportanceSource):
    name = "rollout"
    description = "attention rollout with the residual identity, product across layers, first-token row"
    defaults = {"residual": 0.5}

    def check(self, handle, request, queries):
        residual = dict(request.options)["residual"]
        if not isinstance(residual, (int, float)) or not 0.0 <= float(residual) <= 1.0:
            raise ImportanceError(f"rollout residual must be a number between 0 and 1, got {residual!r}")

    def score(self, handle, request, windows, batch, targets):
        import torch

        att = encoder_attentions(handle, batch)
        last = _last_layer(request.layer, len(att))
        residual = float(dict(request.options)["residual"])
        seq = att[0].shape[-1]
        eye = torch.eye(seq, dtype=att[0].dtype, device=att[0].device)
        result = eye.expand(att[0].shape[0], seq, seq)
        for a in att[: last + 1]:
            mixed = (1.0 - residual) * reduce_heads(a, request.head) + residual * eye
            mixed = mixed / mixed.sum(dim=-1, keepdim=True)
            result = torch.bmm(mixed, result)
        row = result[:, 0, :].cpu().numpy()
        return [WindowScores(rows=row[b, : len(w)][None, :]) for b, w in enumerate(windows)]
