"""The columns of an ASR row besides its WER: GFLOPs under every convention, the timings line,
the per-utterance lines, and the audio checks that count (never drop) bad files."""
from __future__ import annotations

import copy
import logging
import os
import time

import torch

from ..audio import AudioError
from ..paths import SAMPLE_RATE
from ..results import ResultStore, config_id
from .data import AsrData
from .system import AsrSystem

log = logging.getLogger("audioscale.asr.run")  # the sweep's logger: its warnings read as before


def flops_columns(system: AsrSystem, encoder_frames: int, stride: int, pooling: str,
                  decoder_positions: int, conventions=None) -> dict:
    """GFLOPs per utterance under each convention (default: all of ``flops.CONVENTIONS``; a
    convention left out gets NaN) at our measured decoder positions, plus the paper's
    convention at its own 10 tokens (the number its table prints)."""
    from ..accounting import flops

    cfg = copy.deepcopy(system.model.config)
    cfg.max_source_positions = system.full_encoder_frames  # the checkpoint's window, not the current T
    out = {}
    for conv in flops.CONVENTIONS:
        if conventions is not None and conv not in conventions:
            out[f"gflops_{conv}"] = float("nan")
            continue
        out[f"gflops_{conv}"] = flops.asr_flops(cfg, encoder_frames, stride, decoder_positions, conv,
                                                pooling=pooling).total_gflops
    out["gflops_paper_10tok"] = flops.asr_flops(cfg, encoder_frames, stride, flops.PAPER_DECODED_TOKENS,
                                                "paper").total_gflops
    return out


def _load_waves(data: AsrData):
    waves, kept, bad = [], [], []
    for utt in data.utterances:
        try:
            waves.append(data.load(utt))
            kept.append(utt)
        except AudioError as e:
            bad.append((utt.utt_id, str(e)))
    return waves, kept, bad


def _warn_about_audio(bad, waves, encoder_frames: int, window_s: float, data_name: str) -> None:
    """Say why each bad file was left out, and how many utterances run past the window (the
    decoder hears only their first part): the row counts them, the log names them."""
    for utt_id, reason in bad:
        log.warning("%s: %s left out of the WER: %s", data_name, utt_id, reason)
    longer = sum(1 for w in waves if len(w) / SAMPLE_RATE > window_s)
    if longer:
        log.warning("%s: %d of %d utterances are longer than the %d-frame window (%g s): only their first "
                    "%g s is transcribed", data_name, longer, len(waves), encoder_frames, window_s, window_s)


def timing_columns(tr, **extra) -> dict:
    """The machine-dependent columns of a row's timings line (``extra`` are inserted before the
    machine state): what one timed ``transcribe`` pass cost."""
    timing = tr.timing
    steps = max(1, timing["decoder_steps"])
    return dict(rtfx=tr.rtfx, audio_s=tr.audio_s, processing_s=timing["total_s"],
                features_s=timing["features_s"], encoder_s=timing["encoder_s"],
                decoder_s=timing["decoder_s"], decoder_steps=timing["decoder_steps"],
                decode_ms_per_step=1000.0 * timing["decoder_s"] / steps, batch_size=timing["batch_size"],
                **extra, timed_device=timing["device"], timed_dtype=timing["dtype"],
                warmup_batches=timing["warmup_batches"], torch_threads=torch.get_num_threads(),
                load_avg_1m=os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan"),
                finished_at=time.strftime("%Y-%m-%dT%H:%M:%S"))


def utterance_lines(key: str, kept, waves, tr, normalizer: str) -> list[dict]:
    """One line per scored utterance of the row ``key`` (for ``store.utterances``)."""
    import jiwer

    from .wer import normalize_texts

    refs = normalize_texts([u.transcript for u in kept], normalizer)
    hyps = normalize_texts(tr.texts, normalizer)
    lines = []
    for u, w, r, h, n in zip(kept, waves, refs, hyps, tr.decoded_tokens):
        if r:
            o = jiwer.process_words(r, h)
            err = o.substitutions + o.deletions + o.insertions
        else:
            err = len(h.split())
        lines.append(dict(config_id=config_id(key), utt_id=u.utt_id, audio_s=len(w) / SAMPLE_RATE,
                          n_ref_words=len(r.split()), errors=int(err), decoded_tokens=int(n), hypothesis=h))
    return lines


def write_utterances(store: ResultStore, key: str, kept, waves, tr, normalizer: str) -> None:
    """Write ``utterance_lines`` of the row ``key`` to ``store.utterances``."""
    store.utterances.replace(key, utterance_lines(key, kept, waves, tr, normalizer))
