"""ASR sweep tasks: one configuration -> one unstored row, in whichever process runs it.

A task carries the configuration and the data (a spec a worker can load: ``"embedded"``, a
folder, a hub name; or, in this process only, an already loaded ``AsrData``). Each process
keeps the last model and data set it loaded, so consecutive tasks of one model or one data set
load them once (``clear`` frees them).
"""
from __future__ import annotations

from ..engine import Task
from ..results import Computed
from .config import AsrConfig
from .data import AsrData, load_asr_data
from .system import AsrSystem, load_system

_LOADED: dict[str, tuple] = {}  # "system" / "data" -> (cache key, object): one of each per process


def _cached(kind: str, key, load):
    hit = _LOADED.get(kind)
    if hit is None or hit[0] != key:
        _LOADED.pop(kind, None)  # free the old one before loading the next (large-v3 is 3 GB)
        _LOADED[kind] = (key, load())
    return _LOADED[kind][1]


def clear() -> None:
    """Forget the loaded model and data of this process."""
    _LOADED.clear()


def system_for(config: AsrConfig) -> AsrSystem:
    return _cached("system", (config.model, config.device, config.dtype),
                   lambda: load_system(config.model, device=config.device, dtype=config.dtype))


def data_for(data: "str | AsrData", allow_missing_audio: bool = False) -> AsrData:
    if isinstance(data, AsrData):
        return data
    from .run import EMBEDDED_DATA, default_embedded_data

    if data == EMBEDDED_DATA:
        return _cached("data", data, default_embedded_data)
    return _cached("data", (data, allow_missing_audio), lambda: load_asr_data(data, allow_missing_audio=allow_missing_audio))


def compute(configs: list[AsrConfig], data: "str | AsrData", batch_size: int = 16, warmup: bool = True,
            flops_conventions=None, allow_missing_audio: bool = False) -> list[Computed]:
    """The task function: ``run.compute_asr_group`` on the cached model and data."""
    from .run import compute_asr_group

    return compute_asr_group(configs, system_for(configs[0]), data_for(data, allow_missing_audio),
                             batch_size=batch_size, warmup=warmup, flops_conventions=flops_conventions)


def make_tasks(configs: list[AsrConfig], data: "str | AsrData", threads: int | None = 1, **kwargs) -> list[Task]:
    """The configurations as tasks, one per (model, window, utterance limit): the configurations
    of one task share its features and encoder pass. A GPU per task on CUDA, else ``threads`` CPUs."""
    from .run import model_label

    groups: dict[tuple, list[AsrConfig]] = {}
    for c in configs:
        groups.setdefault((c.model, c.encoder_frames, c.limit), []).append(c)
    out = []
    for (model, frames, limit), group in groups.items():
        axes = ",".join(f"{c.stride}" + ("m" if c.pooling == "mean" else "") for c in group)
        label = f"{model_label(model)} T={frames} s={axes}" + (f" limit={limit}" if limit is not None else "")
        gpu = group[0].device == "cuda"
        out.append(Task(label, compute, dict(configs=group, data=data, **kwargs),
                        num_cpus=1 if gpu else float(threads or 1), num_gpus=1.0 if gpu else 0.0,
                        threads=None if gpu else threads, cost=float(len(group))))
    return out


def data_arg(data: "AsrData", spec: "str | None", engine) -> "str | AsrData":
    """What tasks carry as their data: the loaded set when they run in this process, else the
    spec a worker loads itself (a set loaded by the caller has none: it cannot go to workers)."""
    if engine is None or (engine.name == "local" and engine.workers == 1):
        return data
    if spec is None:
        from ..errors import AudioscaleError
        raise AudioscaleError("a sweep on worker processes needs the data as a name or folder, not a loaded set.")
    return spec


def run(work: list[Task], engine, store, verbose: bool = True) -> None:
    """Run ``work`` on ``engine`` (default: in this process), storing rows in ``store``; then free
    this process's model and data, and raise one error naming every configuration that failed
    (the others are stored)."""
    from ..engine import LocalEngine, run_tasks
    from ..errors import AudioscaleError

    try:
        summary = run_tasks(work, engine or LocalEngine(), {store.experiment: store}, desc="ASR configurations",
                            verbose=verbose)
    finally:
        clear()
    if summary.failed:
        raise AudioscaleError(f"{len(summary.failed)} configuration(s) failed (the others are stored): "
                              + "; ".join(f"{task}: {error}" for task, error in summary.failed))
