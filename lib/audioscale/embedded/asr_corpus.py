"""Seeded speech corpora of the embedded world, cached under ``<repo>/.cache/embedded/``.

* ``load_train_set()``: 16,000 utterances of 3–15 words, with rate, pitch, pitch range,
  volume, word gap, leading silence and white noise drawn per utterance; utterances longer
  than the 8 s window are dropped (as LibriSpeech training recipes drop over-long ones).
  Two voice pools (``TRAIN_POOLS``): "v2" (default; the mini Whispers' pretraining) draws
  from the ~580 voices of ``speech.ASR_TRAIN_VOICES``, "v1" from the 45 ``TRAIN_VOICES``
  (the SER backbone's pretraining, and the emotion corpus's speakers).
* ``load_test_set(n, split)``: ``"other"`` (default; the 8 held-out voices, playing
  test-other) or ``"clean"`` (training voices). Sentences never occur in the training set.
  The length profile is shaped like LibriSpeech test-other *relative to the window*:
  there, 5.8 % of utterances are longer than half of Whisper's 30 s window and ~3.5 % of
  the words lie beyond 15 s; here the 8 s window's 4 s half plays that role. The utterance
  fraction is exact by stratified selection (35 of 600 = 5.8 %); the word fraction is
  measured (``length_profile``): of the 600 "other" utterances' words, 3.3 % end and 2.5 %
  start beyond 4 s ("clean": 3.0 % / 2.2 %). Long utterances are spread evenly through the
  list, so a prefix ``load_test_set(n)`` keeps the profile. Word end times come from
  eSpeak's word events; the training set carries none (``word_end_s=None``).

Every utterance is a function of (split, seed, index) only, so the corpus does not depend
on the number of worker processes. ``write_librispeech_layout`` writes a corpus in
LibriSpeech's on-disk layout, so one loader reads real and embedded data.
"""
from __future__ import annotations

import hashlib
import json
import os
import random
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from ..errors import AudioscaleError, check_choice, check_int_range
from ..progress import progress
from . import speech, text
from .models import WINDOW_S

CORPUS_VERSION = 1  # bump when generation changes: it is part of every cache key
HALF_WINDOW_S = WINDOW_S / 2
# LibriSpeech test-other relative to Whisper's 30 s window (see the module docstring).
TEST_OTHER_FRAC_UTTS_OVER_HALF = 0.058
TEST_OTHER_FRAC_WORDS_BEYOND_HALF = 0.035
SPLITS = ("train", "clean", "other")
# LibriSpeech-style ids: speaker = 9000 + voice number, chapter = split code.
_CHAPTER = {"train": 1, "clean": 2, "other": 3}
# Speaker ids index this tuple: v1 voices and held-out voices keep the ids they always had.
_ALL_VOICES = speech.TRAIN_VOICES + speech.HELDOUT_VOICES + speech.ASR_TRAIN_VOICES[len(speech.TRAIN_VOICES):]
TRAIN_POOLS = {"v1": speech.TRAIN_VOICES, "v2": speech.ASR_TRAIN_VOICES}
ASR_TRAIN_POOL = "v2"


@dataclass(frozen=True)
class Utterance:
    utt_id: str
    wave: np.ndarray  # float32, 16 kHz, mono
    text: str  # lower case, single spaces
    duration_s: float
    word_end_s: tuple[float, ...] | None  # test sets: from eSpeak's word events (incl. the
    # leading silence); training set: None (not needed)


@dataclass(frozen=True)
class _Plan:
    """Everything that determines one utterance's audio."""
    index: int
    text: str
    voice: str
    rate_wpm: int
    pitch: int
    pitch_range: int
    volume: int
    word_gap_10ms: int
    lead_silence_s: float
    noise_std: float
    noise_seed: int


def cache_dir() -> Path:
    from ..paths import cache_root

    return cache_root() / "embedded"


def _draw_plan(split: str, seed: int, index: int, sentence: str, voices, rate_wpm=(85, 200)) -> _Plan:
    rng = random.Random(f"audioscale-asr-{split}-{seed}-{index}")
    return _Plan(index=index, text=sentence, voice=rng.choice(voices),
                 rate_wpm=rng.randint(*rate_wpm), pitch=rng.randint(20, 80), pitch_range=rng.randint(20, 90),
                 volume=rng.randint(60, 140), word_gap_10ms=rng.choice((0, 1, 2, 4)),
                 lead_silence_s=round(rng.uniform(0.0, 0.3), 3), noise_std=rng.uniform(0.0, 0.01),
                 noise_seed=rng.randrange(2 ** 31))


def _render(plan: _Plan) -> tuple[np.ndarray, tuple[float, ...]]:
    wave, starts = speech.synthesize_with_words(plan.text, plan.voice, plan.rate_wpm, plan.pitch,
                                                plan.pitch_range, plan.volume, plan.word_gap_10ms)
    ends = speech.word_end_times_s(starts, wave)
    lead = int(round(plan.lead_silence_s * speech.SAMPLE_RATE))
    wave = np.concatenate([np.zeros(lead, np.float32), wave])
    wave += np.random.default_rng(plan.noise_seed).normal(0.0, plan.noise_std, wave.shape).astype(np.float32)
    # int16 round trip: the cache stores int16, so fresh and cached corpora are identical.
    pcm = np.clip(np.round(wave * 32767.0), -32768, 32767).astype(np.int16)
    return pcm, tuple(round(e + lead / speech.SAMPLE_RATE, 4) for e in ends)


def _render_many(plans: list[_Plan], skip_failures: bool = False) -> list:
    out = []
    for p in plans:
        try:
            out.append(_render(p))
        except AudioscaleError:
            # libespeak-ng 1.52 segfaults on a few (voice, text) pairs, the same ones every
            # time; a training corpus drops them like over-long utterances, a test set fails.
            if not skip_failures:
                raise
            out.append(None)
    return out


def _render_all(plans: list[_Plan], workers: int, skip_failures: bool = False, enough=None) -> list:
    """Render ``plans`` in order. ``enough(rendered)``, if given, is asked after each chunk of
    250: once it is true the rest are not rendered (the returned list is then shorter)."""
    chunks = [plans[i:i + 250] for i in range(0, len(plans), 250)]
    pool = None if workers <= 1 or len(plans) < 200 else ProcessPoolExecutor(workers, mp_context=get_context("spawn"))
    out: list = []
    bar = progress(total=len(plans), desc="synthesizing speech", unit="utt")
    try:
        args = (_render_many, chunks, [skip_failures] * len(chunks))
        for part in map(*args) if pool is None else pool.map(*args):  # both lazy, in order
            out += part
            bar.update(len(part))
            if enough is not None and enough(out):
                break
    finally:
        bar.close()
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)  # chunks still under way finish unread
    return out


def _save(folder: Path, ids, texts, pcms, ends, meta: dict) -> None:
    tmp = folder.with_name(folder.name + f".tmp{os.getpid()}")
    tmp.mkdir(parents=True, exist_ok=True)
    offsets = np.cumsum([0] + [len(p) for p in pcms]).astype(np.int64)
    np.save(tmp / "waves.npy", np.concatenate(pcms) if pcms else np.zeros(0, np.int16))
    np.save(tmp / "offsets.npy", offsets)
    (tmp / "index.json").write_text(json.dumps(
        {**meta, "utterances": [{"utt_id": i, "text": t, "word_end_s": None if e is None else list(e)}
                                for i, t, e in zip(ids, texts, ends)]}))
    try:
        tmp.rename(folder)
    except OSError:  # another process finished the same corpus first: theirs is identical
        for f in tmp.iterdir():
            f.unlink()
        tmp.rmdir()


def _load(folder: Path) -> list[Utterance]:
    index = json.loads((folder / "index.json").read_text())["utterances"]
    waves = read_waves(folder, 0, len(index))
    out = []
    for u, w in zip(index, waves):
        ends = None if u["word_end_s"] is None else tuple(u["word_end_s"])
        out.append(Utterance(u["utt_id"], w, u["text"], len(w) / speech.SAMPLE_RATE, ends))
    return out


def read_waves(folder: Path, start: int, stop: int) -> list[np.ndarray]:
    """Float32 waves of utterances ``start``..``stop - 1`` of a saved corpus, read without loading the rest."""
    waves = np.load(Path(folder) / "waves.npy", mmap_mode="r")
    offsets = np.load(Path(folder) / "offsets.npy")
    return [np.asarray(waves[offsets[k]:offsets[k + 1]], dtype=np.float32) / 32767.0
            for k in range(start, min(stop, len(offsets) - 1))]


def _utt_ids(split: str, voices: list[str]) -> list[str]:
    counters: dict[int, int] = {}
    ids = []
    for v in voices:
        spk = 9000 + _ALL_VOICES.index(v)
        counters[spk] = counters.get(spk, -1) + 1
        ids.append(f"{spk}-{_CHAPTER[split]}-{counters[spk]:04d}")
    return ids


def _key(**params) -> str:
    blob = json.dumps({"version": CORPUS_VERSION, **params}, sort_keys=True)
    return hashlib.sha1(blob.encode()).hexdigest()[:10]


def _default_workers() -> int:
    return max(1, min(2, os.cpu_count() or 1))


def train_sentences(n: int = 16000, seed: int = 0) -> list[str]:
    """The candidate sentences of the training set (cheap: text only)."""
    return text.sentences(int(n * 1.1) + 100, seed=seed, min_words=3, max_words=15)


def _train_folder(n: int, seed: int, pool: str) -> Path:
    check_choice("pool", pool, tuple(TRAIN_POOLS))
    # v1's key predates the pools: unchanged, so its cached corpus stays valid
    key = _key(n=n, seed=seed) if pool == "v1" else _key(n=n, seed=seed, pool=pool)
    return cache_dir() / f"asr-train{'' if pool == 'v1' else '-' + pool}-n{n}-s{seed}-{key}"


def load_train_set(n: int = 16000, seed: int = 0, workers: int | None = None,
                   pool: str = ASR_TRAIN_POOL) -> list[Utterance]:
    """``n`` training utterances (voices of ``TRAIN_POOLS[pool]``, 3–15 words, at most 8 s); cached."""
    return _load(train_set_folder(n, seed, workers, pool))


def train_set_folder(n: int = 16000, seed: int = 0, workers: int | None = None,
                     pool: str = ASR_TRAIN_POOL) -> Path:
    """The folder of ``load_train_set(n, seed, pool=pool)``, synthesised first if it is not cached."""
    n = check_int_range("n", n, 1, 200000)
    folder = _train_folder(n, seed, pool)
    if not (folder / "index.json").is_file():
        cands = train_sentences(n, seed)
        plans = [_draw_plan("train", seed, i, s, TRAIN_POOLS[pool]) for i, s in enumerate(cands)]
        fits = WINDOW_S * speech.SAMPLE_RATE

        def enough(rendered) -> bool:  # the 10 % spare candidates are rendered only if needed
            return sum(r is not None and len(r[0]) <= fits for r in rendered) >= n

        rendered = _render_all(plans, workers or _default_workers(), skip_failures=True, enough=enough)
        failed = [k for k, r in enumerate(rendered) if r is None]
        keep = [k for k, r in enumerate(rendered) if r is not None and len(r[0]) <= fits][:n]
        if len(keep) < n:  # pragma: no cover - ~2 % are dropped, 10 % are spare
            raise AudioscaleError(f"only {len(keep)} of {n} training utterances fit the {WINDOW_S} s window.")
        voices = [plans[k].voice for k in keep]
        # Training needs no word times (and the corpus stays valid if their estimate changes).
        _save(folder, _utt_ids("train", voices), [plans[k].text for k in keep],
              [rendered[k][0] for k in keep], [None] * len(keep),
              {"split": "train", "seed": seed, "pool": pool, "plans": [vars(plans[k]) for k in keep],
               "synthesis_failed": [vars(plans[k]) for k in failed]})
    return folder


def train_index(n: int = 16000, seed: int = 0, pool: str = ASR_TRAIN_POOL) -> tuple[list[str], np.ndarray]:
    """(texts, lengths in samples) of ``load_train_set(n, seed, pool=pool)`` without loading the audio."""
    folder = train_set_folder(n, seed, pool=pool)
    texts = [u["text"] for u in json.loads((folder / "index.json").read_text())["utterances"]]
    return texts, np.diff(np.load(folder / "offsets.npy"))


def _spread(long_idx: list[int], short_idx: list[int]) -> list[int]:
    """Interleave so the long utterances sit at evenly spaced positions."""
    n = len(long_idx) + len(short_idx)
    slots = {int((j + 0.5) * n / len(long_idx)) for j in range(len(long_idx))} if long_idx else set()
    li, si, order = iter(long_idx), iter(short_idx), []
    for pos in range(n):
        order.append(next(li) if pos in slots else next(si))
    return order


# Long test utterances are picked to spread evenly over (4 s, LONG_MAX_S]: with the word
# rate of our speech this puts ~3.5 % of the words beyond the half window, as in test-other.
LONG_MAX_S = 7.2


def _pick_long(dur: list[float], n_long: int) -> list[int]:
    """Candidates nearest to evenly spaced target durations in (half window, LONG_MAX_S]."""
    free = sorted((d, k) for k, d in enumerate(dur) if HALF_WINDOW_S < d <= WINDOW_S)
    picked = []
    for j in range(n_long):
        target = HALF_WINDOW_S + (LONG_MAX_S - HALF_WINDOW_S) * (j + 0.5) / n_long
        if not free:
            break
        best = min(range(len(free)), key=lambda i: abs(free[i][0] - target))
        picked.append(free.pop(best)[1])
    return sorted(picked)


def load_test_set(n: int | None = None, split: str = "other", seed: int = 0, size: int = 600,
                  workers: int | None = None) -> list[Utterance]:
    """The first ``n`` (default all ``size``) test utterances of ``split`` ("other" | "clean").

    "other" uses the 8 held-out voices, "clean" the 45 v1 training voices (all of them in
    both training pools, so "clean" is seen voices whichever pool trained); no sentence of the
    (default) training set occurs. Shaped like test-other relative to the window (module doc).
    """
    check_choice("split", split, ("clean", "other"))
    size = check_int_range("size", size, 20, 20000)
    n = size if n is None else check_int_range("n", n, 1, size, fix=f"the test set has {size} utterances.")
    folder = cache_dir() / f"asr-{split}-n{size}-s{seed}-{_key(split=split, size=size, seed=seed)}"
    if not (folder / "index.json").is_file():
        seen = set(train_sentences(16000, 0))
        cands = [s for s in text.sentences(3 * size, seed=1000 + seed + (0 if split == "other" else 500),
                                           min_words=2, max_words=14) if s not in seen]
        voices = speech.HELDOUT_VOICES if split == "other" else speech.TRAIN_VOICES
        plans = [_draw_plan(split, seed, i, s, voices, rate_wpm=(100, 200)) for i, s in enumerate(cands)]
        rendered = _render_all(plans, workers or _default_workers())
        dur = [len(pcm) / speech.SAMPLE_RATE for pcm, _ in rendered]
        n_long = int(round(TEST_OTHER_FRAC_UTTS_OVER_HALF * size))
        long_idx = _pick_long(dur, n_long)
        short_idx = [k for k, d in enumerate(dur) if d <= HALF_WINDOW_S][:size - n_long]
        if len(long_idx) < n_long or len(short_idx) < size - n_long:  # pragma: no cover
            raise AudioscaleError("too few candidate sentences for the length profile; raise the pool.")
        order = _spread(long_idx, short_idx)
        voices_kept = [plans[k].voice for k in order]
        _save(folder, _utt_ids(split, voices_kept), [plans[k].text for k in order],
              [rendered[k][0] for k in order], [rendered[k][1] for k in order],
              {"split": split, "seed": seed, "plans": [vars(plans[k]) for k in order]})
    return _load(folder)[:n]


def length_profile(utts: list[Utterance], half_s: float = HALF_WINDOW_S) -> dict:
    """Fractions that decide what a half window loses: utterances longer than ``half_s``;
    words starting at or after it (lost entirely); words ending after it (lost or cut)."""
    words = starts_after = ends_after = 0
    for u in utts:
        ends = u.word_end_s or ()
        starts = (0.0,) + tuple(ends[:-1])
        words += len(ends)
        starts_after += sum(s >= half_s for s in starts)
        ends_after += sum(e > half_s for e in ends)
    n = max(len(utts), 1)
    return {"n_utts": len(utts), "mean_duration_s": float(np.mean([u.duration_s for u in utts])) if utts else 0.0,
            "frac_utts_over_half": sum(u.duration_s > half_s for u in utts) / n,
            "frac_words_beyond_half": starts_after / max(words, 1),
            "frac_words_ending_beyond_half": ends_after / max(words, 1)}


def write_librispeech_layout(utts: list[Utterance], folder: str | Path) -> Path:
    """Write ``utts`` as LibriSpeech does: ``speaker/chapter/speaker-chapter-NNNN.flac`` plus
    one ``speaker-chapter.trans.txt`` per chapter (``ID TEXT`` lines, upper case)."""
    import soundfile as sf

    root = Path(folder)
    chapters: dict[tuple[str, str], list[str]] = {}
    for u in utts:
        parts = u.utt_id.split("-")
        if len(parts) != 3:
            raise AudioscaleError(f"utt_id={u.utt_id!r} is not 'speaker-chapter-NNNN'.")
        spk, chap, _ = parts
        d = root / spk / chap
        d.mkdir(parents=True, exist_ok=True)
        sf.write(d / f"{u.utt_id}.flac", u.wave, speech.SAMPLE_RATE, subtype="PCM_16")
        chapters.setdefault((spk, chap), []).append(f"{u.utt_id} {u.text.upper()}")
    for (spk, chap), lines in chapters.items():
        (root / spk / chap / f"{spk}-{chap}.trans.txt").write_text("\n".join(sorted(lines)) + "\n")
    return root
