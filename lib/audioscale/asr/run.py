"""One ASR configuration -> one tidy row; the paper's sweep and the embedded sweep.

A configuration is (model, data, encoder frames T, stride s, pooling, beam size, token
cap, utterance limit, device, dtype). ``run_asr`` evaluates it and writes one row to
``results/asr_<scale>.csv`` through ``ResultStore``: WER with its substitution /
deletion / insertion counts, bad and missing audio counts, decoded-token statistics and
GFLOPs per utterance under every ``audioscale.accounting.flops`` convention. RTFx and the other
machine-dependent numbers go to ``results/timings/asr_<scale>.csv``. A rerun returns the
finished row without recomputing; ``force=True`` (or ``AUDIOSCALE_RECOMPUTE=1``) recomputes.

Bad audio files are counted (``n_bad_files``, ids in ``bad_files``) and left out of the
WER, never dropped silently; the sweep goes on.
"""
from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import torch

from ..errors import AudioscaleError, check_int_range
from ..models.whisper_axes import check_frames_and_stride
from ..paths import CHECKPOINTS_DIR
from ..results import Computed, ResultStore, config_id, config_key
from .config import DEFAULT_NORMALIZER, AsrConfig
from .data import AsrData, load_asr_data, portable_name
from .decode import check_window, max_new_tokens_for, transcribe, transcribe_axes
from .system import AsrSystem, default_device, load_system
from .wer import corpus_wer
from .row import (_load_waves, _warn_about_audio, flops_columns, timing_columns,  # noqa: F401 - run.X kept
                  utterance_lines, write_utterances)  # noqa: F401

log = logging.getLogger(__name__)
PAPER_DATA = "librispeech-test-other"  # hub short name; a local folder works too
EMBEDDED_DATA = "embedded"  # names the embedded world's test set (synthesized and cached on first use)


def model_label(source: str) -> str:
    """Short, machine-independent model name: the short name, the hub id's last part, or
    the folder's name (``asr-mini-tiny`` -> ``mini-tiny``)."""
    name = Path(str(source).rstrip("/")).name
    if name.startswith("whisper-"):
        name = name[len("whisper-"):]
    if name.startswith("asr-mini-"):
        name = "mini-" + name[len("asr-mini-"):]
    return name


def weights_id(source: str) -> str:
    """First 12 hex digits of the SHA-256 of a local checkpoint's ``model.safetensors``, so a
    retrained checkpoint never reuses the rows of its predecessor ("" for hub ids: their
    revision is not pinned here)."""
    from ..fingerprint import file_digest

    f = Path(source) / "model.safetensors"
    return file_digest(f)[:12] if f.is_file() else ""


def asr_config(system: AsrSystem, data: AsrData, encoder_frames: int, stride: int, pooling: str,
               beam_size: int, max_new_tokens: int, limit: int | None, normalizer: str, seed: int = 0) -> dict:
    """The row's key: everything that can change its metrics (batch size cannot: it is a
    timing knob and lives in the timings file)."""
    src = system.source
    config = dict(model=model_label(src), source=portable_name(src) if Path(src).exists() else src,
                  weights=weights_id(src),
                  data=data.name, encoder_frames=int(encoder_frames), stride=int(stride), pooling=pooling,
                  beam_size=int(beam_size), max_new_tokens=int(max_new_tokens),
                  limit=-1 if limit is None else int(limit), device=system.device, dtype=system.dtype,
                  normalizer=normalizer, seed=seed)
    if data.fingerprint:  # a local folder: its content is part of the key
        config["data_fingerprint"] = data.fingerprint
    return config


def run_asr(config: AsrConfig, system: AsrSystem | None = None, data: AsrData | None = None, *,
            store: ResultStore | None = None, batch_size: int = 16, force: bool = False, warmup: bool = True,
            allow_missing_audio: bool = False, flops_conventions=None, verbose: bool = False) -> dict:
    """Evaluate one configuration; returns its row (from the store when already finished).

    ``system`` / ``data``: already loaded model and data (sweeps reuse them); otherwise they
    are loaded from ``config.model`` / ``config.data``. The other arguments change how the
    row is computed or where it goes, never its numbers.
    """
    system, data = _load(config, system, data, allow_missing_audio)
    store = store or ResultStore(f"asr_{config.scale}")
    key = row_key(config, system, data)
    row = _with_lines(store, store.get(key, force=force))
    if row is not None:
        if verbose:
            print(f"skip (finished): {key['model']} T={key['encoder_frames']} s={key['stride']} {key['pooling']}")
        return row
    if store.superseded(key, "data_fingerprint"):
        log.warning("%s has changed since its row was computed: recomputing (the old row goes)", data.name)
    done = compute_asr(config, system, data, batch_size=batch_size, warmup=warmup,
                       flops_conventions=flops_conventions, verbose=verbose)
    return store.put_computed(done)


def _load(config: AsrConfig, system: AsrSystem | None, data: AsrData | None,
          allow_missing_audio: bool = False) -> tuple[AsrSystem, AsrData]:
    if system is None:
        system = load_system(config.model, device=config.device, dtype=config.dtype)
    if data is None:
        data = default_embedded_data() if config.data == EMBEDDED_DATA else load_asr_data(
            config.data, allow_missing_audio=allow_missing_audio)
    return system, data.head(config.limit)


def row_key(config: AsrConfig, system: AsrSystem, data: AsrData) -> dict:
    """The row's key for ``config`` on the loaded ``system`` and (limited) ``data``; checks
    the window and stride first."""
    t = system.full_encoder_frames if config.encoder_frames is None else check_window(system, config.encoder_frames)
    check_frames_and_stride(t, config.stride, max_frames=system.full_encoder_frames)
    n_new = max_new_tokens_for(system, config.max_new_tokens)
    return asr_config(system, data, t, config.stride, config.pooling, config.beam_size, n_new, config.limit,
                      config.scorer)


def compute_asr(config: AsrConfig, system: AsrSystem | None = None, data: AsrData | None = None, *,
                batch_size: int = 16, warmup: bool = True, allow_missing_audio: bool = False,
                flops_conventions=None, verbose: bool = False) -> Computed:
    """Evaluate one configuration and return its row unstored (``ResultStore.put_computed``
    writes it): the part of ``run_asr`` that a worker process runs."""
    return compute_asr_group([config], system, data, batch_size=batch_size, warmup=warmup,
                             allow_missing_audio=allow_missing_audio, flops_conventions=flops_conventions,
                             verbose=verbose)[0]


def compute_asr_group(configs: list[AsrConfig], system: AsrSystem | None = None, data: AsrData | None = None, *,
                      batch_size: int = 16, warmup: bool = True, allow_missing_audio: bool = False,
                      flops_conventions=None, verbose: bool = False) -> list[Computed]:
    """The rows of configurations that differ only in stride and pooling, from one features and
    encoder pass per batch (``decode.transcribe_axes``): the rows equal those computed one at a
    time (the same batches reach the same encoder); only the timings say the pass was shared."""
    batch_size = check_int_range("batch_size", batch_size, 1, None, fix="Use e.g. 16.")
    system, data = _load(configs[0], system, data, allow_missing_audio)
    keys = [row_key(c, system, data) for c in configs]
    shared = {k: v for k, v in keys[0].items() if k not in ("stride", "pooling")}
    if any({k: v for k, v in key.items() if k not in ("stride", "pooling")} != shared for key in keys):
        raise AudioscaleError("configurations computed together must differ only in stride and pooling.")
    t, n_new, beam = shared["encoder_frames"], shared["max_new_tokens"], shared["beam_size"]
    torch.manual_seed(shared["seed"])
    waves, kept, bad = _load_waves(data)
    _warn_about_audio(bad, waves, t, t * system.window_s / system.full_encoder_frames, data.name)
    if not kept:
        raise AudioscaleError(f"all {len(bad)} audio files of {data.name} are unreadable "
                              f"(first: {bad[0][1] if bad else '-'}). Fix: check the data folder.")
    axes = list(dict.fromkeys((key["stride"], key["pooling"]) for key in keys))
    if len(axes) == 1:
        trs = {axes[0]: transcribe(system, waves, t, *axes[0], batch_size, beam, n_new, warmup=warmup)}
    else:
        trs = transcribe_axes(system, waves, t, axes, batch_size, beam, n_new, warmup=warmup)
    out = []
    for config, key in zip(configs, keys):
        tr = trs[(key["stride"], key["pooling"])]
        score = corpus_wer([u.transcript for u in kept], tr.texts, config.scorer)
        decoded_mean = sum(tr.decoded_tokens) / len(kept)
        positions = max(1, int(round(len(system.prompt_ids) + decoded_mean)))
        metrics = dict(score.as_metrics())
        metrics.update(
            n_bad_files=len(bad), bad_files=";".join(b[0] for b in bad), n_missing_audio=data.n_missing_audio,
            decoded_tokens_mean=decoded_mean, decoder_positions=positions,
            n_hit_token_cap=sum(1 for n in tr.decoded_tokens if n >= n_new),
            params_m=sum(p.numel() for p in system.model.parameters()) / 1e6,
            full_encoder_frames=system.full_encoder_frames, window_s=system.window_s,
            **flops_columns(system, t, key["stride"], key["pooling"], positions, flops_conventions))
        if verbose:
            print(f"{key['model']} T={t} s={key['stride']} {key['pooling']}: WER {score.wer_pct:.2f} % "
                  f"({len(kept)} utts, {len(bad)} bad), RTFx {tr.rtfx:.1f}")
        out.append(Computed(f"asr_{config.scale}", key, metrics, timing_columns(tr, shared_axes=len(axes)),
                            config.scale, lines=utterance_lines(config_key(key), kept, waves, tr, config.scorer)))
    return out


def _with_lines(store: ResultStore, found, have: set[str] | None = None):
    """``found`` (a row dict, or a frame of rows) without the rows whose per-utterance lines are
    missing: such a row was stranded by an interrupted run (before lines were written first),
    and counts as unfinished. ``have``: ``store.utterances.row_ids()``, when the caller already
    read it for several lookups."""
    if found is None or (isinstance(found, pd.DataFrame) and found.empty):
        return found
    have = store.utterances.row_ids() if have is None else have
    if isinstance(found, dict):
        return found if config_id(found["config_key"]) in have else None
    return found[found["config_key"].map(config_id).isin(have)].reset_index(drop=True)


# ----------------------------------------------------------------------------- sweeps
def paper_configs() -> list[tuple[str, int, int]]:
    """The paper's 11 (model, encoder frames, stride) rows, in the table's order."""
    from ..paper import asr_table

    return [(r.model, int(r.encoder_frames), int(r.stride)) for r in asr_table().itertuples()]


def select_paper_configs(sizes: list[str] | None = None, configs: list[str] | None = None) -> list[tuple[str, int, int]]:
    """The paper's configurations to run: all, those of ``sizes``, and/or those named in
    ``configs`` as "SIZE:FRAMES:STRIDE" (a machine with one GPU can take large-v3 alone)."""
    every = paper_configs()
    known = sorted({size for size, _, _ in every})
    names = {f"{size}:{t}:{s}": (size, t, s) for size, t, s in every}
    for size in sizes or ():
        if size not in known:
            raise AudioscaleError(f"size {size!r} is not one of the paper's: {', '.join(known)}.")
    for name in configs or ():
        if name not in names:
            raise AudioscaleError(f"config {name!r} is not one of the paper's 11 (SIZE:FRAMES:STRIDE): "
                                  f"{', '.join(names)}.")
    if not sizes and not configs:
        return every
    wanted = {names[n] for n in configs or ()}
    return [c for c in every if c[0] in (sizes or ()) or c in wanted]


def sweep_paper(data: str | AsrData = PAPER_DATA, model_ids: dict[str, str] | None = None,
                batch_size: int = 16, limit: int | None = None, device: str | None = None,
                dtype: str | None = None, pooling: str = "select", force: bool = False,
                allow_missing_audio: bool = False, store: ResultStore | None = None,
                max_new_tokens: int | None = None, warmup: bool = True, flops_conventions=None,
                sizes: list[str] | None = None, configs: list[str] | None = None,
                verbose: bool = True, engine=None) -> pd.DataFrame:
    """The paper's 11 configurations (resumable: finished rows are skipped). ``model_ids``
    maps tiny/small/medium/large-v3 to a hub id or folder (default: the short names).
    ``sizes`` / ``configs`` ("SIZE:FRAMES:STRIDE", e.g. "large-v3:750:1") run a subset.
    On a GPU the default dtype is float16. ``engine``: where the configurations run
    (``audioscale.engine``; default: one after another in this process)."""
    from . import tasks

    todo = select_paper_configs(sizes, configs)  # a bad subset fails before anything loads
    device = device or default_device()
    dtype = dtype or ("float16" if device == "cuda" else "float32")
    model_ids = dict(model_ids or {})
    spec = data if isinstance(data, str) else None
    if not isinstance(data, AsrData):
        data = load_asr_data(data, allow_missing_audio=allow_missing_audio)
    store = store or ResultStore("asr_paper")
    configs_ = [AsrConfig(model_ids.get(size, size), data.name, t, s, pooling if s > 1 else "select",
                          max_new_tokens=max_new_tokens, limit=limit, scale="paper", device=device, dtype=dtype)
                for size, t, s in todo]
    # a finished row is found without loading its multi-GB checkpoint
    missing = [c for c in configs_ if force or _finished_paper_row(store, c, data.fingerprint) is None]
    work = tasks.make_tasks(missing, tasks.data_arg(data, spec, engine), threads=None, batch_size=batch_size,
                            warmup=warmup, flops_conventions=flops_conventions, allow_missing_audio=allow_missing_audio)
    tasks.run(work, engine, store, verbose)
    return pd.DataFrame([_finished_paper_row(store, c, data.fingerprint) for c in configs_])


EMBEDDED_TEST_SIZE = 600  # embedded.asr_corpus.load_test_set's default size
EMBEDDED_CHECK_LIMIT = 16  # utterances of the committed row that tests/test_asr_committed.py recomputes


def default_embedded_data_name(split: str = "other") -> str:
    from ..embedded import asr_corpus

    return f"embedded-test-{split}-v{asr_corpus.CORPUS_VERSION}-n{EMBEDDED_TEST_SIZE}"


def default_embedded_data(split: str = "other") -> AsrData:
    """The embedded world's test set (``embedded.asr_corpus.load_test_set``; held-out voices
    for "other", playing LibriSpeech test-other), in its own order: long utterances are
    spread evenly, so any ``limit`` prefix keeps the length profile."""
    from ..embedded import asr_corpus
    from .data import Utterance

    utts = asr_corpus.load_test_set(split=split, size=EMBEDDED_TEST_SIZE)
    waves = {u.utt_id: u.wave for u in utts}
    items = [Utterance(u.utt_id, u.text, None, u.duration_s) for u in utts]
    return AsrData(default_embedded_data_name(split), "embedded", items, 0, lambda utt: waves[utt.utt_id])


def _finished_paper_row(store: ResultStore, config: AsrConfig, fingerprint: str = "") -> dict | None:
    """The reusable greedy row of a paper configuration, found without loading the model."""
    content = {"data_fingerprint": fingerprint} if fingerprint else {}
    hit = _with_lines(store, store.find(
        model=model_label(config.model), data=config.data, encoder_frames=config.encoder_frames, stride=config.stride,
        pooling=config.pooling, beam_size=1, normalizer=config.scorer,
        limit=-1 if config.limit is None else config.limit, device=config.device, dtype=config.dtype, **content))
    return None if hit.empty else hit.iloc[0].to_dict()


def find_minis(checkpoints: str | Path = CHECKPOINTS_DIR) -> list[Path]:
    """Trained mini checkpoints (``asr-mini-*/model.safetensors``), smallest model first."""
    import json

    found = [p.parent for p in Path(checkpoints).glob("asr-mini-*/model.safetensors")]

    def size(folder: Path):
        cfg = json.loads((folder / "config.json").read_text())
        return (cfg.get("d_model", 0), folder.name)

    return sorted(found, key=size)


def embedded_configs(full_frames: int) -> list[tuple[int, int, str]]:
    """{full, half} window x {stride 1, stride 2 select, stride 2 mean} (pooling is moot at s=1)."""
    out = []
    for t in (full_frames, full_frames // 2):
        out += [(t, 1, "select"), (t, 2, "select"), (t, 2, "mean")]
    return out


def _full_frames(folder: Path) -> int:
    import json

    return int(json.loads((Path(folder) / "config.json").read_text())["max_source_positions"])


def pending_embedded(store: ResultStore, folder: Path, data_name: str, limit: int | None = None,
                     force: bool = False, fingerprint: str = "") -> list[tuple[int, int, str]]:
    """The embedded configurations of ``folder`` without a reusable row, decided from the rows
    file and config.json alone (no model or audio is loaded when nothing is missing)."""
    todo = embedded_configs(_full_frames(folder))
    if force:
        return todo
    mine = _with_lines(store, store.find(
        model=model_label(str(folder)), weights=weights_id(str(folder)), data=data_name,
        normalizer=DEFAULT_NORMALIZER["embedded"], limit=-1 if limit is None else limit, beam_size=1,
        **({"data_fingerprint": fingerprint} if fingerprint else {})))
    have = {(int(r.encoder_frames), int(r.stride), r.pooling) for r in mine.itertuples()}
    return [c for c in todo if c not in have]


def sweep_embedded(data: str | AsrData | None = None, checkpoints: str | Path = CHECKPOINTS_DIR, batch_size: int = 32,
                   limit: int | None = None, force: bool = False, store: ResultStore | None = None,
                   models: list[str | Path] | None = None, threads: int | None = 1,
                   check_limit: int | None = EMBEDDED_CHECK_LIMIT, verbose: bool = True,
                   engine=None) -> pd.DataFrame:
    """All minis x {full, half} frames x stride {1, 2} x pooling {select, mean}, on CPU fp32.

    Resumable: only configurations without a reusable row are run, and models/audio are
    loaded only then. ``engine``: where they run (``audioscale.engine``; default: in this
    process, one after another); the rows are the same on every engine.
    ``threads=1`` by default: the minis are overhead-bound, and two OpenMP threads on a
    shared 2-core machine run far slower than one.
    """
    from . import tasks

    folders = [Path(m) for m in models] if models else find_minis(checkpoints)
    if not folders:
        raise AudioscaleError(f"no trained minis under {portable_name(checkpoints)} (asr-mini-*/model.safetensors). "
                              "Fix: run `make pretrain` first, or pass models=[folders].")
    store = store or ResultStore("asr_embedded")
    spec = EMBEDDED_DATA if data is None else data if isinstance(data, str) else None
    if data is not None and not isinstance(data, AsrData):
        data = load_asr_data(data)  # a folder: its fingerprint decides which rows are current
    data_name = default_embedded_data_name() if data is None else data.name
    fingerprint = "" if data is None else data.fingerprint
    pending = {f: [(t, s, p, limit)
                   for t, s, p in pending_embedded(store, f, data_name, limit, force, fingerprint)]
               for f in folders}
    if check_limit and limit is None:
        # one cheap row (smallest model, full window, stride 1, first utterances) that a test
        # recomputes and compares exactly with the committed one
        full = embedded_configs(_full_frames(folders[0]))[0]
        if full in pending_embedded(store, folders[0], data_name, check_limit, force, fingerprint):
            pending[folders[0]].append((*full, check_limit))
    data_arg = spec if data is None else tasks.data_arg(data, spec, engine)
    work = tasks.make_tasks([AsrConfig(str(folder), data_name, t, s, pooling, limit=lim, scale="embedded",
                                       device="cpu") for folder, todo in pending.items() for t, s, pooling, lim in todo],
                            data_arg, threads=threads, batch_size=batch_size)
    tasks.run(work, engine, store, verbose)
    prune_stale(store, folders)
    rows = store.rows()
    labels = {model_label(str(f)) for f in folders}
    return rows[rows["model"].isin(labels)].reset_index(drop=True)


def prune_stale(store: ResultStore, folders: list[Path]) -> int:
    """Drop rows (and their timings and per-utterance lines) of these models whose weights
    are not the checkpoint's current ones: results of a superseded training run. Returns
    the number of rows dropped."""
    rows = store.rows()
    if rows.empty or "weights" not in rows:
        return 0
    current = {model_label(str(f)): weights_id(str(f)) for f in folders}
    stale = rows["model"].isin(list(current)) & (rows["weights"] != rows["model"].map(current))
    if not stale.any():
        return 0
    return store.delete(rows.loc[stale, "config_key"])


def rows_with_timings(scale: str = "embedded", store: ResultStore | None = None) -> pd.DataFrame:
    """Result rows joined with their (machine-dependent) timings on ``config_key``."""
    store = store or ResultStore(f"asr_{scale}")
    rows, tim = store.rows(), store.timings()
    if rows.empty or tim.empty:
        return rows
    keep = ["config_key"] + [c for c in tim.columns if c not in rows.columns]
    return rows.merge(tim[keep], on="config_key", how="left")

