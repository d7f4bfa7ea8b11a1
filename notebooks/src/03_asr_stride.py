# %% [markdown]
# # 03 — ASR: encoder-token stride (xV)
#
# The paper subsamples the encoder's output tokens by a stride s = 2 before the decoder's
# cross-attention, at the full window. It reports ~28–30 % fewer total FLOPs for +0.27…+0.30 WER
# points (tiny, small, medium).
#
# **How the change is made** (`audioscale.models.whisper_axes.subsample_encoder_states`): the encoder
# runs unchanged; its T output tokens become T/s by `select` (keep every s-th token) or `mean`
# (average non-overlapping groups of s). The paper does not say which; we run both.
#
# **Where the saving comes from.** In the paper's FLOPs convention the decoder recomputes the
# cross-attention keys and values over all T/s encoder tokens at *every* decoded token, so the
# stride cuts a term that is paid 10 times per utterance. A real decoder caches those keys and
# values once per utterance, so the exact matmul count saves far less — and the measured decode
# time (this machine, below) says how much of either becomes a latency saving.

# %% tags=["parameters"]
scale = "embedded"   # "embedded" (offline minis) or "paper" (real Whisper checkpoints)
model_ids = {}       # paper scale: {"tiny": "openai/whisper-tiny", ...} — hub ids or local folders
data_dir = None      # evaluation set (None: the embedded test set, or test-other on the hub)
limit = None         # score only the first N utterances for quick checks (None: all)
convention = "paper" # FLOPs convention of the figure's x axis: paper | matmul
real = True          # lead with real Whisper (tiny.en, base; results/asr_real.csv): compute missing rows
real_guard = "cap+repetition"  # decoding guard of the real rows' headline tables: none | token-cap | repetition | cap+repetition

# %%
import warnings

warnings.filterwarnings("ignore")
import matplotlib.pyplot as plt
import pandas as pd

from audioscale import plots
from audioscale.plots import asr as asr_figures
from audioscale.asr import real_report, report

pd.set_option("display.width", 160)
plots.apply_style()
NB = "03_asr_stride"

rows = report.load_rows(scale, compute=True, model_ids=model_ids or None, data_dir=data_dir, limit=limit)
HAVE_ROWS = not rows.empty
if HAVE_ROWS:
    print(f"{len(rows)} configurations of {rows['model'].nunique()} models on {rows['data'].iloc[0]}")
else:
    print(f"no rows in results/asr_{scale}.csv and no trained minis to compute them: paper numbers only.")

# %% [markdown]
# ## A. Real Whisper: stride 2 on OpenAI's weights
#
# Real tiny.en and base on test-other's text read by a synthetic voice (notebook 01, part A). Each
# utterance's encoder output is computed once per window and decoded at stride 1 and at stride 2
# (`select` and `mean`), so the strides differ only in what the decoder's cross-attention sees.
# Here the question the minis could not answer — are real, deep encoders' tokens redundant enough
# to drop every second one? — gets a real answer.

# %%
real_rows = real_report.load_rows(compute=real, verbose=False)
HAVE_REAL = not real_rows.empty
if HAVE_REAL:
    for guard in ("none", real_guard):
        print(f"guard {guard}: WER(stride 2) - WER(stride 1), points; FLOPs savings of stride 2")
        report.show(real_report.stride_penalty(real_rows, guard), 2)
        for frames in (1500, 750):
            print(real_report.stride_verdict(real_rows, guard, frames))
        print()
else:
    print("no real rows (results/asr_real.csv) and no weights to compute them: run `make setup`.")

# %% [markdown]
# Measured on this machine (machine-dependent): the decoder's time saving at stride 2, and the
# encoder's share of the stride-1 time, which bounds any saving the stride can buy. On a CPU a
# greedy decoder step is bound by memory traffic more than by arithmetic: each step reads the
# cross-attention keys and values of all T/s encoder tokens, so halving them can save far more
# decoder *time* than the 5 % of FLOPs the exact count gives it. (Stride 1 is decoded first after
# the encoder in each batch; the order is the same for every model.)

# %%
# NBVAL_IGNORE_OUTPUT
if HAVE_REAL and "decoder_s" in real_rows:
    report.show(real_report.stride_time_saving(real_rows), 1)

# %% [markdown]
# ## B. The embedded world (minis)

# %% [markdown]
# ## 1. The penalty of stride 2: ours beside the paper's
#
# Full window; penalty = WER(s = 2) − WER(s = 1), for each pooling. The paper's rows are the same
# in both tables (it reports one stride-2 variant). large-v3 has no stride-2 row in the paper.

# %%
if HAVE_ROWS:
    for pooling in ("select", "mean"):
        print(f"pooling = {pooling}")
        pen = report.penalty_table(rows, "stride", pooling)
        report.show(pen, 2)
        paired = pen.dropna(subset=["penalty_rel_pct (paper)"])
        print(f"relative penalty, ours {paired['penalty_rel_pct (ours)'].min():.1f} to "
              f"{paired['penalty_rel_pct (ours)'].max():.1f} % vs paper {paired['penalty_rel_pct (paper)'].min():.1f} "
              f"to {paired['penalty_rel_pct (paper)'].max():.1f} %; verdicts: "
              f"{', '.join(f'{k} x{v}' for k, v in paired['verdict'].value_counts().items())}\n")

# %% [markdown]
# Error types at stride 1 vs 2 (% of reference words), for each pooling.

# %%
if HAVE_ROWS:
    for pooling in ("select", "mean"):
        report.show(report.error_types(rows, "stride", pooling), 2)
        print()

# %% [markdown]
# ## 2. FLOPs saving beside the measured time saving
#
# The FLOPs columns are deterministic (from `audioscale.accounting.flops`, at each row's measured decoder
# positions for ours): the paper's convention and the exact matmul count with a KV cache.

# %%
if HAVE_ROWS:
    pen = report.penalty_table(rows, "stride", "select")
    report.show(pen[["model", "paper_model", "flops_saving_pct (ours, paper conv.)", "flops_saving_pct (ours, matmul)",
                     "flops_saving_pct (paper)"]], 1)

# %% [markdown]
# Measured on this machine: decoder time (cross-attention K/V computation plus the greedy loop)
# and total processing time (features to text), stride 2 vs 1, `select` pooling. Timings come
# from `results/timings/asr_<scale>.csv`; `load_avg_1m` above the core count marks a contended
# measurement.

# %%
# NBVAL_IGNORE_OUTPUT
if HAVE_ROWS and "decoder_s" in rows:
    saving = report.decode_time_saving(rows, "select")
    report.show(saving, 1)

# %% [markdown]
# ## 3. Figures
#
# WER against GFLOPs with arrows from stride 1 (circle) to stride 2 (triangle; hollow = mean
# pooling), drawn by `audioscale.plots.asr.wer_vs_gflops`; then the FLOPs saving beside
# the measured time saving per model (machine-dependent).
#
# ![WER vs GFLOPs, stride 1 to 2](../figures/03_asr_stride_wer_vs_gflops.png)
# ![FLOPs saving vs time saving](../figures/03_asr_stride_flops_vs_time_saving.png)

# %%
if HAVE_ROWS:
    fig = asr_figures.wer_vs_gflops(rows, "stride", convention)
    print(plots.save_figure(fig, NB, "wer_vs_gflops"))
    plt.close(fig)  # saved to figures/; not displayed inline (keeps nbval independent of the backend)

# %%
# NBVAL_IGNORE_OUTPUT
if HAVE_ROWS and "decoder_s" in rows:
    fig = asr_figures.flops_vs_time_saving(saving)
    print(plots.save_figure(fig, NB, "flops_vs_time_saving"))
    plt.close(fig)
