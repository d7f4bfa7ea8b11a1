# %% [markdown]
# # 07 — The joint iso-FLOP sweep the paper leaves as future work
#
# The paper varies its axes mostly one or two at a time and names a joint iso-FLOP search over
# (xN model size, xT input length, xV token stride, LoRA rank) as future work. Our embedded world is
# cheap enough to run every combination: `results/asr_embedded.csv` holds all of model size × encoder
# frames × stride × pooling, `results/ser_embedded.csv` all of duration × LoRA rank × top-k (per seed).
# This notebook asks three questions of those rows (`audioscale.iso_flop`):
#
# 1. **Best configuration per budget.** For a compute budget B, the best configuration with cost ≤ B.
# 2. **What a star sweep would have picked.** A star (one-factor-at-a-time) sweep runs only
#    configurations that differ from one base configuration in a single axis, as an ablation study
#    does. Its choice at the same budgets, and the *regret*: metric points the star sweep leaves on
#    the table compared with the joint search.
# 3. **Iso-FLOP curves.** Error vs model size at fixed compute. Method: each size's rows (all
#    combinations of the other axes) are reduced to that size's Pareto frontier, whose error is
#    interpolated linearly in log-compute at the budget; no extrapolation beyond a size's own cost
#    range. The minimum of each curve is the compute-optimal size at that budget.
#
# When our rows are absent this notebook says so and demonstrates the analysis on the paper's rows
# (which are not a joint sweep: the demonstration shows the method, not a finding).

# %% tags=["parameters"]
N_BUDGETS = 6                # budgets, evenly spaced in log-compute between cheapest and costliest row
COST_CONVENTION = "paper"    # which gflops_<convention> column of our rows is the cost
ASR_BASE = {}                # star-sweep base overrides (empty: the costliest configuration)
SER_BASE = {}                # star-sweep base overrides (empty: the paper's reference recipe on the
                             # rows' own ladder: embedded r=4 + top-1, paper rows r=16 + top-4)
ASR_TEST_SET = ""            # value of the data column of our rows to analyse (empty: the largest set)
SER_TEST_SET = ""

# %%
import warnings

warnings.filterwarnings("ignore")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from audioscale import figures, iso_flop, paper, pareto
from audioscale.results import ResultStore

pd.set_option("display.width", 160)
pd.set_option("display.max_columns", 30)
figures.apply_style()
NB = "07_iso_flop_sweep"


def show(df, digits=2):
    """Print a table with rounded numbers (stable under nbval); costs keep 4 significant digits
    when they are small (the embedded world's GFLOPs are fractions)."""
    fmt = {c: "{:.4g}".format for c in df.columns
           if ("gflops" in c or c == "budget") and pd.api.types.is_float_dtype(df[c]) and df[c].abs().max() < 100}
    print(df.round({c: digits for c in df.columns if c not in fmt}).to_string(index=False, formatters=fmt))


def one_test_set(pts, wanted, experiment):
    """Our rows may hold several evaluation sets (`data`): analyse one, name the others."""
    out = pareto.one_eval_set(pts, wanted)
    if len(out.attrs["eval_sets"]) > 1:
        print(f"{experiment}: evaluation sets {out.attrs['eval_sets']}; analysing {out.attrs['eval_set']!r}")
    if out.attrs.get("subset_rows_dropped"):
        print(f"{experiment}: {out.attrs['subset_rows_dropped']} row(s) scored on a subset of the test set left out")
    return out


# %% [markdown]
# ## 1. The rows

# %%
asr_rows = ResultStore("asr_embedded").rows()
if asr_rows.empty:
    print("results/asr_embedded.csv is absent: no embedded ASR sweep yet. "
          "Demonstrating on the paper's 11 ASR rows (a partial grid, not a joint sweep).")
    asr_pts = paper.asr_table()
    asr_cost, asr_source = "gflops", "paper's rows"
    asr_pts.attrs["axes"] = ["model", "encoder_frames", "stride"]
else:
    asr_pts = one_test_set(pareto.configurations(asr_rows, "wer_pct", ["model", "encoder_frames", "stride", "pooling"]),
                           ASR_TEST_SET, "asr_embedded")
    asr_cost, asr_source = pareto.cost_column(asr_pts, COST_CONVENTION), "embedded sweep"
    asr_pts = asr_pts.dropna(subset=[asr_cost, "wer_pct"])
    asr_pts["model"] = pareto.short_model_names(asr_pts["model"])
    print(f"asr_embedded: {len(asr_rows)} rows -> {len(asr_pts)} configurations; cost column {asr_cost}")
# xV as one axis: stride 1 has no pooling choice, so (stride, pooling) is a single knob for the star sweep.
asr_pts["xv"] = np.where(asr_pts["stride"] == 1, "s1", "s" + asr_pts["stride"].astype(int).astype(str) + "-"
                         + asr_pts.get("pooling", pd.Series("select", index=asr_pts.index)).astype(str))
asr_pts["label"] = pareto.asr_labels(asr_pts)
asr_axes = ["model", "encoder_frames", "xv"]
# A model's size is its full-window parameter count (a shorter window slices the positional table).
asr_pts["model_params_m"] = iso_flop.model_size(asr_pts, "model", "params_m")
asr_size = "model_params_m"
print(f"ASR axes: {asr_axes}; {len(asr_pts)} configurations; sizes (M parameters): "
      f"{', '.join(f'{m} {p:.3g}' for m, p in asr_pts.groupby('model')[asr_size].first().sort_values().items())}")

# %%
ser_rows = ResultStore("ser_embedded").rows()
if ser_rows.empty:
    print("results/ser_embedded.csv is absent: no embedded SER sweep yet. "
          "Demonstrating on the paper's SER rows: its duration sweep and adaptation ablation vary one knob "
          "at a time around large-robust, 4 s, LoRA r16 + top-4; full fine-tuning changes recipe, rank and "
          "top-k at once, so a strict star sweep excludes it.")
    ser_pts = (paper.ser_table()
               .drop_duplicates(subset=["model", "duration_s", "adaptation", "lora_rank", "unfrozen_top_layers"])
               .rename(columns={"adaptation": "recipe", "lora_rank": "rank", "unfrozen_top_layers": "top_k"}))
    ser_pts["params_m"] = ser_pts["model"].map(paper.PAPER_PARAMS_M)
    ser_cost, ser_source, ser_size = "gflops", "paper's rows", "params_m"
else:
    if "ua_pct" not in ser_rows:
        ser_rows["ua_pct"] = 100.0 * ser_rows["ua"]  # the SER runner stores UA as a fraction
    ser_pts = one_test_set(pareto.configurations(ser_rows, "ua_pct", ["model", "duration_s", "recipe", "rank", "top_k"]),
                           SER_TEST_SET, "ser_embedded")
    ser_cost, ser_source = pareto.cost_column(ser_pts, COST_CONVENTION), "embedded sweep"
    ser_pts = ser_pts.dropna(subset=[ser_cost, "ua_pct"])
    ser_pts["model"] = pareto.short_model_names(ser_pts["model"])
    if "backbone_params" in ser_pts:
        ser_pts["params_m"] = ser_pts["backbone_params"] / 1e6
    ser_size = "params_m" if "params_m" in ser_pts else "model"
    print(f"ser_embedded: {len(ser_rows)} rows -> {len(ser_pts)} configurations "
          f"(seeds per configuration: {sorted(ser_pts['n_seeds'].unique().tolist())}); cost column {ser_cost}")
ser_pts["label"] = pareto.ser_labels(ser_pts)
ser_axes = [a for a in ["model", "duration_s", "recipe", "rank", "top_k"] if a in ser_pts and ser_pts[a].nunique(dropna=False) > 1]
print(f"SER axes: {ser_axes}; {len(ser_pts)} configurations")

# %% [markdown]
# ## 2. ASR: best configuration per budget, joint search vs star sweep

# %%
asr_budgets = iso_flop.log_spaced_budgets(asr_pts, asr_cost, N_BUDGETS)
asr_base = iso_flop.base_config(asr_pts, asr_axes, asr_cost, prefer=ASR_BASE, error="wer_pct")
print(f"ASR ({asr_source}); budgets (GFLOPs): {asr_budgets}")
print(f"star-sweep base: {asr_base}; star configurations: {len(iso_flop.star_rows(asr_pts, asr_base, asr_axes))} "
      f"of {len(asr_pts)}")
asr_vs = iso_flop.joint_vs_star(asr_pts, asr_budgets, asr_base, asr_axes, asr_cost, "wer_pct", label="label")
show(asr_vs.rename(columns={f"joint_{asr_cost}": "joint_gflops", f"star_{asr_cost}": "star_gflops"}))

# %% [markdown]
# ## 3. ASR: iso-FLOP curves and the compute-optimal size

# %%
asr_curves = iso_flop.iso_flop_curves(asr_pts, asr_budgets, asr_size, asr_cost, "wer_pct")
asr_opt = iso_flop.optimal_size(asr_curves, asr_size, "wer_pct")
wide = asr_curves.pivot(index=asr_size, columns="budget", values="wer_pct")
wide.columns = [f"B={b:g}" for b in wide.columns]
print("interpolated WER (%) at each budget (rows: size in M parameters; blank = size not run near that compute)")
print(wide.round(2).to_string(na_rep=""))
show(asr_opt.rename(columns={asr_size: "best_params_m"}))
multi = int((asr_opt["n_sizes"] >= 2).sum())
print(f"budgets where >= 2 sizes can be compared: {multi} of {len(asr_opt)}"
      + ("" if multi else " — the sizes' compute ranges do not overlap, so no iso-FLOP comparison is possible here"))

# %%
fig, ax = plt.subplots(1, 3, figsize=(17, 4.8))
figures.frontier_plot(ax[0], asr_pts, asr_cost, "wer_pct", label="label", budgets=asr_budgets,
                      error_label="WER (%)", title=f"ASR joint sweep ({asr_source})")
figures.budget_choice_plot(ax[1], asr_vs, "wer_pct", error_label="best WER within budget (%)")
ax[1].set_title("joint search vs star sweep")
figures.iso_flop_plot(ax[2], asr_curves, asr_size, "wer_pct", size_label="parameters (M)", error_label="WER (%)")
ax[2].set_title("iso-FLOP curves (interpolated in log-compute)")
fig.tight_layout()
print(figures.save_figure(fig, NB, "asr"))
plt.close(fig)

# %% [markdown]
# ## 4. SER: the same questions (UA is maximised)

# %%
ser_budgets = iso_flop.log_spaced_budgets(ser_pts, ser_cost, N_BUDGETS)
if not SER_BASE:  # the paper's r=16 + top-4 is r=4 + top-1 on the embedded ladder (audioscale.ser.sweep)
    from audioscale.ser import sweep
    SER_BASE = ({"duration_s": 4.0, "rank": sweep.REFERENCE["rank"], "top_k": sweep.REFERENCE["top_k"]}
                if ser_source == "embedded sweep" else {"duration_s": 4.0, "rank": 16, "top_k": 4})
ser_base = iso_flop.base_config(ser_pts, ser_axes, ser_cost, prefer=SER_BASE, error="ua_pct", maximize=True)
print(f"SER ({ser_source}); budgets (GFLOPs): {ser_budgets}")
print(f"star-sweep base: {ser_base}; star configurations: {len(iso_flop.star_rows(ser_pts, ser_base, ser_axes))} "
      f"of {len(ser_pts)}")
ser_vs = iso_flop.joint_vs_star(ser_pts, ser_budgets, ser_base, ser_axes, ser_cost, "ua_pct", maximize=True,
                                label="label")
show(ser_vs.rename(columns={f"joint_{ser_cost}": "joint_gflops", f"star_{ser_cost}": "star_gflops"}))
ser_curves = iso_flop.iso_flop_curves(ser_pts, ser_budgets, ser_size, ser_cost, "ua_pct", maximize=True)
ser_opt = iso_flop.optimal_size(ser_curves, ser_size, "ua_pct", maximize=True)
show(ser_opt)
if "ua_pct_std" in ser_pts:
    print(f"seed spread: median std of UA over seeds {ser_pts['ua_pct_std'].median():.2f} points "
          "(regrets smaller than this are not resolved)")

# %%
fig, ax = plt.subplots(1, 3, figsize=(17, 4.8))
figures.frontier_plot(ax[0], ser_pts, ser_cost, "ua_pct", maximize=True, label="label", budgets=ser_budgets,
                      error_label="UA (%)", cost_label="GFLOPs per clip", title=f"SER joint sweep ({ser_source})",
                      label_frontier=True)
figures.budget_choice_plot(ax[1], ser_vs, "ua_pct", error_label="best UA within budget (%)")
ax[1].set_title("joint search vs star sweep")
figures.iso_flop_plot(ax[2], ser_curves, ser_size, "ua_pct", maximize=True, error_label="UA (%)",
                      size_label="parameters (M)" if ser_size == "params_m" else ser_size)
ax[2].set_title("iso-FLOP curves (interpolated in log-compute)")
fig.tight_layout()
print(figures.save_figure(fig, NB, "ser"))
plt.close(fig)

# %% [markdown]
# ## Summary
#
# Computed from the tables above. A positive regret is a configuration the joint search finds and a
# star sweep around the base cannot reach, because it combines changes on two or more axes.

# %%
for task, vs, source in (("ASR", asr_vs, asr_source), ("SER", ser_vs, ser_source)):
    d = vs.dropna(subset=["regret_pts"])
    worst = d.loc[d["regret_pts"].idxmax()] if len(d) else None
    line = f"- {task} ({source}): star-sweep regret > 0 at {int((d['regret_pts'] > 1e-9).sum())} of {len(vs)} budgets"
    if worst is not None and worst["regret_pts"] > 1e-9:
        line += (f"; largest {worst['regret_pts']:.2f} points at {worst['budget']:g} GFLOPs "
                 f"(joint picks {worst['joint_label']}, star {worst['star_label']})")
    no_star = vs["star_label"].isna() & vs["joint_label"].notna()
    if no_star.any():
        line += f"; at {int(no_star.sum())} budget(s) the star sweep has no configuration at all"
    print(line)
for task, opt in (("ASR", asr_opt), ("SER", ser_opt)):
    comp = opt[opt["n_sizes"] >= 2]
    print(f"- {task}: compute-optimal size identifiable at {len(comp)} of {len(opt)} budgets"
          + (": " + ", ".join(f"{b:g} -> {s}" for b, s in zip(comp["budget"], comp.iloc[:, 1])) if len(comp) else ""))
