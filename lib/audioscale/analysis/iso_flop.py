"""Iso-FLOP analysis of a joint sweep: what a fixed compute budget should buy.

The paper varies its axes (xN model size, xT input length, xV token stride, LoRA rank / top-k)
mostly one or two at a time and names a joint iso-FLOP search as future work. Given result
rows of a *joint* sweep (every combination run), this module answers three questions:

- ``best_under_budget``: for each budget B, the best configuration with cost <= B (joint search).
- ``star_rows`` / ``best_under_budget`` on them: the same choice when only configurations that
  differ from one base configuration in at most one axis were run (a "star" or one-factor-at-a-
  time sweep); ``joint_vs_star`` puts both side by side with the regret of the star sweep.
- ``iso_flop_curves``: error vs model size at fixed compute. **Method: interpolation in
  log-compute along each size's own frontier.** For each size, its rows (all combinations of
  the other axes) are reduced to their Pareto frontier; the frontier's error is interpolated
  linearly in log(cost) at each budget. Budgets outside a size's frontier cost range give NaN
  (no extrapolation), so a curve only has points where that size was actually run near that
  compute. This treats the other axes as a quasi-continuous knob that trades compute for error,
  the way Chinchilla's iso-FLOP profiles trade tokens for parameters.

Errors are minimised by default; pass ``maximize=True`` for scores (SER's UA). Ties in the
choice go to the lower cost, then to the earlier row. No plotting here (see ``figures``).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import AudioscaleError
from .pareto import _joined, _num, _objectives, pareto_frontier


def _budgets(budgets) -> list[float]:
    out = [float(b) for b in np.atleast_1d(budgets)]
    if not out or any(not np.isfinite(b) or b <= 0 for b in out):
        raise AudioscaleError(f"budgets={list(np.atleast_1d(budgets))} must be positive finite numbers (GFLOPs).")
    return out


def best_under_budget(df: pd.DataFrame, budgets, cost: str = "gflops", error: str = "wer_pct",
                      maximize: bool = False) -> pd.DataFrame:
    """One row per budget: ``budget`` plus all columns of the best row with cost <= budget,
    and ``feasible`` (False, with NaN columns, when no row fits the budget)."""
    budgets = _budgets(budgets)
    c, loss = _objectives(df, cost, error, maximize)
    out = []
    for b in budgets:
        ok = np.flatnonzero(c <= b)
        if ok.size == 0:
            out.append({"budget": b, "feasible": False})
            continue
        best = ok[np.lexsort((ok, c[ok], loss[ok]))[0]]
        out.append({"budget": b, "feasible": True, **df.iloc[best].to_dict()})
    return pd.DataFrame(out)


def star_rows(df: pd.DataFrame, base: Mapping[str, object], axes: Sequence[str]) -> pd.DataFrame:
    """Rows that differ from ``base`` in at most one of ``axes`` (the base row included).

    ``base`` gives a value for every axis. Values are compared as text, so 1500, 1500.0 and
    "1500" match; missing values compare equal to missing values.
    """
    axes = list(axes)
    missing = [a for a in axes if a not in base]
    if missing:
        raise AudioscaleError(f"base config lacks a value for axes {missing}; give one value per axis.")
    absent = [a for a in axes if a not in df.columns]
    if absent:
        raise AudioscaleError(f"axes {absent} are not columns of the rows (columns: {list(df.columns)}).")
    differs = np.zeros(len(df), dtype=int)
    for a in axes:
        differs += (df[a].astype(object).map(_num).to_numpy() != _num(base[a])).astype(int)
    star = df[differs <= 1]
    if not (differs == 0).any():
        raise AudioscaleError(f"no row matches the base config {dict(base)}; choose a base that was run.")
    return star


def joint_vs_star(df: pd.DataFrame, budgets, base: Mapping[str, object], axes: Sequence[str],
                  cost: str = "gflops", error: str = "wer_pct", maximize: bool = False,
                  label: str | None = None) -> pd.DataFrame:
    """Per budget: the joint-search choice, the star-sweep choice and ``regret_pts`` = metric
    points the star sweep leaves on the table (>= 0; NaN when either has nothing in budget).

    Columns: ``budget``, ``joint_<label>``, ``joint_<cost>``, ``joint_<error>``, the same with
    ``star_``, ``regret_pts`` (``label`` defaults to the axes joined, e.g. ``small|750|1``).
    """
    if label is None:
        df = df.assign(config=_joined(df[list(axes)]))
        label = "config"
    joint = best_under_budget(df, budgets, cost, error, maximize)
    star = best_under_budget(star_rows(df, base, axes), budgets, cost, error, maximize)
    sign = -1.0 if maximize else 1.0
    out = pd.DataFrame({"budget": joint["budget"]})
    for name, t in (("joint", joint), ("star", star)):
        for col in (label, cost, error):
            out[f"{name}_{col}"] = t[col] if col in t else np.nan
    # + 0.0 turns the -0.0 of a maximised metric's zero regret into 0.0 for printing.
    out["regret_pts"] = sign * (out[f"star_{error}"].astype(float) - out[f"joint_{error}"].astype(float)) + 0.0
    return out


def iso_flop_curves(df: pd.DataFrame, budgets, size: str, cost: str = "gflops", error: str = "wer_pct",
                    maximize: bool = False, snap_rel: float = 0.01) -> pd.DataFrame:
    """Error vs ``size`` at each fixed budget, by interpolation in log-compute (module docstring).

    One row per (budget, size): ``budget``, ``size`` value, ``error`` (interpolated; NaN when
    the budget lies outside that size's frontier cost range), ``n_frontier`` (frontier points of
    that size) and ``exact`` (True when a frontier point sits at the budget itself, after
    snapping). A budget within ``snap_rel`` (relative) of a frontier point is snapped to it, so
    budgets rounded for printing (``log_spaced_budgets``) still hit the configurations they were
    placed on; ``snap_rel=0`` disables this. A size with a single frontier point only
    contributes at (about) its cost.
    """
    if not 0 <= snap_rel < 0.5:
        raise AudioscaleError(f"snap_rel={snap_rel} must be in [0, 0.5), e.g. 0.01 for 1 %.")
    budgets = _budgets(budgets)
    if size not in df.columns:
        raise AudioscaleError(f"size={size!r} is not a column of the rows (columns: {list(df.columns)}).")
    _objectives(df, cost, error, maximize)
    out = []
    for s, g in df.groupby(size, sort=True):
        front = pareto_frontier(g, cost, error, maximize)
        front = front.drop_duplicates(subset=[cost, error])
        lc = np.log(front[cost].to_numpy(dtype=float))
        y = front[error].to_numpy(dtype=float)
        for b in budgets:
            lb = np.log(b)
            near = np.abs(lc - lb) <= np.log1p(snap_rel) + 1e-12
            if near.any():
                lb = lc[near][np.argmin(np.abs(lc[near] - lb))]
            inside = lc.min() - 1e-12 <= lb <= lc.max() + 1e-12
            val = float(np.interp(lb, lc, y)) if inside else np.nan
            out.append({"budget": b, size: s, error: val, "n_frontier": int(len(front)),
                        "exact": bool(np.isclose(lc, lb, rtol=0, atol=1e-9).any())})
    return pd.DataFrame(out)


def model_size(df: pd.DataFrame, model: str = "model", params: str = "params_m") -> pd.Series:
    """Each row's model size: the largest ``params`` of its model over all rows. A shortened
    window slices Whisper's positional table, so a row's own count shrinks with the window;
    keyed on that, one model would split into several "sizes" on an iso-FLOP curve."""
    for col in (model, params):
        if col not in df.columns:
            raise AudioscaleError(f"column {col!r} is not in the rows (columns: {list(df.columns)}).")
    return df.groupby(model)[params].transform("max")


def optimal_size(curves: pd.DataFrame, size: str, error: str = "wer_pct", maximize: bool = False) -> pd.DataFrame:
    """Per budget, the size with the best interpolated error among those defined there, and
    ``n_sizes`` (how many sizes the curve had at that budget: 1 means no real comparison)."""
    rows = []
    for b, g in curves.groupby("budget", sort=True):
        g = g.dropna(subset=[error])
        if g.empty:
            rows.append({"budget": b, size: np.nan, error: np.nan, "n_sizes": 0})
            continue
        best = g.loc[g[error].idxmax() if maximize else g[error].idxmin()]
        rows.append({"budget": b, size: best[size], error: best[error], "n_sizes": int(len(g))})
    return pd.DataFrame(rows)


def log_spaced_budgets(df: pd.DataFrame, cost: str = "gflops", n: int = 6) -> list[float]:
    """``n`` budgets evenly spaced in log-compute between the cheapest and costliest row,
    rounded *up* to 3 significant figures (stable printed values; the first budget still
    affords the cheapest row and the last one the costliest)."""
    c = pd.to_numeric(df[cost], errors="coerce").dropna()
    if c.empty or (c <= 0).any():
        raise AudioscaleError(f"column {cost!r} needs positive values to place budgets.")
    raw = np.geomspace(c.min(), c.max(), n)
    step = 10.0 ** (np.floor(np.log10(raw)) - 2)
    return [float(f"{v:.3g}") for v in np.ceil(raw / step - 1e-9) * step]


def base_config(df: pd.DataFrame, axes: Sequence[str], cost: str = "gflops",
                prefer: Mapping[str, object] | None = None, error: str | None = None,
                maximize: bool = False) -> dict:
    """The base of a star sweep: the costliest row's axis values (the "full" configuration
    one would shrink from; among equally costly rows the best by ``error`` when given, else
    the first), with ``prefer`` values swapped in where the rows hold such a row (e.g. the
    paper's SER reference: 4 s, LoRA r16, top-4). Preferences that would name a configuration
    that was never run are dropped one by one, in the order given."""
    axes = list(axes)
    c = pd.to_numeric(df[cost], errors="coerce")
    tied = df[c == c.max()]
    if error is not None and len(tied) > 1:
        e = pd.to_numeric(tied[error], errors="coerce")
        tied = tied.loc[[e.idxmax() if maximize else e.idxmin()]]
    top = tied.iloc[0]
    base = {a: (top[a].item() if isinstance(top[a], np.generic) else top[a]) for a in axes}
    for k, v in (prefer or {}).items():
        if k not in base:
            continue
        trial = {**base, k: v}
        match = np.ones(len(df), dtype=bool)
        for a in axes:
            match &= df[a].astype(object).map(_num).to_numpy() == _num(trial[a])
        if match.any():
            base = trial
    return base
