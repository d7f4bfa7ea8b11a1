"""A unit of sweep work and what comes back from it.

A ``Task`` names a module-level function and its keyword arguments; the function computes one
row and returns it unstored (``results.Computed``). ``run_task`` runs it in whatever process
the engine chose, with ``threads`` torch threads, and turns a failure into an ``Outcome`` that
names the task and the error instead of raising, so one bad configuration never ends a sweep
and is never dropped silently.
"""
from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

from ..results import Computed


@dataclass(frozen=True)
class Task:
    id: str                                   # what the task computes, for progress and errors
    fn: Callable[..., "Computed | list[Computed]"]  # a module-level function (workers import it)
    kwargs: dict = field(default_factory=dict, hash=False)
    num_cpus: float = 1.0                     # resource request (Ray); also the worker's torch threads
    num_gpus: float = 0.0
    threads: int | None = 1                   # torch threads while it runs (None: leave as is)
    cost: float = 1.0                         # relative cost: the costliest start first


@dataclass
class Outcome:
    task_id: str
    computed: "Computed | list[Computed] | None" = None  # one row, or several computed together
    error: str | None = None                  # "<ExceptionType>: message" when it failed
    wall_s: float = 0.0                       # seconds inside the task's function
    pid: int = 0                              # the process that ran it
    detail: str = field(default="", repr=False)  # traceback of an unexpected error


# Errors that mean bad input or a configuration that cannot run (reported in one line);
# anything else is reported with its traceback.
EXPECTED = ("AudioscaleError", "AudioError", "ValueError")


def run_task(task: Task) -> Outcome:
    """Run ``task`` here; never raises for the task's own errors."""
    import os

    import torch

    old = torch.get_num_threads()
    if task.threads:
        torch.set_num_threads(task.threads)
    t0 = time.perf_counter()
    try:
        computed: Any = task.fn(**task.kwargs)
        return Outcome(task.id, computed, None, time.perf_counter() - t0, os.getpid())
    except Exception as e:  # noqa: BLE001 - reported to the driver, which counts it
        detail = "" if type(e).__name__ in EXPECTED else traceback.format_exc()
        return Outcome(task.id, None, f"{type(e).__name__}: {e}", time.perf_counter() - t0, os.getpid(), detail)
    finally:
        torch.set_num_threads(old)
