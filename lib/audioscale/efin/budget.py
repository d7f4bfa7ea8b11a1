"""Training FLOPs of the EFIN strategies, and the steps a training-FLOPs budget buys.

Convention ``matmul-train`` (stated once, used for every row of ``results/efin.csv``):

- The **forward** FLOPs of one utterance are ``accounting.flops.asr_flops(..., convention="matmul")``
  at the batch's padded shape: T encoder frames (the batch's cropped window) and n decoder
  positions (its longest label + 1, teacher-forced; the causal self-attention counted over
  n(n+1)/2 pairs, as that convention counts a KV-cached decoder), plus the CTC head
  (2·d·V·T). FLOPs, not MACs: one multiply-add = 2 FLOPs; norms, softmax, GELU not counted.
- **Forward + backward** = 3 × forward for every block whose weights train (weight and
  activation gradients, each ~1 × forward); 1 × forward for a frozen block run without
  gradients. The top-1 layer's input gradient is not needed, yet is counted (3 ×): an
  overcount of at most one layer's activation gradient, against the lightly tuned strategy.
- A step's FLOPs are the batch size times the per-utterance count at the batch's padded
  shape (padding positions cost what real ones do, as on the hardware).

A budget in training TFLOPs buys the most steps whose summed FLOPs stay within it; the steps'
shapes come from the same seeded batch schedule that trains (``stage_schedule``), so the
count is exact, not an average.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..accounting.flops import asr_flops
from ..embedded.models import FULL_FRAMES, mini_whisper_config
from ..embedded.pretrain.recipe import BATCH
from ..embedded.pretrain.schedule import stage1_schedule
from ..errors import AudioscaleError, check_choice

FLOPS_CONVENTION = "matmul-train"
FULL_WINDOW_FRACTION = 0.1  # the last tenth of every stage's steps sees the whole window, as evaluation does
# What trains in each step mode (see train.py): its forward parts and their multipliers.
STEP_MODES = ("joint", "encoder", "decoder", "decoder+top1")


@lru_cache(maxsize=8)
def _config(model: str):
    return mini_whisper_config(model)


@lru_cache(maxsize=20000)
def forward_parts(model: str, frames: int, positions: int) -> tuple[float, float, float, float]:
    """Forward FLOPs of one utterance at (``frames`` encoder frames, ``positions`` decoder
    positions): (conv front end, one encoder layer, decoder incl. cross-attention K/V and
    logits, CTC head)."""
    cfg = _config(model)
    p = asr_flops(cfg, encoder_frames=frames, stride=1, decoded_tokens=positions, convention="matmul").parts
    layer = (p["encoder_proj_mlp"] + p["encoder_attention"]) / cfg.encoder_layers
    decoder = p["cross_attention_kv"] + p["decoder_per_token"] + p["logits"]
    ctc = 2.0 * cfg.d_model * cfg.vocab_size * frames
    return p["conv_frontend"], layer, decoder, ctc


def utterance_train_flops(model: str, mode: str, frames: int, positions: int) -> float:
    """Forward + backward FLOPs of one utterance in a step of ``mode`` (module docstring)."""
    check_choice("mode", mode, STEP_MODES)
    conv, layer, decoder, ctc = forward_parts(model, frames, positions)
    layers = _config(model).encoder_layers
    encoder = conv + layers * layer
    if mode == "joint":
        return 3 * (encoder + decoder + ctc)
    if mode == "encoder":
        return 3 * (encoder + ctc)
    if mode == "decoder":
        return encoder + 3 * decoder
    return (conv + (layers - 1) * layer) + 3 * (layer + decoder)  # decoder+top1


def full_window_steps(steps: int) -> int:
    """How many of a stage's ``steps`` (the last ones) run on the whole window."""
    return math.ceil(FULL_WINDOW_FRACTION * steps)


@dataclass(frozen=True)
class StepCosts:
    """Per-step training FLOPs of one schedule, cropped and on the whole window (prefix sums)."""
    cropped: np.ndarray  # cumulative FLOPs of steps 0..k-1 at their cropped windows, length max_steps + 1
    full: np.ndarray  # the same on the whole window

    def total(self, steps: int) -> float:
        """FLOPs of a ``steps``-step stage: cropped steps, then the full-window tail."""
        tail = full_window_steps(steps)
        return float(self.cropped[steps - tail] + (self.full[steps] - self.full[steps - tail]))

    def steps_within(self, flops: float) -> int:
        """The most steps whose FLOPs stay within ``flops`` (total() grows with steps)."""
        hi = len(self.cropped) - 1
        if self.total(hi) <= flops:
            raise AudioscaleError(f"a budget of {flops / 1e12:.3g} TFLOPs buys more than the {hi} steps "
                                  f"the schedule was built for; raise max_steps.")
        lo = 0
        while hi - lo > 1:  # invariant: total(lo) <= flops < total(hi)
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if self.total(mid) <= flops else (lo, mid)
        return lo


def stage_schedule(n_samples, labels, steps: int, seed: int) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """(batches, cropped encoder frames, decoder positions) of each of ``steps`` steps: the
    family's cropped stage-1 schedule (``schedule.stage1_schedule``; its first k batches do not
    depend on ``steps``)."""
    from ..embedded.pretrain.schedule import encoder_frames
    batches = stage1_schedule(n_samples, steps, seed)
    frames = encoder_frames(n_samples).numpy()
    lens = np.array([len(l) for l in labels])
    crop = np.array([int(frames[b].max()) for b in batches])
    positions = np.array([int(lens[b].max()) + 1 for b in batches])
    return batches, crop, positions


def step_costs(model: str, mode: str, crop: np.ndarray, positions: np.ndarray) -> StepCosts:
    """Prefix sums of the per-step FLOPs of a schedule's steps (``stage_schedule``)."""
    per_crop = [BATCH * utterance_train_flops(model, mode, int(t), int(n)) for t, n in zip(crop, positions)]
    per_full = [BATCH * utterance_train_flops(model, mode, FULL_FRAMES, int(n)) for n in positions]
    return StepCosts(np.concatenate([[0.0], np.cumsum(per_crop)]), np.concatenate([[0.0], np.cumsum(per_full)]))
