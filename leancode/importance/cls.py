"""``cls``: attention from the first position (CLS / ``<s>``) to every token.

This is LeanCode's score for code search: the attention the classifier's summary position pays
to each input position, in the last layer (or any layer, or the mean of all layers), averaged
over heads (or their max, or one head).  On encoder-decoders the encoder's self-attention is
read and position 0 is simply the first input subword.

The result also carries ``grid``: for every layer and head, the attention mass that position 0
puts on the code subwords (the rest goes to special tokens and the query).
"""
from __future__ import annotations

from .align import CODE
from .base import ImportanceSource, WindowScores, encoder_attentions, reduce_heads, register_source, resolve_layers


def code_mask(windows: list, width: int, device):
    """A float ``(batch, width)`` mask of the code positions of each window."""
    import torch

    mask = torch.zeros((len(windows), width), dtype=torch.float32)
    for b, w in enumerate(windows):
        mask[b, : len(w)] = torch.as_tensor(w.role == CODE, dtype=torch.float32)
    return mask.to(device)


@register_source
class ClsAttention(ImportanceSource):
    name = "cls"
    description = "attention from the first token (CLS/<s>) to each token; LeanCode's code-search score"

    def score(self, handle, request, windows, batch, targets):
        import torch

        att = encoder_attentions(handle, batch)
        layers = resolve_layers(request.layer, len(att))
        row = torch.stack([reduce_heads(att[i][:, :, 0, :], request.head) for i in layers]).mean(dim=0)
        first = torch.stack([a[:, :, 0, :] for a in att], dim=1)            # batch, layers, heads, seq
        mask = code_mask(windows, first.shape[-1], first.device)
        grid = (first * mask[:, None, None, :]).sum(dim=-1)                # batch, layers, heads
        row, grid = row.cpu().numpy(), grid.cpu().numpy()
        return [WindowScores(rows=row[b, : len(w)][None, :], grid=grid[b]) for b, w in enumerate(windows)]
