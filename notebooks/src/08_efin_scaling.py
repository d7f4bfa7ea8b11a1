# %% [markdown]
# # 08 — Encoder-first vs joint training, as a scaling law (EFIN, by analogy)
#
# EFIN (Mu et al., "Efficient Scaling for LLM-based ASR", arXiv 2508.04096) reports that
# pretraining the speech encoder first and then integrating it with a frozen or lightly tuned
# decoder scales better than training everything jointly: a 21.1 % relative CER reduction at
# 49.9 % of the FLOPs, and a law of error rate against training compute. Our embedded world
# already trains its minis in two stages (encoder + CTC head, then the decoder;
# docs/pretraining.md), so the comparison can be run here, **as an analogy**: our decoder is a
# 4-layer Whisper decoder trained from scratch, not a pretrained LLM, and our error is word error
# on synthetic eSpeak speech, not CER on Mandarin benchmarks. What differs and why: docs/efin.md.
#
# Strategies, at equal **training** FLOPs (`audioscale.efin.strategies`):
#
# - **joint**: the family's stage 1 from scratch: encoder, decoder and CTC head on 0.3·CE + 0.7·CTC;
# - **encoder-first, frozen**: stage A trains encoder + CTC head on CTC alone with 70 % of the
#   budget; stage B trains the fresh decoder on CE with the encoder frozen;
# - **encoder-first, top-1 tuned**: the same stage A (shared checkpoint); in stage B the top
#   encoder layer also trains, at a tenth of the learning rate.
#
# Compute convention `matmul-train` (`audioscale.efin.budget`): forward FLOPs from
# `accounting.flops` (`matmul`) at each batch's padded shape, ×3 for trained blocks (forward +
# backward), ×1 for frozen blocks run forward. Budgets 1.2–9.6 training TFLOPs (8×), minis micro
# (0.25 M) and tiny (0.43 M), seeds 0 and 1 at the cheapest budget. WER is scored under a
# decoding guard, `cap16+repetition` (section 2). The rows come from
# `make efin` (`python -m audioscale.efin.sweep --jobs 2`); this notebook only reads them.

# %% tags=["parameters"]
N_BOOT = 1000      # bootstrap refits per law (residual bootstrap, seed 0)
AT_TFLOPS = 0.0    # the equal-compute comparison point in training TFLOPs (0: the largest budget)

# %%
import warnings

warnings.filterwarnings("ignore")
import pandas as pd

from audioscale import paper, plots
from audioscale.analysis.scaling_law import FIT_TABLE_FORMATS
from audioscale.efin import report
from audioscale.plots import efin as efin_plots

pd.set_option("display.width", 160)
pd.set_option("display.max_columns", 30)
plots.apply_style()
NB = "08_efin_scaling"
rows = report.load_rows()
assert not rows.empty, "no results/efin.csv: run `make efin` (the sweep, ~40 min on 2 cores)"
todo = report.pending(rows)
print(f"sweep complete: {not todo}" + (f"; {len(todo)} runs still to run (make efin): {todo}" if todo else ""))
print(f"{len(rows)} runs (synthetic eSpeak world): {sorted(rows['model'].unique())} × "
      f"{rows['strategy'].nunique()} strategies × budgets {sorted(rows['budget_tflops'].unique().tolist())} TFLOPs")

# %% [markdown]
# ## 1. What a step costs under each strategy
#
# Mean training GFLOPs per step over the runs' own schedules (batch 8; cropped windows, the last
# tenth of each stage on the full window). A frozen-encoder step runs the encoder forward only,
# so stage B's steps cost about half a joint step: that, not a faster optimiser, is where an
# encoder-first saving can come from.

# %%
print(report.per_step_table(rows).round(3).to_string(index=False))

# %% [markdown]
# ## 2. The runs, and the decoding guard
#
# Decoder WER by greedy decoding on 200 held-out-voice utterances (full 8 s window), under the
# guard `cap16+repetition` (`audioscale.efin.guard`): a hypothesis stops at 16 words (the world's
# longest sentence + 1) and a loop flagged by Whisper's compression-ratio check is cut after its
# first copy, as the real-Whisper rows' `cap+repetition` guard does. Short trainings leave
# decoders that repeat a word or phrase until generate's 48-position cap; unguarded, one such
# hypothesis adds ~30 insertions and WER measures the loop (a first sweep's unguarded WERs were
# 93–212 %). The guard only stops decodes early, so `wer_unguarded_pct` (the same decode, uncut)
# is kept beside it. `ctc_wer_pct` is the CTC head on the final encoder (after top-1 tuning,
# stage A's head is stale).

# %%
print(report.rows_table(rows).round(2).to_string(index=False))

# %%
print(report.guard_table(rows).round(1).to_string(index=False))

# %% [markdown]
# ## 3. Measured gaps at equal budgets (no fit)
#
# WER per strategy at each budget (mean over seeds where two ran) and each encoder-first
# strategy's relative WER reduction against joint at the same budget; then how far the two seeds
# of the cheapest budget lie apart, a yardstick for the gaps.

# %%
print(report.budget_table(rows).round(2).to_string(index=False))

# %%
print(report.seed_spread(rows).round(2).to_string(index=False))

# %% [markdown]
# ## 4. The laws: WER(C) = a · C^(−b) + e per size and strategy
#
# `analysis.scaling_law.fit_each` (the fit notebook 06 uses): least squares on WER points, C in
# training TFLOPs, 95 % residual-bootstrap intervals. Four budgets (five runs) per law leave one
# or two residual degrees of freedom: the intervals are wide, and a floor `e` at its bound 0 or
# at the best observed WER is flagged in `at_bound`.

# %%
fits, fit_table = report.fit_laws(rows, n_boot=N_BOOT)
print(fit_table.to_string(index=False, formatters=FIT_TABLE_FORMATS))

# %%
fig = efin_plots.wer_vs_train_compute(rows, fits)
print(plots.save_figure(fig, NB, "wer_vs_train_compute", close=True))

# %% [markdown]
# ## 5. Equal WER and equal compute, beside EFIN
#
# **Compute at equal WER.** For each size the target is the highest of the strategies' best
# measured WERs, so every law is read inside its own range; the compute each law needs for it,
# as a share of joint's (EFIN reports 49.9 %). **WER at equal compute**: each law at the largest
# budget (or `AT_TFLOPS`) and the relative reduction against joint (EFIN reports 21.1 % relative
# CER). Intervals pair the i-th bootstrap refit of each strategy with the i-th of joint.

# %%
eq_wer = report.equal_wer_table(fits, rows)
print(eq_wer.round(2).to_string(index=False))

# %%
eq_c = report.equal_compute_table(fits, rows, AT_TFLOPS or None)
print(eq_c.round(2).to_string(index=False))

# %%
if len(eq_wer):
    fig = efin_plots.compute_at_equal_wer(eq_wer, paper.efin_value("flops_fraction_pct"))
    print(plots.save_figure(fig, NB, "compute_at_equal_wer", close=True))

# %% [markdown]
# ## Closing note
#
# Printed from the tables above (nothing typed in by hand): the fitted laws with their
# intervals, the compute saving of encoder-first at equal WER, and the WER gap at equal compute,
# beside EFIN's two numbers (`paper.efin_claims`).

# %%
print(report.closing_note(fit_table, eq_wer, eq_c))
