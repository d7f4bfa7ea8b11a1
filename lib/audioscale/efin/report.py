"""Notebook 08's tables: the rows, the measured gaps at equal budgets, the fitted laws
error(C) = a · C^(−b) + e per (size, strategy) with bootstrap intervals (``analysis.scaling_law``),
the compute each strategy needs for a fixed WER, the WER at a fixed compute, beside EFIN's.

Intervals for derived numbers (compute at a WER, WER at a compute, their ratios to joint) come
from the same residual-bootstrap refits as the parameters' (``scaling_law.fit_each``), the
i-th refit of each strategy paired with the i-th of joint (independent draws), as 95 %
percentiles taken at observed values (``inverted_cdf``: a refit whose floor e lies above the
target WER needs infinite compute, and an interval can then be open, printed ``inf``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import paper
from ..analysis import scaling_law as sl
from ..results import ResultStore
from .strategies import LABELS, STRATEGIES

COST = "train_tflops"
ERROR = "wer_pct"
LEVEL = 0.95
BASELINE = "joint"


def load_rows(store: ResultStore | None = None) -> pd.DataFrame:
    """The sweep's rows (``results/efin.csv``) with ``train_tflops`` and the strategy's label."""
    from .sweep import EXPERIMENT
    df = (store or ResultStore(EXPERIMENT)).rows()
    if df.empty:
        return df
    df = df.assign(train_tflops=df["train_gflops"] / 1e3, label=df["strategy"].map(LABELS))
    order = {s: k for k, s in enumerate(STRATEGIES)}
    return df.sort_values(["model", "strategy", "budget_tflops", "seed"],
                          key=lambda c: c.map(order) if c.name == "strategy" else c).reset_index(drop=True)


def rows_table(rows: pd.DataFrame) -> pd.DataFrame:
    cols = ["model", "strategy", "budget_tflops", "seed", "steps_stage_a", "steps_stage_b", "train_gflops",
            "budget_used_pct", "wer_pct", "wer_unguarded_pct", "n_guard_changed", "ctc_wer_pct"]
    return rows[cols]


def guard_table(rows: pd.DataFrame) -> pd.DataFrame:
    """What the decoding guard (``guard.DECODE_GUARD``) did per (size, strategy): hypotheses it
    cut (of eval_n each run), insertions and WER with and without it (means over the runs)."""
    g = rows.groupby(["model", "strategy"], sort=False)
    return pd.DataFrame({
        "runs": g.size(), "guard": g["decode_guard"].first(),
        "cut_per_run": g["n_guard_changed"].mean(), "of_utts": g["eval_n"].first(),
        "insertions": g["insertions"].mean(), "insertions_unguarded": g["insertions_unguarded"].mean(),
        "wer_pct": g[ERROR].mean(), "wer_unguarded_pct": g["wer_unguarded_pct"].mean(),
    }).reset_index()


def budget_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Measured WER (mean over seeds) per (size, budget) and strategy, and each encoder-first
    strategy's relative WER reduction against joint at the same budget (no fit involved)."""
    wide = rows.pivot_table(index=["model", "budget_tflops"], columns="strategy", values=ERROR, aggfunc="mean")
    wide = wide[[s for s in STRATEGIES if s in wide]]
    seeds = rows.groupby(["model", "budget_tflops"])["seed"].nunique().rename("seeds")
    out = wide.join(seeds)
    for s in STRATEGIES:
        if s != BASELINE and s in out and BASELINE in out:
            out[f"rel_reduction_pct_{s}"] = 100 * (1 - out[s] / out[BASELINE])
    return out.reset_index()


def seed_spread(rows: pd.DataFrame) -> pd.DataFrame:
    """WER of each seed where a budget ran several: how much of a gap is seed noise."""
    multi = rows.groupby(["model", "strategy", "budget_tflops"])["seed"].transform("nunique") > 1
    d = rows[multi].pivot_table(index=["model", "strategy", "budget_tflops"], columns="seed", values=ERROR)
    d.columns = [f"wer_pct_seed{c}" for c in d.columns]
    d["spread_pts"] = d.max(axis=1) - d.min(axis=1)
    return d.reset_index()


def fit_laws(rows: pd.DataFrame, n_boot: int = 1000, seed: int = 0) -> tuple[dict, pd.DataFrame]:
    """``scaling_law.fit_each`` on every (size, strategy) with >= 4 budgets (an unfinished
    sweep's others wait): ``{(model, strategy): (rows, fit, refits)}`` and the parameter table
    (cost in training TFLOPs, error in WER points)."""
    sets = {f"{m} / {s}": d for (m, s), d in rows.groupby(["model", "strategy"], sort=False)
            if d["budget_tflops"].nunique() >= sl.MIN_POINTS}
    if not sets:
        return {}, pd.DataFrame(columns=["data", "n", "param", "estimate", "ci_lo", "ci_hi", "at_bound", "rmse_pts"])
    fits, table = sl.fit_each(sets, cost=COST, error=ERROR, n_boot=n_boot, seed=seed, level=LEVEL)
    keyed = {tuple(name.split(" / ")): v for name, v in fits.items()}
    return keyed, table


def _quantiles(x: np.ndarray) -> tuple[float, float]:
    x = np.asarray(x, dtype=float)
    x = x[~np.isnan(x)]
    if not len(x):
        return float("nan"), float("nan")
    lo, hi = np.quantile(x, [(1 - LEVEL) / 2, (1 + LEVEL) / 2], method="inverted_cdf")
    return float(lo), float(hi)


def _boot_compute_for(boots: pd.DataFrame, wer: float) -> np.ndarray:
    a, b, e = boots["a"].to_numpy(), boots["b"].to_numpy(), boots["e"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(wer > e, (a / np.maximum(wer - e, 1e-300)) ** (1 / b), np.inf)


def _boot_predict(boots: pd.DataFrame, cost: float) -> np.ndarray:
    return boots["a"].to_numpy() * cost ** (-boots["b"].to_numpy()) + boots["e"].to_numpy()


def _complete_models(fits: dict, rows: pd.DataFrame) -> list[str]:
    """Sizes whose every strategy has a fitted law."""
    return [m for m in pd.unique(rows["model"]) if all((m, s) in fits for s in STRATEGIES)]


def pending(rows: pd.DataFrame) -> list[str]:
    """What the sweep has yet to run, by (size, strategy, budget, seed); empty when complete."""
    from .sweep import study_configs
    have = set(zip(rows["model"], rows["strategy"], rows["budget_tflops"], rows["seed"])) if len(rows) else set()
    return [f"{c.model} {c.strategy} {c.budget_tflops:g} TF seed {c.seed}" for c in study_configs()
            if (c.model, c.strategy, c.budget_tflops, c.seed) not in have]


def target_wer(rows: pd.DataFrame, model: str) -> float:
    """The fixed WER of the equal-WER comparison for ``model``: the highest of the strategies'
    best measured WERs (mean over seeds), so that every strategy reaches it inside its range."""
    d = rows[rows["model"] == model].groupby(["strategy", "budget_tflops"])[ERROR].mean()
    return float(d.groupby(level="strategy").min().max())


def equal_wer_table(fits: dict, rows: pd.DataFrame) -> pd.DataFrame:
    """Per (size, strategy): the training TFLOPs its law needs for the size's ``target_wer``,
    and that compute as a share of joint's (EFIN: 49.9 %), with bootstrap intervals."""
    out = []
    for model in _complete_models(fits, rows):
        wer = target_wer(rows, model)
        _, base_fit, base_boots = fits[(model, BASELINE)]
        c_base, boot_base = base_fit.compute_for(wer), _boot_compute_for(base_boots, wer)
        for s in STRATEGIES:
            _, f, boots = fits[(model, s)]
            c, boot_c = f.compute_for(wer), _boot_compute_for(boots, wer)
            n = min(len(boot_c), len(boot_base))
            with np.errstate(invalid="ignore", divide="ignore"):
                ratio = 100 * boot_c[:n] / boot_base[:n]
            out.append({"model": model, "strategy": s, "at_wer_pct": wer, "train_tflops": c,
                        "tflops_lo": _quantiles(boot_c)[0], "tflops_hi": _quantiles(boot_c)[1],
                        "pct_of_joint": 100 * c / c_base, "pct_lo": _quantiles(ratio)[0],
                        "pct_hi": _quantiles(ratio)[1]})
    df = pd.DataFrame(out)
    df["EFIN_pct_of_best_other"] = paper.efin_value("flops_fraction_pct")
    return df


def equal_compute_table(fits: dict, rows: pd.DataFrame, at_tflops: float | None = None) -> pd.DataFrame:
    """Per (size, strategy): the law's WER at ``at_tflops`` (default: the largest budget) and the
    relative WER reduction against joint there (EFIN: 21.1 % relative CER), with intervals."""
    at = float(rows["budget_tflops"].max()) if at_tflops is None else float(at_tflops)
    out = []
    for model in _complete_models(fits, rows):
        _, base_fit, base_boots = fits[(model, BASELINE)]
        w_base, boot_base = float(base_fit.predict(at)), _boot_predict(base_boots, at)
        for s in STRATEGIES:
            _, f, boots = fits[(model, s)]
            w, boot_w = float(f.predict(at)), _boot_predict(boots, at)
            n = min(len(boot_w), len(boot_base))
            red = 100 * (1 - boot_w[:n] / boot_base[:n])
            out.append({"model": model, "strategy": s, "at_tflops": at, "wer_fit_pct": w,
                        "wer_lo": _quantiles(boot_w)[0], "wer_hi": _quantiles(boot_w)[1],
                        "rel_reduction_pct": 100 * (1 - w / w_base), "red_lo": _quantiles(red)[0],
                        "red_hi": _quantiles(red)[1]})
    df = pd.DataFrame(out)
    df["EFIN_rel_cer_reduction_pct"] = paper.efin_value("relative_cer_reduction_pct")
    return df


def law_text(fit_table: pd.DataFrame) -> list[str]:
    """One line per fitted law: WER % = a · C^(−b) + e (C in training TFLOPs), with intervals."""
    lines = []
    for name, d in fit_table.groupby("data", sort=False):
        p = d.set_index("param")
        fmt = {k: f"{p.loc[k, 'estimate']:.3g} [{p.loc[k, 'ci_lo']:.3g}, {p.loc[k, 'ci_hi']:.3g}]" for k in "abe"}
        lines.append(f"{name}: WER % = {fmt['a']} · C^-({fmt['b']}) + {fmt['e']}  "
                     f"(n = {int(p['n'].iloc[0])}, rmse {p['rmse_pts'].iloc[0]:.2f} pts)")
    return lines


def closing_note(fit_table: pd.DataFrame, eq_wer: pd.DataFrame, eq_c: pd.DataFrame) -> str:
    """The closing note's numbers, as text built from the tables (synthetic world, named)."""
    lines = ["Embedded world (synthetic eSpeak speech, mini Whisper models, 200 held-out-voice utterances); "
             "C = training TFLOPs, convention matmul-train.", "", "Fitted laws, 95 % bootstrap intervals:"]
    lines += ["  " + s for s in law_text(fit_table)]
    lines += ["", f"Compute for equal WER, as % of joint's (EFIN: {paper.efin_value('flops_fraction_pct')} %):"]
    if eq_wer.empty:
        lines.append("  (no size has all three laws yet: the sweep is unfinished)")
    for _, r in eq_wer[eq_wer["strategy"] != BASELINE].iterrows() if len(eq_wer) else []:
        lines.append(f"  {r['model']} {r['strategy']}: {r['pct_of_joint']:.1f} % [{r['pct_lo']:.1f}, {r['pct_hi']:.1f}] "
                     f"at WER {r['at_wer_pct']:.1f} % (saving {100 - r['pct_of_joint']:.1f} %)")
    lines += ["", f"Relative WER reduction at equal compute (EFIN: {paper.efin_value('relative_cer_reduction_pct')} % "
              "relative CER):"]
    for _, r in eq_c[eq_c["strategy"] != BASELINE].iterrows() if len(eq_c) else []:
        lines.append(f"  {r['model']} {r['strategy']} at {r['at_tflops']:g} TFLOPs: {r['rel_reduction_pct']:.1f} % "
                     f"[{r['red_lo']:.1f}, {r['red_hi']:.1f}] (WER {r['wer_fit_pct']:.1f} %)")
    return "\n".join(lines)


FITS_EXPERIMENT = "efin_fits"
N_BOOT = 1000
BOOT_SEED = 0


def fit_rows(rows: pd.DataFrame, n_boot: int = N_BOOT, seed: int = BOOT_SEED) -> pd.DataFrame:
    """``fit_laws``' parameter table as tidy rows: model, strategy, param, estimate, ci_lo,
    ci_hi, at_bound, n, rmse_pts (what ``results/efin_fits.csv`` holds), sorted."""
    _, table = fit_laws(rows, n_boot=n_boot, seed=seed)
    cols = ["model", "strategy", "param", "estimate", "ci_lo", "ci_hi", "at_bound", "n", "rmse_pts"]
    if table.empty:
        return pd.DataFrame(columns=cols)
    ms = table["data"].str.split(" / ", expand=True)
    out = table.assign(model=ms[0], strategy=ms[1]).drop(columns="data")
    return out[cols].sort_values(["model", "strategy", "param"]).reset_index(drop=True)


def write_fits(rows: pd.DataFrame, store: ResultStore | None = None) -> pd.DataFrame:
    """Store ``fit_rows`` in ``results/efin_fits.csv`` (one row per law parameter); them."""
    store = store or ResultStore(FITS_EXPERIMENT)
    fits = fit_rows(rows)
    for _, r in fits.iterrows():
        config = {"model": r["model"], "strategy": r["strategy"], "param": r["param"], "cost": COST, "error": ERROR,
                  "n_boot": N_BOOT, "boot_seed": BOOT_SEED, "level": LEVEL, "bootstrap": "residual"}
        store.put(config, {k: r[k] for k in ("estimate", "ci_lo", "ci_hi", "at_bound", "n", "rmse_pts")})
    return fits


def per_step_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Training GFLOPs per step of each stage (mean over the rows' schedules) and as a share of
    a joint step of the same size: what each strategy's budget buys."""
    out = []
    for (model, strategy), d in rows.groupby(["model", "strategy"], sort=False):
        a = (d["train_gflops_stage_a"] / d["steps_stage_a"]).mean()
        b = (d["train_gflops_stage_b"] / d["steps_stage_b"]).mean() if d["steps_stage_b"].gt(0).all() else np.nan
        out.append({"model": model, "strategy": strategy, "gflops_per_step_a": a, "gflops_per_step_b": b})
    df = pd.DataFrame(out)
    joint = df[df["strategy"] == BASELINE].set_index("model")["gflops_per_step_a"]
    df["a_pct_of_joint_step"] = 100 * df["gflops_per_step_a"] / df["model"].map(joint)
    df["b_pct_of_joint_step"] = 100 * df["gflops_per_step_b"] / df["model"].map(joint)
    return df
