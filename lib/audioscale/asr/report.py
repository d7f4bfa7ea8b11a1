"""Tables and figures for notebooks 01–03: our ASR rows beside the paper's.

Our embedded world plays the paper's roles: the four minis (smallest -> largest) stand for
tiny, small, medium and large-v3; the full 8 s window (400 encoder frames) for 1500 frames
and the half window (200) for 750; the stride is the same. Absolute WERs come from
different worlds (synthetic 32-word speech vs LibriSpeech test-other), so a Δ of absolute
WER is printed for completeness only; the comparisons that carry meaning are the *effects*
(relative WER change per size step, the half-window penalty, the stride-2 penalty, the
FLOPs saving), each printed as ours | paper | Δ | verdict.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import AudioscaleError
from ..paper import asr_table
from ..results import ResultStore
from . import run

PAPER_SIZES = ("tiny", "small", "medium", "large-v3")


def load_rows(scale: str = "embedded", compute: bool = True, model_ids: dict | None = None,
              data_dir: str | None = None, limit: int | None = None, store: ResultStore | None = None,
              verbose: bool = False) -> pd.DataFrame:
    """Rows (joined with timings) of ``results/asr_<scale>.csv``; with ``compute`` the
    configurations without a reusable row are run first (cheap when committed rows exist).
    Only full-test-set greedy rows are returned (``limit`` rows are checks)."""
    store = store or ResultStore(f"asr_{scale}")
    if compute:
        if scale == "embedded" and run.find_minis():
            run.sweep_embedded(data_dir, limit=limit, store=store, verbose=verbose)
        elif scale == "paper" and model_ids:
            run.sweep_paper(data_dir or run.PAPER_DATA, model_ids, limit=limit, store=store, verbose=verbose)
    df = run.rows_with_timings(scale, store)
    if df.empty:
        return df
    want = -1 if limit is None else int(limit)
    return df[(df["limit"] == want) & (df["beam_size"] == 1)].reset_index(drop=True)


def role_of_models(rows: pd.DataFrame) -> dict[str, str]:
    """Our model -> the paper size it plays (by parameter count rank; paper-scale rows map
    to themselves)."""
    models = rows.groupby("model")["params_m"].first().sort_values()
    if set(models.index) <= set(PAPER_SIZES):
        return {m: m for m in models.index}
    if len(models) > len(PAPER_SIZES):
        raise AudioscaleError(f"{len(models)} models but the paper has {len(PAPER_SIZES)} sizes.")
    return dict(zip(models.index, PAPER_SIZES))


def with_roles(rows: pd.DataFrame) -> pd.DataFrame:
    """Adds ``paper_model`` and ``paper_frames`` (1500 for our full window, 750 for half)."""
    out = rows.copy()
    out["paper_model"] = out["model"].map(role_of_models(rows))
    out["paper_frames"] = np.where(out["encoder_frames"] == out["full_encoder_frames"], 1500,
                                   np.where(2 * out["encoder_frames"] == out["full_encoder_frames"], 750, -1))
    return out


def paper_rows() -> pd.DataFrame:
    t = asr_table().rename(columns={"model": "paper_model", "encoder_frames": "paper_frames",
                                    "wer_pct": "paper_wer_pct", "gflops": "paper_gflops",
                                    "params_m": "paper_params_m"})
    t["pooling"] = "select"
    return t


def side_by_side(rows: pd.DataFrame, pooling: str = "select") -> pd.DataFrame:
    """Every row of ours that has a paper counterpart, with the paper's WER and GFLOPs."""
    ours = with_roles(rows)
    ours = ours[(ours["stride"] == 1) | (ours["pooling"] == pooling)]
    p = paper_rows().drop(columns=["pooling"])
    m = ours.merge(p, on=["paper_model", "paper_frames", "stride"], how="left")
    m["delta_wer_pts"] = m["wer_pct"] - m["paper_wer_pct"]
    return m


def verdict(ours: float, paper: float, tol: float = 0.0) -> str:
    """Same sign of an effect = 'same direction'; both within ``tol`` of 0 = 'both ~0'."""
    if abs(ours) <= tol and abs(paper) <= tol:
        return "both ~0"
    return "same direction" if np.sign(ours) == np.sign(paper) and ours != 0 else "DIFFERS"


def size_effects(rows: pd.DataFrame) -> pd.DataFrame:
    """Relative WER change at each size step (full window, stride 1), ours vs paper."""
    ours = side_by_side(rows)
    ours = ours[(ours["paper_frames"] == 1500) & (ours["stride"] == 1)].sort_values("params_m")
    paper = paper_rows()
    paper = paper[(paper["paper_frames"] == 1500) & (paper["stride"] == 1)].set_index("paper_model")
    out = []
    for a, b in zip(ours.itertuples(), list(ours.itertuples())[1:]):
        rel = 100 * (b.wer_pct - a.wer_pct) / a.wer_pct
        p_rel = 100 * (paper.loc[b.paper_model, "paper_wer_pct"] - paper.loc[a.paper_model, "paper_wer_pct"]) \
            / paper.loc[a.paper_model, "paper_wer_pct"]
        out.append({"step (ours)": f"{a.model} -> {b.model}", "step (paper)": f"{a.paper_model} -> {b.paper_model}",
                    "params_x (ours)": b.params_m / a.params_m,
                    "params_x (paper)": (paper.loc[b.paper_model, "paper_params_m"]
                                         / paper.loc[a.paper_model, "paper_params_m"]),
                    "rel_wer_change_pct (ours)": rel, "rel_wer_change_pct (paper)": p_rel,
                    "delta_pts": rel - p_rel, "verdict": verdict(rel, p_rel)})
    return pd.DataFrame(out)


def size_step_intervals(rows: pd.DataFrame, scale: str = "embedded", store: ResultStore | None = None,
                        n_boot: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Each size step's WER gain (smaller minus bigger model, points; full window, stride 1)
    with a paired bootstrap 95 % interval over the test utterances (``wer.paired_bootstrap_difference``):
    whether the step is larger than the sampling noise of a test set this size. Needs the
    per-utterance rows (``results/asr_<scale>_utterances.csv``); empty without them."""
    from .wer import paired_bootstrap_difference

    utts = (store or ResultStore(f"asr_{scale}")).utterances.read()
    if rows.empty or utts.empty:
        return pd.DataFrame()
    m = with_roles(rows)
    m = m[(m["paper_frames"] == 1500) & (m["stride"] == 1)].sort_values("params_m")
    per_model = [(r.model, utts[utts["config_id"] == run.config_id(r.config_key)].set_index("utt_id"))
                 for r in m.itertuples()]
    out = []
    for (a, ua), (b, ub) in zip(per_model, per_model[1:]):
        both = ua.index.intersection(ub.index)
        if len(both) == 0:
            continue
        r = paired_bootstrap_difference(ua.loc[both, "errors"], ub.loc[both, "errors"],
                                        ua.loc[both, "n_ref_words"], n_boot=n_boot, seed=seed)
        out.append({"step (ours)": f"{a} -> {b}", "n_utterances": r["n_utterances"],
                    "wer_gain_pts": r["delta_wer_pts"], "ci95_low_pts": r["ci_low_pts"],
                    "ci95_high_pts": r["ci_high_pts"], "p_bigger_not_better": r["p_b_not_better"],
                    "resolved": "yes" if r["ci_low_pts"] > 0 else "no (interval reaches 0)"})
    return pd.DataFrame(out)


def penalty_table(rows: pd.DataFrame, axis: str, pooling: str = "select") -> pd.DataFrame:
    """WER penalty of the cheaper setting, per model: ``axis='frames'`` (half vs full window,
    stride 1) or ``axis='stride'`` (stride 2 vs 1, full window), ours beside the paper's, with
    both the absolute (points) and relative (%) penalty and the FLOPs saving."""
    m = side_by_side(rows, pooling)
    if axis == "frames":
        base = m[(m["paper_frames"] == 1500) & (m["stride"] == 1)]
        cheap = m[(m["paper_frames"] == 750) & (m["stride"] == 1)]
    elif axis == "stride":
        base = m[(m["paper_frames"] == 1500) & (m["stride"] == 1)]
        cheap = m[(m["paper_frames"] == 1500) & (m["stride"] == 2)]
    else:
        raise AudioscaleError(f"axis={axis!r}: use 'frames' or 'stride'.")
    cols = ["model", "paper_model", "wer_pct", "paper_wer_pct", "gflops_paper", "gflops_matmul", "paper_gflops"]
    j = base.sort_values("params_m")[cols].merge(cheap[cols], on=["model", "paper_model"],
                                                 suffixes=("_base", "_cheap"))
    out = pd.DataFrame({
        "model": j["model"], "paper_model": j["paper_model"],
        "penalty_pts (ours)": j["wer_pct_cheap"] - j["wer_pct_base"],
        "penalty_pts (paper)": j["paper_wer_pct_cheap"] - j["paper_wer_pct_base"],
        "penalty_rel_pct (ours)": 100 * (j["wer_pct_cheap"] / j["wer_pct_base"] - 1),
        "penalty_rel_pct (paper)": 100 * (j["paper_wer_pct_cheap"] / j["paper_wer_pct_base"] - 1),
        "flops_saving_pct (ours, paper conv.)": 100 * (1 - j["gflops_paper_cheap"] / j["gflops_paper_base"]),
        "flops_saving_pct (ours, matmul)": 100 * (1 - j["gflops_matmul_cheap"] / j["gflops_matmul_base"]),
        "flops_saving_pct (paper)": 100 * (1 - j["paper_gflops_cheap"] / j["paper_gflops_base"]),
    })
    out["delta_rel_pct"] = out["penalty_rel_pct (ours)"] - out["penalty_rel_pct (paper)"]
    out["verdict"] = [verdict(a, b) if not np.isnan(b) else "no paper row"
                      for a, b in zip(out["penalty_pts (ours)"], out["penalty_pts (paper)"])]
    return out


def decode_time_saving(rows: pd.DataFrame, pooling: str = "select") -> pd.DataFrame:
    """Stride 2 vs 1 at the full window: FLOPs saving beside the measured decoder-time and
    total-time saving (timings are machine-dependent: show under NBVAL_IGNORE_OUTPUT)."""
    if "decoder_s" not in rows:
        raise AudioscaleError("no timings joined to the rows (results/timings/asr_<scale>.csv is absent).")
    m = with_roles(rows)
    m = m[m["paper_frames"] == 1500]
    base = m[m["stride"] == 1].set_index("model")
    cheap = m[(m["stride"] == 2) & (m["pooling"] == pooling)].set_index("model")
    common = base.index.intersection(cheap.index)
    common = base.loc[common].sort_values("params_m").index
    b, c = base.loc[common], cheap.loc[common]
    return pd.DataFrame({
        "model": common,
        "flops_saving_pct (paper conv.)": 100 * (1 - c["gflops_paper"] / b["gflops_paper"]).values,
        "flops_saving_pct (matmul)": 100 * (1 - c["gflops_matmul"] / b["gflops_matmul"]).values,
        "decoder_time_saving_pct": 100 * (1 - c["decoder_s"] / b["decoder_s"]).values,
        "total_time_saving_pct": 100 * (1 - c["processing_s"] / b["processing_s"]).values,
        "decode_ms_per_step (s=1)": b["decode_ms_per_step"].values,
        "decode_ms_per_step (s=2)": c["decode_ms_per_step"].values,
        "load_avg_1m": np.maximum(b["load_avg_1m"].values, c["load_avg_1m"].values),
    })


def show(df: pd.DataFrame, digits: int = 2) -> None:
    """Print a table with rounded numbers (stable under nbval)."""
    print(df.round(digits).to_string(index=False))


def paper_flops_check(decoder_positions: int = 25) -> pd.DataFrame:
    """The paper's GFLOPs column beside our two routes: the ``paper`` convention at its 10
    tokens (should reproduce the column) and the exact ``matmul`` count of a KV-cached
    decoder, at 10 tokens and at ``decoder_positions`` (a real test-other transcript: ~20
    text tokens + the 4-token prompt + the end token)."""
    from ..accounting import flops

    rows = []
    for r in asr_table().itertuples():
        ours = flops.asr_flops(r.model, r.encoder_frames, r.stride, 10, "paper").total_gflops
        rows.append({"model": r.model, "encoder_frames": r.encoder_frames, "stride": r.stride,
                     "paper_gflops": r.gflops, "ours_paper_conv": ours, "delta": ours - r.gflops,
                     "match": "yes" if abs(ours - r.gflops) < 0.05 else "NO",
                     "matmul_10tok": flops.asr_flops(r.model, r.encoder_frames, r.stride, 10, "matmul").total_gflops,
                     f"matmul_{decoder_positions}tok": flops.asr_flops(r.model, r.encoder_frames, r.stride,
                                                                       decoder_positions, "matmul").total_gflops})
    return pd.DataFrame(rows)


def utterance_penalties(rows: pd.DataFrame, cut_s: float, scale: str = "embedded",
                        store: ResultStore | None = None) -> pd.DataFrame:
    """Per model: the half-window penalty (stride 1) split into the part carried by
    utterances longer than ``cut_s`` and the rest (``duration.penalty_by_length``)."""
    from .duration import penalty_by_length

    utts = (store or ResultStore(f"asr_{scale}")).utterances.read()
    if utts.empty:
        return pd.DataFrame()
    m = with_roles(rows)
    m = m[m["stride"] == 1]
    out = []
    for model, g in m.groupby("model"):
        full, half = g[g["paper_frames"] == 1500], g[g["paper_frames"] == 750]
        if len(full) and len(half):
            r = penalty_by_length(utts, run.config_id(full["config_key"].iloc[0]),
                                  run.config_id(half["config_key"].iloc[0]), cut_s)
            out.append({"model": model, "params_m": full["params_m"].iloc[0], **r})
    return pd.DataFrame(out).sort_values("params_m").drop(columns="params_m") if out else pd.DataFrame()


def embedded_length_profile(limit: int | None = None, store: ResultStore | None = None) -> dict:
    """``embedded.asr_corpus.length_profile`` of the embedded test set (word times measured by
    eSpeak), kept as a result row so a notebook does not have to synthesize the test set."""
    from ..embedded import asr_corpus

    store = store or ResultStore("asr_embedded_length_profile")
    config = {"data": run.default_embedded_data_name(), "limit": -1 if limit is None else int(limit),
              "half_window_s": asr_corpus.HALF_WINDOW_S}
    row = store.get(config)
    if row is None:
        prof = asr_corpus.length_profile(asr_corpus.load_test_set(limit, size=run.EMBEDDED_TEST_SIZE))
        row = store.put(config, prof, scale="embedded")
    return {k: row[k] for k in ("n_utts", "mean_duration_s", "frac_utts_over_half", "frac_words_beyond_half",
                                "frac_words_ending_beyond_half")}


def error_types(rows: pd.DataFrame, axis: str = "frames", pooling: str = "select") -> pd.DataFrame:
    """Substitutions / deletions / insertions as % of reference words, full vs the cheaper
    setting: which kind of error a penalty is made of (a cut loses words as deletions; a
    decoder that runs on past the audio adds insertions)."""
    m = with_roles(rows)
    if axis == "frames":
        m = m[m["stride"] == 1]
        m["setting"] = np.where(m["paper_frames"] == 1500, "full window", "half window")
    else:
        m = m[(m["paper_frames"] == 1500) & ((m["stride"] == 1) | (m["pooling"] == pooling))]
        m["setting"] = np.where(m["stride"] == 1, "stride 1", f"stride 2 ({pooling})")
    out = m.sort_values(["params_m", "setting"])[["model", "setting", "wer_pct"]].copy()
    for col, name in (("substitutions", "sub_pct"), ("deletions", "del_pct"), ("insertions", "ins_pct")):
        out[name] = 100 * m.loc[out.index, col] / m.loc[out.index, "n_ref_words"]
    out["decoded_tokens_mean"] = m.loc[out.index, "decoded_tokens_mean"]
    return out.reset_index(drop=True)
