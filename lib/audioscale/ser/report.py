"""Tables and figures of the SER notebooks: ours beside the paper's, effects compared by sign.

The embedded world and CREMA-D are different tasks, so absolute UAs are not comparable;
what can agree or disagree is the *direction* of each effect the paper reports (e.g. "4 s
beats 2 s"). ``effects`` puts the paper's difference beside ours with our seed noise and a
verdict: ``agrees`` (same sign, |Δ| > 2 standard errors), ``disagrees`` (opposite sign,
same margin), ``unclear`` otherwise.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import paper
from ..accounting.params import PAPER_RECIPE
from .run import summarize

CONFIG_COLUMNS = ["model", "init", "duration_s", "pooling", "recipe", "rank", "top_k"]


def paper_ser() -> pd.DataFrame:
    """The paper's SER rows with our recipe names (``recipe``, ``rank``, ``top_k``)."""
    df = paper.ser_table()
    df["recipe"] = df.adaptation.map(PAPER_RECIPE)
    df["rank"] = df.lora_rank
    df["top_k"] = pd.to_numeric(df.unfrozen_top_layers.astype(object).replace({"all": np.nan, "0": np.nan}))
    return df


def seed_summary(rows: pd.DataFrame) -> pd.DataFrame:
    """Mean ± std of UA / WA over seeds per configuration, in percent."""
    s = summarize(rows, CONFIG_COLUMNS)
    for m in ("ua", "wa"):
        s[f"{m}_mean_pct"] = 100 * s[f"{m}_mean"]
        s[f"{m}_std_pct"] = 100 * s[f"{m}_std"]
    extra = rows.groupby(CONFIG_COLUMNS, dropna=False).agg(
        **{c: (c, "first") for c in ("gflops_matmul", "gflops_measured", "total_params", "backbone_params")
           if c in rows}).reset_index()
    return s.merge(extra, on=CONFIG_COLUMNS, how="left")


def _key(df, **kw) -> pd.Series:
    m = pd.Series(True, index=df.index)
    for k, v in kw.items():
        m &= df[k].isna() if v is None else (df[k] == v)
    return m


def pick(summary: pd.DataFrame, **kw) -> pd.Series:
    hit = summary[_key(summary, **kw)]
    if len(hit) != 1:
        raise KeyError(f"{len(hit)} summary rows match {kw}")
    return hit.iloc[0]


def effect(summary: pd.DataFrame, a: dict, b: dict) -> tuple[float, float]:
    """UA(b) - UA(a) in points, and its standard error from the seed spread of both."""
    ra, rb = pick(summary, **a), pick(summary, **b)
    se = np.sqrt(ra.ua_std_pct ** 2 / ra.n_seeds + rb.ua_std_pct ** 2 / rb.n_seeds)
    return float(rb.ua_mean_pct - ra.ua_mean_pct), float(se)


def verdict(paper_delta: float, ours: float, se: float) -> str:
    if not np.isfinite(se) or abs(ours) <= 2 * se:  # one seed: no noise estimate, no verdict
        return "unclear"
    return "agrees" if np.sign(ours) == np.sign(paper_delta) else "disagrees"


def effects(summary: pd.DataFrame, comparisons: list[tuple[str, dict, dict, dict, dict]]) -> pd.DataFrame:
    """One row per comparison: (label, paper a, paper b, ours a, ours b) config selectors."""
    p = paper_ser()
    rows = []
    for label, pa, pb, oa, ob in comparisons:
        ua_a = p[_key(p, **pa)].ua_pct.iloc[0]
        ua_b = p[_key(p, **pb)].ua_pct.iloc[0]
        try:
            d, se = effect(summary, oa, ob)
            v = verdict(ua_b - ua_a, d, se)
        except KeyError:  # a configuration without rows yet
            d, se, v = np.nan, np.nan, "not run"
        rows.append({"effect": label, "paper_delta_pts": round(ua_b - ua_a, 2), "ours_delta_pts": round(d, 2),
                     "ours_se_pts": round(se, 2), "verdict": v})
    return pd.DataFrame(rows)


def fmt_pm(mean: float, std: float, digits: int = 1) -> str:
    return f"{mean:.{digits}f} ± {std:.{digits}f}"
