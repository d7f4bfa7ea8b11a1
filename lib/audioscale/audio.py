"""Reading audio safely: every failure names the file and the fix.

All models here take 16 kHz mono float32. Other sample rates are resampled exactly
(polyphase, rational ratio — e.g. 22050 -> 16000 is 320/441); stereo is an error unless
``downmix=True`` (averaging channels silently would hide a wrong file); empty, corrupt or
NaN/inf-containing audio is an error.
"""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np

from .errors import AudioscaleError
from .paths import SAMPLE_RATE



class AudioError(AudioscaleError):
    """A single bad audio file (sweeps report and count these, then go on)."""


def resample(wave: np.ndarray, orig_sr: int, target_sr: int = SAMPLE_RATE) -> np.ndarray:
    """Exact rational resampling (scipy's polyphase filter)."""
    if orig_sr == target_sr:
        return wave.astype(np.float32, copy=False)
    from scipy.signal import resample_poly
    ratio = Fraction(target_sr, orig_sr)
    return resample_poly(wave, ratio.numerator, ratio.denominator).astype(np.float32)


def check_wave(wave: np.ndarray, name: str) -> np.ndarray:
    wave = np.asarray(wave)
    if wave.ndim == 2:
        raise AudioError(f"{name}: audio has {min(wave.shape)} channels; the models take mono. "
                         "Fix: downmix it (sox IN -c 1 OUT), or load with downmix=True.")
    if wave.size == 0:
        raise AudioError(f"{name}: audio is empty (0 samples). Fix: re-export the file or drop it from the set.")
    if not np.isfinite(wave).all():
        raise AudioError(f"{name}: audio contains NaN or inf samples. Fix: re-export the file.")
    return wave.astype(np.float32, copy=False)


def load_audio(path: str | Path, target_sr: int = SAMPLE_RATE, downmix: bool = False) -> np.ndarray:
    """Mono float32 waveform at ``target_sr`` from a WAV/FLAC/OGG (soundfile) file."""
    import soundfile as sf

    path = Path(path)
    if not path.is_file():
        raise AudioError(f"{path}: no such audio file. Fix: check the dataset folder.")
    missing = _wav_bytes_missing(path)
    if missing:
        raise AudioError(f"{path}: truncated: its WAV header promises {missing} more bytes of audio than the "
                         "file holds (a copy or download cut short). Fix: copy the file again.")
    try:
        wave, sr = sf.read(str(path), dtype="float32", always_2d=True)
    except Exception as e:  # soundfile raises several types for unreadable files
        raise AudioError(f"{path}: cannot be decoded as audio ({type(e).__name__}: {e}). "
                         "Fix: re-export it as 16 kHz mono WAV/FLAC.") from None
    if wave.shape[1] > 1:
        if not downmix:
            check_wave(wave, str(path))
        wave = wave.mean(axis=1, keepdims=True)
    wave = check_wave(wave[:, 0], str(path))
    return check_wave(resample(wave, sr, target_sr), str(path))


def _wav_bytes_missing(path: Path) -> int:
    """For a RIFF/WAVE file, how many bytes of its ``data`` chunk the file lacks (0: whole, or not
    a WAV). libsndfile reads a cut-short WAV as a shorter whole one, without a word."""
    import struct

    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return 0
        offset = 12
        while offset + 8 <= size:
            fh.seek(offset)
            chunk, length = struct.unpack("<4sI", fh.read(8))
            if chunk == b"data":
                if length in (0, 0xFFFFFFFF):  # a streamed WAV that never wrote its length
                    return 0
                return max(0, offset + 8 + length - size)
            offset += 8 + length + (length & 1)  # chunks are padded to an even length
    return 0


def fit_to_duration(wave: np.ndarray, duration_s: float, sr: int = SAMPLE_RATE,
                    mode: str = "center", rng: np.random.Generator | None = None) -> tuple[np.ndarray, int]:
    """Crop (``center`` or seeded ``random``) or zero-pad to exactly duration_s.

    Returns (clip, n_valid_samples): padding is at the end, so samples >= n_valid are zeros.
    """
    if not duration_s > 0:
        raise AudioscaleError(f"duration_s={duration_s} must be > 0 (seconds of audio per clip).")
    n = int(round(duration_s * sr))
    if len(wave) >= n:
        if mode == "center":
            start = (len(wave) - n) // 2
        elif mode == "random":
            if rng is None:
                raise AudioscaleError("mode='random' needs a seeded numpy Generator (rng=...).")
            start = int(rng.integers(0, len(wave) - n + 1))
        else:
            raise AudioscaleError(f"crop mode={mode!r}: use 'center' or 'random'.")
        return wave[start:start + n].astype(np.float32, copy=False), n
    out = np.zeros(n, dtype=np.float32)
    out[:len(wave)] = wave
    return out, len(wave)
