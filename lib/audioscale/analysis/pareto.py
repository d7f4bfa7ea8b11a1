"""Pareto frontiers over (compute, quality): which configurations are worth running.

The paper reads its conclusions off these sets: ASR has a smooth frontier with two dominated
configurations (medium-750 beaten by small-1500, large-v3-750 by medium-1500-stride-2), SER a
sparse one. Conventions, stated once here:

- **Both objectives are minimised.** ``cost`` is compute (GFLOPs per utterance/clip under one
  named convention). ``error`` is minimised by default (WER); for a score that is maximised
  (SER's unweighted accuracy, ``ua_pct``) pass ``maximize=True`` instead of rewriting it as
  ``100 - ua_pct``: tables then show UA itself and every gain is in UA points.
- **Domination.** Row j dominates row i when ``cost_j <= cost_i`` and ``error_j <= error_i``
  (better-or-equal score under ``maximize``) with at least one of them strict.
- **Ties and duplicates.** Rows with identical (cost, error) do not dominate each other, so
  exact duplicates are *all* kept on (or all off) the frontier; collapse repeated
  configurations first (``collapse_seeds``) when one point per configuration is wanted.
  Equal cost with different error: only the better one survives (the other is dominated
  with a 0 % cost saving); equal error with different cost: only the cheaper one survives.
- Rows with NaN cost or error are refused (the error names the rows): a missing measurement
  must not silently become "not dominated".

Result rows become points (seeds averaged, labelled) in ``points``; the notebooks' tables in
``frontier_report``; no plotting here (``audioscale.plots``).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import AudioscaleError, check_choice


def _objectives(df: pd.DataFrame, cost: str, error: str, maximize: bool) -> tuple[np.ndarray, np.ndarray]:
    """(cost, loss) as float arrays, loss = error or -score; both minimised."""
    for col in (cost, error):
        if col not in df.columns:
            raise AudioscaleError(f"column {col!r} is not in the rows (columns: {list(df.columns)}); "
                                  "pass cost=/error= naming existing columns.")
    c = pd.to_numeric(df[cost], errors="coerce").to_numpy(dtype=float)
    e = pd.to_numeric(df[error], errors="coerce").to_numpy(dtype=float)
    bad = ~(np.isfinite(c) & np.isfinite(e))
    if bad.any():
        raise AudioscaleError(f"rows {list(df.index[bad])} have a missing or non-numeric {cost!r} or {error!r}; "
                              "drop or fill them before computing a frontier.")
    return c, (-e if maximize else e)


def _dominance(c: np.ndarray, loss: np.ndarray) -> np.ndarray:
    """D[j, i] = True when row j dominates row i."""
    le_c = c[:, None] <= c[None, :]
    le_l = loss[:, None] <= loss[None, :]
    strict = (c[:, None] < c[None, :]) | (loss[:, None] < loss[None, :])
    return le_c & le_l & strict


def dominated_mask(df: pd.DataFrame, cost: str = "gflops", error: str = "wer_pct",
                   maximize: bool = False) -> pd.Series:
    """Boolean Series (df's index): True where some other row dominates the row."""
    c, loss = _objectives(df, cost, error, maximize)
    return pd.Series(_dominance(c, loss).any(axis=0), index=df.index, name="dominated")


def with_frontier(df: pd.DataFrame, cost: str = "gflops", error: str = "wer_pct",
                  maximize: bool = False) -> pd.DataFrame:
    """A copy of ``df`` (attrs kept) with ``on_frontier``: True where no row dominates the row."""
    out = df.copy()
    out["on_frontier"] = ~dominated_mask(df, cost, error, maximize)
    out.attrs = dict(df.attrs)
    return out


def pareto_frontier(df: pd.DataFrame, cost: str = "gflops", error: str = "wer_pct",
                    maximize: bool = False) -> pd.DataFrame:
    """The non-dominated rows, all columns kept, sorted by cost then by error (best first).

    Exact duplicates of a frontier point are all returned (see the module docstring).
    """
    if df.empty:
        return df.copy()
    mask = dominated_mask(df, cost, error, maximize)
    front = df[~mask.to_numpy()]
    return front.sort_values([cost, error], ascending=[True, not maximize], kind="stable")


def dominators(df: pd.DataFrame, cost: str = "gflops", error: str = "wer_pct",
               maximize: bool = False, rule: str = "cheapest", label: str | None = None) -> pd.DataFrame:
    """For every dominated row, the row that dominates it and by how much.

    ``rule``: ``"cheapest"`` (the dominator with the lowest cost; ties -> better error),
    ``"best"`` (the dominator with the best error; ties -> lower cost), or ``"all"`` (one
    output row per dominating pair). Remaining ties go to the earlier row.

    Columns: ``index`` (the dominated row's index), ``dominator_index``, ``<label>`` and
    ``dominator_<label>`` when ``label`` names a column, the two rows' cost and error,
    ``n_dominators``, ``cost_saving_pct`` = 100·(1 - cost_dominator / cost) >= 0 and
    ``error_gain_pts`` = how many metric points better the dominator is (>= 0, in WER points
    for an error, in UA points under ``maximize``). Empty when nothing is dominated.
    """
    check_choice("rule", rule, ("cheapest", "best", "all"))
    if label is not None and label not in df.columns:
        raise AudioscaleError(f"label={label!r} is not a column of the rows; pass label=None or an existing column.")
    cols = ["index", "dominator_index"] + ([label, f"dominator_{label}"] if label else []) + [
        cost, f"dominator_{cost}", error, f"dominator_{error}", "n_dominators", "cost_saving_pct", "error_gain_pts"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    c, loss = _objectives(df, cost, error, maximize)
    dom = _dominance(c, loss)
    rows = []
    for i in np.flatnonzero(dom.any(axis=0)):
        js = np.flatnonzero(dom[:, i])
        if rule == "cheapest":
            js = [js[np.lexsort((js, loss[js], c[js]))[0]]]
        elif rule == "best":
            js = [js[np.lexsort((js, c[js], loss[js]))[0]]]
        for j in js:
            row = {"index": df.index[i], "dominator_index": df.index[j]}
            if label:
                row[label] = df[label].iloc[i]
                row[f"dominator_{label}"] = df[label].iloc[j]
            row.update({cost: c[i], f"dominator_{cost}": c[j],
                        error: df[error].iloc[i], f"dominator_{error}": df[error].iloc[j],
                        "n_dominators": int(dom[:, i].sum()),
                        "cost_saving_pct": 100.0 * (1.0 - c[j] / c[i]) if c[i] != 0 else 0.0,
                        "error_gain_pts": float(loss[i] - loss[j])})
            rows.append(row)
    return pd.DataFrame(rows, columns=cols)


def marginal_value(df: pd.DataFrame, axis: str | Sequence[str], config: Sequence[str],
                   cost: str = "gflops", error: str = "wer_pct", maximize: bool = False,
                   label: str | None = None) -> pd.DataFrame:
    """Metric points bought per doubling of compute, one step at a time along each axis.

    For each ``axis`` in turn, rows are grouped by the other ``config`` columns (everything
    but the axis held fixed), sorted by cost (then by the axis value), and every consecutive
    pair is one step:
    ``doublings = log2(cost_to / cost_from)``, ``gain_pts`` = metric points gained going to
    the costlier configuration (positive = better; a negative gain is a loss bought with
    compute) and ``gain_pts_per_doubling`` = gain / doublings. A step that leaves the cost
    unchanged (e.g. LoRA rank, which the paper's FLOPs ignore) has ``doublings = 0`` and a NaN
    rate: compute does not buy it, so it has no price per doubling; its ``gain_pts`` stays.
    Groups with a single row contribute nothing. Repeated configurations must be collapsed
    first (``collapse_seeds``) or they are refused.
    """
    axes = [axis] if isinstance(axis, str) else list(axis)
    config = list(config)
    for a in axes:
        if a not in config:
            raise AudioscaleError(f"axis {a!r} must be one of the config columns {config}.")
    _objectives(df, cost, error, maximize)  # validates columns and NaNs
    missing = [c for c in config if c not in df.columns]
    if missing:
        raise AudioscaleError(f"config columns {missing} are not in the rows; pass config= naming existing columns.")
    key = _joined(df[config])
    if key.duplicated().any():
        raise AudioscaleError(f"configurations repeat (e.g. {key[key.duplicated()].iloc[0]!r}); "
                              "collapse seeds with collapse_seeds() before marginal_value().")
    sign = -1.0 if maximize else 1.0
    out = []
    for a in axes:
        fixed = [c for c in config if c != a]
        groups = df.groupby(fixed, dropna=False, sort=False) if fixed else [((), df)]
        for keys, g in groups:
            # Equal-cost steps (a free axis) follow the axis value, not the outcome.
            g = g.sort_values([cost, a], kind="stable")
            for k in range(len(g) - 1):
                lo, hi = g.iloc[k], g.iloc[k + 1]
                doublings = float(np.log2(hi[cost] / lo[cost]))
                gain = sign * float(lo[error] - hi[error])
                row = {"axis": a, **{c: lo[c] for c in fixed},
                       "from": lo[a], "to": hi[a]}
                if label:
                    row.update({"from_label": lo[label], "to_label": hi[label]})
                row.update({f"{cost}_from": float(lo[cost]), f"{cost}_to": float(hi[cost]),
                            f"{error}_from": float(lo[error]), f"{error}_to": float(hi[error]),
                            "doublings": doublings, "gain_pts": gain,
                            "gain_pts_per_doubling": gain / doublings if doublings > 0 else np.nan})
                out.append(row)
    return pd.DataFrame(out)


def collapse_seeds(df: pd.DataFrame, config: Sequence[str], metric: str,
                   keep: Sequence[str] = ()) -> pd.DataFrame:
    """One row per configuration: ``metric`` averaged over seeds, with ``<metric>_std``
    (sample std, NaN for one seed) and ``n_seeds``. ``keep`` columns (e.g. GFLOPs, which
    depend only on the configuration) take their first value; they must agree within a
    configuration or the call is refused."""
    config, keep = list(config), list(keep)
    missing = [c for c in config + keep + [metric] if c not in df.columns]
    if missing:
        raise AudioscaleError(f"columns {missing} are not in the rows (columns: {list(df.columns)}).")
    g = df.groupby(config, dropna=False, sort=True)
    for k in keep:
        if (g[k].nunique(dropna=False) > 1).any():
            raise AudioscaleError(f"column {k!r} differs between seeds of one configuration; "
                                  "it cannot be kept as a per-configuration value.")
    out = g.agg(**{metric: (metric, "mean"), f"{metric}_std": (metric, "std"),
                   "n_seeds": (metric, "size"), **{k: (k, "first") for k in keep}})
    return out.reset_index()


def _num(v) -> str:
    """1500.0 -> '1500', 4.0 -> '4', 2.5 -> '2.5', NaN -> ''."""
    if v is None or (isinstance(v, float) and np.isnan(v)) or pd.isna(v):
        return ""
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    return str(int(f)) if f.is_integer() else f"{f:g}"


def _joined(frame: pd.DataFrame) -> pd.Series:
    """Row-wise "a|b|c" text of config values (1500.0 -> "1500", missing -> "")."""
    return frame.astype(object).map(_num).agg("|".join, axis=1)


def frontier_status(df: pd.DataFrame, cost: str = "gflops", error: str = "wer_pct", maximize: bool = False,
                    label: str = "label") -> pd.Series:
    """Per row (df's index): ``"frontier"`` or ``"dominated by <cheapest dominator's label>"``."""
    dom = dominators(df, cost, error, maximize, rule="cheapest", label=label)
    by = dict(zip(dom["index"], dom[f"dominator_{label}"]))
    return pd.Series([f"dominated by {by[i]}" if i in by else "frontier" for i in df.index],
                     index=df.index, name=f"status ({cost})")


def dominations_at(df: pd.DataFrame, axis: str, value, cost: str = "gflops", error: str = "wer_pct",
                   maximize: bool = False, label: str = "label") -> pd.DataFrame:
    """The configurations with ``axis == value`` (e.g. the 750-frame ones) and what beats them.

    One row per such configuration, cheapest first: ``label``, cost, error, ``on_frontier``,
    ``dominator`` (the cheapest dominator's label, "-" on the frontier), ``cost_saving_pct`` and
    ``error_gain_pts`` against it, and ``dominator_other``: the cheapest dominator whose ``axis``
    differs ("-" when none): the paper's pattern, a 750-frame configuration beaten by a
    1500-frame one. Values of ``axis`` are compared as text (1500 == 1500.0).
    """
    if axis not in df.columns or label not in df.columns:
        raise AudioscaleError(f"columns {axis!r} and {label!r} must be in the rows (columns: {list(df.columns)}).")
    key = df[axis].astype(object).map(_num)
    pairs = dominators(df, cost, error, maximize, rule="all", label=label)
    out = []
    for i in df.index[(key == _num(value)).to_numpy()]:
        mine = pairs[pairs["index"] == i]
        if len(mine):
            c, e = mine[f"dominator_{cost}"].to_numpy(float), mine[f"dominator_{error}"].to_numpy(float)
            mine = mine.iloc[np.lexsort((-e if maximize else e, c))]
        other = mine[(key.loc[mine["dominator_index"]] != _num(value)).to_numpy()] if len(mine) else mine
        first = mine.iloc[0] if len(mine) else None
        out.append({label: df.at[i, label], cost: df.at[i, cost], error: df.at[i, error],
                    "on_frontier": first is None,
                    "dominator": "-" if first is None else first[f"dominator_{label}"],
                    "cost_saving_pct": np.nan if first is None else first["cost_saving_pct"],
                    "error_gain_pts": np.nan if first is None else first["error_gain_pts"],
                    "dominator_other": other.iloc[0][f"dominator_{label}"] if len(other) else "-"})
    cols = [label, cost, error, "on_frontier", "dominator", "cost_saving_pct", "error_gain_pts", "dominator_other"]
    return pd.DataFrame(out, columns=cols).sort_values(cost, kind="stable").reset_index(drop=True)


def axis_summary(mv: pd.DataFrame) -> pd.DataFrame:
    """Per axis of a ``marginal_value`` table: ``steps`` with a price and the mean, min and max
    ``gain_pts_per_doubling`` (steps that cost no compute have no price and are left out)."""
    cols = ["axis", "steps", "mean_pts_per_doubling", "min_pts_per_doubling", "max_pts_per_doubling"]
    if mv.empty:
        return pd.DataFrame(columns=cols)
    return (mv.dropna(subset=["gain_pts_per_doubling"]).groupby("axis", sort=False)
            .agg(steps=("gain_pts", "size"), mean_pts_per_doubling=("gain_pts_per_doubling", "mean"),
                 min_pts_per_doubling=("gain_pts_per_doubling", "min"),
                 max_pts_per_doubling=("gain_pts_per_doubling", "max")).reset_index()[cols])


def rates_beside(reference: pd.DataFrame, others: dict[str, pd.DataFrame], ref_name: str = "paper",
                 value: str = "mean_pts_per_doubling") -> pd.DataFrame:
    """``axis_summary`` tables side by side: one row per axis (the reference's axes first), a
    ``<ref_name>`` column, and per other world ``<name>`` and ``delta_<name>`` = name − reference
    (NaN where a world has no step along that axis)."""
    out = reference[["axis", value]].rename(columns={value: ref_name})
    for name, t in others.items():
        out = out.merge(t[["axis", value]].rename(columns={value: name}), on="axis", how="outer", sort=False)
        out[f"delta_{name}"] = out[name] - out[ref_name]
    order = {a: k for k, a in enumerate(reference["axis"])}
    return out.sort_values("axis", key=lambda s: s.map(order).fillna(len(order)), kind="stable").reset_index(drop=True)


def axis_order(summary: pd.DataFrame, axes: Sequence[str] | None = None,
               value: str = "mean_pts_per_doubling") -> list[str]:
    """Axes from the dearest (most points per doubling) to the cheapest place to save compute,
    restricted to ``axes`` when given (to compare orderings over the axes two worlds share)."""
    s = summary if axes is None else summary[summary["axis"].isin(list(axes))]
    return s.sort_values(value, ascending=False, kind="stable")["axis"].tolist()


def paired_wer_intervals(pairs: pd.DataFrame, per_utterance: pd.DataFrame, a: str = "label",
                         b: str = "dominator_label", n_boot: int = 2000, seed: int = 0,
                         level: float = 0.95) -> pd.DataFrame:
    """Is a WER difference between two configurations resolved by the test set? For each row of
    ``pairs``, the corpus WER of configuration ``pairs[a]`` minus that of ``pairs[b]`` with a
    paired-bootstrap interval over utterances (``asr.wer.paired_bootstrap_difference``, seeded).

    ``per_utterance`` is long: ``label`` (the configuration), ``utt_id``, ``errors``,
    ``n_ref_words``; the two configurations are compared on the utterances both scored. Returns
    ``pairs`` with ``delta_pts`` (a − b: for a domination pair, what the dominator gains),
    ``ci_low_pts``, ``ci_high_pts``, ``n_utterances`` and ``resolved`` (the interval excludes 0).
    """
    from ..asr.wer import paired_bootstrap_difference

    missing = [c for c in ("label", "utt_id", "errors", "n_ref_words") if c not in per_utterance.columns]
    if missing:
        raise AudioscaleError(f"per_utterance lacks columns {missing}; give label, utt_id, errors, n_ref_words.")
    by = {k: g.set_index("utt_id") for k, g in per_utterance.groupby("label", sort=False)}
    out = []
    for _, r in pairs.iterrows():
        for lab in (r[a], r[b]):
            if lab not in by:
                raise AudioscaleError(f"no per-utterance rows for configuration {lab!r}.")
        ua, ub = by[r[a]], by[r[b]]
        both = ua.index.intersection(ub.index)
        ci = paired_bootstrap_difference(ua.loc[both, "errors"], ub.loc[both, "errors"], ua.loc[both, "n_ref_words"],
                                         n_boot=n_boot, seed=seed, level=level)
        out.append({"delta_pts": ci["delta_wer_pts"], "ci_low_pts": ci["ci_low_pts"], "ci_high_pts": ci["ci_high_pts"],
                    "n_utterances": ci["n_utterances"],
                    "resolved": bool(ci["ci_low_pts"] > 0 or ci["ci_high_pts"] < 0)})
    cols = ["delta_pts", "ci_low_pts", "ci_high_pts", "n_utterances", "resolved"]
    return pd.concat([pairs.reset_index(drop=True), pd.DataFrame(out, columns=cols)], axis=1)
