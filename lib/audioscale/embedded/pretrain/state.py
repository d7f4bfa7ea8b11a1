"""The resumable state of a training run, shared by stage 1 and the SER backbone.

On disk (``<cache>/embedded/pretrain/<name>/state.pt``) one ``torch.save`` dict: each part's
``state_dict`` under its name (``model``, ``ctc`` or ``proj``, ``opt``), then ``step``, ``steps``,
``seed`` and ``log`` (the run's log as JSON). A state is continued only if the key read back
from it (``recipe.Stage1Key.of_state``, ``recipe.SerKey.of_state``) equals the run's.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Callable

import torch

from .. import asr_corpus

SAVE_EVERY = 250  # steps between saved states


def state_path(name: str) -> Path:
    return asr_corpus.cache_dir() / "pretrain" / name / "state.pt"


def stage1_dir(name: str) -> Path:
    """Where a stage-1-only run saves its folder for the decoder stage: beside the training
    state, not over the committed checkpoint, which an interrupted run must leave whole."""
    return asr_corpus.cache_dir() / "pretrain" / name / "stage1"


class TrainingState:
    """Saves ``parts`` (modules and the optimizer, by name) with the step and the log every
    ``SAVE_EVERY`` steps and at the last, and keeps the log's ``train_wall_s``: the training
    seconds summed over every session of a resumed run."""

    def __init__(self, name: str, parts: dict, steps: int, seed: int):
        self.path, self.parts, self.steps, self.seed = state_path(name), parts, steps, seed
        self._t0 = time.perf_counter()

    def resume(self, key, key_of_state: Callable[[dict], object]) -> tuple[dict, int] | None:
        """Load the saved state into the parts if ``key_of_state(state) == key``: (its log, its
        step); None if there is none or it belongs to another recipe."""
        if not self.path.is_file():
            return None
        state = torch.load(self.path, weights_only=True)
        if key_of_state(state) != key:
            return None
        for name, part in self.parts.items():
            part.load_state_dict(state[name])
        return json.loads(state["log"]), int(state["step"])

    def start_clock(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._t0 = time.perf_counter()

    def wall_s(self, log: dict) -> float:
        """Training seconds so far, this session's included."""
        return round(log["train_wall_s"] + time.perf_counter() - self._t0, 1)

    def bank_wall_s(self, log: dict) -> None:
        log["train_wall_s"] = self.wall_s(log)
        self._t0 = time.perf_counter()

    def save(self, step: int, log: dict) -> None:
        state = {name: part.state_dict() for name, part in self.parts.items()}
        state |= {"step": step, "steps": self.steps, "seed": self.seed, "log": json.dumps(log)}
        tmp = self.path.with_name(self.path.name + ".tmp")  # a run killed mid-save keeps the previous state
        torch.save(state, tmp)
        os.replace(tmp, self.path)

    def after_step(self, step: int, log: dict) -> None:
        """Bank the wall clock and save, every ``SAVE_EVERY`` steps and after the last."""
        if step % SAVE_EVERY == 0 or step == self.steps:
            self.bank_wall_s(log)
            self.save(step, log)
