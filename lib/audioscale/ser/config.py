"""One SER configuration (SER's twin of ``asr.config.AsrConfig``): the backbone, the data, the
clip duration and pooling, the adaptation recipe and the training schedule. A frozen
dataclass, so it is hashable and a sweep can drop repeats; ``validate`` checks it before
anything is loaded, and ``run.row_config`` turns it into the row's key.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import AudioscaleError, check_choice, check_int_range
from ..models.adaptation import UNKNOWN_DEPTH, check_recipe_args
from .model import INITS, POOLINGS, check_duration
from .train import TrainConfig

SCALES = ("embedded", "paper")
EMBEDDED_DATA = "embedded"  # --data value that means "the embedded emotion corpus"


# SERConfig fields that override the backbone's own config when not None
BACKBONE_OVERRIDES = ("attention_dropout", "hidden_dropout")


@dataclass(frozen=True)
class SERConfig:
    model: str                       # short name, hub id or save_pretrained folder
    data: str = EMBEDDED_DATA        # CREMA-D-layout folder, or "embedded"
    duration_s: float = 4.0
    pooling: str = "masked"
    recipe: str = "lora+top-k"
    rank: int | None = 16
    top_k: int | None = 4
    init: str = "pretrained"
    seed: int = 0
    split_seed: int = 0              # speaker split; fixed across seeds so seeds vary training only
    epochs: int = 10
    patience: int = 3
    batch_size: int = 16
    lr: float = 1e-4
    alpha: int | None = None         # LoRA alpha (None: adaptation's default 2·r)
    train_crop: str = "anchored"     # random | anchored (see audioscale.ser.model)
    # None keeps the backbone's own; 0.0 lets CPU attention use its fused kernel (with dropout
    # it falls back to a path ~3x slower forward and backward, measured here)
    attention_dropout: float | None = None
    # None keeps the backbone's own; 0.0 skips the dropout masks (drawing them was 6-7 % of a
    # fine-tuning step on the mini backbone, measured here)
    hidden_dropout: float | None = None
    # Where it trains: rows from a GPU or under mixed precision are their own rows (the key
    # names device and amp); the CPU fp32 defaults are left out of the key, so rows computed
    # before these fields existed keep theirs.
    device: str = "cpu"              # cpu | cuda
    amp: str = "none"                # none | bf16 | fp16 (autocast; fp16 on CUDA only)

    def validate(self) -> "SERConfig":
        check_duration(self.duration_s)
        check_choice("pooling", self.pooling, POOLINGS)
        check_choice("init", self.init, INITS)
        check_int_range("seed", self.seed, 0)
        check_int_range("split_seed", self.split_seed, 0)
        for name in BACKBONE_OVERRIDES:
            p = getattr(self, name)
            if p is not None and not 0.0 <= p < 1.0:
                raise AudioscaleError(f"{name}={p!r}: use a probability in [0, 1), or None for the backbone's own.")
        # rank/top_k against the layer count are checked once the backbone is known
        check_recipe_args(self.recipe, self.rank, self.top_k, UNKNOWN_DEPTH)
        self.train_config()
        return self

    def train_config(self) -> TrainConfig:
        return TrainConfig(self.duration_s, self.pooling, self.epochs, self.patience, self.batch_size,
                           self.lr, seed=self.seed, train_crop=self.train_crop, device=self.device, amp=self.amp)
