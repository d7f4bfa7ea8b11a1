"""What the Ray engine costs against the local one, on the study's own embedded sweeps.

The same work runs twice on this machine, each time into an empty temporary results folder:
- ASR: every mini in checkpoints/ x {full, half} window x {stride 1, 2 select, 2 mean}, first
  ``--asr-limit`` utterances of the embedded test set (the study's sweep on a prefix);
- SER: the duration study (2, 4, 6 s x masked/all pooling) with ``--ser-seeds``.
once on the local engine with 2 worker processes (what ``make results`` uses for SER) and once
on a private local Ray instance with 2 CPUs. Printed per sweep and engine: wall time, the
seconds spent inside tasks, the engine's overhead per task (wall x slots - task seconds, per
task), the peak resident memory of the whole process tree (driver, workers, Ray's own
daemons; sampled every 0.2 s from /proc), and whether the two engines' rows are byte-identical.
Ray's start-up (``ray.init``) is timed apart: a cluster pays it once, not per sweep.

Target (issue 26): Ray's overhead under 10 % of the local engine's wall time.
The machine must be otherwise idle: the 1-minute load average is printed before each run.
Usage: python benchmarks/sweep_bench.py [--asr-limit N] [--ser-seeds 0 ...] [--skip-ser]
"""
from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from pathlib import Path

SLOTS = 2


class TreeMemory:
    """Peak summed RSS (MiB) of this process and all its descendants, sampled in a thread."""

    def __init__(self, every_s: float = 0.2):
        self.every_s, self.peak_mib, self._stop = every_s, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _tree_rss_mib(self) -> float:
        parent: dict[int, int] = {}
        rss: dict[int, int] = {}
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                stat = Path(f"/proc/{d}/stat").read_text()
                fields = stat[stat.rindex(")") + 2:].split()
                parent[int(d)], rss[int(d)] = int(fields[1]), int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
            except (OSError, ValueError, IndexError):
                continue
        me, total = os.getpid(), 0
        for pid in rss:
            p = pid
            while p and p != me:
                p = parent.get(p, 0)
            if p == me:
                total += rss[pid]
        return total / 2**20

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_mib = max(self.peak_mib, self._tree_rss_mib())
            time.sleep(self.every_s)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def asr_sweep(results: Path, engine, limit: int):
    from audioscale.asr.run import sweep_embedded
    from audioscale.results import ResultStore

    store = ResultStore("asr_embedded", root=results)
    sweep_embedded(None, limit=limit, store=store, verbose=False, engine=engine, check_limit=None)
    return [store.path, store.utterances.path]


def ser_sweep(results: Path, engine, seeds: tuple[int, ...]):
    from audioscale.results import ResultStore
    from audioscale.ser.sweep import study_configs, sweep

    store = ResultStore("ser_embedded", root=results)
    summary = sweep(study_configs("duration", seeds=seeds), "ser_embedded", "embedded", engine, store=store,
                    verbose=False)
    assert not summary.failed, summary
    return [store.path]


def measure(name: str, run, engine) -> dict:
    from audioscale.engine import driver

    seen: list = []
    original = driver.run_tasks

    def spy(*a, **k):  # keep the summary the sweep function discards
        seen.append(original(*a, **k))
        return seen[-1]

    results = Path(tempfile.mkdtemp(prefix=f"sweep-bench-{engine.name}-"))
    load = os.getloadavg()[0]
    import audioscale.engine as eng
    eng.run_tasks = spy
    try:
        with TreeMemory() as mem:
            t0 = time.perf_counter()
            files = run(results, engine)
            wall = time.perf_counter() - t0
    finally:
        eng.run_tasks = original
    summary = seen[-1]
    n = max(1, len(summary.task_s))
    task_s = sum(summary.task_s.values())
    return dict(sweep=name, engine=engine.name, tasks=n, wall_s=wall, task_s=task_s,
                overhead_per_task_s=(wall * SLOTS - task_s) / n, peak_mib=mem.peak_mib, load=load,
                rows=[f.read_bytes() for f in files])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--asr-limit", type=int, default=120, help="utterances of the embedded test set")
    ap.add_argument("--ser-seeds", type=int, nargs="+", default=[0], help="seeds of the SER duration study")
    ap.add_argument("--skip-ser", action="store_true")
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import ray

    from audioscale.engine import LocalEngine
    from audioscale.engine.engines import RayEngine

    sweeps = [("asr-embedded", lambda r, e: asr_sweep(r, e, args.asr_limit))]
    if not args.skip_ser:
        sweeps.append(("ser-duration", lambda r, e: ser_sweep(r, e, tuple(args.ser_seeds))))
    out = []
    for name, run in sweeps:
        out.append(measure(name, run, LocalEngine(SLOTS)))
    t0 = time.perf_counter()
    ray.init(num_cpus=SLOTS, include_dashboard=False, _node_ip_address="127.0.0.1", configure_logging=False,
             log_to_driver=False)
    startup_s = time.perf_counter() - t0
    try:
        for name, run in sweeps:
            out.append(measure(name, run, RayEngine()))
    finally:
        ray.shutdown()
    print(f"{'sweep':14} {'engine':6} {'tasks':>5} {'wall s':>7} {'in tasks s':>10} {'overhead/task s':>15} "
          f"{'peak MiB':>8} {'load':>5}")
    for r in out:
        print(f"{r['sweep']:14} {r['engine']:6} {r['tasks']:5d} {r['wall_s']:7.1f} {r['task_s']:10.1f} "
              f"{r['overhead_per_task_s']:15.2f} {r['peak_mib']:8.0f} {r['load']:5.2f}")
    print(f"Ray start-up (ray.init, {SLOTS} CPUs, loopback): {startup_s:.1f} s")
    for name, _ in sweeps:
        local, on_ray = (next(r for r in out if r["sweep"] == name and r["engine"] == e) for e in ("local", "ray"))
        extra = 100 * (on_ray["wall_s"] / local["wall_s"] - 1)
        with_start = 100 * ((on_ray["wall_s"] + startup_s) / local["wall_s"] - 1)
        same = "identical" if on_ray["rows"] == local["rows"] else "DIFFERENT"
        print(f"{name}: ray/local wall = {on_ray['wall_s'] / local['wall_s']:.3f} ({extra:+.1f} %; "
              f"{with_start:+.1f} % with start-up; target < +10 %); rows {same}")


if __name__ == "__main__":
    main()
