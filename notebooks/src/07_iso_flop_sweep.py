# %% [markdown]
# # 07 — The joint iso-FLOP sweep the paper leaves as future work
#
# The paper varies its axes mostly one or two at a time and names a joint iso-FLOP search over
# (xN model size, xT input length, xV token stride, LoRA rank) as future work. Our embedded world is
# cheap enough to run every combination: `results/asr_embedded.csv` holds all of model size × encoder
# frames × stride × pooling, `results/ser_embedded.csv` all of duration × LoRA rank × top-k (per seed).
# This notebook asks three questions of those rows (`audioscale.analysis.iso_flop`):
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
#
# A third world is a joint sweep too: `results/asr_real.csv` runs OpenAI's real tiny.en and base
# weights at every (frames, stride, pooling), on LibriSpeech test-other's text read aloud by a
# synthetic voice (piper "joe", not LibriSpeech audio). Section 3b asks it the same ASR questions.

# %% tags=["parameters"]
N_BUDGETS = 6                # budgets, evenly spaced in log-compute between cheapest and costliest row
COST_CONVENTION = "paper"    # which gflops_<convention> column of our rows is the cost
ASR_BASE = {}                # star-sweep base overrides (empty: the costliest configuration)
SER_BASE = {}                # star-sweep base overrides (empty: the paper's reference recipe on the
                             # rows' own ladder: embedded r=4 + top-1, paper rows r=16 + top-4)
ASR_TEST_SET = ""            # value of the data column of our rows to analyse (empty: the largest set)
SER_TEST_SET = ""
REAL_GUARD = "cap+repetition"  # decoding guard of the real-Whisper rows (asr.real.GUARDS; notebook 02 compares them)

# %%
import warnings

warnings.filterwarnings("ignore")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from audioscale import paper, plots
from audioscale.analysis import iso_flop, pareto
from audioscale.asr import real_report, run
from audioscale.results import ResultStore

pd.set_option("display.width", 160)
pd.set_option("display.max_columns", 30)
plots.apply_style()
NB = "07_iso_flop_sweep"
REAL = "real Whisper, synthetic voice"  # the real rows' world, named wherever its numbers are printed


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
real_rows = real_report.load_rows(compute=False, verbose=False)
real_pts = None
if real_rows.empty:
    print(f"results/asr_real.csv is absent: no {REAL} sweep; section 3b is skipped.")
else:
    main = real_report.main_rows(real_rows)
    main = main[main["guard"] == REAL_GUARD]
    real_pts = pareto.asr_points(main, convention=COST_CONVENTION)
    real_utts = pareto.asr_utterance_errors(main, run.read_utterances(ResultStore("asr_real")))  # may be empty
    if real_pts.empty:
        print(f"asr_real: no main-subset rows under guard {REAL_GUARD!r}; section 3b is skipped.")
        real_pts = None
if real_pts is not None:
    real_cost = real_pts.attrs["cost"]
    real_pts["model_params_m"] = iso_flop.model_size(real_pts, "model", "params_m")
    sizes = real_pts.groupby("model")["model_params_m"].first().sort_values()
    print(f"asr_real ({REAL}, piper joe; guard {REAL_GUARD}): {len(real_pts)} configurations on "
          f"{real_pts.attrs['eval_set']} ({int(real_pts['n_utterances'].iloc[0])} utterances); cost column {real_cost}; "
          f"sizes (M parameters): {', '.join(f'{m} {p:.3g}' for m, p in sizes.items())}")

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
def asr_joint_vs_star(pts, cost, source, prefer):
    """Budgets, star-sweep base and the joint-vs-star table of one ASR sweep, printed."""
    budgets = iso_flop.log_spaced_budgets(pts, cost, N_BUDGETS)
    base = iso_flop.base_config(pts, asr_axes, cost, prefer=prefer, error="wer_pct")
    print(f"ASR ({source}); budgets (GFLOPs): {budgets}")
    print(f"star-sweep base: {base}; star configurations: {len(iso_flop.star_rows(pts, base, asr_axes))} of {len(pts)}")
    vs = iso_flop.joint_vs_star(pts, budgets, base, asr_axes, cost, "wer_pct", label="label")
    show(vs.rename(columns={f"joint_{cost}": "joint_gflops", f"star_{cost}": "star_gflops"}))
    return budgets, vs


asr_budgets, asr_vs = asr_joint_vs_star(asr_pts, asr_cost, asr_source, ASR_BASE)

# %% [markdown]
# ## 3. ASR: iso-FLOP curves and the compute-optimal size

# %%
def asr_iso_flop(pts, cost, budgets):
    """Iso-FLOP curves of one ASR sweep and the compute-optimal size per budget, printed."""
    curves = iso_flop.iso_flop_curves(pts, budgets, asr_size, cost, "wer_pct")
    opt = iso_flop.optimal_size(curves, asr_size, "wer_pct")
    wide = curves.pivot(index=asr_size, columns="budget", values="wer_pct")
    wide.columns = [f"B={b:g}" for b in wide.columns]
    print("interpolated WER (%) at each budget (rows: size in M parameters; blank = size not run near that compute)")
    print(wide.round(2).to_string(na_rep=""))
    show(opt.rename(columns={asr_size: "best_params_m"}))
    multi = int((opt["n_sizes"] >= 2).sum())
    print(f"budgets where >= 2 sizes can be compared: {multi} of {len(opt)}"
          + ("" if multi else " — the sizes' compute ranges do not overlap, so no iso-FLOP comparison is possible here"))
    return curves, opt


asr_curves, asr_opt = asr_iso_flop(asr_pts, asr_cost, asr_budgets)

# %% [markdown]
# ## 3b. ASR, real Whisper on a synthetic voice: the same two questions
#
# tiny.en and base at every (frames, stride, pooling) under the decoding guard `REAL_GUARD`; the star
# sweep's base is again the costliest configuration (base, 1500 frames, stride 1), the one an
# ablation study would shrink from.

# %%
if real_pts is not None:
    real_budgets, real_vs = asr_joint_vs_star(real_pts, real_cost, f"{REAL}, piper joe; guard {REAL_GUARD}", {})
    # Is what the star sweep leaves on the table more than the test set's noise?
    lost = real_vs[real_vs["regret_pts"] > 1e-9].drop_duplicates(subset=["star_label", "joint_label"])
    lost = lost if len(real_utts) else lost.iloc[:0]  # no per-utterance rows: no intervals
    real_regret = pareto.paired_wer_intervals(lost[["budget", "star_label", "joint_label"]], real_utts,
                                              "star_label", "joint_label").rename(columns={"delta_pts": "regret_pts"})
    if len(real_regret):
        print("regret (star WER - joint WER), 95 % paired-bootstrap interval over the utterances:")
        show(real_regret.drop(columns="n_utterances"))
    real_curves, real_opt = asr_iso_flop(real_pts, real_cost, real_budgets)
else:
    print(f"no {REAL} rows: skipped.")

# %% [markdown]
# **What the real rows show** (160 test-other sentences read by the synthetic voice). The joint
# search picks the real frontier: tiny.en at 750 frames with stride 2 at the cheapest budgets,
# tiny.en at 1500 frames with stride 2 from about 71 GFLOPs, base at 1500 frames with stride 2 from
# about 194. A star sweep around base-1500-s1 reaches none of the tiny.en-with-stride-2 picks (each
# changes two axes), so it has no configuration at all below tiny.en-1500-s1's 113 GFLOPs, and at the
# next budget it picks tiny.en-1500-s1, 0.42 points behind: a loss the 160 utterances do not resolve
# (the interval above). At the top budgets it reaches base-1500-s2mean itself. As in the embedded
# sweep, what the star sweep loses on real weights is coverage of the cheap budgets, not accuracy where
# it has a configuration. The iso-FLOP question has no answer here: tiny.en's own frontier spans 35–71
# GFLOPs and base's 96–194, so no budget sees both sizes.

# %%
sweeps = [(asr_pts, asr_cost, asr_budgets, asr_vs, asr_curves, asr_source, False)]
if real_pts is not None:  # its labels cluster (nearly equal cost and WER): spread them
    sweeps.append((real_pts, real_cost, real_budgets, real_vs, real_curves, f"{REAL}, piper joe", True))
fig, axes = plt.subplots(len(sweeps), 3, figsize=(17, 4.8 * len(sweeps)), squeeze=False)
for ax, (pts, cost, budgets, vs, curves, source, spread) in zip(axes, sweeps):
    plots.frontier_plot(ax[0], pts, cost, "wer_pct", label="label", budgets=budgets,
                          error_label="WER (%)", title=f"ASR joint sweep ({source})", spread=spread)
    plots.budget_choice_plot(ax[1], vs, "wer_pct", error_label="best WER within budget (%)")
    ax[1].set_title(f"joint search vs star sweep ({source})")
    plots.iso_flop_plot(ax[2], curves, asr_size, "wer_pct", size_label="parameters (M)", error_label="WER (%)")
    ax[2].set_title("iso-FLOP curves (interpolated in log-compute)")
fig.tight_layout()
print(plots.save_figure(fig, NB, "asr"))
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
plots.frontier_plot(ax[0], ser_pts, ser_cost, "ua_pct", maximize=True, label="label", budgets=ser_budgets,
                      error_label="UA (%)", cost_label="GFLOPs per clip", title=f"SER joint sweep ({ser_source})",
                      label_frontier=True)
plots.budget_choice_plot(ax[1], ser_vs, "ua_pct", error_label="best UA within budget (%)")
ax[1].set_title("joint search vs star sweep")
plots.iso_flop_plot(ax[2], ser_curves, ser_size, "ua_pct", maximize=True, error_label="UA (%)",
                      size_label="parameters (M)" if ser_size == "params_m" else ser_size)
ax[2].set_title("iso-FLOP curves (interpolated in log-compute)")
fig.tight_layout()
print(plots.save_figure(fig, NB, "ser"))
plt.close(fig)

# %% [markdown]
# ## Summary
#
# Computed from the tables above. A positive regret is a configuration the joint search finds and a
# star sweep around the base cannot reach, because it combines changes on two or more axes.

# %%
searches = [("ASR", asr_vs, asr_source, ""), ("SER", ser_vs, ser_source, "")]
if real_pts is not None:
    note = ""
    if len(real_regret):  # the largest regret's interval: is the star sweep's loss more than noise?
        r = real_regret.loc[real_regret["regret_pts"].idxmax()]
        note = (f" (95 % paired-bootstrap interval {r['ci_low_pts']:+.2f}...{r['ci_high_pts']:+.2f} over "
                f"{int(r['n_utterances'])} utterances: {'resolved' if r['resolved'] else 'not resolved'})")
    searches.insert(1, ("ASR", real_vs, f"{REAL}, piper joe; guard {REAL_GUARD}", note))
for task, vs, source, note in searches:
    d = vs.dropna(subset=["regret_pts"])
    worst = d.loc[d["regret_pts"].idxmax()] if len(d) else None
    line = f"- {task} ({source}): star-sweep regret > 0 at {int((d['regret_pts'] > 1e-9).sum())} of {len(vs)} budgets"
    if worst is not None and worst["regret_pts"] > 1e-9:
        line += (f"; largest {worst['regret_pts']:.2f} points at {worst['budget']:g} GFLOPs "
                 f"(joint picks {worst['joint_label']}, star {worst['star_label']}){note}")
    no_star = vs["star_label"].isna() & vs["joint_label"].notna()
    if no_star.any():
        line += f"; at {int(no_star.sum())} budget(s) the star sweep has no configuration at all"
    print(line)
optima = [("ASR", asr_opt), ("SER", ser_opt)]
if real_pts is not None:
    optima.insert(1, (f"ASR ({REAL})", real_opt))
for task, opt in optima:
    comp = opt[opt["n_sizes"] >= 2]
    print(f"- {task}: compute-optimal size identifiable at {len(comp)} of {len(opt)} budgets"
          + (": " + ", ".join(f"{b:g} -> {s}" for b, s in zip(comp["budget"], comp.iloc[:, 1])) if len(comp) else ""))
