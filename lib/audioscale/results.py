"""Tidy result rows: the one-way contract config -> run -> row -> table / figure.

Each experiment writes rows to ``results/<experiment>.csv``, one row per configuration,
keyed by the canonical JSON of its config (``config_key``). A row carries the full config,
its metrics, the scale it ran at and the package versions. Timings (wall seconds, RTFx,
examples/s) are machine-dependent, so they go to ``results/timings/<experiment>.csv`` and
the main file stays byte-identical across reruns. ASR experiments also keep one line per
utterance (``UtteranceStore``, ``results/<experiment>_utterances.csv``).

The recompute policy, in one place (``ResultStore.must_recompute``): a finished row is reused
unless the caller passes ``force=True`` or the environment asks for a recompute
(``AUDIOSCALE_RECOMPUTE=1``, set by ``make results``). A recompute run carries a token
(``start_recompute_run``), recorded in each recomputed row's timings line, so a row that
several sections share is recomputed once per run, not once per section.

Every write replaces the file atomically (temp file + rename), sorted by key, under an
exclusive lock (``locked``): a run killed half-way loses nothing already written, and
concurrent writers lose no rows.
"""
from __future__ import annotations

import json
import os
import platform
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
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


def start_recompute_run(token: str | None = None) -> str:
    """Ask every store in this process and its children (notebook kernels, sweep workers) to
    recompute, once per run: a row already recomputed under this run's token (recorded in its
    timings row) is reused, so a configuration two sections share is computed once. Pass the
    token of an interrupted run to go on with it."""
    import uuid
    token = token or uuid.uuid4().hex[:12]
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
        if out[col].dtype.kind == "f":  # -0.0 is written "-0", read back as the integer 0 beside
            out[col] = out[col] + 0.0  # integral values: one sign of zero, whatever the order
    return out


def read_results_csv(path: Path, **kw) -> pd.DataFrame:
    """A results file (no rows when it does not exist). Every file here is written whole, ending
    in a newline, by ``_write_atomic``: one that ends mid-line was cut short (a copy, a disk full),
    and pandas would read its last row with made-up blanks, so it is refused by name."""
    if not path.exists():
        return pd.DataFrame()
    size = path.stat().st_size
    if size:
        with path.open("rb") as fh:
            fh.seek(size - 1)
            if fh.read(1) != b"\n":
                from .errors import AudioscaleError

                raise AudioscaleError(f"{path} ends mid-line: the file was cut short. Fix: restore it "
                                      "(git checkout -- <file>) or delete its unfinished last line.")
    return pd.read_csv(path, **kw)


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


def _write_atomic(df: pd.DataFrame, path: Path, canonical: bool = True) -> None:
    if canonical:
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
        return read_results_csv(self.path)

    def timings(self) -> pd.DataFrame:
        return read_results_csv(self.timing_path)

    @property
    def utterances(self) -> "UtteranceStore":
        return UtteranceStore(self.path.with_name(f"{self.experiment}_utterances.csv"))

    def must_recompute(self, key: str) -> bool:
        """The recompute policy (see the module docstring): under ``AUDIOSCALE_RECOMPUTE=1`` a row
        is stale unless this process or this recompute run already recomputed it."""
        if not recompute_requested() or key in self._recomputed:
            return False
        return key not in self._keys_recomputed_in_this_run()

    def get(self, config: dict, force: bool = False) -> dict | None:
        """The finished row for ``config``, or None if it must be (re)computed."""
        key = config_key(config)
        if force or self.must_recompute(key):
            return None
        df = self.rows()
        if df.empty or "config_key" not in df:
            return None
        hit = df[df["config_key"] == key]
        return None if hit.empty else hit.iloc[0].to_dict()

    def find(self, **columns) -> pd.DataFrame:
        """The reusable rows whose ``columns`` equal the given values (``None`` matches a missing
        value); a column the file does not have matches nothing. Under a recompute, rows not yet
        recomputed in this run are left out, as ``get`` would."""
        df = self.rows()
        if df.empty or any(c not in df for c in columns):
            return df.iloc[0:0]
        hit = pd.Series(True, index=df.index)
        for col, value in columns.items():
            hit &= df[col].isna() if value is None else (df[col] == value)
        df = df[hit]
        if recompute_requested():  # must_recompute for every row, reading the timings file once
            df = df[df["config_key"].isin(self._recomputed | self._keys_recomputed_in_this_run())]
        return df.reset_index(drop=True)

    def superseded(self, config: dict, field: str) -> list[str]:
        """Keys of the rows whose config equals ``config`` except in ``field`` (e.g. the data's
        fingerprint): the rows a recompute with a new ``field`` replaces."""
        df = self.rows()
        if df.empty or field not in df:
            return []
        rest = {k: v for k, v in config.items() if k != field}
        out = []
        for key in df["config_key"]:
            other = json.loads(key)
            if other.get(field) != config.get(field) and {k: v for k, v in other.items() if k != field} == rest:
                out.append(key)
        return out

    def delete(self, keys) -> int:
        """Remove the rows of ``keys`` with their timings lines and per-utterance lines; returns
        how many rows went."""
        keys = set(keys)
        removed = {}
        for path in (self.path, self.timing_path):
            if not keys or not path.exists():
                continue
            with locked(path):
                df = read_results_csv(path)
                gone = df["config_key"].isin(keys)
                removed[path] = int(gone.sum())
                if gone.any():
                    _write_atomic(df[~gone], path)
        self.utterances.delete(config_id(k) for k in keys)
        return removed.get(self.path, 0)

    def put(self, config: dict, metrics: dict, timings: dict | None = None, scale: str = "embedded",
            computed_with: dict[str, str] | None = None, machine: dict | None = None) -> dict:
        """Store one row. ``computed_with`` (package versions) and ``machine`` (machine name,
        cpu threads) describe the process that computed it; by default this one's."""
        key = config_key(config)
        row = {"config_key": key, **config, **metrics, "scale": scale,
               **{f"version_{k}": v for k, v in (computed_with or versions()).items()}}
        self._upsert(self.path, key, row)
        if timings is not None:
            run = {"recompute_run": _recompute_run()} if recompute_requested() and _recompute_run() else {}
            self._upsert(self.timing_path, key, {"config_key": key, **config, **timings,
                                                  **(machine or machine_columns()), **run})
        self._recomputed.add(key)
        return row

    def put_computed(self, done: "Computed") -> dict:
        """Store a row computed elsewhere (a worker process or a Ray task): per-utterance lines
        first, then the row (a stop between the two leaves lines without a row, which a rerun
        replaces), then drop the rows it supersedes: the same config on other data content
        (``data_fingerprint``)."""
        key = config_key(done.config)
        if done.lines is not None:
            self.utterances.replace(key, done.lines)
        for rel_path, text in (done.files or {}).items():
            _write_text_atomic(self.path.parent / rel_path, text)
        stale = self.superseded(done.config, "data_fingerprint")
        row = self.put(done.config, done.metrics, done.timings, done.scale, done.computed_with, done.machine)
        self.delete(stale)
        return row

    def _keys_recomputed_in_this_run(self) -> set[str]:
        run = _recompute_run()
        if run is None or not self.timing_path.exists():
            return set()
        t = self.timings()
        if "recompute_run" not in t:
            return set()
        return set(t.loc[t["recompute_run"] == run, "config_key"])

    @staticmethod
    def _upsert(path: Path, key: str, row: dict) -> None:
        with locked(path):
            df = read_results_csv(path)
            if not df.empty:
                df = df[df["config_key"] != key]
            df = pd.concat([df, pd.DataFrame([row])], ignore_index=True)
            df = df.sort_values("config_key", kind="stable").reset_index(drop=True)
            _write_atomic(df, path)


def _threads() -> int:
    import torch
    return torch.get_num_threads()


def machine_columns() -> dict:
    """The timings columns naming the machine state of this process."""
    return {"machine": platform.machine(), "cpu_threads": _threads()}


@dataclass
class Computed:
    """A row computed but not yet stored: what a worker sends back to the one process that
    writes the results files (``ResultStore.put_computed``). ``lines``: per-utterance lines
    (ASR); ``files``: small text files under results/ (path relative to it -> text), written
    with the row."""
    experiment: str
    config: dict
    metrics: dict
    timings: dict | None
    scale: str
    computed_with: dict[str, str] = field(default_factory=lambda: dict(versions()))
    machine: dict = field(default_factory=machine_columns)
    lines: list[dict] | None = None
    files: dict[str, str] | None = None


def _write_text_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.read_text() == text:
        return
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)


def config_id(key: str) -> str:
    """12 hex digits naming a row's ``config_key`` in the per-utterance file (the key itself is
    ~300 characters, and that file has one line per utterance)."""
    import hashlib

    return hashlib.sha1(key.encode()).hexdigest()[:12]


UTTERANCE_COLUMNS = ["config_id", "utt_id", "audio_s", "n_ref_words", "errors", "decoded_tokens", "hypothesis"]


class UtteranceStore:
    """One line per (row, utterance): hypotheses and error counts, for analyses by duration and
    paired bootstrap intervals. Lines are keyed by ``config_id`` of their row's key."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def read(self) -> pd.DataFrame:
        """Every line (no lines if the file does not exist); hypotheses stay text ("" not NaN)."""
        if not self.path.exists():
            return pd.DataFrame(columns=UTTERANCE_COLUMNS)
        return read_results_csv(self.path, keep_default_na=False, dtype={"config_id": str})

    def row_ids(self) -> set[str]:
        """The ``config_id`` of every row that has its lines."""
        if not self.path.exists():
            return set()
        return set(read_results_csv(self.path, usecols=["config_id"], dtype={"config_id": str})["config_id"])

    def replace(self, key: str, lines: list[dict]) -> None:
        """The lines of one row (``key``: its config_key), replacing any it had."""
        cid = config_id(key)
        with locked(self.path):  # the same read-modify-write as the rows: one writer at a time
            old = self.read()
            df = pd.concat([old[old["config_id"] != cid], pd.DataFrame(lines, columns=UTTERANCE_COLUMNS)],
                           ignore_index=True).sort_values(["config_id", "utt_id"], kind="stable")
            _write_atomic(df, self.path, canonical=False)

    def delete(self, ids) -> None:
        ids = set(ids)
        if not ids or not self.path.exists():
            return
        with locked(self.path):
            df = self.read()
            _write_atomic(df[~df["config_id"].isin(ids)], self.path, canonical=False)
