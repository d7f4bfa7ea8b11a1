"""What a pretraining run trains: the recipe's constants, the recipes as frozen dataclasses,
the keys a saved state must match to be continued, and the run options that change no weight.

The defaults are the committed (seventh) family's recipe; docs/pretraining.md has how each
number was chosen and what the earlier families used.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import torch

from ...errors import AudioscaleError, check_choice, check_int_range
from ..models import SER_BACKBONE_NAME

N_TRAIN = 16000  # training utterances (asr_corpus's "v2" voice pool)
CTC_WEIGHT = 0.7  # stage 1's loss: (1 - w) * CE(decoder) + w * CTC(encoder head)
BATCH = 8
WARMUP_STEPS = 50
FINAL_LR_FRACTION = 0.05  # cosine decay ends at this fraction of the peak learning rate
# Equal stage-1 steps for every size: "bigger is better" is read at equal steps.
DEFAULT_STEPS = {"micro": 5500, "tiny": 5500, "base": 5500, "small": 5500}
# Stage-1 batches: "cropped" (length buckets, each batch cut to its longest utterance;
# schedule.stage1_schedule) or "padded" (random batches on the whole window, ~2.2x the cost).
STAGE1_BATCHES = ("padded", "cropped")
DEFAULT_STAGE1_BATCHES = "cropped"

# The decoder stage: decoder-only steps on the frozen encoder's cached outputs.
DECODER_STAGE_STEPS = 3000
DECODER_STAGE_BATCH = 32
DECODER_STAGE_LR = 3e-3
DECODER_STAGE_UTTS = 16000
# Its cross-attention alignment loss (ctc_align): head ALIGN_HEADS of every decoder layer is
# asked to attend within ALIGN_WIDTH encoder frames (20 ms each) of the word it predicts;
# weight 0 turns it off.
ALIGN_WEIGHT = 1.0
ALIGN_WIDTH = 2
ALIGN_HEADS = (0,)
# The decoder stage runs its matrix products in bfloat16 (CPU autocast; weights, optimizer
# state and losses stay float32): 1.7x faster on AVX512-BF16 cores, where stage 1 got slower,
# so stage 1 stays float32. None: float32 throughout. benchmarks/pretrain_step_bench.py measures both.
DECODER_STAGE_AUTOCAST = torch.bfloat16

SER_STEPS = 500
SER_PEAK_LR = 2e-3
# The SER backbone trains on utterances up to 4 s: its task sees 1-4 s clips, and the
# raw-waveform CNN's cost grows with the padded batch length.
SER_MAX_S = 4.0
# The mini Whisper whose encoder states the backbone learns to predict, kept frozen under
# checkpoints/ so that retraining the ASR family leaves the backbone (and every SER row) alone.
SER_TEACHER = "ser-teacher-small-v1"
SER_TRAIN_POOL = "v1"  # the backbone's corpus: the 45 voices the emotion corpus also uses
SER_DISTILL_WEIGHT = 1.0

EVAL_N = 200  # held-out ("other") utterances for the WERs in pretrain_log.json
SER_EVAL_N = 100
EVAL_SIZE = 600  # the test split they are drawn from (asr_corpus.load_test_set's size)
EVAL_EVERY = 500  # stage 1: a quick CTC WER on 100 held-out utterances this often


def check_models(names) -> list[str]:
    bad = [n for n in names if n not in DEFAULT_STEPS and n != SER_BACKBONE_NAME]
    if bad:
        raise AudioscaleError(f"unknown model(s) {bad}: choose from {list(DEFAULT_STEPS) + [SER_BACKBONE_NAME]}.")
    return list(names)


@dataclass(frozen=True)
class WhisperRecipe:
    """How mini Whisper ``name`` is trained: stage 1 (encoder + CTC head + decoder), then the
    decoder stage (``decoder_steps`` = 0: none). ``steps`` = None: ``DEFAULT_STEPS[name]``.
    The defaults are the committed family's; ``stage1_batches="padded", align_weight=0`` the third's."""
    name: str
    steps: int | None = None
    seed: int = 0
    n_train: int = N_TRAIN
    stage1_batches: str = DEFAULT_STAGE1_BATCHES
    ctc_weight: float = CTC_WEIGHT
    decoder_steps: int = DECODER_STAGE_STEPS
    align_weight: float = ALIGN_WEIGHT

    def __post_init__(self):
        check_choice("name", self.name, DEFAULT_STEPS)
        steps = DEFAULT_STEPS[self.name] if self.steps is None else self.steps
        object.__setattr__(self, "steps", check_int_range("steps", steps, 1, 10 ** 6))
        if self.stage1_batches not in STAGE1_BATCHES:
            raise AudioscaleError(f"stage1_batches={self.stage1_batches!r}: choose one of {list(STAGE1_BATCHES)}.")
        if not self.align_weight >= 0:  # also refuses NaN
            raise AudioscaleError(f"align_weight={self.align_weight}: give 0 (off) or a positive weight "
                                  f"(default {ALIGN_WEIGHT}).")

    def stage1_key(self, n_train: int, params: int, dropout: float) -> Stage1Key:
        """The key of this recipe's stage-1 state, given what the built run measured."""
        return Stage1Key(self.steps, self.seed, n_train, self.ctc_weight, params, self.stage1_batches, dropout)


@dataclass(frozen=True)
class Stage1Key:
    """What a saved stage-1 state must match to be continued; a state saved under another
    recipe (loss weight, depths, batches, dropout) is not this run's, which then starts over."""
    steps: int
    seed: int
    n_train: int  # training utterances the run loaded
    ctc_weight: float | None
    params: int  # of the Whisper model: a change of depth or width
    stage1_batches: str
    dropout: float

    @classmethod
    def of_state(cls, state: dict) -> Stage1Key:
        """The key a saved state was written under (its top-level fields and its log)."""
        log = json.loads(state["log"])
        # states saved before the log recorded batches and dropout are the third family's
        # padded batches and the sixth family's dropout 0.1; before ctc_weight, none matches
        return cls(state["steps"], state["seed"], log["n_train"], log.get("ctc_weight"), log["params"],
                   log.get("stage1_batches", "padded"), log.get("dropout", 0.1))


@dataclass(frozen=True)
class SerRecipe:
    """How the SER backbone is trained: word-level CTC plus predicting ``teacher``'s encoder
    states (``teacher`` None, or its folder missing: CTC only)."""
    steps: int = SER_STEPS
    seed: int = 0
    n_train: int = N_TRAIN  # drawn from SER_TRAIN_POOL, then cut to utterances <= SER_MAX_S
    teacher: str | None = SER_TEACHER

    def __post_init__(self):
        object.__setattr__(self, "steps", check_int_range("steps", self.steps, 1, 10 ** 6))

    def key(self, teacher: str | None) -> SerKey:
        """The key of this recipe's state, given the teacher the run found (None: none)."""
        return SerKey(self.steps, self.seed, teacher)


@dataclass(frozen=True)
class SerKey:
    """What a saved SER-backbone state must match to be continued."""
    steps: int
    seed: int
    teacher: str | None

    @classmethod
    def of_state(cls, state: dict) -> SerKey:
        return cls(state["steps"], state["seed"], json.loads(state["log"]).get("teacher"))


@dataclass(frozen=True)
class RunOptions:
    """How a run executes and reports; none of it is part of a resume key."""
    threads: int = 1  # torch threads (one per process: 2 on 2 busy cores ran 10-60x slower)
    progress: bool = True  # tqdm bars
    eval_n: int = EVAL_N  # held-out utterances of the final evaluations
    eval_size: int = EVAL_SIZE
    eval_every: int = EVAL_EVERY  # stage 1's quick CTC WER (0: never)
