"""The paper's two Whisper-side compute axes, as real changes to a transformers model.

xT (encoder frames T): stock Whisper only accepts exactly ``2 * max_source_positions``
mel frames (3000 = 30 s) and raises otherwise. ``set_encoder_frames`` shrinks the encoder's
window to T encoder frames (2T mel frames) by slicing its sinusoidal positional table and
the expected input length — the encoder then runs on T frames, with no padding back to
30 s. At T = 1500 nothing changes.

xV (stride s): ``subsample_encoder_states`` keeps every s-th encoder token (``select``)
or averages non-overlapping groups of s tokens (``mean``) before the decoder's
cross-attention. The paper does not say which; both are offered.
"""
from __future__ import annotations

from contextlib import contextmanager

import torch

from ..errors import AudioscaleError, check_choice, check_int_range

POOLINGS = ("select", "mean")


def check_frames_and_stride(encoder_frames, stride, max_frames: int = 1500) -> tuple[int, int]:
    """Validate (T, s): 1 <= T <= max_frames, s >= 1 and s divides T."""
    t = check_int_range("encoder_frames", encoder_frames, 1, max_frames,
                        fix=f"Whisper's window holds at most {max_frames} encoder frames (30 s for real Whisper).")
    s = check_int_range("stride", stride, 1, None, fix="Use 1 (no subsampling) or 2.")
    if t % s:
        raise AudioscaleError(f"stride={s} does not divide encoder_frames={t}: choose a stride that divides it.")
    return t, s


def _shrink_window(model, encoder_frames: int, copy: bool) -> tuple | None:
    """Point ``model``'s encoder at the first T rows of its positional table and T frames of
    input; returns what ``_restore_window`` needs to undo it (None: T is the full window).
    The first T positions see exactly the embeddings they saw in the full window."""
    encoder = model.get_encoder() if hasattr(model, "get_encoder") else model
    full_positions = encoder.embed_positions
    t, _ = check_frames_and_stride(encoder_frames, 1, max_frames=full_positions.weight.shape[0])
    if t == full_positions.weight.shape[0]:
        return None
    saved = (encoder, full_positions, encoder.config.max_source_positions, model.config.max_source_positions)
    rows = full_positions.weight[:t]
    if copy and rows.device.type != "meta":
        rows = rows.detach().clone()
    encoder.embed_positions = torch.nn.Embedding.from_pretrained(rows, freeze=True)
    # WhisperEncoder checks input length against config.max_source_positions * conv strides.
    encoder.config.max_source_positions = t
    model.config.max_source_positions = t
    return saved


def _restore_window(model, saved: tuple | None) -> None:
    if saved is not None:
        encoder, positions, encoder_max, model_max = saved
        encoder.embed_positions = positions
        encoder.config.max_source_positions, model.config.max_source_positions = encoder_max, model_max


@contextmanager
def encoder_window(model, encoder_frames: int):
    """Inside the block, ``model``'s encoder runs on its first ``encoder_frames`` tokens (the
    positional table sliced, not copied); on exit the full window is back, even after an error.
    The one way the study changes T: decoding, FLOP counting and training all go through it."""
    saved = _shrink_window(model, encoder_frames, copy=False)
    try:
        yield model
    finally:
        _restore_window(model, saved)


def set_encoder_frames(model, encoder_frames: int):
    """``encoder_window`` for good: ``model`` keeps T frames (by copy) after the call; returns it.
    For a model made for one window (a notebook's demonstration, a frozen teacher)."""
    _shrink_window(model, encoder_frames, copy=True)
    return model


def encoder_frames_of(model) -> int:
    encoder = model.get_encoder() if hasattr(model, "get_encoder") else model
    return encoder.embed_positions.weight.shape[0]


def subsample_encoder_states(hidden: torch.Tensor, stride: int, pooling: str = "select") -> torch.Tensor:
    """(batch, T, d) -> (batch, T // s, d) by ``select`` (every s-th) or ``mean`` pooling."""
    check_choice("pooling", pooling, POOLINGS)
    s = check_int_range("stride", stride, 1, None, fix="Use 1 (no subsampling) or 2.")
    if s == 1:
        return hidden
    b, t, d = hidden.shape
    if t % s:
        raise AudioscaleError(f"stride={s} does not divide the {t} encoder frames: choose a divisor.")
    if pooling == "select":
        return hidden[:, ::s, :]
    return hidden.reshape(b, t // s, s, d).mean(dim=2)
