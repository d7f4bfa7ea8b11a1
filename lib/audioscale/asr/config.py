"""One ASR configuration as the user asks for it, checked before anything is loaded.

``AsrConfig`` is what ``run_asr`` evaluates (SER's twin is ``ser.config.SERConfig``). The row
a configuration writes is keyed by what it resolves to once the model and data are loaded
(``run.asr_config``: the checkpoint's window for ``encoder_frames=None``, the weights' hash,
the data set's name, the device picked), so two spellings of one configuration share a row.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import check_choice, check_int_range
from ..models.whisper_axes import POOLINGS, check_frames_and_stride
from .system import DTYPES
from .wer import NORMALIZERS

SCALES = ("paper", "embedded")
# LibriSpeech is scored as the paper and the leaderboard do; the embedded world's closed
# 32-word vocabulary is already normalized, and Whisper's normalizer would merge its digit runs.
DEFAULT_NORMALIZER = {"paper": "whisper", "embedded": "none"}


@dataclass(frozen=True)
class AsrConfig:
    model: str  # short name (tiny ... large-v3), hub id or checkpoint folder
    data: str  # LibriSpeech-layout folder, manifest folder, hub id, or "embedded"
    encoder_frames: int | None = None  # T; None: the checkpoint's full window (1500 for Whisper)
    stride: int = 1  # s: keep every s-th encoder token (or average groups of s)
    pooling: str = "select"  # how stride s > 1 reduces the tokens: "select" or "mean"
    beam_size: int = 1  # 1: greedy
    max_new_tokens: int | None = None  # None: what the decoder's window allows
    limit: int | None = None  # first N utterances; None: all
    scale: str = "paper"  # which results file: results/asr_<scale>.csv
    device: str | None = None  # None: cuda when available, else cpu
    dtype: str = "float32"
    normalizer: str | None = None  # None: the scale's (see DEFAULT_NORMALIZER)

    def __post_init__(self):
        check_choice("scale", self.scale, SCALES)
        check_choice("pooling", self.pooling, POOLINGS)
        check_choice("dtype", self.dtype, tuple(DTYPES))
        if self.normalizer is not None:
            check_choice("normalizer", self.normalizer, NORMALIZERS)
        if self.encoder_frames is not None:
            check_frames_and_stride(self.encoder_frames, self.stride)
        else:
            check_int_range("stride", self.stride, 1, None, fix="Use 1 (no subsampling) or 2.")
        check_int_range("beam_size", self.beam_size, 1, None, fix="Use 1 (greedy) or e.g. 5.")
        if self.limit is not None:
            check_int_range("limit", self.limit, 1, None, fix="Number of utterances, or omit it for all.")
        if self.max_new_tokens is not None:
            check_int_range("max_new_tokens", self.max_new_tokens, 1, None, fix="Use e.g. 128, or omit it.")

    @property
    def scorer(self) -> str:
        """The text normalizer the WER is scored with."""
        return self.normalizer or DEFAULT_NORMALIZER[self.scale]
