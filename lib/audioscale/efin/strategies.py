"""The three training strategies compared at equal training FLOPs, and one run's configuration.

- ``joint``: the family's stage 1 from scratch for the whole budget: encoder, decoder and
  CTC head together on ``0.3 · CE + 0.7 · CTC`` (``recipe.CTC_WEIGHT``).
- ``encoder-first-frozen``: stage A trains the encoder and its CTC head alone (CTC only, the
  decoder not run) on ``STAGE_A_FRACTION`` of the budget; stage B trains the (fresh) decoder
  on CE with the encoder frozen, on the rest.
- ``encoder-first-top1``: the same stage A (the same checkpoint: it is shared); in stage B
  the top encoder layer and the encoder's final norm train too, at ``ENCODER_TUNE_LR_FACTOR``
  times the learning rate: the "lightly tuned" encoder.

EFIN (Mu et al., arXiv 2508.04096) integrates a pretrained speech encoder with an LLM
decoder; here the decoder is a 4-layer Whisper decoder trained from scratch in stage B, so
the comparison is an analogy of the training order, not of the models (docs/efin.md).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from ..embedded.pretrain.recipe import BATCH, CTC_WEIGHT, EVAL_N, EVAL_SIZE, N_TRAIN
from ..errors import AudioscaleError, check_choice
from .budget import FLOPS_CONVENTION, FULL_WINDOW_FRACTION
from .guard import DECODE_GUARD

STAGE_A_FRACTION = 0.7  # encoder-first: the share of the training FLOPs stage A spends (fixed, not tuned)
ENCODER_TUNE_LR_FACTOR = 0.1  # encoder-first-top1: the top layer's learning rate, relative to the peak
STAGE_B_SEED_OFFSET = 100  # stage B draws its batches from another seed: fresh utterances, not stage A's

# strategy -> its stages as (step mode, share of the budget)
STRATEGIES: dict[str, tuple[tuple[str, float], ...]] = {
    "joint": (("joint", 1.0),),
    "encoder-first-frozen": (("encoder", STAGE_A_FRACTION), ("decoder", 1 - STAGE_A_FRACTION)),
    "encoder-first-top1": (("encoder", STAGE_A_FRACTION), ("decoder+top1", 1 - STAGE_A_FRACTION)),
}
LABELS = {"joint": "joint (from scratch)", "encoder-first-frozen": "encoder-first, frozen",
          "encoder-first-top1": "encoder-first, top-1 tuned"}


@dataclass(frozen=True)
class EfinConfig:
    """One run of the sweep: a mini size, a strategy, a training-FLOPs budget and a seed. The
    remaining fields are the recipe's constants, kept in the row so it carries its full config."""
    model: str
    strategy: str
    budget_tflops: float
    seed: int = 0
    stage_a_fraction: float = STAGE_A_FRACTION
    encoder_tune_lr_factor: float = ENCODER_TUNE_LR_FACTOR
    ctc_weight: float = CTC_WEIGHT
    batch: int = BATCH
    n_train: int = N_TRAIN
    full_window_fraction: float = FULL_WINDOW_FRACTION
    eval_split: str = "other"
    eval_n: int = EVAL_N
    eval_size: int = EVAL_SIZE
    decode_guard: str = DECODE_GUARD  # wer_pct is scored under it (guard.py); wer_unguarded_pct beside it
    flops_convention: str = FLOPS_CONVENTION
    scale: str = "embedded"

    def __post_init__(self):
        check_choice("strategy", self.strategy, STRATEGIES)
        check_choice("model", self.model, ("micro", "tiny", "base", "small"))
        check_choice("decode_guard", self.decode_guard, (DECODE_GUARD,))
        if not self.budget_tflops > 0:
            raise AudioscaleError(f"budget_tflops={self.budget_tflops}: a budget must be > 0 training TFLOPs.")

    def stages(self) -> list[tuple[str, float]]:
        """(step mode, training FLOPs) of each stage."""
        budget = self.budget_tflops * 1e12
        if self.strategy == "joint":
            return [("joint", budget)]
        mode_b = STRATEGIES[self.strategy][1][0]
        return [("encoder", self.stage_a_fraction * budget), (mode_b, (1 - self.stage_a_fraction) * budget)]

    def as_row(self) -> dict:
        return asdict(self)
