"""The tables of notebook 06: Pareto frontiers of each world, the paper's domination claims, the
marginal value of compute per axis, and whether the dominated set survives a change of
FLOPs-counting convention. Its findings are in ``frontier_findings``.

``report_*`` and ``load_*`` functions print what the notebook shows (through
``tables.show``) and return what later cells use; the others return tables.
"""
from __future__ import annotations

import pandas as pd

from ..tables import show
from . import pareto, points, scaling_law
from .points import REAL

METRIC = {"asr": ("wer_pct", False), "ser": ("ua_pct", True)}  # (column, maximised?) of each task
PAPER_ASR_AXES = ["model", "encoder_frames", "stride"]
PAPER_SER_AXES = ["model", "duration_s", "adaptation", "lora_rank", "unfrozen_top_layers"]
STEP_COLUMNS = ["axis", "from_label", "to_label", "doublings", "gain_pts", "gain_pts_per_doubling"]
LOO_COLUMNS = ["held_out", "label", "gflops", "wer_pct", "predicted", "residual_pts", "extrapolation", "status"]
FREE_AXES_NOTE = ("LoRA rank and top-k change no inference GFLOPs in the paper's convention: their UA gains are free at "
                  "inference (doublings = 0, no price per doubling); their cost is in training.")


def frontier_table(pts: pd.DataFrame, cost: str = "gflops", error: str = "wer_pct",
                   maximize: bool = False) -> pd.DataFrame:
    """Every configuration: ``label``, cost, error, ``on_frontier`` and, when dominated, its
    cheapest dominator with the cost saved and the points gained ("-" / NaN on the frontier)."""
    pts = pareto.with_frontier(pts, cost, error, maximize)
    dom = pareto.dominators(pts, cost, error, maximize=maximize, label="label")
    table = pts.merge(dom[["label", "dominator_label", "cost_saving_pct", "error_gain_pts"]], on="label", how="left")
    return (table[["label", cost, error, "on_frontier", "dominator_label", "cost_saving_pct", "error_gain_pts"]]
            .fillna({"dominator_label": "-"}))


PAPER_CLAIMS = [("medium-750-s1", "small-1500-s1"), ("large-v3-750-s1", "medium-1500-s2")]  # (dominated, by)


def claims_table(pts: pd.DataFrame, claims=PAPER_CLAIMS) -> pd.DataFrame:
    """Each (dominated, paper's dominator) claim against every configuration that dominates the
    point (``rule="all"``): ``verdict`` agrees when the paper's dominator is among them."""
    pairs = pareto.dominators(pts, label="label", rule="all")
    rows = []
    for dominated, paper_says in claims:
        found = pairs.loc[pairs["label"] == dominated, "dominator_label"].tolist()
        rows.append({"dominated": dominated, "paper: beaten by": paper_says, "we find: beaten by": ", ".join(found),
                     "verdict": "agrees" if paper_says in found else "DIFFERS"})
    return pd.DataFrame(rows)


def frontier_labels(pts: pd.DataFrame, cost: str = "gflops") -> list[str]:
    """Labels of the frontier points (``on_frontier``), cheapest first."""
    return pts.loc[pts["on_frontier"]].sort_values(cost)["label"].tolist()


def dominated_line(pts: pd.DataFrame, cost: str = "gflops", error: str = "wer_pct", maximize: bool = False,
                   prefix: str = "frontier") -> str:
    """``frontier: 9 of 11 configurations; dominated: a, b``."""
    dom = pareto.dominators(pts, cost, error, maximize=maximize, label="label")
    return (f"{prefix}: {int(pts['on_frontier'].sum())} of {len(pts)} configurations; "
            f"dominated: {', '.join(dom['label'])}")


def members_line(pts: pd.DataFrame, prefix: str) -> str:
    """``<prefix>: 2 of 10 configurations: a, b`` (the frontier's labels in row order)."""
    return (f"{prefix}: {int(pts['on_frontier'].sum())} of {len(pts)} configurations: "
            f"{', '.join(pts.loc[pts['on_frontier'], 'label'])}")


def load_embedded(task: str, eval_set: str = "", convention: str = "paper") -> pd.DataFrame | None:
    """Our embedded sweep of ``task`` as points with ``on_frontier`` (``points.embedded``),
    after printing what was read; None, saying so, when its results file is absent."""
    pts = points.embedded(task, eval_set, convention)
    experiment = pts.attrs["experiment"]
    if pts.attrs["n_rows"] == 0:
        print(f"{experiment}: no rows yet (results/{experiment}.csv is absent): showing the paper's numbers only.")
        return None
    print("\n".join(points.describe(pts, experiment)))
    metric, maximize = METRIC[task]
    return pareto.with_frontier(pts, pts.attrs["cost"], metric, maximize)


def load_real(guard: str, convention: str = "paper") -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """The real-Whisper points under one decoding guard (``points.real_asr``) with
    ``on_frontier``, and their per-utterance errors (None when absent), after printing what was
    read; (None, None), with a line saying why, when there are no such rows."""
    pts, utts = points.real_asr(guard, convention)
    if pts.attrs["stored_rows"] == 0:
        print(f"asr_real: no rows (results/asr_real.csv is absent): the {REAL} world is skipped.")
        return None, None
    if pts.empty:
        print(f"asr_real: no main-subset rows under guard {guard!r}: the {REAL} world is skipped.")
        return None, None
    print(f"asr_real, guard {guard}: {pts.attrs['n_rows']} rows -> {len(pts)} configurations on "
          f"{pts.attrs['eval_set']} ({int(pts['n_utterances'].iloc[0])} utterances); cost column {pts.attrs['cost']}")
    if utts.empty:
        print("asr_real: no per-utterance rows (results/asr_real_utterances.csv): no intervals on the dominations.")
    return pareto.with_frontier(pts, pts.attrs["cost"], "wer_pct"), (utts if len(utts) else None)


def report_frontier(pts: pd.DataFrame, cost: str, metric: str, maximize: bool, task: str, who: str = "ours",
                    per_utterance: pd.DataFrame | None = None, level: float = 0.95) -> pd.DataFrame:
    """Print one world's frontier points and its dominations (with ``per_utterance`` error
    counts, each domination's WER gain gets a paired-bootstrap interval); return the
    dominations. A long list is cut to the 8 configurations furthest behind."""
    d = pareto.dominators(pts, cost, metric, maximize=maximize, label="label")
    print(f"{who}, {task}: {int(pts['on_frontier'].sum())} of {len(pts)} configurations on the frontier")
    show(pts.loc[pts["on_frontier"], ["label", cost, metric]].sort_values(cost))
    cols = ["label", "dominator_label", "cost_saving_pct", "error_gain_pts"]
    if per_utterance is not None and len(d):
        d = pareto.paired_wer_intervals(d, per_utterance, level=level)
        cols += ["ci_low_pts", "ci_high_pts", "resolved"]
        print(f"gain of each dominator, {level:.0%} paired-bootstrap interval over the "
              f"{int(d['n_utterances'].max())} utterances (resolved: the interval excludes 0)")
    if len(d) <= 12:
        show(d[cols] if len(d) else pd.DataFrame({"dominated": ["none"]}))
    else:  # a long list says little: show the dominated configurations that lose the most
        print(f"{len(d)} dominated; the 8 furthest behind their cheapest dominator:")
        show(d.sort_values("error_gain_pts", ascending=False, kind="stable").head(8)[cols])
    return d


def report_750(asr: pd.DataFrame, real: pd.DataFrame | None, real_none: pd.DataFrame | None,
               guard: str) -> dict[str, pd.DataFrame]:
    """Per world (the paper; real Whisper under ``guard`` and without one), the 750-frame
    configurations and what beats them (``pareto.dominations_at``): a count line per world
    and one table. Returns the tables by world name."""
    worlds = {"paper": (asr, "gflops")}
    if real is not None:
        worlds[f"real, {guard}"] = (real, real.attrs["cost"])
    if real_none is not None:
        worlds["real, no guard"] = (real_none, real_none.attrs["cost"])
    if len(worlds) > 1:
        print(f"real = {REAL} (piper joe reading test-other text; tiny.en and base)")
    t750 = {}
    for name, (pts, cost) in worlds.items():
        t = t750[name] = pareto.dominations_at(pts, "encoder_frames", 750, cost, "wer_pct").rename(columns={cost: "gflops"})
        print(f"{name}: {dominated_750(t, long=True)}")
    show(pd.concat([t.assign(world=n) for n, t in t750.items()])
         [["world", "label", "gflops", "wer_pct", "dominator", "cost_saving_pct", "error_gain_pts", "dominator_other"]]
         .rename(columns={"dominator_other": "dominator_1500"}))
    return t750


def dominated_750(t: pd.DataFrame, long: bool = False) -> str:
    """How many of a ``dominations_at`` table's 750-frame configurations are dominated, and by
    a 1500-frame one: ``4 of 6 (3 by a 1500-frame configuration)``, or with ``long``
    ``4 of 6 750-frame configurations dominated, 3 of them by a 1500-frame configuration``."""
    n_dom, n_other = int((~t["on_frontier"]).sum()), int((t["dominator_other"] != "-").sum())
    if long:
        return f"{n_dom} of {len(t)} 750-frame configurations dominated, {n_other} of them by a 1500-frame configuration"
    return f"{n_dom} of {len(t)} ({n_other} by a 1500-frame configuration)"


def paper_asr_steps(asr: pd.DataFrame) -> pd.DataFrame:
    """``pareto.marginal_value`` of the paper's ASR rows along model size, frames and stride."""
    return pareto.marginal_value(asr, PAPER_ASR_AXES, PAPER_ASR_AXES, label="label")


def paper_ser_steps(ser: pd.DataFrame) -> pd.DataFrame:
    """``pareto.marginal_value`` of the paper's SER rows along duration, LoRA rank and top-k."""
    return pareto.marginal_value(ser, ["duration_s", "lora_rank", "unfrozen_top_layers"], PAPER_SER_AXES,
                                 error="ua_pct", maximize=True, label="label")


def asr_steps(pts: pd.DataFrame, cost: str) -> pd.DataFrame:
    """Marginal-value steps of our ASR rows along every axis that varies. Pooling (select vs
    mean) is held fixed, not stepped: it is a choice of the stride-2 path that barely moves the
    cost, so a "per doubling" price for it would divide by ~0."""
    axes = [a for a in pts.attrs["axes"] if pts[a].nunique() > 1]
    return pareto.marginal_value(pts.astype({a: "string" for a in axes if a == "pooling"}),
                                 [a for a in axes if a != "pooling"], axes, cost, label="label")


def report_rates(mv_asr: pd.DataFrame, ours: pd.DataFrame | None, real: pd.DataFrame | None,
                 guard: str) -> tuple[pd.DataFrame, dict, pd.DataFrame | None]:
    """WER points per doubling of GFLOPs per axis, our worlds beside the paper's, and the
    ordering of the axes in each; real Whisper's every step. Returns the paper's
    ``axis_summary``, the other worlds' by name and real Whisper's steps (None without it)."""
    paper_summary = pareto.axis_summary(mv_asr)
    summaries, mv_real = {}, None
    if ours is not None:
        summaries["ours"] = pareto.axis_summary(asr_steps(ours, ours.attrs["cost"]))
    if real is not None:
        mv_real = asr_steps(real, real.attrs["cost"])
        summaries["real"] = pareto.axis_summary(mv_real)
        print(f"{REAL} (piper joe; guard {guard}): every step")
        show(mv_real[STEP_COLUMNS])
    if not summaries:
        print("paper, ASR: WER points per doubling of GFLOPs by axis")
        show(paper_summary)
        return paper_summary, summaries, mv_real
    worlds = {"ours": "embedded world, a different task scale", "real": f"{REAL}, two small models"}
    print("WER points per doubling of GFLOPs, mean over steps, beside the paper's ("
          + "; ".join(f"{w}: {worlds[w]}" for w in summaries) + "):\ncompare the ordering of the axes, not the values")
    show(pareto.rates_beside(paper_summary, summaries))
    rank_p = pareto.axis_order(paper_summary)
    print("ordering, paper: " + str(rank_p) + "".join(
        f"; {n}: {pareto.axis_order(t, rank_p)} ({'same' if pareto.axis_order(t, rank_p) == rank_p else 'differs'})"
        for n, t in summaries.items()))
    return paper_summary, summaries, mv_real


def ser_axis_gains(pts: pd.DataFrame) -> pd.DataFrame:
    """Our SER rows: per axis that varies, the steps, the mean UA gain per step and per doubling."""
    axes = [a for a in pts.attrs["axes"] if pts[a].nunique(dropna=False) > 1]
    mv = pareto.marginal_value(pts, axes, axes, pts.attrs["cost"], "ua_pct", maximize=True)
    return mv.groupby("axis", sort=False).agg(steps=("gain_pts", "size"), mean_gain_pts=("gain_pts", "mean"),
                                              mean_pts_per_doubling=("gain_pts_per_doubling", "mean")).reset_index()


def paper_fit_sets(asr: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The three data sets a power law is fitted to: the size sweep at the full window, the
    Pareto frontier (``on_frontier``) and every row."""
    return {"size sweep, 1500 frames, stride 1": asr[(asr["encoder_frames"] == 1500) & (asr["stride"] == 1)],
            "Pareto frontier": asr[asr["on_frontier"]],
            f"all {len(asr)} rows": asr}


def best_wer_line(asr: pd.DataFrame, fit) -> str:
    """The compute ``fit`` needs for the paper's best WER, beside what that row costs."""
    best = asr.loc[asr["wer_pct"].idxmin()]
    need = fit.compute_for(best["wer_pct"])
    return (f"frontier fit reaches {best['wer_pct']:.2f} % WER at {need:.0f} GFLOPs; the paper's {best['label']} needs "
            f"{best['gflops']:.1f} (delta {need - best['gflops']:+.0f} GFLOPs, {100 * (need / best['gflops'] - 1):+.0f} %)")


def frontier_fit(pts: pd.DataFrame, cost: str, who: str, where: str, paper_fit, n_boot: int = 1000,
                 seed: int = 0, level: float = 0.95):
    """Fit error(C) on a world's frontier and print it beside the paper's frontier fit.
    Returns (fit with its intervals, None), or (None, why) when the frontier is too small to fit."""
    front = pts[pts["on_frontier"]]
    try:
        res = scaling_law.fit_with_ci(front[cost], front["wer_pct"], n_boot=n_boot, seed=seed, level=level)
    except scaling_law.AudioscaleError as exc:  # too few frontier points: say so rather than invent a fit
        print(f"{who} ({where}, {len(front)} points): no scaling-law fit ({exc})")
        return None, str(exc)
    f, ci = res.fit, res.table
    print(f"{who} ({where}, {len(front)} points): WER = {f.a:.3g}·C^(-{f.b:.2f}) + {f.e:.2f}, rmse {f.rmse:.2f}")
    side = ci[["param", "estimate", "ci_lo", "ci_hi"]].rename(columns={"estimate": "ours"})
    side["paper_frontier"] = [getattr(paper_fit, p) for p in side["param"]]
    side["delta"] = side["ours"] - side["paper_frontier"]
    print(f"{who} beside the paper's frontier fit (only the exponent b is comparable across task scales):")
    show(side, 3)
    return res, None


def convention_frontiers(asr: pd.DataFrame, ser: pd.DataFrame, conventions) -> pd.DataFrame | None:
    """The paper's configurations recounted under each FLOPs convention
    (``accounting.flops.paper_config_table``) with the paper's quality numbers: one row per
    (task, label, convention) with its ``gflops`` and ``status`` ("frontier" or "dominated by
    ..."). A convention that cannot be computed here is named and skipped."""
    try:
        from ..accounting import flops
    except ImportError:
        print("audioscale.accounting.flops is not available: this section needs it.")
        return None
    out = []
    for conv in conventions:
        try:
            t = flops.paper_config_table(conv)
        except Exception as exc:  # a convention that cannot be computed here: say which and why
            print(f"{conv}: not available ({type(exc).__name__}: {exc})")
            continue
        a = t[t["task"] == "asr"].astype({"encoder_frames": int, "stride": int})
        a = a.merge(asr[["model", "encoder_frames", "stride", "wer_pct", "label"]], on=["model", "encoder_frames", "stride"])
        s = t[t["task"] == "ser"].assign(lora_rank=lambda x: x["lora_rank"].astype("string"),
                                         unfrozen_top_layers=lambda x: x["unfrozen_top_layers"].astype("string"))
        s = s.drop_duplicates(subset=PAPER_SER_AXES).merge(
            ser.astype({"lora_rank": "Int64"}).astype({"lora_rank": "string"})[PAPER_SER_AXES + ["ua_pct", "label"]],
            on=PAPER_SER_AXES)
        for task, d, metric, mx in (("asr", a, "wer_pct", False), ("ser", s, "ua_pct", True)):
            dom = pareto.dominators(d, "gflops", metric, maximize=mx, label="label", rule="cheapest")
            by = dict(zip(dom["label"], dom["dominator_label"]))
            for _, r in d.iterrows():
                out.append({"task": task, "label": r["label"], "convention": conv, "gflops": r["gflops"],
                            "status": f"dominated by {by[r['label']]}" if r["label"] in by else "frontier"})
    return pd.DataFrame(out)


def convention_table(conv: pd.DataFrame, conventions) -> pd.DataFrame:
    """``convention_frontiers`` wide: one row per (task, label), one status column per
    convention, ``changes`` = "YES" where the status differs between conventions."""
    wide = conv.pivot_table(index=["task", "label"], columns="convention", values="status", aggfunc="first", sort=False)
    wide = wide[[c for c in conventions if c in wide.columns]]
    changed = wide.nunique(axis=1) > 1
    wide["changes"] = changed.map({True: "YES", False: ""})
    return wide


def changes_line(wide: pd.DataFrame) -> str:
    return (f"configurations whose status changes with the convention: {int((wide['changes'] == 'YES').sum())} "
            f"of {len(wide)}")


def real_convention_table(real: pd.DataFrame, conventions) -> pd.DataFrame:
    """Real Whisper's frontier status under each convention its rows carry (``gflops_<c>``),
    cheapest first under the analysis cost, with ``changes`` as in ``convention_table``."""
    convs = [c for c in conventions if f"gflops_{c}" in real]
    table = real.sort_values(real.attrs["cost"])[["label", "wer_pct"]].assign(
        **{c: pareto.frontier_status(real, f"gflops_{c}") for c in convs})
    table["changes"] = (table[convs].nunique(axis=1) > 1).map({True: "YES", False: ""})
    return table
