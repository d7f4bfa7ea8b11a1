"""A small dependency-aware job queue: jobs run ``workers`` at a time, each once every job it
waits for has succeeded, and a free worker takes the ready job with the longest chain of work
still behind it (its cost plus the costliest chain of jobs that wait on it), so the workers
finish close together.

A job is a command (an argv list, run as a subprocess) or a callable (run in a thread; an
exception fails it). A failed job skips the jobs that wait on it; the others still run, and
``run_jobs`` then raises one ``JobsFailed`` that names them.
"""
from __future__ import annotations

import subprocess
import threading
import time
import traceback
from dataclasses import dataclass
from typing import Callable, Sequence

from .errors import AudioscaleError

POLL_S = 1.0  # seconds between looks at the running jobs


@dataclass(frozen=True)
class Job:
    id: str
    run: Sequence[str] | Callable[[], object]  # argv of a subprocess, or a callable
    after: tuple[str, ...] = ()  # ids of the jobs it waits for
    cost_s: float = 1.0  # estimated seconds; only the order in which ready jobs start depends on it


class JobsFailed(AudioscaleError):
    """Jobs failed (``failed``: id -> why) and others were skipped because they waited on one."""

    def __init__(self, failed: dict[str, str], skipped: list[str], wall_s: dict[str, float]):
        self.failed, self.skipped, self.wall_s = failed, skipped, wall_s
        why = "; ".join(f"job {job!r} failed: {reason}" for job, reason in failed.items())
        super().__init__(why + (f"; skipped, as they wait on it: {', '.join(skipped)}" if skipped else ""))


class _Thread:
    """A callable job in a thread, polled like a process: ``poll()`` is None while it runs, then 0 or 1."""

    def __init__(self, fn: Callable[[], object]):
        self.error: str | None = None
        self._thread = threading.Thread(target=self._run, args=(fn,), daemon=True)
        self._thread.start()

    def _run(self, fn) -> None:
        try:
            fn()
        except BaseException as e:  # a job's failure is reported, not raised in the thread
            self.error = f"{type(e).__name__}: {e}"
            traceback.print_exc()

    def poll(self) -> int | None:
        if self._thread.is_alive():
            return None
        return 1 if self.error else 0


def start_job(job: Job):
    """Start ``job``; a handle whose ``poll()`` is None while it runs, then its exit status."""
    if callable(job.run):
        return _Thread(job.run)
    return subprocess.Popen(list(job.run))


def _check(jobs: Sequence[Job]) -> dict[str, Job]:
    by_id: dict[str, Job] = {}
    for job in jobs:
        if job.id in by_id:
            raise AudioscaleError(f"two jobs are named {job.id!r}: job ids must be unique.")
        by_id[job.id] = job
    for job in jobs:
        unknown = [a for a in job.after if a not in by_id]
        if unknown:
            raise AudioscaleError(f"job {job.id!r} waits for unknown job(s) {unknown}.")
    return by_id


def chain_s(jobs: Sequence[Job]) -> dict[str, float]:
    """Each job's priority: its cost plus the longest chain of jobs that wait on it."""
    by_id = _check(jobs)
    waiting = {job.id: [j.id for j in jobs if job.id in j.after] for job in jobs}
    out: dict[str, float] = {}

    def chain(job_id: str, path: tuple[str, ...]) -> float:
        if job_id in path:
            raise AudioscaleError(f"jobs wait on each other in a cycle: {' -> '.join(path + (job_id,))}.")
        if job_id not in out:
            out[job_id] = by_id[job_id].cost_s + max((chain(w, path + (job_id,)) for w in waiting[job_id]),
                                                     default=0.0)
        return out[job_id]
    for job in jobs:
        chain(job.id, ())
    return out


def run_jobs(jobs: Sequence[Job], workers: int, start: Callable[[Job], object] = start_job,
             poll_s: float | None = None) -> dict[str, float]:
    """Run ``jobs``, at most ``workers`` at a time, printing a line as each starts and ends;
    the seconds each took. Raises ``JobsFailed`` once every job that can run has run.
    ``start``: how a job is started (tests pass fakes); ``poll_s``: default ``POLL_S``."""
    poll_s = POLL_S if poll_s is None else poll_s
    if workers < 1:
        raise AudioscaleError(f"workers={workers}: give 1 or more.")
    priority = chain_s(jobs)
    pending = sorted(jobs, key=lambda j: -priority[j.id])
    running: dict[str, tuple[object, float]] = {}
    done: set[str] = set()
    failed: dict[str, str] = {}
    skipped: list[str] = []
    wall: dict[str, float] = {}
    while pending or running:
        for job in list(pending):
            if any(a in failed or a in skipped for a in job.after):  # its input will never come
                pending.remove(job)
                skipped.append(job.id)
            elif len(running) < workers and all(a in done for a in job.after):
                pending.remove(job)
                print(f"start {job.id}", flush=True)
                running[job.id] = (start(job), time.perf_counter())
        if not running:
            break
        time.sleep(poll_s)
        for job_id, (handle, t0) in list(running.items()):
            rc = handle.poll()
            if rc is None:
                continue
            del running[job_id]
            wall[job_id] = round(time.perf_counter() - t0, 1)
            if rc == 0:
                done.add(job_id)
                print(f"finished {job_id} ({wall[job_id]} s)", flush=True)
            else:
                failed[job_id] = getattr(handle, "error", None) or f"exit status {rc}"
                print(f"FAILED {job_id} ({wall[job_id]} s): {failed[job_id]}", flush=True)
    if failed or skipped:
        raise JobsFailed(failed, skipped, wall)
    return wall
