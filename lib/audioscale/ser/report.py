"""Tables of the SER notebooks (04: clip duration, 05: adaptation depth): ours beside the
paper's, effects compared by sign, and the findings their prose interprets.

The embedded world and CREMA-D are different tasks, so absolute UAs are not comparable;
what can agree or disagree is the *direction* of each effect the paper reports (e.g. "4 s
beats 2 s"). ``effects`` puts the paper's difference beside ours with our seed noise and a
verdict: ``agrees`` (same sign, |Δ| > 2 standard errors), ``disagrees`` (opposite sign,
same margin), ``unclear`` otherwise. Figures: ``audioscale.plots.ser``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import paper
from ..accounting.params import PAPER_RECIPE
from .run import summarize

CONFIG_COLUMNS = ["model", "init", "duration_s", "pooling", "recipe", "rank", "top_k"]
POOLINGS = ("masked", "all")
PAPER_LARGE = "wav2vec2-large-robust"


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


def matching(df: pd.DataFrame, **config) -> pd.Series:
    """Boolean mask (df's index): the rows whose columns equal every ``config`` value; a value
    of None matches a missing one (the paper's full fine-tune has no rank)."""
    m = pd.Series(True, index=df.index)
    for k, v in config.items():
        m &= df[k].isna() if v is None else (df[k] == v)
    return m


def pick(summary: pd.DataFrame, **kw) -> pd.Series:
    hit = summary[matching(summary, **kw)]
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
        ua_a = p[matching(p, **pa)].ua_pct.iloc[0]
        ua_b = p[matching(p, **pb)].ua_pct.iloc[0]
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


def _effect_text(summary: pd.DataFrame, a: dict, b: dict) -> str:
    try:
        return "{:+.1f} ± {:.1f}".format(*effect(summary, a, b))
    except KeyError:
        return "not run"


def _span(values) -> str:
    """``39.0–43.6`` (one decimal; a single value once)."""
    lo, hi = float(np.min(values)), float(np.max(values))
    return f"{lo:.1f}" if round(lo, 1) == round(hi, 1) else f"{lo:.1f}–{hi:.1f}"


# ------------------------------------------------------------------ notebook 04: clip duration
def corpus_line(stats: dict) -> str:
    """Counts of the emotion corpus (``emotion_corpus.stats_row``)."""
    return f"{stats['clips']} clips, {stats['speakers']} speakers ({stats['test_speakers']} on held-out voices)"


def clip_lengths(stats: dict) -> pd.DataFrame:
    """Clip-length statistics (s; shares as fractions) of the embedded corpus beside CREMA-D's,
    one row per statistic: ``embedded``, ``CREMA-D``, ``delta``."""
    from .emotion_corpus import CREMA_D_DURATION_S

    ours = {k: stats[f"duration_{k}"] for k in CREMA_D_DURATION_S}
    lengths = pd.DataFrame({"embedded": ours, "CREMA-D": CREMA_D_DURATION_S})
    lengths["delta"] = lengths["embedded"] - lengths["CREMA-D"]
    return lengths


def clip_length_findings(lengths: pd.DataFrame) -> str:
    """Where the lengths agree (the lower half) and where they do not (the tail past 4 s)."""
    low = lengths.loc[["p25", "median"], "delta"].abs().max()
    over = lengths.loc["share_over_4s"]
    return (f"lower quartile and median within {low:.2f} s of CREMA-D's; clips longer than 4 s: "
            f"{100 * over['embedded']:.1f} % here, {100 * over['CREMA-D']:.1f} % in CREMA-D")


def prosodic_baseline(durations_s) -> pd.DataFrame:
    """The prosodic baseline's stored UA / WA (fractions) and ``ua_pct`` (1 decimal) per
    centre-cropped duration (``prosody.baseline_row``: read, or computed once and stored)."""
    from .prosody import baseline_row

    base = pd.DataFrame([{**{"duration_s": d}, **{k: baseline_row(duration_s=d)[k] for k in ("ua", "wa")}}
                         for d in durations_s])
    base["ua_pct"] = (100 * base.ua).round(1)
    return base


def paper_durations(p: pd.DataFrame | None = None) -> pd.Series:
    """The paper's UA (%) of its duration sweep, indexed by ``duration_s``."""
    p = paper_ser() if p is None else p
    return p[p.experiment == "duration"].set_index("duration_s").ua_pct


DURATION_COLUMNS = ["duration_s", "pooling", "n_seeds", "UA % (mean ± std)", "paper_ua_pct", "delta_pts",
                    "wa_mean_pct", "trainable_params", "gflops_paper", "gflops_matmul"]


def duration_table(summary: pd.DataFrame, paper_ua: pd.Series | None = None) -> pd.DataFrame:
    """Notebook 04's table: per (pooling, duration) our UA mean ± std beside the paper's UA at
    that duration, ``delta_pts``, WA, trainable parameters and GFLOPs per clip (two conventions)."""
    paper_ua = paper_durations() if paper_ua is None else paper_ua
    table = summary[["duration_s", "pooling", "n_seeds", "ua_mean_pct", "ua_std_pct", "wa_mean_pct",
                     "trainable_params", "gflops_paper", "gflops_matmul"]].copy()
    table["paper_ua_pct"] = table.duration_s.map(paper_ua)
    table["delta_pts"] = table.ua_mean_pct - table.paper_ua_pct
    table["UA % (mean ± std)"] = [fmt_pm(m, s) for m, s in zip(table.ua_mean_pct, table.ua_std_pct)]
    return table[DURATION_COLUMNS].sort_values(["pooling", "duration_s"])


def duration_effects(summary: pd.DataFrame, poolings=POOLINGS) -> pd.DataFrame:
    """``effects`` of the paper's two duration steps (2 -> 4 s, 4 -> 6 s), for each pooling."""
    comparisons = []
    for pool in poolings:
        ref = dict(duration_s=4.0, pooling=pool)
        comparisons += [
            (f"4 s vs 2 s ({pool})", dict(experiment="duration", duration_s=2.0),
             dict(experiment="duration", duration_s=4.0), dict(duration_s=2.0, pooling=pool), ref),
            (f"6 s vs 4 s ({pool})", dict(experiment="duration", duration_s=4.0),
             dict(experiment="duration", duration_s=6.0), ref, dict(duration_s=6.0, pooling=pool)),
        ]
    return effects(summary, comparisons)


def pooling_effects(summary: pd.DataFrame, durations_s) -> pd.DataFrame:
    """UA(all-frames pooling) - UA(masked) per duration: ``delta_pts``, ``se_pts`` (NaN: not run)."""
    rows = []
    for d in durations_s:
        try:
            x, se = effect(summary, dict(duration_s=d, pooling="masked"), dict(duration_s=d, pooling="all"))
        except KeyError:
            x, se = np.nan, np.nan
        rows.append({"duration_s": d, "delta_pts": x, "se_pts": se})
    return pd.DataFrame(rows, columns=["duration_s", "delta_pts", "se_pts"])


def pooling_effects_line(pooling: pd.DataFrame) -> str:
    """``pooling_effects`` as one line: ``2 s -0.2 ± 6.2, 4 s ...``."""
    parts = [f"{r.duration_s:g} s not run" if np.isnan(r.delta_pts) else f"{r.duration_s:g} s {r.delta_pts:+.1f} ± {r.se_pts:.1f}"
             for r in pooling.itertuples()]
    return "all-frames minus masked pooling, UA points (± s.e.): " + ", ".join(parts)


def seed_detail(rows: pd.DataFrame, **config) -> str:
    """Per seed of one configuration: ``UA % (best epoch)``, e.g. ``46.2 (5), 32.6 (1)``."""
    hit = rows[matching(rows, **config)].sort_values("seed")
    return ", ".join(f"{100 * r.ua:.1f} ({int(r.best_epoch)})" for r in hit.itertuples())


def duration_findings(summary: pd.DataFrame, rows: pd.DataFrame, baseline: pd.DataFrame | None,
                      durations_s, paper_ua: pd.Series | None = None) -> list[str]:
    """The numbers behind notebook 04's conclusions: each duration step (paper vs ours per
    pooling), the seed spread at the shortest duration, the baseline and UA ranges."""
    paper_ua = paper_durations() if paper_ua is None else paper_ua
    out = []
    for a, b in zip(durations_s, durations_s[1:]):
        ours = ", ".join(f"{_effect_text(summary, dict(duration_s=a, pooling=p), dict(duration_s=b, pooling=p))} ({p})"
                         for p in POOLINGS)
        out.append(f"{b:g} s vs {a:g} s, UA points: paper {paper_ua[b] - paper_ua[a]:+.1f}; ours {ours}")
    d0 = durations_s[0]
    for p in POOLINGS:
        s = summary[(summary.duration_s == d0) & (summary.pooling == p)]
        if len(s):
            out.append(f"{d0:g} s, pooling {p}: UA std over seeds {s.ua_std_pct.iloc[0]:.1f} points; per seed, "
                       f"UA % (best epoch): {seed_detail(rows, duration_s=d0, pooling=p)}")
    line = f"UA %: ours {_span(summary.ua_mean_pct)} (every configuration), paper {_span(paper_ua)}"
    if baseline is not None:
        line += (f", prosodic baseline {_span(baseline.ua_pct)}; the baseline's lowest beats our best: "
                 f"{'yes' if baseline.ua_pct.min() > summary.ua_mean_pct.max() else 'no'}")
    out.append(line)
    if "total_params" in rows and len(rows):
        n = float(rows.total_params.iloc[0])
        big = paper.PAPER_PARAMS_M[PAPER_LARGE] * 1e6
        out.append(f"backbone + head parameters: ours {n / 1e6:.2f}M, the paper's {PAPER_LARGE} "
                   f"{big / 1e6:.0f}M ({big / n:.0f}x)")
    return out


# ------------------------------------------------------------------ notebook 05: adaptation depth
def paper_recipe_params(p: pd.DataFrame | None = None) -> pd.DataFrame:
    """The paper's adaptation rows with the trainable parameters our recipes give on the true
    architectures (meta device): ``trainable_m``, ``share_pct`` of the model, beside the two
    counts the paper prints (``paper_trainable_m``) and ``delta_m``."""
    from ..accounting import params

    p = paper_ser() if p is None else p
    rows = []
    for r in p[p.experiment == "adaptation"].itertuples():
        rank = None if pd.isna(r.rank) else int(r.rank)
        top_k = None if pd.isna(r.top_k) else int(r.top_k)
        # The paper's full fine-tune counts the CNN feature encoder as trainable.
        trainable, total, _ = params.trainable_params(r.model, r.recipe, rank, top_k,
                                                      freeze_feature_encoder=(r.recipe != "full"))
        rows.append({"model": r.model, "recipe": r.recipe, "rank": rank, "top_k": top_k,
                     "trainable_m": trainable / 1e6, "share_pct": 100 * trainable / total,
                     "paper_trainable_m": r.trainable_params_m, "paper_ua_pct": r.ua_pct})
    acc = pd.DataFrame(rows)
    acc["delta_m"] = acc.trainable_m - acc.paper_trainable_m
    return acc


def recipe_steps_line(acc: pd.DataFrame) -> str:
    """What each step of the paper's ladder adds to the trainable parameters (large-robust)."""
    large = acc[(acc.model == PAPER_LARGE) & (acc.recipe == "lora+top-k")].set_index(["recipe", "rank", "top_k"]).trainable_m
    total_large = acc[(acc.model == PAPER_LARGE) & (acc.recipe == "full")].trainable_m.iloc[0]
    step_rank = large[("lora+top-k", 64, 4)] - large[("lora+top-k", 16, 4)]
    step_depth = large[("lora+top-k", 16, 8)] - large[("lora+top-k", 16, 4)]
    return (f"r=16 -> r=64 adds {step_rank:.1f}M trainable ({100 * step_rank / total_large:.1f} % of the model); "
            f"top-4 -> top-8 adds {step_depth:.1f}M ({100 * step_depth / total_large:.1f} %); "
            f"LoRA alone trains {acc[acc.recipe == 'lora'].trainable_m.iloc[0]:.1f}M")


def recipe_check_line(acc: pd.DataFrame) -> str:
    """How close our counts come to the ones the paper prints."""
    printed = acc.dropna(subset=["paper_trainable_m"])
    return (f"the paper prints {len(printed)} trainable counts; ours differ by at most "
            f"{printed.delta_m.abs().max():.2f}M")


RECIPE_ORDER = {"head-only": 0, "lora": 1, "lora+top-k": 2, "top-k": 3, "full": 4}  # least to most trained


def adaptation_summary(rows: pd.DataFrame, scale: str = "embedded", p: pd.DataFrame | None = None) -> pd.DataFrame:
    """``seed_summary`` of the adaptation ablation with the paper's UA on the same rung
    (``paper_ua_pct``, NaN where the paper has none or ``scale`` is not "embedded", since the
    ladders are mapped, see ``sweep.paper_counterpart``), ``delta_pts`` and ``UA % (mean ± std)``;
    sorted by init, recipe (least to most trained), top-k and rank; counts as Int64."""
    from .sweep import paper_counterpart

    p = paper_ser() if p is None else p
    summary = seed_summary(rows)

    def counterpart(r):
        if scale != "embedded":
            return np.nan
        c = paper_counterpart(r.recipe, None if pd.isna(r["rank"]) else int(r["rank"]),
                              None if pd.isna(r.top_k) else int(r.top_k), r.init)
        return np.nan if c is None else p[matching(p, **c)].ua_pct.iloc[0]

    summary["paper_ua_pct"] = summary.apply(counterpart, axis=1)
    summary["delta_pts"] = summary.ua_mean_pct - summary.paper_ua_pct
    summary["UA % (mean ± std)"] = [fmt_pm(m, s) for m, s in zip(summary.ua_mean_pct, summary.ua_std_pct)]
    summary = summary.sort_values(["init", "recipe", "top_k", "rank"],
                                  key=lambda c: c.map(RECIPE_ORDER) if c.name == "recipe" else c)
    for c in ("rank", "top_k", "trainable_params"):
        summary[c] = summary[c].astype("Int64")
    return summary


ADAPTATION_COLUMNS = ["init", "recipe", "rank", "top_k", "n_seeds", "UA % (mean ± std)", "paper_ua_pct", "delta_pts",
                      "trainable_params", "gflops_paper", "gflops_matmul"]


def adaptation_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Notebook 05's table: the columns of ``adaptation_summary`` it prints."""
    return summary[ADAPTATION_COLUMNS]


REFERENCE = dict(recipe="lora+top-k", init="pretrained", top_k=1)  # our rung of the paper's r16 + top-4
_PAPER_REF = dict(experiment="adaptation", rank=16, top_k=4, model=PAPER_LARGE)
ADAPTATION_COMPARISONS = [
    ("LoRA + top-k vs LoRA alone", dict(experiment="adaptation", recipe="lora"),
     dict(_PAPER_REF, recipe="lora+top-k"), dict(recipe="lora", rank=4), dict(REFERENCE, rank=4)),
    ("rank 8 -> 16 (ours 2 -> 4)", dict(experiment="adaptation", rank=8), _PAPER_REF,
     dict(REFERENCE, rank=2), dict(REFERENCE, rank=4)),
    ("rank 16 -> 64 (ours 4 -> 16)", _PAPER_REF, dict(experiment="adaptation", rank=64),
     dict(REFERENCE, rank=4), dict(REFERENCE, rank=16)),
    ("top-8 vs top-4 (ours top-2 vs top-1)", _PAPER_REF, dict(experiment="adaptation", top_k=8),
     dict(REFERENCE, rank=4), dict(REFERENCE, rank=4, top_k=2)),
    ("full vs LoRA r16 + top-4", _PAPER_REF, dict(experiment="adaptation", recipe="full"),
     dict(REFERENCE, rank=4), dict(recipe="full")),
]


def adaptation_effects(summary: pd.DataFrame) -> pd.DataFrame:
    """``effects`` of the paper's five adaptation comparisons, on our mapped ladder."""
    return effects(summary, ADAPTATION_COMPARISONS)


def control_lines(summary: pd.DataFrame) -> list[str]:
    """The two controls the paper lacks: what pretraining and what adaptation add, in UA points."""
    out = []
    for label, a, b in (("pretrained vs random-init backbone (reference recipe)", dict(REFERENCE, rank=4, init="random"),
                         dict(REFERENCE, rank=4)),
                        ("reference recipe vs head only", dict(recipe="head-only"), dict(REFERENCE, rank=4))):
        try:
            d, se = effect(summary, a, b)
            out.append(f"{label}: {d:+.1f} ± {se:.1f} UA points (no paper counterpart)")
        except KeyError:
            out.append(f"{label}: not run yet")
    return out


def adaptation_findings(summary: pd.DataFrame, ranks, acc: pd.DataFrame | None = None,
                        baseline: pd.DataFrame | None = None, p: pd.DataFrame | None = None) -> list[str]:
    """The numbers behind notebook 05's conclusions: UA per recipe and its order, the rank
    ladder beside the paper's, trainable-parameter and UA ranges, the prosodic baseline."""
    p = paper_ser() if p is None else p
    pre = summary[summary.init == "pretrained"]
    by = {r: pre[pre.recipe == r].ua_mean_pct for r in sorted(set(pre.recipe), key=RECIPE_ORDER.get)}
    means = [float(v.mean()) for v in by.values()]
    out = ["UA % per recipe (pretrained backbone): " + " < ".join(f"{r} {_span(v)}" for r, v in by.items())
           + f" (least to most trained; increasing: {'yes' if means == sorted(means) else 'no'})"]
    ladder = pre[(pre.recipe == "lora+top-k") & (pre.top_k == 1)].set_index("rank").ua_mean_pct
    pa = p[(p.experiment == "adaptation") & (p.model == PAPER_LARGE) & (p.recipe == "lora+top-k") & (p.top_k == 4)]
    pa = pa.set_index("rank").ua_pct.sort_index()
    out.append("rank ladder, UA %: ours (top-1) " + " / ".join(f"r{r} {ladder[r]:.1f}" for r in ranks if r in ladder.index)
               + "; paper (top-4) " + " / ".join(f"r{int(r)} {v:.1f}" for r, v in pa.items()))
    tp = summary.trainable_params.astype(float)
    line = f"trainable parameters: {tp.min():,.0f} -> {tp.max():,.0f} here"
    if acc is not None:
        big = acc[acc.model == PAPER_LARGE].trainable_m
        line += f", {big.min():.1f}M -> {big.max():.1f}M in the paper ({PAPER_LARGE})"
    out.append(line)
    paper_ua = p[p.experiment == "adaptation"].ua_pct
    line = f"UA %: ours {_span(summary.ua_mean_pct)}, paper {_span(paper_ua)}"
    if baseline is not None:
        reach = pre[pre.ua_mean_pct >= baseline.ua_pct.min()].recipe.tolist()
        line += (f"; prosodic baseline (notebook 04) {_span(baseline.ua_pct)}, reached by: "
                 + (", ".join(reach) if reach else "none"))
    out.append(line)
    return out
