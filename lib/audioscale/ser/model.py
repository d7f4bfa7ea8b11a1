"""The SER model: a wav2vec2 backbone, clips cut to a fixed duration, a pooled 6-way head.

Backbones come from a hub id, a short name (``wav2vec2-base``, ``wav2vec2-large-robust``), or
a local ``save_pretrained`` folder; ``init="random"`` builds the same architecture with random
weights (our control, and the only offline option for the paper's backbones).

Clip policy: every clip is cut or zero-padded to exactly ``duration_s`` (training: seeded
random crop; evaluation: centre crop), after normalising its valid samples to zero mean and
unit variance as wav2vec2's feature extractor does (``do_normalize=True`` for both paper
backbones).

Training crops: ``random`` draws any start (seeded); ``anchored`` draws one of three starts
(clip start, centre, end), so a frozen CNN's features repeat across epochs and runs and are
computed once (``cache_frozen_prefix``); clips shorter than the window are never cropped.

Pooling (the paper blames "padding artifacts" for the drop from 4 s to 6 s):
- ``masked``: the attention mask goes to the encoder and the mean over time uses valid frames
  only (transformers' behaviour when ``attention_mask`` is passed). Padded frames then change
  nothing, so ``trim_padded_frames`` lets the attention layers skip a batch's all-padding tail.
- ``all``: no mask at all, as in wav2vec2-base's own processor, which returns none: padded
  zeros are attended to and averaged into the pooled vector.
"""
from __future__ import annotations

import hashlib
from collections import OrderedDict

import numpy as np
import torch

from ..models.architectures import (SER_CLASSES, WAV2VEC2, build_wav2vec2, load_wav2vec2_classifier,
                             resolve_source)
from ..audio import fit_to_duration
from ..paths import SAMPLE_RATE
from ..errors import AudioscaleError, check_choice, check_positive

POOLINGS = ("masked", "all")
CROPS = ("center", "random", "anchored")
INITS = ("pretrained", "random")
MIN_DURATION_S = 0.025  # one wav2vec2 frame (400 samples) of receptive field
MAX_DURATION_S = 60.0  # ten times CREMA-D's longest clip; beyond it a window is padding
_NORM_EPS = 1e-7  # Wav2Vec2FeatureExtractor.zero_mean_unit_var_norm


def check_duration(duration_s) -> float:
    duration_s = check_positive("duration_s", duration_s, fix="Clip duration is in seconds, e.g. 4.")
    if not duration_s <= MAX_DURATION_S:  # also inf: padding every clip to it would exhaust memory
        raise AudioscaleError(f"duration_s={duration_s} is out of range: valid is [{MIN_DURATION_S}, "
                              f"{MAX_DURATION_S}] s. CREMA-D clips last at most ~5 s and the paper's window is "
                              "2-6 s; a longer window only pads. Fix: use e.g. 2, 4 or 6.")
    if duration_s < MIN_DURATION_S:
        raise AudioscaleError(f"duration_s={duration_s} is shorter than one wav2vec2 frame "
                              f"({MIN_DURATION_S} s). Fix: use a duration >= {MIN_DURATION_S} s, e.g. 4.")
    return duration_s


def load_backbone(source: str, init: str = "pretrained", num_labels: int = len(SER_CLASSES),
                  seed: int = 0, **config_overrides):
    """A ``Wav2Vec2ForSequenceClassification`` on the CPU, its new head seeded by ``seed``.

    ``init="pretrained"`` loads weights (hub id, short name or folder); ``"random"`` keeps only
    the architecture (short name or folder config) and draws all weights from ``seed``.
    """
    check_choice("init", init, INITS)
    if init == "random":
        if source in WAV2VEC2:
            from ..models.architectures import wav2vec2_config
            cfg = wav2vec2_config(source, num_labels=num_labels, **config_overrides)
        else:
            from transformers import Wav2Vec2Config

            from ..models.architectures import check_model_kind
            ref = resolve_source(source)
            check_model_kind(ref, Wav2Vec2Config.model_type, source)
            cfg = Wav2Vec2Config.from_pretrained(ref, num_labels=num_labels, **config_overrides)
        return build_wav2vec2(cfg, device="cpu", seed=seed).train()
    torch.manual_seed(seed)  # the classification head is newly initialised
    from transformers.utils import logging as hf_logging
    level = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # the expected "head newly initialised" report is noise here
    try:
        model = load_wav2vec2_classifier(source, num_labels=num_labels, **config_overrides)
    finally:
        hf_logging.set_verbosity(level)
    return model.train()


def normalize(wave: np.ndarray) -> np.ndarray:
    return ((wave - wave.mean()) / np.sqrt(wave.var() + _NORM_EPS)).astype(np.float32)


def crop(wave: np.ndarray, duration_s: float, mode: str = "center",
         rng: np.random.Generator | None = None) -> tuple[np.ndarray, int]:
    """``fit_to_duration`` plus the ``anchored`` mode (start, centre or end, drawn from rng)."""
    check_choice("crop", mode, CROPS)
    if mode != "anchored":
        return fit_to_duration(wave, duration_s, mode=mode, rng=rng)
    if rng is None:
        raise AudioscaleError("crop='anchored' needs a seeded numpy Generator (rng=...).")
    n = int(round(duration_s * SAMPLE_RATE))
    anchor = int(rng.integers(3))  # drawn even for short clips, so the stream of draws is fixed
    slack = len(wave) - n
    if slack <= 0:
        return fit_to_duration(wave, duration_s)
    start = (0, slack // 2, slack)[anchor]
    return wave[start:start + n].astype(np.float32, copy=False), n


def prepare_batch(waves: list[np.ndarray], duration_s: float, mode: str = "center",
                  rng: np.random.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Clips -> (input_values [B, n], attention_mask [B, n]) with n = duration_s·16000.

    Normalisation uses the clip's kept samples only, so padding stays exactly zero.
    """
    duration_s = check_duration(duration_s)
    n = int(round(duration_s * SAMPLE_RATE))
    x = np.zeros((len(waves), n), dtype=np.float32)
    mask = np.zeros((len(waves), n), dtype=np.int64)
    for i, w in enumerate(waves):
        clip, n_valid = crop(w, duration_s, mode=mode, rng=rng)
        x[i, :n_valid] = normalize(clip[:n_valid])
        mask[i, :n_valid] = 1
    return torch.from_numpy(x), torch.from_numpy(mask)


def forward_logits(model, input_values: torch.Tensor, attention_mask: torch.Tensor,
                   pooling: str = "masked") -> torch.Tensor:
    """[B, classes] logits under the pooling policy (see the module docstring)."""
    check_choice("pooling", pooling, POOLINGS)
    if pooling == "masked":
        return model(input_values=input_values, attention_mask=attention_mask).logits
    return model(input_values=input_values).logits


def n_layers(model) -> int:
    return model.config.num_hidden_layers


def _raw_bytes(t: torch.Tensor) -> bytes:
    """A tensor's bytes in host memory, any dtype (NumPy has no bfloat16: under bf16 autocast
    the positional convolution's input is bf16)."""
    t = t.detach().cpu().contiguous()
    return t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""


class CachedFrozenModule(torch.nn.Module):
    """A frozen module (wav2vec2's CNN, its positional convolution) that computes each distinct
    input row once.

    Rows are keyed by a hash of their values and of the module's weights, and computed one at
    a time, so a row's output never depends on what it was batched with (cached or not, the
    numbers are the same). Only valid while the module is frozen: the wrapper refuses trainable
    weights, and an input that carries a gradient (something trainable below) bypasses the
    cache, so no gradient path is ever cut.
    """

    def __init__(self, module: torch.nn.Module, store: "FeatureStore"):
        super().__init__()
        if any(p.requires_grad for p in module.parameters()):
            raise ValueError(f"CachedFrozenModule needs a frozen {type(module).__name__} (the recipe trains it).")
        self.module = module
        self.store = store
        h = hashlib.blake2b(digest_size=16)
        h.update(type(module).__name__.encode())
        for name, t in sorted(module.state_dict().items()):
            h.update(name.encode())
            h.update(_raw_bytes(t))
        self.weights_tag = h.hexdigest()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.requires_grad:
            return self.module(x)
        out = []
        for row in x:
            key = (self.weights_tag, tuple(row.shape), str(row.dtype),
                   hashlib.blake2b(_raw_bytes(row), digest_size=16).digest())
            y = self.store.get(key)
            if y is None:
                with torch.no_grad():
                    y = self.module(row[None])[0]
                self.store.put(key, y)
            out.append(y)
        return torch.stack(out)


class FeatureStore:
    """An LRU dict of CNN features bounded in bytes (shared by every model of a process)."""

    def __init__(self, max_bytes: int = 1_500_000_000):
        self.max_bytes, self.bytes, self.hits, self.misses = max_bytes, 0, 0, 0
        self._d: OrderedDict = OrderedDict()

    def get(self, key):
        t = self._d.get(key)
        if t is None:
            self.misses += 1
            return None
        self._d.move_to_end(key)
        self.hits += 1
        return t

    def put(self, key, t: torch.Tensor) -> None:
        self._d[key] = t
        self.bytes += t.numel() * t.element_size()
        while self.bytes > self.max_bytes and self._d:
            _, old = self._d.popitem(last=False)
            self.bytes -= old.numel() * old.element_size()

    def clear(self) -> None:
        self._d.clear()
        self.bytes = 0


# CNN and positional-convolution outputs share it: about 0.2 MB per 4 s clip and window position
FEATURES = FeatureStore(3_000_000_000)
# what may be cached: the modules below the first transformer layer, named under model.wav2vec2
PREFIX_MODULES = ("feature_extractor", "encoder.pos_conv_embed")


def cache_frozen_prefix(model, store: FeatureStore = FEATURES, modules=PREFIX_MODULES) -> list[str]:
    """Wrap each of ``modules`` (names under ``model.wav2vec2``) that is frozen in
    ``CachedFrozenModule``; returns the names now wrapped.

    Why the positional convolution too: with the CNN cached, it (kernel 128 in wav2vec2, 32 in
    the mini) was the largest single cost of a fine-tuning step that leaves it frozen (17 % of
    a forward pass here).
    """
    wrapped = []
    for name in modules:
        owner_path, _, attr = name.rpartition(".")
        owner = model.wav2vec2.get_submodule(owner_path) if owner_path else model.wav2vec2
        module = getattr(owner, attr)
        if isinstance(module, CachedFrozenModule):
            wrapped.append(name)
        elif not any(p.requires_grad for p in module.parameters()):
            setattr(owner, attr, CachedFrozenModule(module, store))
            wrapped.append(name)
    return wrapped


def _frame_mask(self, feature_vector_length: int, attention_mask: torch.Tensor, add_adapter=None):
    """transformers' ``_get_feature_vector_attention_mask``, bit for bit, without its cumsum over
    every sample (a 64 000-long running sum per 4 s clip, 6 % of a fine-tuning step here): the
    valid length is a plain integer sum. Like the original, a clip with no valid frame marks
    every frame valid (its index -1 wraps to the last frame)."""
    lengths = self._get_feat_extract_output_lengths(attention_mask.sum(-1), add_adapter=add_adapter).to(torch.long)
    last = lengths - 1
    if ((last < -feature_vector_length) | (last >= feature_vector_length)).any():
        # out of range: let the original raise (or do) exactly what it does
        return type(self)._get_feature_vector_attention_mask(self, feature_vector_length, attention_mask, add_adapter)
    last = last % feature_vector_length
    frames = torch.arange(feature_vector_length, device=attention_mask.device)
    return frames[None, :] <= last[:, None]


def use_fast_frame_mask(model) -> int:
    """Give every wav2vec2 (sub)model in ``model`` the cheaper frame-mask helper; returns how many."""
    import types
    from transformers import Wav2Vec2PreTrainedModel
    n = 0
    for m in model.modules():
        if isinstance(m, Wav2Vec2PreTrainedModel):
            m._get_feature_vector_attention_mask = types.MethodType(_frame_mask, m)
            n += 1
    return n


def _trimmed_encoder_forward(self, hidden_states, attention_mask=None, **kwargs):
    """``Wav2Vec2Encoder.forward`` (transformers 5.x) that drops the batch's all-padding tail
    after the positional convolution: the same valid-frame outputs in exact arithmetic, and a
    shorter sequence for the attention layers.

    Why it is exact: padded frames are zeroed before the positional convolution (so it sees the
    same zeros either way), the attention mask hides padded keys, the feed-forward blocks work
    frame by frame and masked pooling averages valid frames only. Only the float rounding of
    the shorter matrix products and the draw of the dropout masks differ. Why after the
    convolution, not before: the cached convolution (``CachedFrozenModule``) keys rows by
    their full-length values, so it still hits. Without a mask (``pooling="all"``) padding is
    part of the model's input and nothing is dropped.
    """
    from transformers.masking_utils import create_bidirectional_mask
    from transformers.modeling_outputs import BaseModelOutput

    if attention_mask is None:
        return type(self).forward(self, hidden_states, attention_mask, **kwargs)
    hidden_states = hidden_states.masked_fill(~attention_mask.bool()[..., None], 0.0)
    hidden_states = hidden_states + self.pos_conv_embed(hidden_states)
    n_kept = int(attention_mask.sum(-1).max())  # frame masks are prefixes: every valid frame is kept
    hidden_states, attention_mask = hidden_states[:, :n_kept], attention_mask[:, :n_kept]
    mask = create_bidirectional_mask(config=self.config, inputs_embeds=hidden_states,
                                     attention_mask=attention_mask)
    hidden_states = self.dropout(self.layer_norm(hidden_states))
    for layer in self.layers:
        if self.training and self.config.layerdrop > 0.0 and torch.rand([]) < self.config.layerdrop:
            continue  # LayerDrop, as the stock forward
        hidden_states = layer(hidden_states, attention_mask=mask, **kwargs)
    return BaseModelOutput(last_hidden_state=hidden_states)


def trim_padded_frames(model) -> int:
    """Give every post-norm wav2vec2 encoder in ``model`` (the mini backbone, wav2vec2-base) the
    padding-trimming forward above; returns how many. The pre-norm encoder of large-robust
    (``Wav2Vec2EncoderStableLayerNorm``) keeps its stock forward."""
    import types
    from transformers.models.wav2vec2.modeling_wav2vec2 import Wav2Vec2Encoder
    n = 0
    for m in model.modules():
        if type(m) is Wav2Vec2Encoder:
            m.forward = types.MethodType(_trimmed_encoder_forward, m)
            n += 1
    return n
