"""Tidy result rows: the one-way contract config -> run -> row -> table / figure.

Each experiment writes rows to ``results/<experiment>.csv``, one row per configuration,
keyed by the canonical JSON of its config (``config_key``). A row carries the full config,
its metrics, the scale it ran at and the package versions. Timings (wall seconds, RTFx,
examples/s) are machine-dependent, so they go to ``results/timings/<experiment>.csv`` and
the main file stays byte-identical across reruns.

- A rerun of a finished config reuses its row (``get``); ``force=True`` or the environment
  variable ``AUDIOSCALE_RECOMPUTE=1`` (set by ``make reproduce``) recomputes it.
- Every ``put`` rewrites the file atomically (temp file + rename), sorted by key, under an
  exclusive lock (``locked``): a run killed half-way loses nothing already written, and
  concurrent writers lose no rows.
"""
from __future__ import annotations

import json
import os
import platform
import tempfile
from contextlib import contextmanager
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import pandas as pd

from .paths import RESULTS_DIR

_VERSIONED = ("torch", "transformers", "peft", "jiwer", "numpy", "openai-whisper", "scikit-learn")


@lru_cache(maxsize=None)
def versions() -> dict[str, str]:
    """Package versions written into every row (pinned normalizer/scorer included)."""
    out = {"python": platform.python_version()}
    for pkg in _VERSIONED:
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "absent"
    from . import __version__
    out["audioscale"] = __version__
    return out


def config_key(config: dict) -> str:
    return json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)


def recompute_requested() -> bool:
    return os.environ.get("AUDIOSCALE_RECOMPUTE") == "1"


RUN_ENV = "AUDIOSCALE_RECOMPUTE_RUN"


def start_recompute_run() -> str:
    """Ask every store in this process and its children (notebook kernels, sweep workers) to
    recompute, once per run: a row already recomputed under this run's token (recorded in its
    timings row) is reused, so a configuration two notebooks share is trained once."""
    import uuid
    token = uuid.uuid4().hex[:12]
    os.environ["AUDIOSCALE_RECOMPUTE"] = "1"
    os.environ[RUN_ENV] = token
    return token


def _recompute_run() -> str | None:
    return os.environ.get(RUN_ENV) or None


def _canonical(df: pd.DataFrame) -> pd.DataFrame:
    """Numeric columns held as objects (a row with ``None`` beside rows read back as floats)
    become numeric again, so every number is written through ``float_format``. Without this a
    value's text depended on the order rows were written in (``1.0`` after one history, ``1``
    after another), and a rerun in another order was not byte-identical."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object:
            values = out[col].dropna()
            if len(values) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
                out[col] = pd.to_numeric(out[col])
    return out


@contextmanager
def locked(path: Path):
    """An exclusive ``flock`` on a hidden lock file beside ``path``, held for a read-modify-write:
    two processes writing one results file (two sweeps, two shards) never lose each other's rows
    (without it, two 16-seed runs into one store kept 31 and 30 of 32 rows)."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(f".{path.name}.lock"), "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _write_atomic(df: pd.DataFrame, path: Path) -> None:
    df = _canonical(df)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    df.to_csv(tmp, index=False, lineterminator="\n", float_format="%.10g")
    os.chmod(tmp, 0o644)  # mkstemp makes it owner-only; results are for everyone who reads the repo
    os.replace(tmp, path)


class ResultStore:
    """Rows of one experiment. ``config`` dicts must be flat and JSON-serialisable."""

    def __init__(self, experiment: str, root: Path | str | None = None):
        self.experiment = experiment
        root = Path(root) if root is not None else RESULTS_DIR
        self.path = root / f"{experiment}.csv"
        self.timing_path = root / "timings" / f"{experiment}.csv"
        self._recomputed: set[str] = set()

    def rows(self) -> pd.DataFrame:
        return pd.read_csv(self.path) if self.path.exists() else pd.DataFrame()

    def timings(self) -> pd.DataFrame:
        return pd.read_csv(self.timing_path) if self.timing_path.exists() else pd.DataFrame()

    def get(self, config: dict, force: bool = False) -> dict | None:
        """The finished row for ``config``, or None if it must be (re)computed."""
        key = config_key(config)
        if force or (recompute_requested() and key not in self._recomputed
                     and not self._recomputed_in_this_run(key)):
            return None
        df = self.rows()
        if df.empty or "config_key" not in df:
            return None
        hit = df[df["config_key"] == key]
        return None if hit.empty else hit.iloc[0].to_dict()

    def put(self, config: dict, metrics: dict, timings: dict | None = None, scale: str = "embedded") -> dict:
        key = config_key(config)
        row = {"config_key": key, **config, **metrics, "scale": scale,
               **{f"version_{k}": v for k, v in versions().items()}}
        self._upsert(self.path, key, row)
        if timings is not None:
            run = {"recompute_run": _recompute_run()} if recompute_requested() and _recompute_run() else {}
            self._upsert(self.timing_path, key, {"config_key": key, **config, **timings,
                                                  "machine": platform.machine(),
                                                  "cpu_threads": _threads(), **run})
        self._recomputed.add(key)
        return row

    def _recomputed_in_this_run(self, key: str) -> bool:
        run = _recompute_run()
        if run is None or not self.timing_path.exists():
            return False
        t = self.timings()
        if "recompute_run" not in t:
            return False
        return bool(((t["config_key"] == key) & (t["recompute_run"] == run)).any())

    @staticmethod
    def _upsert(path: Path, key: str, row: dict) -> None:
        with locked(path):
            df = pd.read_csv(path) if path.exists() else pd.DataFrame()
            if not df.empty:
                df = df[df["config_key"] != key]
            df = pd.concat([df, pd.DataFrame([row])], ignore_index=True)
            df = df.sort_values("config_key", kind="stable").reset_index(drop=True)
            _write_atomic(df, path)


def _threads() -> int:
    import torch
    return torch.get_num_threads()
