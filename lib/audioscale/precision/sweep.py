"""Precision (xP) on real Whisper: fp32 / bf16 / int8-dynamic x encoder frames {1500, 750} x
stride {1, 2 select}, on the first ``N_UTTERANCES`` of the real sweep's read-aloud subset
(test-other's real text read by a synthetic voice, ``asr.read_aloud``), into
``results/precision.csv``; measured time and peak memory go to ``results/timings/precision.csv``.

One *group* = (model, precision, frames) runs in its own process (``python -m
audioscale.precision.sweep --worker JSON``), for two reasons: its peak RSS is its own (a
process's high-water mark never goes down, so two groups in one process would share one), and
a fresh process starts with no allocator state from the previous group. In the worker the
peak mark is reset after the fp32 load and the conversion (``convert.reset_peak_rss``), so
``peak_rss_mb`` is what decoding in that precision needs: interpreter, libraries, weights,
activations, caches. Both strides decode from one encoder pass (``decode.transcribe_axes``),
so the stride-1 and stride-2 rows of a group share one peak (stride 2 alone needs at most that).
tracemalloc was not used: it sees only Python's allocator, not torch's tensors.

Decoding is greedy with the token cap of ``asr.real`` applied *during* decoding (``max_new_tokens``
= min(224, 8 tokens per window second): 224 at 1500 frames, 120 at 750), so the measured time is
that of a decoder that stops looping; each decode is scored under the ``token-cap`` and
``cap+repetition`` guards (the second cuts a flagged loop after its first copy, see ``asr.real``).

Accuracy columns (errors, words, WER, decoded tokens, model bytes, parameters) are deterministic
for a fixed thread count and batch size, both in the key; a test recomputes the check rows
(tiny.en, first ``CHECK_LIMIT`` utterances) and compares them exactly.
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time

import pandas as pd
import torch

from ..errors import AudioscaleError, check_choice
from ..results import ResultStore, config_key, recompute_requested
from . import convert

STORE = "precision"
MODELS = ("tiny.en", "base")
FRAMES = (1500, 750)
AXES = ((1, "select"), (2, "select"))
GUARDS = ("token-cap", "cap+repetition")
SUBSET_N = 160  # the real sweep's subset (asr.real.REPRODUCE_N); we score a prefix of it
N_UTTERANCES = 24  # prefix of that subset (any prefix keeps its length profile): ~10 minutes on 2 cores
CHECK_LIMIT = 2  # utterances of the check rows a test recomputes exactly
BATCH_SIZE = 8
THREADS = 2  # the study's protocol on 2 cores; a timing knob, in the timings line, not the key


def _data(limit: int):
    from ..asr.read_aloud import read_aloud_data

    return read_aloud_data(SUBSET_N).head(limit)


def voice_label() -> str:
    from ..asr.read_aloud import VOICE

    return (f"synthetic voice: {VOICE.engine}=={VOICE.engine_version} "
            f"{VOICE.package}=={VOICE.package_version} ({VOICE.onnx_file})")


def n_new_tokens(encoder_frames: int) -> int:
    from ..asr.real import SAMPLE_LEN, token_cap

    return min(SAMPLE_LEN, token_cap(encoder_frames))


def row_config(system, data, t_frames: int, stride: int, pooling: str, guard: str, precision: str,
               limit: int, batch_size: int, weights_source: str) -> dict:
    from ..asr.real import NORMALIZER
    from ..asr.run import asr_config

    config = asr_config(system, data, t_frames, stride, pooling, 1, n_new_tokens(t_frames), limit, NORMALIZER)
    config.update(precision=precision, quantization=convert.QUANTIZATION[precision], guard=guard,
                  audio=voice_label(), weights_source=weights_source, batch_size=int(batch_size))
    return config


def _load(model: str, precision: str):
    """(system in ``precision``, fp32 parameter count in millions, weights source)."""
    from ..asr.system import load_system
    from ..models.weights.shipped import installed_folder, weights_source

    folder = installed_folder(model)
    system = load_system(str(folder), device="cpu", dtype="float32")
    system.source = model  # rows name the model, not this machine's cache path
    params_m = sum(p.numel() for p in system.model.parameters()) / 1e6
    system.model = convert.to_precision(system.model, precision)
    system.dtype = convert.COMPUTE_DTYPE[precision]
    return system, params_m, weights_source(folder)


def run_group(model: str, precision: str, t_frames: int, limit: int = N_UTTERANCES,
              batch_size: int = BATCH_SIZE, threads: int = THREADS, store: ResultStore | None = None) -> list[dict]:
    """Decode one (model, precision, frames) group in this process and write its rows
    (2 strides x 2 guards) with their per-utterance lines and timings."""
    from ..asr.decode import transcribe_axes
    from ..asr.read_aloud import ensure_rendered
    from ..asr.run import _load_waves

    check_choice("model", model, MODELS)
    check_choice("precision", precision, convert.PRECISIONS)
    check_choice("encoder_frames", t_frames, FRAMES)
    store = store or ResultStore(STORE)
    torch.set_num_threads(threads)
    load_start = os.getloadavg()[0]
    data = _data(limit)
    ensure_rendered([u.utt_id for u in data.utterances], progress=False)
    waves, kept, bad = _load_waves(data)
    if bad:
        raise AudioscaleError(f"{len(bad)} unreadable read-aloud files (first: {bad[0][1]}). "
                              "Fix: delete the read-aloud cache folder and render again.")
    rss_before_model_mb = convert.rss_mb()[0]
    system, params_m, wsource = _load(model, precision)
    model_bytes = convert.state_dict_bytes(system.model)
    convert.release_freed_memory()
    convert.reset_peak_rss()
    rss_model_mb = convert.rss_mb()[0]
    trs = transcribe_axes(system, waves, t_frames, list(AXES), batch_size=batch_size,
                          max_new_tokens=n_new_tokens(t_frames), warmup=True, drop_finished=True)
    peak_rss_mb = convert.rss_mb()[1]
    memory = dict(peak_rss_mb=peak_rss_mb, rss_before_model_mb=rss_before_model_mb, rss_with_model_mb=rss_model_mb,
                  peak_rss_with_load_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6,
                  load_avg_start_1m=load_start)
    fixed = dict(params_m=params_m, model_bytes=model_bytes, model_mb=model_bytes / 1e6,
                 **convert.linear_count(system.model))
    return [_put_row(store, system, data, kept, waves, trs[(s, p)], t_frames, s, p, g, precision, limit,
                     batch_size, wsource, fixed, memory) for s, p in AXES for g in GUARDS]


def _put_row(store, system, data, kept, waves, tr, t_frames, stride, pooling, guard, precision, limit,
             batch_size, wsource, fixed, memory) -> dict:
    from ..asr.real import ENCODER_FRAME_S, NORMALIZER, guarded_score
    from ..asr.run import flops_columns, timing_columns, write_utterances

    gtr, metrics, counts = guarded_score(system, kept, waves, tr, guard, t_frames, n_new_tokens(t_frames))
    metrics.update(**counts, window_s=t_frames * ENCODER_FRAME_S, **fixed,
                   **flops_columns(system, t_frames, stride, pooling, counts["decoder_positions"]))
    timings = timing_columns(tr, shared_axes=tr.timing["shared_axes"], timed_guard="token-cap")
    timings.update(memory, **convert.machine_state())
    config = row_config(system, data, t_frames, stride, pooling, guard, precision, limit, batch_size, wsource)
    write_utterances(store, config_key(config), kept, waves, gtr, NORMALIZER)  # lines first: see asr.run.run_asr
    return store.put(config, metrics, timings=timings, scale="real")


# ----------------------------------------------------------------------------- groups, one process each
def groups(models=MODELS, precisions=convert.PRECISIONS, frames=FRAMES, check: bool = True) -> list[dict]:
    """Every group of the section: the main grid on ``N_UTTERANCES``, then the check groups
    (tiny.en, full window, first ``CHECK_LIMIT`` utterances, each precision)."""
    out = [dict(model=m, precision=p, t_frames=t, limit=N_UTTERANCES) for m in models for p in precisions
           for t in frames]
    if check and "tiny.en" in models:
        out += [dict(model="tiny.en", precision=p, t_frames=1500, limit=CHECK_LIMIT) for p in precisions]
    return out


def group_done(store: ResultStore, g: dict) -> bool:
    """All 4 rows of group ``g`` are stored with their per-utterance lines (and, under a
    recompute, were recomputed in this run)."""
    from ..asr.run import _with_lines

    found = store.find(model=g["model"], precision=g["precision"], encoder_frames=g["t_frames"], limit=g["limit"],
                       batch_size=BATCH_SIZE)
    return len(_with_lines(store, found)) >= len(AXES) * len(GUARDS)


def run_in_subprocess(g: dict, results_root: str | None = None, timeout_s: float = 900) -> float:
    """Run group ``g`` in a fresh interpreter; returns its wall seconds."""
    payload = json.dumps(dict(g, results_root=results_root))
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-W", "ignore::DeprecationWarning", "-m", "audioscale.precision.sweep",
                           "--worker", payload], capture_output=True, text=True, timeout=timeout_s)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise AudioscaleError(f"precision group {g} failed (exit {proc.returncode}): {' | '.join(tail)}")
    return time.perf_counter() - t0


def sweep_precision(models=MODELS, precisions=convert.PRECISIONS, frames=FRAMES, force: bool = False,
                    check: bool = True, threads: int = THREADS, store: ResultStore | None = None,
                    verbose: bool = True) -> pd.DataFrame:
    """Every group whose rows are missing (all of them with ``force``, or once per recompute
    run under ``AUDIOSCALE_RECOMPUTE=1``), each in its own process, one after another (never two
    at once: they would time each other). Returns the section's rows with their timings."""
    store = store or ResultStore(STORE)
    root = str(store.path.parent)
    for g in groups(models, precisions, frames, check):
        if not force and group_done(store, g):
            continue
        wall_s = run_in_subprocess(dict(g, threads=threads), root)
        if verbose:
            print(f"precision {g['model']} {g['precision']} T={g['t_frames']} n={g['limit']}: {wall_s:.0f} s "
                  f"(load {os.getloadavg()[0]:.2f}){' [recompute]' if recompute_requested() else ''}", flush=True)
    return rows_with_timings(store)


def rows_with_timings(store: ResultStore | None = None) -> pd.DataFrame:
    from ..asr.run import rows_with_timings as join

    return join("real", store or ResultStore(STORE))


def _worker(payload: str) -> int:
    g = json.loads(payload)
    root = g.pop("results_root", None)
    store = ResultStore(STORE, root) if root else ResultStore(STORE)
    run_group(g["model"], g["precision"], int(g["t_frames"]), limit=int(g["limit"]),
              threads=int(g.get("threads", THREADS)), store=store)
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        sys.exit(_worker(sys.argv[2]))
    print("usage: python -m audioscale.precision.sweep --worker JSON (use 'audioscale precision')", file=sys.stderr)
    sys.exit(2)
