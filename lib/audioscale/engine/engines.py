"""The two engines: ``local`` (this process, or a pool of warm processes) and ``ray``.

Both take tasks and yield ``Outcome``s in the order tasks finish; neither writes results.
"""
from __future__ import annotations

import os
from typing import Iterator

from ..errors import AudioscaleError, check_choice, check_int_range
from .task import Outcome, Task, run_task

ENGINES = ("local", "ray")
RAY_RETRIES = 3  # times a task is rerun when its worker process dies (not when the task raises)
# Environment a Ray cluster's workers need from the driver (a local instance inherits it all)
FORWARDED_ENV = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE", "HF_HOME", "PYTHONHASHSEED",
                 "AUDIOSCALE_ROOT", "AUDIOSCALE_CACHE", "AUDIOSCALE_RECOMPUTE", "AUDIOSCALE_RECOMPUTE_RUN")


class LocalEngine:
    """``workers=1``: every task in this process, in order (what the study runs by default).
    ``workers>1``: a pool of that many spawned processes, each kept warm across tasks (a model
    or corpus a worker loaded stays loaded for its next task)."""

    name = "local"

    def __init__(self, workers: int = 1):
        self.workers = check_int_range("workers", workers, 1, 64, fix="Use e.g. --workers 2.")

    def run(self, tasks: list[Task]) -> Iterator[Outcome]:
        if self.workers == 1 or len(tasks) == 1:
            for task in tasks:
                yield run_task(task)
            return
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor, as_completed

        pool = ProcessPoolExecutor(self.workers, mp_context=mp.get_context("spawn"))
        try:
            futures = {pool.submit(run_task, task): task for task in tasks}
            for future in as_completed(futures):
                try:
                    yield future.result()
                except Exception as e:  # noqa: BLE001 - a worker process died: the task failed
                    yield Outcome(futures[future].id, error=f"{type(e).__name__}: {e}")
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


class RayEngine:
    """Each task a Ray task (``num_cpus``/``num_gpus`` from the task), rerun up to
    ``RAY_RETRIES`` times when its worker dies. ``address=None`` starts a private local
    instance on loopback (``num_cpus``: default all cores; no dashboard) and stops it at the
    end; ``"auto"`` or ``HOST:PORT`` joins a running cluster (``ray start --head``)."""

    name = "ray"

    def __init__(self, address: str | None = None, num_cpus: int | None = None, retries: int = RAY_RETRIES):
        self.address, self.num_cpus, self.retries = address, num_cpus, retries

    def _start(self, ray) -> bool:
        if ray.is_initialized():
            return False
        quiet = dict(include_dashboard=False, configure_logging=False, log_to_driver=False)
        if self.address:
            env = {k: os.environ[k] for k in FORWARDED_ENV if k in os.environ}
            try:
                ray.init(address=self.address, runtime_env={"env_vars": env}, **quiet)
            except (ConnectionError, RuntimeError, ValueError) as e:
                raise AudioscaleError(f"--address {self.address}: no Ray cluster there ({e}). "
                                      "Fix: start one with `ray start --head`, or leave --address out "
                                      "for a local instance.") from None
        else:
            ray.init(num_cpus=self.num_cpus or os.cpu_count(), _node_ip_address="127.0.0.1", **quiet)
        return True

    def run(self, tasks: list[Task]) -> Iterator[Outcome]:
        ray = import_ray()
        started = self._start(ray)
        remote = ray.remote(run_task)
        refs = {remote.options(num_cpus=t.num_cpus, num_gpus=t.num_gpus, max_retries=self.retries,
                               retry_exceptions=False, name=t.id[:100]).remote(t): t for t in tasks}
        pending = list(refs)
        try:
            while pending:
                ready, pending = ray.wait(pending, num_returns=1)
                try:
                    yield ray.get(ready[0])
                except ray.exceptions.RayError as e:  # retries spent, or the task was lost
                    first = str(e).strip().splitlines()[0] if str(e).strip() else ""
                    yield Outcome(refs[ready[0]].id, error=f"{type(e).__name__}: {first}")
        finally:
            for ref in pending:  # a stopped driver leaves no work behind
                ray.cancel(ref, force=True)
            if started:
                ray.shutdown()


def import_ray():
    try:
        import ray
    except ImportError:
        raise AudioscaleError("--engine ray needs Ray. Fix: pip install 'audioscale[ray]' "
                              "(or ray==2.60.0), or use --engine local.") from None
    return ray


def make_engine(name: str = "local", workers: int = 1, address: str | None = None):
    """The engine called ``name`` (``local`` or ``ray``); ``workers``: processes of the local
    engine, or CPUs of a private local Ray instance; ``address``: a Ray cluster to join."""
    check_choice("engine", name, ENGINES)
    if name == "local":
        if address:
            raise AudioscaleError("--address is for --engine ray. Fix: add --engine ray, or drop --address.")
        return LocalEngine(workers)
    return RayEngine(address=address, num_cpus=workers if not address else None)
