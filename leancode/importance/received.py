"""``received``: the attention each token receives (DietCode's score).

For each position, the attention paid to it by every real query position, averaged over those
positions and over heads, in the last layer by default (any layer, or the mean of all layers).
Padding positions neither give nor count.
"""
from __future__ import annotations

from .base import ImportanceSource, WindowScores, encoder_attentions, reduce_heads, register_source, resolve_layers


@register_source
class ReceivedAttention(ImportanceSource):
    name = "received"
    description = "attention each token receives, mean over heads and query positions; DietCode's score"

    def score(self, handle, request, windows, batch, targets):
        import torch

        att = encoder_attentions(handle, batch)
        layers = resolve_layers(request.layer, len(att))
        a = torch.stack([reduce_heads(att[i], request.head) for i in layers]).mean(dim=0)   # batch, q, k
        mask = batch["attention_mask"].to(a.dtype)
        received = (a * mask[:, :, None]).sum(dim=1) / mask.sum(dim=1, keepdim=True).clamp(min=1.0)
        received = received.cpu().numpy()
        return [WindowScores(rows=received[b, : len(w)][None, :]) for b, w in enumerate(windows)]
