"""The precision section's tables, from the rows alone: the precision table, the frontiers
against FLOPs, measured time and model bytes, each axis's saving under each cost, and which
of the paper's conclusions change when the cost axis is time.

Costs, all per utterance-second of audio or per model:
- ``gflops``: the fp32 row's exact KV-cached count (``matmul`` convention) for that (model,
  frames, stride), given to every precision: precision changes no FLOP;
- ``s_per_audio_s`` = 1 / RTFx, measured (``results/timings/precision.csv``, with its load);
- ``model_mb``: the serialized state dict in that precision.
WER is the ``cap+repetition`` guard's unless a caller asks for ``token-cap``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..analysis import pareto
from ..errors import AudioscaleError
from ..paper import asr_table
from ..results import ResultStore
from . import convert, sweep

GUARD = "cap+repetition"
COSTS = {"gflops": "GFLOPs (exact, KV-cached; fp32 row's)", "s_per_audio_s": "measured s per audio s",
         "model_mb": "model MB"}
TABLE_COLUMNS = ["model", "precision", "encoder_frames", "stride", "wer_pct", "errors", "n_ref_words",
                 "n_hit_token_cap", "rtfx", "model_mb", "peak_rss_mb", "decode_peak_mb", "gflops", "load_avg_1m",
                 "torch_threads"]


def load_rows(compute: bool = False, store: ResultStore | None = None, verbose: bool = True) -> pd.DataFrame:
    """The section's rows with their timings; with ``compute`` the missing groups run first."""
    store = store or ResultStore(sweep.STORE)
    if compute:
        return sweep.sweep_precision(store=store, verbose=verbose)
    return sweep.rows_with_timings(store)


def main_rows(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[rows["limit"] == sweep.N_UTTERANCES].reset_index(drop=True)


def check_rows(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[rows["limit"] == sweep.CHECK_LIMIT].reset_index(drop=True)


def _in_order(df: pd.DataFrame) -> pd.DataFrame:
    key = df.assign(_m=df["model"].map({m: i for i, m in enumerate(sweep.MODELS)}),
                    _p=df["precision"].map({p: i for i, p in enumerate(convert.PRECISIONS)}),
                    _t=-df["encoder_frames"])
    return key.sort_values(["_m", "_p", "_t", "stride"], kind="stable").drop(columns=["_m", "_p", "_t"])


def precision_table(rows: pd.DataFrame, guard: str = GUARD) -> pd.DataFrame:
    """One line per (model, precision, frames, stride): WER, RTFx, model MB, peak RSS MB, and the
    fp32 row's GFLOPs (the same for every precision)."""
    df = main_rows(rows)
    df = df[df["guard"] == guard]
    if df.empty:
        raise AudioscaleError(f"no precision rows with guard {guard!r}. Fix: run 'audioscale precision'.")
    fp32 = df[df["precision"] == "fp32"].set_index(["model", "encoder_frames", "stride"])["gflops_matmul"]
    idx = pd.MultiIndex.from_frame(df[["model", "encoder_frames", "stride"]])
    df = df.assign(gflops=fp32.reindex(idx).to_numpy(), s_per_audio_s=1.0 / df["rtfx"],
                   errors=df["substitutions"] + df["deletions"] + df["insertions"],
                   decode_peak_mb=df["peak_rss_mb"] - df["rss_with_model_mb"],
                   label=df["model"] + " " + df["precision"] + " " + df["encoder_frames"].astype(str)
                   + " s" + df["stride"].astype(str))
    return _in_order(df[TABLE_COLUMNS + ["s_per_audio_s", "label", "audio"]]).reset_index(drop=True)


def with_frontiers(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with ``front_<cost>``: on the WER frontier under each cost of ``COSTS``."""
    out = table.copy()
    for cost in COSTS:
        out[f"front_{cost}"] = pareto.with_frontier(table, cost=cost, error="wer_pct")["on_frontier"]
    return out


def axis_steps(table: pd.DataFrame) -> pd.DataFrame:
    """Every one-axis step with the other axes fixed: the median saving (%) in each cost and the
    median WER change (points). Steps: stride 1 -> 2, frames 1500 -> 750, fp32 -> bf16,
    fp32 -> int8, tiny.en -> base (that one *adds* cost: a negative saving)."""
    steps = [("stride", 1, 2), ("encoder_frames", 1500, 750), ("precision", "fp32", "bf16"),
             ("precision", "fp32", "int8"), ("model", "tiny.en", "base")]
    axes = ["model", "precision", "encoder_frames", "stride"]
    out = []
    for axis, a, b in steps:
        rest = [x for x in axes if x != axis]
        left = table[table[axis] == a].set_index(rest)
        right = table[table[axis] == b].set_index(rest)
        both = left.merge(right, left_index=True, right_index=True, suffixes=("_a", "_b"))
        if both.empty:
            continue
        line = dict(axis=axis, step=f"{a} -> {b}", n_pairs=len(both),
                    wer_change_pts=float(np.median(both["wer_pct_b"] - both["wer_pct_a"])))
        for cost in COSTS:
            line[f"{cost}_saving_pct"] = float(np.median(100 * (1 - both[f"{cost}_b"] / both[f"{cost}_a"])))
        out.append(line)
    return pd.DataFrame(out)


def paper_steps() -> pd.DataFrame:
    """The same steps in the paper's table (its FLOPs convention; it has no time or bytes)."""
    p = asr_table()
    full = p[(p["encoder_frames"] == 1500) & (p["stride"] == 1)].set_index("model")
    out = []
    for axis, sel in (("stride", (p["encoder_frames"] == 1500) & (p["stride"] == 2)),
                      ("encoder_frames", (p["encoder_frames"] == 750))):
        other = p[sel].set_index("model")
        both = full.merge(other, left_index=True, right_index=True, suffixes=("_a", "_b"))
        out.append(dict(axis=axis, step="1 -> 2" if axis == "stride" else "1500 -> 750", n_pairs=len(both),
                        wer_change_pts=float(np.median(both["wer_pct_b"] - both["wer_pct_a"])),
                        gflops_saving_pct=float(np.median(100 * (1 - both["gflops_b"] / both["gflops_a"])))))
    a, b = full.loc["tiny"], full.loc["small"]
    out.append(dict(axis="model", step="tiny -> small", n_pairs=1, wer_change_pts=float(b["wer_pct"] - a["wer_pct"]),
                    gflops_saving_pct=float(100 * (1 - b["gflops"] / a["gflops"]))))
    return pd.DataFrame(out)


def steps_beside_paper(table: pd.DataFrame) -> pd.DataFrame:
    """``axis_steps`` with the paper's WER change and FLOPs saving for the same step, labelled paper."""
    ours = axis_steps(table)
    paper = paper_steps().set_index("axis")[["step", "wer_change_pts", "gflops_saving_pct"]]
    paper.columns = ["paper_step", "paper_wer_change_pts", "paper_gflops_saving_pct"]
    return ours.join(paper, on="axis")


def frontier_labels(front: pd.DataFrame, cost: str) -> list[str]:
    return front.loc[front[f"front_{cost}"]].sort_values(cost)["label"].tolist()


def conclusions(table: pd.DataFrame) -> list[str]:
    """One line per paper conclusion and per cost axis, computed from the rows."""
    front = with_frontiers(table)
    steps = axis_steps(table).set_index("step")
    st, fr = steps.loc["1 -> 2"], steps.loc["1500 -> 750"]
    i8, b16, size = steps.loc["fp32 -> int8"], steps.loc["fp32 -> bf16"], steps.loc["tiny.en -> base"]
    out = [
        f"Precision is invisible to FLOPs: every precision gets its fp32 row's GFLOPs, so on the FLOPs frontier "
        f"only the lowest-WER precision of each (model, frames, stride) can appear "
        f"({int(front['front_gflops'].sum())} of {len(front)} points on it).",
        f"Stride 2 (paper: cheap, {paper_steps().set_index('axis').loc['stride', 'gflops_saving_pct']:.0f} % of "
        f"its FLOPs for +0.27..0.30 points): exact FLOPs saving {st['gflops_saving_pct']:.1f} %, measured time "
        f"saving {st['s_per_audio_s_saving_pct']:.1f} %, WER change {st['wer_change_pts']:+.2f} points "
        f"(medians over {int(st['n_pairs'])} pairs).",
        f"Half window (paper: the worst lever, ~half the FLOPs for +2.5..3 points): FLOPs saving "
        f"{fr['gflops_saving_pct']:.1f} %, time saving {fr['s_per_audio_s_saving_pct']:.1f} %, WER change "
        f"{fr['wer_change_pts']:+.2f} points.",
        f"int8 dynamic: 0 % FLOPs saving, time saving {i8['s_per_audio_s_saving_pct']:.1f} %, bytes saving "
        f"{i8['model_mb_saving_pct']:.1f} %, WER change {i8['wer_change_pts']:+.2f} points; bf16: time saving "
        f"{b16['s_per_audio_s_saving_pct']:.1f} %, bytes saving {b16['model_mb_saving_pct']:.1f} %, WER change "
        f"{b16['wer_change_pts']:+.2f} points.",
        f"Model size (tiny.en -> base): {-size['gflops_saving_pct']:.0f} % more FLOPs, "
        f"{-size['s_per_audio_s_saving_pct']:.0f} % more time, {-size['model_mb_saving_pct']:.0f} % more bytes, "
        f"WER change {size['wer_change_pts']:+.2f} points.",
    ]
    full = axis_steps(table[table["encoder_frames"] == 1500]).set_index("step")
    out.append(f"At the full window alone (no loops): WER change fp32 -> bf16 "
               f"{full.loc['fp32 -> bf16', 'wer_change_pts']:+.2f}, fp32 -> int8 "
               f"{full.loc['fp32 -> int8', 'wer_change_pts']:+.2f} points (medians over "
               f"{int(full.loc['fp32 -> int8', 'n_pairs'])} pairs).")
    for cost, name in COSTS.items():
        out.append(f"Frontier against {name}: " + ", ".join(frontier_labels(front, cost)) + ".")
    return out


def loop_note(rows: pd.DataFrame, store: ResultStore | None = None) -> str:
    """Which utterance carries the largest difference between precisions, and where."""
    dis = precision_disagreements(rows, store)
    if dis.empty:
        return "every precision makes the same errors on every utterance"
    top = dis.iloc[0]
    same = dis[dis["utt_id"] == top["utt_id"]]
    cells = ", ".join(f"{r.model} {r.encoder_frames} s{r.stride}: fp32/bf16/int8 {r.errors_fp32:.0f}/"
                      f"{r.errors_bf16:.0f}/{r.errors_int8:.0f} errors in {r.steps_fp32:.0f}/{r.steps_bf16:.0f}/"
                      f"{r.steps_int8:.0f} steps" for r in same.itertuples() if r.spread >= 10)
    return (f"{top['utt_id']} ({top['audio_s']:.1f} s, {top['n_ref_words']:.0f} words) carries the largest "
            f"differences: {cells}; the next largest spread anywhere is "
            f"{dis.loc[dis['utt_id'] != top['utt_id'], 'spread'].max():.0f} errors.")


def check_summary(rows: pd.DataFrame) -> pd.DataFrame:
    """The check rows (tiny.en, first utterances, full window) a test recomputes exactly."""
    df = check_rows(rows)
    df = df[df["guard"] == GUARD]
    df = df.assign(errors=df["substitutions"] + df["deletions"] + df["insertions"])
    return _in_order(df)[["model", "precision", "encoder_frames", "stride", "limit", "errors", "n_ref_words",
                          "wer_pct", "model_mb"]].reset_index(drop=True)


def _lines_of(store: ResultStore, rows: pd.DataFrame, **match) -> pd.DataFrame:
    from ..results import config_id

    hit = rows
    for col, value in match.items():
        hit = hit[hit[col] == value]
    if len(hit) != 1:
        return pd.DataFrame()
    lines = store.utterances.read()
    return lines[lines["config_id"] == config_id(hit["config_key"].iloc[0])].set_index("utt_id")


def real_sweep_agreement(rows: pd.DataFrame, store: ResultStore | None = None,
                         real_store: ResultStore | None = None) -> pd.DataFrame:
    """fp32 at the full window against notebook 01's real sweep (``results/asr_real.csv``, guard
    ``none``: at 1500 frames its 224-token limit is our cap) on the same utterances: how many
    hypotheses are identical although the batches and thread counts differ."""
    from ..asr import real

    store = store or ResultStore(sweep.STORE)
    real_store = real_store or ResultStore(real.STORE)
    real_rows = real_store.rows()
    if real_rows.empty:
        return pd.DataFrame()
    out = []
    for model in sweep.MODELS:
        for stride, pooling in sweep.AXES:
            ours = _lines_of(store, main_rows(rows), model=model, precision="fp32", encoder_frames=1500,
                             stride=stride, guard="token-cap")
            theirs = _lines_of(real_store, real_rows, model=model, encoder_frames=1500, stride=stride, pooling=pooling,
                               guard="none", limit=-1, data=rows["data"].iloc[0])
            if ours.empty or theirs.empty:
                continue
            both = ours.join(theirs[["hypothesis", "errors"]].rename(columns=lambda c: c + "_real"), how="left")
            out.append(dict(model=model, stride=stride, utterances=len(both),
                            same_hypotheses=int((both["hypothesis"] == both["hypothesis_real"]).sum()),
                            errors=int(both["errors"].sum()), errors_real_sweep=int(both["errors_real"].sum())))
    return pd.DataFrame(out)


def precision_disagreements(rows: pd.DataFrame, store: ResultStore | None = None, guard: str = GUARD) -> pd.DataFrame:
    """The utterances whose errors differ between precisions at one (model, frames, stride): errors
    and decoder steps per precision, largest spread first. At 750 frames these are loops: one
    utterance that loops to the token cap in one precision and not in another moves WER by points."""
    store = store or ResultStore(sweep.STORE)
    main = main_rows(rows)
    main = main[main["guard"] == guard]
    lines = store.utterances.read()
    from ..results import config_id

    main = main.assign(config_id=main["config_key"].map(config_id))
    got = lines.merge(main[["config_id", "model", "precision", "encoder_frames", "stride"]], on="config_id")
    idx = ["model", "encoder_frames", "stride", "utt_id"]
    err = got.pivot_table(index=idx, columns="precision", values="errors")
    steps = got.pivot_table(index=idx, columns="precision", values="decoded_tokens")
    out = err.add_prefix("errors_").join(steps.add_prefix("steps_"))
    spread = err.max(axis=1) - err.min(axis=1)
    out = out.assign(spread=spread)[spread > 0].reset_index()
    out = out.merge(got.drop_duplicates("utt_id")[["utt_id", "audio_s", "n_ref_words"]], on="utt_id")
    cols = idx + ["audio_s", "n_ref_words"] + [f"errors_{p}" for p in convert.PRECISIONS] \
        + [f"steps_{p}" for p in convert.PRECISIONS] + ["spread"]
    return out.sort_values(["spread", "model", "encoder_frames"], ascending=[False, True, False])[cols] \
        .reset_index(drop=True)
