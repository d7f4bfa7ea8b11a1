"""FLOPs per utterance (ASR) or clip (SER), under named counting conventions.

All conventions count FLOPs, not MACs: one multiply-add = 2 FLOPs. Only matmul-like work
(linear layers, convolutions, attention products) is counted; norms, softmax, GELU and
pooling are not (they are <1 % here and no convention in the literature agrees on them).

Conventions, kept side by side because conclusions can change with the convention:

``paper``    The reconstruction that reproduces the paper's printed columns (see
             ``shared/paper/README.md``). ASR, with d = d_model, L = layers per stack,
             T = encoder frames, s = stride, n = decoded tokens (the paper: 10):
                 24·d²·L·T + 2·L·d·T²  +  n·(4·d²·L·T/s + 20·d²·L)
             i.e. no conv front-end, no logits, half the attention-product FLOPs, and the
             cross-attention keys/values over all T/s encoder tokens *recomputed at every
             decoded token* (no cross-attention cache) — which is why stride 2 saves ~29 %
             of total FLOPs. SER: 2·N·(50 frames/s · duration_s) with N the whole
             classifier's parameter count (CNN and head included).
``matmul``   An exact analytic count for a KV-cached greedy decoder: conv front-end,
             every projection, both attention products, cross-attention K/V computed once
             per utterance, self-attention over a growing cache, the vocabulary logits.
             SER: the real CNN frame count (199 frames at 4 s, not 200).
``measured`` ``torch.utils.flop_counter.FlopCounterMode`` over a real forward of the
             transformers model with xT and xV applied, on the meta device (nothing is
             allocated, so large-v3 costs no memory). ASR runs the encoder once and the
             decoder n single-token steps with a KV cache, as greedy decoding does.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache

import pandas as pd
import torch

from .. import paper
from ..models.architectures import (WAV2VEC2, WAV2VEC2_FRAMES_PER_S, WHISPER, build_wav2vec2, build_whisper,
                            count_params, wav2vec2_config, whisper_config)
from ..paths import SAMPLE_RATE
from ..errors import AudioscaleError, check_choice, check_int_range, check_positive
from ..models.whisper_axes import POOLINGS, check_frames_and_stride, encoder_window, subsample_encoder_states

CONVENTIONS = ("paper", "matmul", "measured")
PAPER_DECODED_TOKENS = 10  # the paper's formula behaves as if every utterance decodes 10 tokens
ASR_PARTS = ("conv_frontend", "encoder_proj_mlp", "encoder_attention", "cross_attention_kv",
             "decoder_per_token", "logits")
SER_PARTS = ("feature_encoder_cnn", "feature_projection", "positional_conv", "encoder_proj_mlp",
             "encoder_attention", "classifier_head")


@dataclass
class FlopsBreakdown:
    """FLOPs of one configuration split into parts that sum to the total."""
    convention: str
    parts: dict[str, float] = field(default_factory=dict)

    @property
    def total_flops(self) -> float:
        return float(sum(self.parts.values()))

    @property
    def total_gflops(self) -> float:
        return self.total_flops / 1e9

    def gflops(self) -> dict[str, float]:
        return {k: v / 1e9 for k, v in self.parts.items()}


# ----------------------------------------------------------------------------- ASR
def _whisper_cfg(model):
    if isinstance(model, str):
        return whisper_config(model)
    if hasattr(model, "d_model") and hasattr(model, "encoder_layers"):
        return model
    raise AudioscaleError(f"model={model!r}: pass a Whisper name {sorted(WHISPER)} or a WhisperConfig.")


def _check_asr(cfg, encoder_frames, stride, decoded_tokens):
    t, s = check_frames_and_stride(encoder_frames, stride, max_frames=cfg.max_source_positions)
    n = check_int_range("decoded_tokens", decoded_tokens, 1, None, fix="decoder positions per utterance, e.g. 10.")
    return t, s, n


def _asr_paper(cfg, t, s, n) -> dict:
    d, le, ld = cfg.d_model, cfg.encoder_layers, cfg.decoder_layers
    return {"conv_frontend": 0.0,
            "encoder_proj_mlp": 24.0 * d * d * le * t,
            "encoder_attention": 2.0 * le * d * t * t,
            "cross_attention_kv": n * 4.0 * d * d * ld * t / s,
            "decoder_per_token": n * 20.0 * d * d * ld,
            "logits": 0.0}


def _asr_matmul(cfg, t, s, n) -> dict:
    d, le, ld = cfg.d_model, cfg.encoder_layers, cfg.decoder_layers
    fe, fd, mels, vocab = cfg.encoder_ffn_dim, cfg.decoder_ffn_dim, cfg.num_mel_bins, cfg.vocab_size
    tv = t // s  # encoder tokens the decoder attends to
    self_ctx = n * (n + 1) / 2  # position i attends to i cached positions
    return {
        # conv1 (k=3) on 2T mel frames, conv2 (k=3, stride 2) down to T frames
        "conv_frontend": 2.0 * mels * 3 * d * 2 * t + 2.0 * d * 3 * d * t,
        "encoder_proj_mlp": le * (8.0 * d * d * t + 4.0 * d * fe * t),
        "encoder_attention": le * 4.0 * d * t * t,
        "cross_attention_kv": ld * 4.0 * d * d * tv,  # once per utterance, then cached
        # per position: self q,k,v,o + cross q,o (12d²), MLP (4·d·f), attention products
        "decoder_per_token": ld * (n * (12.0 * d * d + 4.0 * d * fd + 4.0 * d * tv) + 4.0 * d * self_ctx),
        "logits": n * 2.0 * d * vocab,
    }


@lru_cache(maxsize=16)
def _meta_whisper(key: str):
    """``key``: a model name or a config's JSON (configs themselves are not hashable)."""
    if key in WHISPER:
        return build_whisper(key, device="meta")
    from transformers import WhisperConfig
    # eager attention: every attention product is a visible matmul for FlopCounterMode
    return build_whisper(WhisperConfig.from_dict(json.loads(key), attn_implementation="eager"), device="meta")


def _asr_measured(cfg, t, s, n, pooling="select", model_name=None) -> dict:
    key = model_name if model_name else cfg.to_json_string(use_diff=False)
    # xV happens between the two halves: the decoder sees only how many states it attends to
    tv = subsample_encoder_states(torch.empty(1, t, cfg.d_model, device="meta"), s, pooling).shape[1]
    # Each half is measured once per shape it sees: the encoder depends on T alone, the decoder
    # on T/s and n alone, so e.g. 750 frames at stride 1 and 1500 at stride 2 share one decoder
    # measurement (the paper's 11 rows need 8 encoder and 8 decoder forwards, not 11 of each).
    return {"encoder": _measured_encoder(key, t), "decoder": _measured_decoder(key, tv, n)}


@lru_cache(maxsize=64)
def _measured_encoder(key: str, t: int) -> float:
    from torch.utils.flop_counter import FlopCounterMode
    model = _meta_whisper(key)
    counter = FlopCounterMode(display=False)
    with encoder_window(model, t), torch.no_grad(), counter:
        x = torch.empty(1, model.config.num_mel_bins, 2 * t, device="meta")
        model.model.encoder(input_features=x)
    return float(counter.get_total_flops())


@lru_cache(maxsize=64)
def _measured_decoder(key: str, tv: int, n: int) -> float:
    """n greedy steps with a KV cache over ``tv`` encoder states (meta tensors: shapes only)."""
    from torch.utils.flop_counter import FlopCounterMode
    from transformers.cache_utils import DynamicCache, EncoderDecoderCache
    model = _meta_whisper(key)
    h = torch.empty(1, tv, model.config.d_model, device="meta")
    cache = EncoderDecoderCache(DynamicCache(), DynamicCache())
    token = torch.zeros(1, 1, dtype=torch.long, device="meta")
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        for _ in range(n):
            out = model.model.decoder(input_ids=token, encoder_hidden_states=h,
                                      past_key_values=cache, use_cache=True)
            cache = out.past_key_values
            model.proj_out(out.last_hidden_state)
    return float(counter.get_total_flops())


@lru_cache(maxsize=256)
def _asr_measured_named(name, t, s, n, pooling) -> dict:
    return _asr_measured(whisper_config(name), t, s, n, pooling, model_name=name)


def asr_flops(model, encoder_frames: int = 1500, stride: int = 1,
              decoded_tokens: int = PAPER_DECODED_TOKENS, convention: str = "paper",
              pooling: str = "select") -> FlopsBreakdown:
    """FLOPs to transcribe one utterance with Whisper ``model`` (name or WhisperConfig).

    ``measured`` splits into ``encoder`` and ``decoder`` (FlopCounterMode cannot see the
    finer parts); the analytic conventions split into ``ASR_PARTS``.
    """
    check_choice("convention", convention, CONVENTIONS)
    check_choice("pooling", pooling, POOLINGS)
    cfg = _whisper_cfg(model)
    t, s, n = _check_asr(cfg, encoder_frames, stride, decoded_tokens)
    if convention == "paper":
        parts = _asr_paper(cfg, t, s, n)
    elif convention == "matmul":
        parts = _asr_matmul(cfg, t, s, n)
    elif isinstance(model, str):  # named models: the count is a pure function of its arguments
        parts = _asr_measured_named(model, t, s, n, pooling)
    else:
        parts = _asr_measured(cfg, t, s, n, pooling)
    return FlopsBreakdown(convention, dict(parts))


def implied_decoded_tokens(model, encoder_frames: int, stride: int, gflops: float) -> float:
    """The n for which the ``paper`` convention gives ``gflops``: it is linear in n."""
    cfg = _whisper_cfg(model)
    at0 = sum(_asr_paper(cfg, encoder_frames, stride, 0).values())
    at1 = sum(_asr_paper(cfg, encoder_frames, stride, 1).values())
    return (gflops * 1e9 - at0) / (at1 - at0)


# ----------------------------------------------------------------------------- SER
def _w2v_cfg(model):
    if isinstance(model, str):
        return wav2vec2_config(model)
    if hasattr(model, "conv_kernel") and hasattr(model, "hidden_size"):
        return model
    raise AudioscaleError(f"model={model!r}: pass a wav2vec2 name {sorted(WAV2VEC2)} or a Wav2Vec2Config.")


def cnn_frames(cfg, n_samples: int) -> list[int]:
    """Output length after each CNN layer (no padding: L_out = (L_in - k) // s + 1)."""
    lengths, n = [], n_samples
    for k, st in zip(cfg.conv_kernel, cfg.conv_stride):
        n = (n - k) // st + 1
        lengths.append(n)
    return lengths


@lru_cache(maxsize=16)
def ser_param_count(key: str) -> int:
    """Whole ``Wav2Vec2ForSequenceClassification`` count (CNN and 6-class head included);
    ``key`` is a model name or a config's JSON."""
    return count_params(_meta_wav2vec2(key))


def _ser_samples(duration_s) -> int:
    check_positive("duration_s", duration_s, fix="clip length in seconds, e.g. 4.")
    n = int(round(duration_s * SAMPLE_RATE))
    if n < 400:  # the CNN's receptive field is 400 samples (25 ms)
        raise AudioscaleError(f"duration_s={duration_s} is shorter than wav2vec2's 25 ms receptive field: use >= 0.025 s.")
    return n


def _ser_matmul(cfg, n_samples) -> dict:
    d, L, f = cfg.hidden_size, cfg.num_hidden_layers, cfg.intermediate_size
    lengths = cnn_frames(cfg, n_samples)
    cnn, c_in = 0.0, 1
    for c_out, k, out_len in zip(cfg.conv_dim, cfg.conv_kernel, lengths):
        cnn += 2.0 * c_in * k * c_out * out_len
        c_in = c_out
    frames = lengths[-1]
    groups, k = cfg.num_conv_pos_embedding_groups, cfg.num_conv_pos_embeddings
    pos_out = frames + 2 * (k // 2) - k + 1  # padding k//2; the extra frame is trimmed after the conv
    p = cfg.classifier_proj_size
    return {"feature_encoder_cnn": cnn,
            "feature_projection": 2.0 * cfg.conv_dim[-1] * d * frames,
            "positional_conv": 2.0 * (d // groups) * k * d * pos_out,
            "encoder_proj_mlp": L * (8.0 * d * d + 4.0 * d * f) * frames,
            "encoder_attention": L * 4.0 * d * frames * frames,
            "classifier_head": 2.0 * d * p * frames + 2.0 * p * cfg.num_labels}


@lru_cache(maxsize=8)
def _meta_wav2vec2(key: str):
    if key in WAV2VEC2:
        return build_wav2vec2(key, device="meta")
    from transformers import Wav2Vec2Config
    return build_wav2vec2(Wav2Vec2Config.from_dict(json.loads(key), attn_implementation="eager"), device="meta")


@lru_cache(maxsize=64)
def _ser_measured_named(name, n_samples) -> dict:
    return _ser_measured(None, n_samples, name)


def _ser_measured(cfg, n_samples, key) -> dict:
    from torch.utils.flop_counter import FlopCounterMode
    model = _meta_wav2vec2(key)
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(input_values=torch.empty(1, n_samples, device="meta"))
    return {"forward": float(counter.get_total_flops())}


def ser_flops(model, duration_s: float = 4.0, convention: str = "paper") -> FlopsBreakdown:
    """FLOPs of one forward pass of the wav2vec2 classifier on a ``duration_s`` clip."""
    check_choice("convention", convention, CONVENTIONS)
    cfg = _w2v_cfg(model)
    n_samples = _ser_samples(duration_s)
    key = model if isinstance(model, str) else cfg.to_json_string(use_diff=False)
    if convention == "paper":
        parts = {"all_parameters": 2.0 * ser_param_count(key) * WAV2VEC2_FRAMES_PER_S * float(duration_s)}
    elif convention == "matmul":
        parts = _ser_matmul(cfg, n_samples)
    elif isinstance(model, str):
        parts = _ser_measured_named(model, n_samples)
    else:
        parts = _ser_measured(cfg, n_samples, key)
    return FlopsBreakdown(convention, dict(parts))


# ----------------------------------------------------------------------------- tables
PAPER_TABLE_COLUMNS = ["task", "model", "encoder_frames", "stride", "duration_s", "adaptation",
                       "lora_rank", "unfrozen_top_layers", "gflops", "paper_gflops"]


def paper_config_table(convention: str = "paper", decoded_tokens: int = PAPER_DECODED_TOKENS) -> pd.DataFrame:
    """One row per configuration the paper reports (11 ASR, 11 SER), ours beside paper's."""
    check_choice("convention", convention, CONVENTIONS)
    rows = []
    for r in paper.asr_table().itertuples():
        b = asr_flops(r.model, r.encoder_frames, r.stride, decoded_tokens, convention)
        rows.append(dict(task="asr", model=r.model, encoder_frames=r.encoder_frames, stride=r.stride,
                         duration_s=None, adaptation=None, lora_rank=None, unfrozen_top_layers=None,
                         gflops=b.total_gflops, paper_gflops=r.gflops))
    for r in paper.ser_table().itertuples():
        b = ser_flops(r.model, r.duration_s, convention)
        rows.append(dict(task="ser", model=r.model, encoder_frames=None, stride=None,
                         duration_s=r.duration_s, adaptation=r.adaptation,
                         lora_rank=None if pd.isna(r.lora_rank) else int(r.lora_rank),
                         unfrozen_top_layers=r.unfrozen_top_layers,
                         gflops=b.total_gflops, paper_gflops=r.gflops))
    df = pd.DataFrame(rows, columns=PAPER_TABLE_COLUMNS)
    for c in ("encoder_frames", "stride", "lora_rank"):
        df[c] = df[c].astype("Int64")
    return df


def compare_with_paper(df: pd.DataFrame, tolerance: float = 0.001) -> pd.DataFrame:
    """Add ``delta_gflops``, ``ratio`` (ours/paper) and a verdict at relative ``tolerance``.

    A printed value carries rounding of ±0.05 GFLOPs, so "match" also accepts ours within
    half a unit of the printed last decimal.
    """
    out = df.copy()
    out["delta_gflops"] = out["gflops"] - out["paper_gflops"]
    out["ratio"] = out["gflops"] / out["paper_gflops"]
    rel_ok = (out["ratio"] - 1).abs() <= tolerance
    print_ok = out["delta_gflops"].abs() <= 0.05 + 1e-9
    out["verdict"] = (rel_ok | print_ok).map({True: "match", False: "differs"})
    return out
