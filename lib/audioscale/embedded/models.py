"""The mini model family of the embedded world: Whisper-architecture ASR models and a
wav2vec2 backbone small enough to pretrain on 2 CPU cores.

Roles: the 8 s window (``WINDOW_S``) plays Whisper's 30 s; its ``FULL_FRAMES`` = 400
encoder frames play 1500 and ``HALF_FRAMES`` = 200 play 750. The family scales width at a
fixed depth of 2 encoder + 4 decoder layers (why these depths, and what each family of
checkpoints measured: docs/pretraining.md).

``init_std = d_model**-0.5`` is a stock ``WhisperConfig`` field: with Whisper's default 0.02
the conv front end's output is ~2 % of the residual stream (the positional table dominates)
and training stalls for hundreds of steps.
"""
from __future__ import annotations

from pathlib import Path

from transformers import Wav2Vec2Config, WhisperConfig, WhisperFeatureExtractor

from ..errors import AudioscaleError
from ..paths import CHECKPOINTS_DIR, SAMPLE_RATE
from .vocab import BOS_ID, EOS_ID, PAD_ID, TOKENS

WINDOW_S = 8
HOP_LENGTH = 160  # 10 ms per mel frame
MEL_FRAMES = WINDOW_S * SAMPLE_RATE // HOP_LENGTH  # 800 mel frames in the window
FULL_FRAMES = MEL_FRAMES // 2  # 400 encoder frames: conv2 has stride 2 (Whisper's 1500)
HALF_FRAMES = FULL_FRAMES // 2  # 200 encoder frames = the first 4 s (Whisper's 750)

CTC_BLANK_ID = PAD_ID  # the CTC heads use <pad> as their blank
MAX_TARGET_POSITIONS = 64  # sentences have <= 15 words; room for a greedy decoder's run-on

# name -> (d_model, heads, peak learning rate); FFN = 4 * d_model.
_FAMILY = {"micro": (48, 2, 3e-3), "tiny": (64, 2, 3e-3), "base": (96, 4, 2.5e-3), "small": (128, 4, 2e-3)}
ENCODER_LAYERS = 2
DECODER_LAYERS = 4


def _whisper_kwargs(d_model: int, heads: int) -> dict:
    return dict(
        vocab_size=len(TOKENS), num_mel_bins=80, d_model=d_model,
        encoder_layers=ENCODER_LAYERS, decoder_layers=DECODER_LAYERS,
        encoder_attention_heads=heads, decoder_attention_heads=heads,
        encoder_ffn_dim=4 * d_model, decoder_ffn_dim=4 * d_model,
        max_source_positions=FULL_FRAMES, max_target_positions=MAX_TARGET_POSITIONS,
        pad_token_id=PAD_ID, bos_token_id=BOS_ID, eos_token_id=EOS_ID, decoder_start_token_id=BOS_ID,
        # no dropout: the minis underfit (train WER = held-out WER; docs/pretraining.md)
        dropout=0.0, init_std=d_model ** -0.5,
        suppress_tokens=None, begin_suppress_tokens=None,  # Whisper's defaults index a 51k vocab
    )


MINI_WHISPER = {name: _whisper_kwargs(d, h) for name, (d, h, _) in _FAMILY.items()}
PEAK_LR = {name: lr for name, (_, _, lr) in _FAMILY.items()}

# The SER backbone: a 2-layer wav2vec2 with a slim CNN front end. The stock 512 channels
# at every one of the 7 raw-waveform convolutions cost ~25 GFLOP per 8 s clip; widening
# 32 -> 128 as the frame rate halves costs ~0.4. init 128**-0.5 for the same reason as
# the Whisper family's init_std. Pretrained with word-level CTC.
MINI_WAV2VEC2 = dict(
    vocab_size=len(TOKENS), pad_token_id=PAD_ID, bos_token_id=BOS_ID, eos_token_id=EOS_ID,
    hidden_size=128, num_hidden_layers=2, num_attention_heads=4, intermediate_size=512,
    initializer_range=128 ** -0.5,
    conv_dim=(32, 32, 64, 64, 128, 128, 128), feat_extract_norm="group", do_stable_layer_norm=False, conv_bias=False,
    num_conv_pos_embeddings=32, num_conv_pos_embedding_groups=8,
    hidden_dropout=0.1, attention_dropout=0.1, activation_dropout=0.0, feat_proj_dropout=0.0,
    layerdrop=0.0, mask_time_prob=0.0, mask_feature_prob=0.0,
    ctc_loss_reduction="mean", ctc_zero_infinity=True, classifier_proj_size=128,
)
SER_BACKBONE_NAME = "ser-backbone-mini"


def _check_name(name: str) -> None:
    if name not in MINI_WHISPER:
        raise AudioscaleError(f"unknown mini model {name!r}: choose one of {list(MINI_WHISPER)}.")


def mini_whisper_config(name: str, **overrides) -> WhisperConfig:
    """The ``WhisperConfig`` of mini model ``name`` (micro, tiny, base, small)."""
    _check_name(name)
    return WhisperConfig(**{**MINI_WHISPER[name], **overrides})


def mini_wav2vec2_config(**overrides) -> Wav2Vec2Config:
    return Wav2Vec2Config(**{**MINI_WAV2VEC2, **overrides})


def checkpoint_dir(name: str) -> Path:
    """``<repo>/checkpoints/asr-mini-<name>`` (or the SER backbone's folder)."""
    if name == SER_BACKBONE_NAME:
        return CHECKPOINTS_DIR / SER_BACKBONE_NAME
    _check_name(name)
    return CHECKPOINTS_DIR / f"asr-mini-{name}"


def feature_extractor() -> WhisperFeatureExtractor:
    """Whisper's log-mel front end for the 8 s window (80 bins, 25 ms FFT, 10 ms hop)."""
    return WhisperFeatureExtractor(feature_size=80, sampling_rate=SAMPLE_RATE, hop_length=HOP_LENGTH,
                                   chunk_length=WINDOW_S, n_fft=400)
