"""Tables and the figure of the real-Whisper rows (``results/asr_real.csv``), beside the paper's.

The rows are real OpenAI weights (tiny.en, base) on **real test-other text in a synthetic
voice** (``asr.read_aloud``), never LibriSpeech audio: every table says so in its ``audio``
column. Paper counterparts: tiny.en is the English-only twin of the paper's multilingual
tiny (same dims, 37.8 M parameters converted vs the paper's "39 M"); base has no paper row.
The guard column names the decoding option (``asr.real.GUARDS``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import AudioscaleError
from ..paper import asr_table
from ..results import ResultStore
from . import real, run
from .duration import words_beyond_fraction

PAPER_TWIN = {"tiny.en": "tiny"}  # our model -> the paper's row it stands beside
CLIPS = "librispeech-real-clips-5"
CONFIG = ["model", "encoder_frames", "stride", "pooling", "guard"]


def load_rows(compute: bool = True, store: ResultStore | None = None, verbose: bool = True) -> pd.DataFrame:
    """Every real row with its timings. With ``compute`` the rows that are missing (or stale
    under the store's recompute policy) are computed first, when the weights and the voice are
    installed; otherwise the committed rows are read as they are."""
    store = store or ResultStore(real.STORE)
    if compute and _can_compute():
        real.sweep_real(store=store, verbose=verbose)
    return run.rows_with_timings("real", store)


def _can_compute() -> bool:
    import importlib.util

    from ..models.weights.shipped import is_installed

    return all(is_installed(m) for m in real.REAL_MODELS) and importlib.util.find_spec("piper") is not None


def main_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """The read-aloud subset's rows (no check rows, no real-clip rows)."""
    return rows[(rows["limit"] == -1) & (rows["data"] != CLIPS)].reset_index(drop=True)


def clip_rows(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[rows["data"] == CLIPS].reset_index(drop=True)


def _in_order(df: pd.DataFrame) -> pd.DataFrame:
    """Smaller model first, full window first, select before mean. (Not by ``params_m``: at
    750 frames the sliced positional table makes the same model a little smaller.)"""
    rank = {m: i for i, m in enumerate(real.REAL_MODELS)}
    key = df.assign(_m=df["model"].map(rank), _t=-df["encoder_frames"],
                    _p=(df["pooling"] != "select") if "pooling" in df else False)
    by = ["_m", "_t"] + (["stride"] if "stride" in df else []) + ["_p"]
    return key.sort_values(by, kind="stable").drop(columns=["_m", "_t", "_p"]).reset_index(drop=True)


def paper_points() -> pd.DataFrame:
    """The paper's ASR table with its columns named as the paper's (paper_wer_pct, paper_gflops ...)."""
    return asr_table().rename(columns={"model": "paper_model", "wer_pct": "paper_wer_pct",
                                       "gflops": "paper_gflops", "params_m": "paper_params_m"})


def side_by_side(rows: pd.DataFrame, guard: str = "none") -> pd.DataFrame:
    """One line per (model, frames, stride, pooling) under ``guard``, with the paper's twin row."""
    m = main_rows(rows)
    m = m[m["guard"] == guard].copy()
    m["paper_model"] = m["model"].map(PAPER_TWIN)
    out = m.merge(paper_points(), on=["paper_model", "encoder_frames", "stride"], how="left")
    out["delta_wer_pts"] = out["wer_pct"] - out["paper_wer_pct"]
    cols = ["model", "params_m", "encoder_frames", "stride", "pooling", "guard", "wer_pct", "paper_model",
            "paper_wer_pct", "delta_wer_pts", "substitutions", "deletions", "insertions", "n_utterances",
            "n_hit_token_cap", "gflops_paper_10tok", "gflops_paper", "gflops_matmul", "paper_gflops", "audio"]
    return _in_order(out)[cols]


def sanity_clips(rows: pd.DataFrame) -> pd.DataFrame:
    """Real LibriSpeech audio (5 clips), full window, stride 1: the same weights on real speech."""
    c = clip_rows(rows)
    c = c[(c["stride"] == 1) & (c["guard"] == "none")]
    return c[["model", "wer_pct", "n_ref_words", "substitutions", "deletions", "insertions", "audio"]]


def _utterance_errors(rows: pd.DataFrame, store: ResultStore | None) -> dict[str, pd.DataFrame]:
    utts = (store or ResultStore(real.STORE)).utterances.read()
    return {k: utts[utts["config_id"] == run.config_id(k)].set_index("utt_id") for k in rows["config_key"]}


def size_step(rows: pd.DataFrame, guard: str = "none", store: ResultStore | None = None) -> pd.DataFrame:
    """tiny.en -> base at the full window, stride 1: the gain with a paired bootstrap 95 %
    interval over the utterances, beside the paper's tiny -> small step."""
    from .wer import paired_bootstrap_difference

    m = main_rows(rows)
    m = _in_order(m[(m["guard"] == guard) & (m["encoder_frames"] == 1500) & (m["stride"] == 1)])
    if len(m) < 2:
        return pd.DataFrame()
    per = _utterance_errors(m, store)
    a, b = m.iloc[0], m.iloc[-1]
    ua, ub = per[a["config_key"]], per[b["config_key"]]
    both = ua.index.intersection(ub.index)
    ci = paired_bootstrap_difference(ua.loc[both, "errors"], ub.loc[both, "errors"], ua.loc[both, "n_ref_words"])
    p = paper_points().set_index(["paper_model", "encoder_frames", "stride"])
    p_tiny, p_small = p.loc[("tiny", 1500, 1)], p.loc[("small", 1500, 1)]
    return pd.DataFrame([{
        "step (ours)": f"{a['model']} -> {b['model']}", "params_x (ours)": b["params_m"] / a["params_m"],
        "wer_pct": f"{a['wer_pct']:.2f} -> {b['wer_pct']:.2f}",
        "rel_wer_change_pct (ours)": 100 * (b["wer_pct"] / a["wer_pct"] - 1),
        "gain_pts": ci["delta_wer_pts"], "ci95_low_pts": ci["ci_low_pts"], "ci95_high_pts": ci["ci_high_pts"],
        "step (paper)": "tiny -> small", "params_x (paper)": p_small["paper_params_m"] / p_tiny["paper_params_m"],
        "rel_wer_change_pct (paper)": 100 * (p_small["paper_wer_pct"] / p_tiny["paper_wer_pct"] - 1)}])


def frames_penalty(rows: pd.DataFrame) -> pd.DataFrame:
    """750 vs 1500 frames, stride 1, per model and guard: the measured penalty beside the
    paper's (tiny.en's twin) and beside what the subset's durations predict if every word
    past 15 s were deleted and nothing else changed."""
    m = main_rows(rows)
    m = m[m["stride"] == 1]
    piv = m.pivot_table(index=["model", "guard"], columns="encoder_frames", values="wer_pct").reset_index()
    pen = paper_points()
    pen = pen[pen["stride"] == 1].pivot(index="paper_model", columns="encoder_frames", values="paper_wer_pct")
    predicted = predicted_half_window_penalty()
    out = pd.DataFrame({"model": piv["model"], "guard": piv["guard"], "wer_1500": piv[1500], "wer_750": piv[750]})
    out["penalty_pts"] = out["wer_750"] - out["wer_1500"]
    out["paper_penalty_pts"] = [pen.loc[PAPER_TWIN[x], 750] - pen.loc[PAPER_TWIN[x], 1500] if x in PAPER_TWIN
                                else np.nan for x in out["model"]]
    out["delta_pts"] = out["penalty_pts"] - out["paper_penalty_pts"]
    out["predicted_by_durations_pts"] = predicted
    return _by_model_and_guard(out)


def _by_model_and_guard(df: pd.DataFrame) -> pd.DataFrame:
    rank = {m: i for i, m in enumerate(real.REAL_MODELS)}
    order = {g: i for i, g in enumerate(real.GUARDS)}
    return df.sort_values(["model", "guard"], key=lambda c: c.map(rank if c.name == "model" else order),
                          kind="stable").reset_index(drop=True)


def frames_verdict(rows: pd.DataFrame, guard: str) -> str:
    """One line: the measured half-window penalty under ``guard`` against the paper's and the
    durations' prediction."""
    t = frames_penalty(rows)
    t = t[t["guard"] == guard]
    paper = frames_penalty_paper_range()
    pred = t["predicted_by_durations_pts"].iloc[0]
    return (f"guard {guard}: penalty {t['penalty_pts'].min():+.2f} to {t['penalty_pts'].max():+.2f} points "
            f"(real Whisper, synthetic voice) vs the paper's {paper[0]:+.2f} to {paper[1]:+.2f} (real audio); "
            f"losing every word after 15 s would cost {pred:+.2f}: "
            + ("more than the cut alone explains" if t["penalty_pts"].min() > pred else "within what the cut explains"))


def frames_penalty_paper_range() -> tuple[float, float]:
    p = paper_points()
    p = p[p["stride"] == 1].pivot(index="paper_model", columns="encoder_frames", values="paper_wer_pct").dropna()
    pen = p[750] - p[1500]
    return float(pen.min()), float(pen.max())


def predicted_half_window_penalty(n: int | None = None) -> float:
    """100 x the fraction of the subset's words spoken after 15 s (uniform speaking rate
    within an utterance; words beyond 30 s are lost at both windows and not counted)."""
    from .read_aloud import stratified_subset, test_other_manifest

    ids = set(stratified_subset(n or real.REPRODUCE_N))
    utts = [u for u in test_other_manifest() if u.utt_id in ids]
    d = [u.duration_s for u in utts]
    w = [len(u.transcript.split()) for u in utts]
    return 100.0 * (words_beyond_fraction(d, w, 15.0) - words_beyond_fraction(d, w, 30.0))


def frames_penalty_by_length(rows: pd.DataFrame, guard: str, store: ResultStore | None = None) -> pd.DataFrame:
    """The measured 750-frame penalty split into utterances longer than 15 s (whose end the
    window cuts) and the rest (``duration.penalty_by_length``), stride 1, per model."""
    from .duration import penalty_by_length

    m = main_rows(rows)
    m = m[(m["guard"] == guard) & (m["stride"] == 1)]
    utts = (store or ResultStore(real.STORE)).utterances.read()
    out = []
    for model in [x for x in real.REAL_MODELS if x in set(m["model"])]:
        keys = m[m["model"] == model].set_index("encoder_frames")["config_key"]
        if not {750, 1500} <= set(keys.index):
            continue
        split = penalty_by_length(utts, run.config_id(keys[1500]), run.config_id(keys[750]), cut_s=15.0)
        out.append({"model": model, "guard": guard, **split})
    return pd.DataFrame(out)


def stride_penalty(rows: pd.DataFrame, guard: str = "none") -> pd.DataFrame:
    """Stride 2 vs 1 per model, window and pooling: the penalty beside the paper's, the
    FLOPs saving under two conventions and the measured decoder-time saving."""
    m = main_rows(rows)
    m = m[m["guard"] == guard]
    base = m[m["stride"] == 1].set_index(["model", "encoder_frames"])
    p = paper_points().set_index(["paper_model", "encoder_frames", "stride"])
    out = []
    for r in _in_order(m[m["stride"] == 2]).itertuples():
        b = base.loc[(r.model, r.encoder_frames)]
        twin = PAPER_TWIN.get(r.model)
        has_paper = twin is not None and (twin, r.encoder_frames, 2) in p.index
        paper_pen = (p.loc[(twin, r.encoder_frames, 2), "paper_wer_pct"]
                     - p.loc[(twin, r.encoder_frames, 1), "paper_wer_pct"]) if has_paper else np.nan
        out.append({"model": r.model, "encoder_frames": r.encoder_frames, "pooling": r.pooling, "guard": guard,
                    "penalty_pts": r.wer_pct - b["wer_pct"], "paper_penalty_pts": paper_pen,
                    "flops_saving_pct (paper conv.)": 100 * (1 - r.gflops_paper / b["gflops_paper"]),
                    "flops_saving_pct (matmul)": 100 * (1 - r.gflops_matmul / b["gflops_matmul"])})
    return pd.DataFrame(out)


def stride_verdict(rows: pd.DataFrame, guard: str, encoder_frames: int = 1500) -> str:
    """One line: the stride-2 penalty at one window under ``guard`` against the paper's."""
    t = stride_penalty(rows, guard)
    t = t[t["encoder_frames"] == encoder_frames]
    p = paper_points()
    p = p.pivot_table(index="paper_model", columns=["encoder_frames", "stride"], values="paper_wer_pct")
    paper = (p[(1500, 2)] - p[(1500, 1)]).dropna()
    return (f"{encoder_frames} frames, guard {guard}: stride-2 penalty {t['penalty_pts'].min():+.2f} to "
            f"{t['penalty_pts'].max():+.2f} points over models and poolings (real Whisper, synthetic voice) vs "
            f"the paper's {paper.min():+.2f} to {paper.max():+.2f} (1500 frames, real audio)")


def stride_time_saving(rows: pd.DataFrame) -> pd.DataFrame:
    """Measured decoder-time saving of stride 2 (machine-dependent: show under
    NBVAL_IGNORE_OUTPUT). Every stride decoded the same encoder output, so the encoder time
    is shared and only the decoder's differs."""
    m = main_rows(rows)
    if "decoder_s" not in m:
        raise AudioscaleError("no timings joined to the rows (results/timings/asr_real.csv is absent).")
    m = m[m["guard"] == "none"]
    base = m[m["stride"] == 1].set_index(["model", "encoder_frames"])
    out = []
    for r in _in_order(m[m["stride"] == 2]).itertuples():
        b = base.loc[(r.model, r.encoder_frames)]
        out.append({"model": r.model, "encoder_frames": r.encoder_frames, "pooling": r.pooling,
                    "decoder_time_saving_pct": 100 * (1 - r.decoder_s / b["decoder_s"]),
                    "total_time_saving_pct": 100 * (1 - (r.encoder_s + r.decoder_s) / (b["encoder_s"] + b["decoder_s"])),
                    "decode_ms_per_step (s=1)": b["decode_ms_per_step"], "decode_ms_per_step (s=2)": r.decode_ms_per_step,
                    "encoder_share_pct (s=1)": 100 * b["encoder_s"] / (b["encoder_s"] + b["decoder_s"])})
    return pd.DataFrame(out)


def guard_summary(rows: pd.DataFrame) -> pd.DataFrame:
    """WER under each guard at each window (stride 1), and how many hypotheses it changed."""
    m = main_rows(rows)
    m = m[m["stride"] == 1]
    t = m.pivot_table(index=["model", "encoder_frames"], columns="guard", values="wer_pct")[list(real.GUARDS)]
    changed = m.pivot_table(index=["model", "encoder_frames"], columns="guard", values="n_guard_changed")
    t["n_hit_cap (none)"] = m[m["guard"] == "none"].set_index(["model", "encoder_frames"])["n_hit_token_cap"]
    t["n_changed (cap+repetition)"] = changed["cap+repetition"]
    return _in_order(t.reset_index())
