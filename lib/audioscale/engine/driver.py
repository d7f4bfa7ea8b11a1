"""The driver: hands tasks to an engine and writes each result as it comes back.

Rows are written one at a time, as tasks finish, so a driver stopped at any point keeps every
row already returned; a rerun's planner then asks only for the rest.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from ..progress import progress
from ..results import ResultStore
from .task import Outcome, Task


@dataclass
class SweepSummary:
    done: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (task id, error)
    wall_s: float = 0.0
    task_s: dict[str, float] = field(default_factory=dict)       # seconds inside each task
    engine: str = "local"

    @property
    def overhead_s(self) -> float:
        """Wall time not spent inside tasks, per worker slot: what the engine cost."""
        return self.wall_s - sum(self.task_s.values())

    def __str__(self) -> str:
        lines = [f"{self.done} rows computed, {len(self.failed)} failed in {self.wall_s:.1f} s "
                 f"(engine {self.engine})"]
        lines += [f"  FAILED {task}: {error}" for task, error in self.failed]
        return "\n".join(lines)


def run_tasks(tasks: list[Task], engine, stores: dict[str, ResultStore] | None = None,
              desc: str = "sweep", verbose: bool = True, show_progress: bool | None = None) -> SweepSummary:
    """Run ``tasks`` on ``engine``; store each row in ``stores[experiment]`` (default: the
    project's results folder) as it arrives. Failures are counted and listed, never raised."""
    stores = dict(stores or {})
    summary = SweepSummary(engine=engine.name)
    t0 = time.perf_counter()
    if not tasks:
        return summary
    bar = progress(total=len(tasks), desc=desc, unit="task", enabled=show_progress)
    try:
        for k, outcome in enumerate(engine.run(sorted(tasks, key=lambda t: -t.cost)), 1):
            _record(outcome, stores, summary)
            bar.update(1)
            if verbose:
                status = f"FAILED: {outcome.error}" if outcome.error else _headline(outcome)
                print(f"[{k}/{len(tasks)}] {outcome.task_id}: {status}", flush=True)
                if outcome.detail:
                    print(outcome.detail, flush=True)
    finally:
        bar.close()
        summary.wall_s = time.perf_counter() - t0
    return summary


def _headline(outcome: Outcome) -> str:
    """'WER 12.34 %, 3.2 s' (or UA for SER): what a person watching the sweep wants per row."""
    rows = outcome.computed if isinstance(outcome.computed, list) else [outcome.computed]
    metrics = rows[0].metrics if rows and rows[0] is not None else {}
    if len(rows) > 1 and "wer_pct" in metrics:
        wers = " / ".join(f"{r.metrics['wer_pct']:.2f}" for r in rows)
        return f"WER {wers} %, {outcome.wall_s:.1f} s"
    if "wer_pct" in metrics:
        return f"WER {metrics['wer_pct']:.2f} %, {outcome.wall_s:.1f} s"
    if "ua" in metrics:
        return f"UA {metrics['ua']:.3f}, {outcome.wall_s:.1f} s"
    return f"{outcome.wall_s:.1f} s"


def _record(outcome: Outcome, stores: dict[str, ResultStore], summary: SweepSummary) -> None:
    summary.task_s[outcome.task_id] = outcome.wall_s
    if outcome.error or outcome.computed is None:
        summary.failed.append((outcome.task_id, outcome.error or "returned no row"))
        return
    rows = outcome.computed if isinstance(outcome.computed, list) else [outcome.computed]
    for done in rows:  # a task may compute several rows (ASR strides sharing an encoder pass)
        store = stores.setdefault(done.experiment, ResultStore(done.experiment))
        store.put_computed(done)
        summary.done += 1
