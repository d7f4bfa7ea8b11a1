"""Where a sweep's work runs: one driver, many workers, one writer.

A sweep is a list of ``Task``s (one configuration each: an ASR configuration, an SER
configuration with its seed). An engine runs them and hands each result back to the driver
as it arrives; only the driver writes the results store (``run_tasks``), so no results file is
ever written by two processes, whatever the engine.

- ``local`` (the default): in this process, or in ``workers`` warm processes on this machine.
- ``ray``: each task is a Ray task with its resource request (``num_gpus`` on a GPU cluster,
  ``num_cpus`` otherwise), retried when its worker dies; on a local Ray instance or on a
  cluster (``address``). Install with ``pip install 'audioscale[ray]'``.

Resume is the planners' job (``asr.run``, ``ser.sweep``): they only make tasks for rows the
store lacks, so a killed driver restarts where it stopped.
"""
from __future__ import annotations

from .driver import SweepSummary, run_tasks
from .engines import ENGINES, LocalEngine, make_engine
from .task import Outcome, Task, run_task

__all__ = ["ENGINES", "LocalEngine", "Outcome", "SweepSummary", "Task", "make_engine", "run_task", "run_tasks"]
