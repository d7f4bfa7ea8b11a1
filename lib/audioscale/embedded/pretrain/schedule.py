"""What each training step sees: its batch, its window, its learning rate and its precision.

Every choice is a function of (seed, step), so a killed run resumes to the same result.
"""
from __future__ import annotations

import contextlib
import math

import numpy as np
import torch

from ..models import FULL_FRAMES
from .recipe import BATCH, FINAL_LR_FRACTION, WARMUP_STEPS

BUCKET_BATCHES = 50  # cropped: batches are dealt from length buckets this many batches wide
FULL_WINDOW_STEPS = 500  # cropped: the last stage-1 steps see the whole window, as evaluation does
SAMPLES_PER_ENCODER_FRAME = 320  # two 10 ms mel hops at 16 kHz


def lr_at(step: int, total: int, peak: float) -> float:
    """Linear warm-up over ``WARMUP_STEPS``, then cosine decay to ``FINAL_LR_FRACTION * peak``."""
    if step < WARMUP_STEPS:
        return peak * (step + 1) / WARMUP_STEPS
    progress = min(1.0, (step - WARMUP_STEPS) / max(1, total - WARMUP_STEPS))
    return peak * (FINAL_LR_FRACTION + (1 - FINAL_LR_FRACTION) * 0.5 * (1 + math.cos(math.pi * progress)))


def batch_indices(step: int, n: int, seed: int) -> np.ndarray:
    """The ``BATCH`` training indices of a random ("padded") batch: epoch-wise seeded permutations."""
    per_epoch = n // BATCH
    epoch, k = divmod(step, per_epoch)
    order = np.random.default_rng([seed, epoch]).permutation(n)
    return np.sort(order[k * BATCH:(k + 1) * BATCH])  # sorted: faster memmap reads


def stage1_schedule(n_samples, steps: int, seed: int) -> list[np.ndarray]:
    """The training-set indices of every cropped stage-1 batch, a function of (lengths, steps, seed).

    Each epoch's permutation is cut into chunks of ``BUCKET_BATCHES`` batches; within a chunk
    the utterances are sorted by length and dealt into batches, and the epoch's batches are
    visited in a seeded random order. Batches of similar lengths can be cropped to their
    longest utterance (``crop_frames``): training utterances fill 41 % of the window, a
    bucketed batch's longest one 42 %, a random batch's 72 % at best.
    """
    n = len(n_samples)
    per_epoch = n // BATCH
    lengths = np.asarray(n_samples)
    out: list[np.ndarray] = []
    for epoch in range(-(-steps // per_epoch)):
        rng = np.random.default_rng([seed, epoch])
        order = rng.permutation(n)[: per_epoch * BATCH]
        batches = []
        for c in range(0, len(order), BUCKET_BATCHES * BATCH):
            chunk = order[c:c + BUCKET_BATCHES * BATCH]
            chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
            batches += [np.sort(chunk[k:k + BATCH]) for k in range(0, len(chunk), BATCH)]
        out += [batches[k] for k in rng.permutation(len(batches))]
    return out[:steps]


def crop_frames(step: int, steps: int, batch_frames: torch.Tensor) -> int:
    """Encoder frames cropped stage-1 step ``step`` runs on: its longest utterance's, except in
    the last ``FULL_WINDOW_STEPS`` steps, which see the whole window as evaluation does."""
    return FULL_FRAMES if step >= steps - FULL_WINDOW_STEPS else int(batch_frames.max())


def encoder_frames(n_samples) -> torch.Tensor:
    """Encoder frames that hold each utterance of ``n_samples`` samples (+1 covers the edge frame)."""
    return torch.tensor([min(FULL_FRAMES, int(n) // SAMPLES_PER_ENCODER_FRAME + 1) for n in n_samples],
                        dtype=torch.long)


def cpu_autocast(dtype):
    """CPU autocast of the matrix products to ``dtype`` (``None``: plain float32)."""
    return contextlib.nullcontext() if dtype is None else torch.autocast("cpu", dtype=dtype)
