"""Speech synthesis with eSpeak NG (the ``espeakng-loader`` wheel's libespeak-ng, via ctypes).

``synthesize(text, voice, ...)`` returns float32 mono audio at 16 kHz, and the same
arguments always give the same samples. That needs care: libespeak-ng keeps hidden state
between utterances (pitch-flutter phase, wave phase, filter memories), so two identical
calls in one process differ. The library therefore lives in a small helper process
(``_espeak_worker``) that initialises it once and answers each request from a fresh fork
of that pristine state (about 1 ms of overhead per utterance). eSpeak speaks at 22050 Hz;
we resample with the exact polyphase ratio 16000/22050 = 320/441.

Word timings come from eSpeak's own WORD events (``synthesize_with_words``), which mark
where each word starts in the audio (words eSpeak gives no event, like the "the" of "on
the", are placed between their neighbours).
"""
from __future__ import annotations

import atexit
import functools
import json
import os
import subprocess
import sys
import threading

import numpy as np
from scipy.signal import firwin, resample_poly

from ..errors import AudioscaleError, check_int_range
from ..paths import SAMPLE_RATE

ESPEAK_RATE = 22050  # what libespeak-ng 1.52 speaks at
_UP, _DOWN = 320, 441  # 22050 * 320 / 441 = 16000 exactly (160/441 would halve the rate)


@functools.lru_cache(maxsize=None)
def _resample_filter() -> np.ndarray:
    """The float32 low-pass FIR ``resample_poly(x, 320, 441)`` designs for a float32 ``x`` (its
    default Kaiser window, beta 5, 10 taps per phase of the larger factor). Designing it took
    ~1.4 ms of each utterance's ~15 ms; passed back in, the output is bit-identical (tested)."""
    half_len = 10 * max(_UP, _DOWN)
    h = firwin(2 * half_len + 1, 1.0 / max(_UP, _DOWN), window=("kaiser", 5.0)).astype(np.float32)
    h.flags.writeable = False  # resample_poly copies a window it is given; the cache stays pristine
    return h

ACCENTS_TRAIN = ("en-us", "en", "en-029", "en-gb-x-rp", "en-gb-scotland")  # "en" = British
ACCENTS_HELDOUT = ("en-gb-x-gbcwmd", "en-gb-x-gbclan")
VARIANTS_TRAIN = ("", "m1", "m2", "m3", "m4", "m5", "f1", "f2", "f3")
VARIANTS_HELDOUT = ("m6", "m7", "f4", "f5")


def _voice(accent: str, variant: str) -> str:
    return f"{accent}+{variant}" if variant else accent


# 45 training voices; the 8 held-out voices share neither accent nor variant with them.
TRAIN_VOICES = tuple(_voice(a, v) for a in ACCENTS_TRAIN for v in VARIANTS_TRAIN)
HELDOUT_VOICES = tuple(_voice(a, v) for a in ACCENTS_HELDOUT for v in VARIANTS_HELDOUT)

# The ASR pretraining pool (corpus "v2"): the 45 voices above plus a sixth accent and every
# other variant that ships with espeakng-loader 0.2.4 (timbres, Klatt engines, robots), so
# the minis meet ~580 voices instead of 45. Measured on the v1-trained small (CTC head, 120
# utterances each): 8.5 % WER on training voices, 12.9 % with held-out variants, 16.9 % with
# held-out accents, 23.0 % with both -- the held-out gap is mostly how few voices it heard.
# Excluded: the held-out variants, the two whispered ones (no voicing: not a speaker but a
# mode of speech none of the test voices uses), "fast" (it only sets the rate, which each
# utterance draws anyway: its audio equals the plain accent's) and "Mr serious" (a space in
# its name).
ACCENTS_ASR_EXTRA = ("en-us-nyc",)
VARIANTS_ASR_EXTRA = (
    "Alex", "Alicia", "Andrea", "Andy", "Annie", "AnxiousAndy", "Demonic", "Denis", "Diogo", "Gene",
    "Gene2", "Henrique", "Hugo", "Jacky", "Lee", "Marco", "Mario", "Michael", "Mike", "Nguyen", "Reed",
    "RicishayMax", "RicishayMax2", "RicishayMax3", "Storm", "Tweaky", "UniRobot", "adam", "anika",
    "anikaRobot", "announcer", "antonio", "aunty", "belinda", "benjamin", "boris", "caleb", "croak",
    "david", "ed", "edward", "edward2", "grandma", "grandpa", "gustave", "ian", "iven", "iven2",
    "iven3", "iven4", "john", "kaukovalta", "klatt", "klatt2", "klatt3", "klatt4", "klatt5", "klatt6",
    "linda", "m8", "marcelo", "max", "michel", "miguel", "mike2", "norbert", "pablo", "paul", "pedro",
    "quincy", "rob", "robert", "robosoft", "robosoft2", "robosoft3", "robosoft4", "robosoft5",
    "robosoft6", "robosoft7", "robosoft8", "sandro", "shelby", "steph", "steph2", "steph3", "travis",
    "victor", "zac")
# Training voices first, so every v1 voice keeps its place (and its LibriSpeech speaker id).
ASR_TRAIN_VOICES = TRAIN_VOICES + tuple(
    _voice(a, v) for a in ACCENTS_TRAIN + ACCENTS_ASR_EXTRA for v in VARIANTS_TRAIN + VARIANTS_ASR_EXTRA
    if a in ACCENTS_ASR_EXTRA or v in VARIANTS_ASR_EXTRA)

# eSpeak's parameter ids (speak_lib.h: espeak_PARAMETER) and the ranges we accept.
_P_RATE, _P_VOLUME, _P_PITCH, _P_RANGE, _P_WORDGAP = 1, 2, 3, 4, 7
RATE_WPM_RANGE = (80, 450)
PITCH_RANGE = (0, 99)
PITCH_RANGE_RANGE = (0, 100)
VOLUME_RANGE = (0, 200)
WORD_GAP_10MS_RANGE = (0, 100)

_lock = threading.Lock()
_worker: dict = {}


def _stop_worker() -> None:
    proc = _worker.pop("proc", None)
    if proc is not None and proc.poll() is None:
        proc.stdin.close()
        proc.wait(timeout=5)


def _get_worker() -> subprocess.Popen:
    proc = _worker.get("proc")
    # A forked parent (e.g. a multiprocessing pool) must not share its parent's pipes.
    if proc is not None and proc.poll() is None and _worker.get("pid") == os.getpid():
        return proc
    try:
        import espeakng_loader  # noqa: F401  (checked here for a clear message)
    except ImportError:  # pragma: no cover - it is a pinned requirement
        raise AudioscaleError("espeakng-loader is not installed: run `make setup` "
                              "(it bundles libespeak-ng and its voices).") from None
    proc = subprocess.Popen([sys.executable, "-m", "audioscale.embedded._espeak_worker"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
    hello = json.loads(proc.stdout.readline() or b"{}")
    if hello.get("rate") != ESPEAK_RATE:
        raise AudioscaleError(f"libespeak-ng started at {hello.get('rate')} Hz, expected {ESPEAK_RATE}: "
                              "reinstall espeakng-loader==0.2.4.")
    if not _worker:
        atexit.register(_stop_worker)
    _worker.update(proc=proc, pid=os.getpid())
    return proc


def _read_exact(stream, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        part = stream.read(n - len(buf))
        if not part:
            raise AudioscaleError("the eSpeak NG helper process stopped answering; rerun.")
        buf += part
    return bytes(buf)


def _check(name, value, lo_hi):
    return check_int_range(name, int(round(value)), lo_hi[0], lo_hi[1])


def synthesize_with_words(text: str, voice: str = "en-us", rate_wpm: int = 160, pitch: int = 50,
                          pitch_range: int = 50, volume: int = 100, word_gap_10ms: int = 0,
                          ) -> tuple[np.ndarray, tuple[float, ...]]:
    """(wave float32 16 kHz mono, start time in s of each spoken word).

    ``voice`` is an eSpeak name: an accent (``"en-us"``, ``"en"`` = British, ``"en-029"``, …)
    optionally with a variant (``"en-us+f2"``). ``rate_wpm`` words/min (80–450), ``pitch``
    0–99, ``pitch_range`` 0–100, ``volume`` 0–200 (100 = normal), ``word_gap_10ms`` extra
    pause between words in units of 10 ms.
    """
    if not isinstance(text, str) or not text.strip():
        raise AudioscaleError(f"text={text!r} is empty: give at least one word to speak.")
    params = [(_P_RATE, _check("rate_wpm", rate_wpm, RATE_WPM_RANGE)),
              (_P_VOLUME, _check("volume", volume, VOLUME_RANGE)),
              (_P_PITCH, _check("pitch", pitch, PITCH_RANGE)),
              (_P_RANGE, _check("pitch_range", pitch_range, PITCH_RANGE_RANGE)),
              (_P_WORDGAP, _check("word_gap_10ms", word_gap_10ms, WORD_GAP_10MS_RANGE))]
    request = json.dumps({"text": text, "voice": str(voice), "params": params}).encode() + b"\n"
    with _lock:
        proc = _get_worker()
        proc.stdin.write(request)
        header = json.loads(proc.stdout.readline() or b'{"error": "no answer"}')
        pcm = _read_exact(proc.stdout, 2 * header.get("n", 0)) if header.get("n") else b""
    if header.get("error") == "voice":
        raise AudioscaleError(
            f"voice={voice!r} is not an eSpeak NG voice: use an accent such as 'en-us', 'en' "
            "(British; 'en-gb' is not a name in the bundled 1.52 data) or 'en-029', optionally "
            "with a variant, e.g. 'en-us+f2'.")
    if header.get("error") or not pcm:
        raise AudioscaleError(f"eSpeak NG produced no audio for text={text[:60]!r} "
                              f"({header.get('error') or 'empty output'}).")
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
    wave = resample_poly(samples, _UP, _DOWN, window=_resample_filter()).astype(np.float32)
    end_s = len(samples) / ESPEAK_RATE
    return wave, _word_starts_s(text, header["words"], end_s)


def _word_starts_s(text: str, events: list, end_s: float) -> tuple[float, ...]:
    """Start time of every whitespace-separated word of ``text``.

    eSpeak emits a WORD event (sample, 1-based text position, length) for most words but
    not for unstressed clitics such as "the" in "on the": a word without an event gets a
    share of the interval between the neighbouring events, in proportion to its letters.
    """
    spans, pos = [], 0
    for w in text.split():
        pos = text.index(w, pos)
        spans.append((pos + 1, len(w)))
        pos += len(w)
    at = {p: sample / ESPEAK_RATE for sample, p, _ in events}
    starts: list[float | None] = [at.get(p) for p, _ in spans]
    if starts and starts[0] is None:
        starts[0] = 0.0
    i = 0
    while i < len(starts):
        j = i + 1
        while j < len(starts) and starts[j] is None:
            j += 1
        if j > i + 1:  # words i+1 .. j-1 have no event: split [start_i, start_j] by letters
            t0, t1 = starts[i], (starts[j] if j < len(starts) else max(end_s, starts[i]))
            weights = [spans[k][1] + 1 for k in range(i, j)]
            acc = 0
            for k in range(i + 1, j):
                acc += weights[k - 1 - i]
                starts[k] = t0 + (t1 - t0) * acc / sum(weights)
        i = j
    return tuple(float(t) for t in starts)


def synthesize(text: str, voice: str = "en-us", rate_wpm: int = 160, pitch: int = 50,
               pitch_range: int = 50, volume: int = 100, word_gap_10ms: int = 0) -> np.ndarray:
    """``text`` spoken by eSpeak NG: float32 mono at 16 kHz, deterministic in its arguments.

    Parameter units as in ``synthesize_with_words``.
    """
    return synthesize_with_words(text, voice, rate_wpm, pitch, pitch_range, volume, word_gap_10ms)[0]


def speech_end_s(wave: np.ndarray, threshold: float = 1e-3) -> float:
    """Time of the last sample louder than ``threshold`` (eSpeak appends some silence)."""
    loud = np.flatnonzero(np.abs(wave) > threshold)
    return float(loud[-1] + 1) / SAMPLE_RATE if len(loud) else 0.0


def word_end_times_s(word_starts_s, wave: np.ndarray) -> tuple[float, ...]:
    """Each word ends where the next starts; the last one where the speech ends."""
    starts = list(word_starts_s)
    return tuple(starts[1:] + [max(speech_end_s(wave), starts[-1])]) if starts else ()
