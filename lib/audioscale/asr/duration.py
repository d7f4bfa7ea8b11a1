"""How much of the half-window WER penalty the duration distribution explains.

Halving Whisper's window (1500 -> 750 encoder frames, 30 s -> 15 s) cannot hear words
spoken after 15 s. If every such word became a deletion, the penalty in WER points would be
100 x the fraction of reference words beyond the cut. LibriSpeech has no word times, so on
real data that fraction is estimated under a uniform speaking rate within each utterance
(``words_beyond_fraction``); in the embedded world eSpeak reports each word's time, so it
is measured (``embedded.asr_corpus.length_profile``). ``penalty_by_length`` splits a
measured penalty into the part carried by utterances longer than the cut and the rest.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import AudioscaleError, check_positive


def manifest_lengths(path) -> pd.DataFrame:
    """``utt_id, duration_s, n_words`` from a ``*.manifest.tsv`` (utt_id, duration_s, transcript)."""
    from pathlib import Path

    p = Path(path)
    if not p.is_file():
        raise AudioscaleError(f"{path}: no such manifest. Fix: give a *.manifest.tsv with utt_id, duration_s "
                              "and transcript columns.")
    df = pd.read_csv(p, sep="\t", quoting=3, keep_default_na=False)
    missing = {"utt_id", "duration_s", "transcript"} - set(df.columns)
    if missing:
        raise AudioscaleError(f"{path}: missing column(s) {sorted(missing)}.")
    return pd.DataFrame({"utt_id": df["utt_id"], "duration_s": df["duration_s"].astype(float),
                         "n_words": df["transcript"].str.split().str.len().astype(int)})


def words_beyond_fraction(durations_s, n_words, cut_s: float) -> float:
    """Fraction of all words that lie after ``cut_s``, assuming each utterance spreads its
    words evenly over its duration."""
    check_positive("cut_s", cut_s)
    d = np.asarray(durations_s, dtype=float)
    w = np.asarray(n_words, dtype=float)
    beyond = w * np.clip(d - cut_s, 0.0, None) / np.where(d > 0, d, 1.0)
    return float(beyond.sum() / w.sum())


def length_profile(lengths: pd.DataFrame, cut_s: float, window_s: float | None = None) -> dict:
    """Duration facts that bound what a ``cut_s`` window loses (``lengths`` as from
    ``manifest_lengths``). ``window_s``: the full window, beyond which both settings lose."""
    d, w = lengths["duration_s"], lengths["n_words"]
    long = d > cut_s
    out = {"n_utts": int(len(d)), "hours": float(d.sum() / 3600), "n_words": int(w.sum()),
           "mean_duration_s": float(d.mean()), "median_duration_s": float(d.median()),
           "frac_utts_over_cut": float(long.mean()), "frac_words_in_long_utts": float(w[long].sum() / w.sum()),
           "frac_words_beyond_cut": words_beyond_fraction(d, w, cut_s)}
    if window_s is not None:
        # words beyond the full window are lost at both T: they do not count toward the penalty
        out["frac_words_beyond_window"] = words_beyond_fraction(d, w, window_s)
        out["expected_penalty_points"] = 100.0 * (out["frac_words_beyond_cut"] - out["frac_words_beyond_window"])
    return out


def paper_half_window_penalty() -> pd.DataFrame:
    """The paper's WER(750 frames) - WER(1500 frames), stride 1, per model (points)."""
    from ..paper import asr_table

    t = asr_table()
    t = t[t["stride"] == 1].pivot(index="model", columns="encoder_frames", values="wer_pct")
    out = pd.DataFrame({"wer_1500": t[1500], "wer_750": t[750]}).dropna()
    out["penalty_points"] = out["wer_750"] - out["wer_1500"]
    order = ["tiny", "small", "medium", "large-v3"]
    return out.reindex([m for m in order if m in out.index]).reset_index()


def penalty_by_length(utterances: pd.DataFrame, key_full: str, key_half: str, cut_s: float) -> dict:
    """Split the measured penalty (half minus full window, WER points) into the part carried
    by utterances longer than ``cut_s`` and the rest. ``utterances``: the per-utterance file
    written by ``run.run_asr`` (config_id, utt_id, audio_s, n_ref_words, errors); ``key_*`` are
    the two rows' ``config_id`` values (``run.config_id(row["config_key"])``)."""
    a = utterances[utterances["config_id"] == key_full].set_index("utt_id")
    b = utterances[utterances["config_id"] == key_half].set_index("utt_id")
    if a.empty or b.empty:
        raise AudioscaleError("no per-utterance rows for one of the two configurations: run both first.")
    common = a.index.intersection(b.index)
    a, b = a.loc[common], b.loc[common]
    n_words = a["n_ref_words"].sum()
    long = a["audio_s"] > cut_s
    delta = b["errors"] - a["errors"]
    return {"n_utts": int(len(common)), "n_words": int(n_words),
            "penalty_points": float(100.0 * delta.sum() / n_words),
            "from_long_utts_points": float(100.0 * delta[long].sum() / n_words),
            "from_short_utts_points": float(100.0 * delta[~long].sum() / n_words),
            "frac_utts_over_cut": float(long.mean())}


def shared_manifest(name: str = "librispeech-test-other") -> "Path | None":
    """The read-only real-data manifest beside the repository (``../shared/data``), if present."""
    from pathlib import Path

    from ..paths import REPO

    path = Path(REPO).parent / "shared" / "data" / name / f"{name.removeprefix('librispeech-')}.manifest.tsv"
    return path if path.is_file() else None
