"""A prosodic-feature baseline: how much emotion signal a corpus holds in pitch, energy and rate.

Per clip (after the same zero-mean unit-variance normalisation the wav2vec2 models get, so
absolute loudness is not a feature for either), on 40 ms frames every 10 ms:
- pitch: autocorrelation F0 (60–400 Hz) on voiced frames -> mean, std, 10th/90th percentile
  of log F0, and the voiced fraction;
- energy: frame log-RMS relative to the clip's loudest frame -> mean, std and 90th percentile
  over speech frames, the share of frames that are speech;
- rate: speech span (first to last speech frame) in s and energy peaks (syllable nuclei)
  per second of speech.
Classifier: standardised features + multinomial logistic regression, trained on the train
speakers, scored (UA, WA) on the test speakers. ``duration_s`` centre-crops first, so the
baseline sees exactly what a model with that window sees.
"""
from __future__ import annotations

import numpy as np
import scipy.fft

from ..audio import fit_to_duration
from ..paths import SAMPLE_RATE
from .model import normalize
from .train import ser_metrics

FRAME_S, HOP_S = 0.04, 0.01
F0_MIN_HZ, F0_MAX_HZ = 60.0, 400.0
SPEECH_DB = -35.0      # a frame within 35 dB of the loudest is speech
VOICING_THRESHOLD = 0.45  # normalised autocorrelation peak for a voiced frame
FEATURES = ("f0_mean", "f0_std", "f0_p10", "f0_p90", "voiced_frac", "energy_mean", "energy_std",
            "energy_p90", "speech_frac", "speech_span_s", "peaks_per_s")


def _frames(wave: np.ndarray) -> np.ndarray:
    """(frames, samples) strided view of ``wave``: 40 ms frames every 10 ms."""
    n, hop = int(FRAME_S * SAMPLE_RATE), int(HOP_S * SAMPLE_RATE)
    if len(wave) < n:
        wave = np.pad(wave, (0, n - len(wave)))
    return np.lib.stride_tricks.sliding_window_view(wave, n)[::hop]


def features(wave: np.ndarray) -> np.ndarray:
    """The ``FEATURES`` vector of one 16 kHz clip."""
    fr = _frames(normalize(wave))
    rms_db = 10 * np.log10((fr ** 2).mean(1) + 1e-10)
    rms_db -= rms_db.max()
    speech = rms_db > SPEECH_DB
    # autocorrelation by FFT, normalised by lag 0 (scipy's FFT: 4x numpy's on these float32 frames)
    x = fr - fr.mean(1, keepdims=True)
    spec = scipy.fft.rfft(x, 2 * x.shape[1], axis=1)
    ac = scipy.fft.irfft(np.abs(spec) ** 2, axis=1)[:, :x.shape[1]]
    ac /= ac[:, :1] + 1e-10
    lo, hi = int(SAMPLE_RATE / F0_MAX_HZ), int(SAMPLE_RATE / F0_MIN_HZ)
    lag = lo + ac[:, lo:hi].argmax(1)
    peak = ac[np.arange(len(ac)), lag]
    voiced = speech & (peak > VOICING_THRESHOLD)
    logf0 = np.log(SAMPLE_RATE / lag[voiced]) if voiced.any() else np.zeros(1)
    sp = np.flatnonzero(speech)
    span_s = (sp[-1] - sp[0] + 1) * HOP_S if len(sp) else 0.0
    e = rms_db[speech] if speech.any() else rms_db
    # syllable nuclei: local maxima of the smoothed speech energy that stand 3 dB above their surroundings
    sm = np.convolve(rms_db, np.ones(5) / 5, mode="same")
    is_peak = (sm[1:-1] > sm[:-2]) & (sm[1:-1] >= sm[2:]) & speech[1:-1]
    peaks = [i + 1 for i in np.flatnonzero(is_peak)
             if sm[i + 1] - sm[max(0, i - 10):i + 12].min() > 3.0]
    return np.array([logf0.mean(), logf0.std(), np.percentile(logf0, 10), np.percentile(logf0, 90),
                     voiced.mean(), e.mean(), e.std(), np.percentile(e, 90), speech.mean(), span_s,
                     len(peaks) / max(span_s, HOP_S)], dtype=np.float64)


def feature_matrix(waves, duration_s: float | None = None) -> np.ndarray:
    rows = []
    for w in waves:
        if duration_s is not None:
            clip, n_valid = fit_to_duration(w, duration_s, mode="center")
            w = clip[:n_valid]
        rows.append(features(w))
    return np.stack(rows)


def prosodic_baseline(clips, waves, duration_s: float | None = None, seed: int = 0) -> dict:
    """Train on the ``train`` split, score the ``test`` split: {'ua', 'wa', 'confusion', 'model'}."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    split = clips.split.to_numpy()
    y = clips.label.to_numpy()
    X = feature_matrix(waves, duration_s)
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000, random_state=seed))
    clf.fit(X[split == "train"], y[split == "train"])
    out = ser_metrics(y[split == "test"], clf.predict(X[split == "test"]))
    out["model"] = clf
    return out


def baseline_row(data: str = "embedded", duration_s: float | None = None, split_seed: int = 0,
                 store=None, force: bool = False) -> dict:
    """The baseline's UA/WA on ``data``'s test speakers as a stored row
    (``results/ser_<scale>_prosody.csv``; ``duration_s=None`` = whole clips)."""
    from ..results import ResultStore
    from .config import EMBEDDED_DATA
    from .run import data_fingerprint, data_label, load_dataset
    scale = "embedded" if data == EMBEDDED_DATA else "paper"
    store = store or ResultStore(f"ser_{scale}_prosody")
    config = {"data": data_label(data), "duration_s": duration_s, "split_seed": split_seed,
              "features": ",".join(FEATURES), "classifier": "standardise+logistic-regression"}
    if data != EMBEDDED_DATA:
        config["data_fingerprint"] = data_fingerprint(data)
    hit = store.get(config, force=force)
    if hit is not None:
        return hit
    clips, waves, _ = load_dataset(data, split_seed)
    out = prosodic_baseline(clips, waves, duration_s)
    import json
    return store.put(config, {"ua": out["ua"], "wa": out["wa"],
                              "confusion": json.dumps(out["confusion"].tolist(), separators=(",", ":"))},
                     scale=scale)
