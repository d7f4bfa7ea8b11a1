# %% [markdown]
# # 00 · Compute accounting: what each configuration costs
#
# The paper ("Scaling Audio Models Efficiently", Agarwal, Gangrade, Pal, Wu, 2026) treats
# speech-model efficiency as **budget allocation over compute axes**:
#
# - **xN — model size.** ASR: Whisper tiny / small / medium / large-v3. SER: wav2vec2-base and
#   wav2vec2-large-robust.
# - **xT — input length.** ASR: encoder frames T (1500 = Whisper's 30 s window, 750 = 15 s).
#   SER: clip duration (2 / 4 / 6 s; wav2vec2 emits 50 frames per second).
# - **xV — representation resolution.** ASR: keep every s-th encoder token (stride s = 1 or 2)
#   before the decoder's cross-attention.
#
# Every later section plots accuracy against **GFLOPs per utterance (or clip)**, so this
# notebook recomputes the paper's cost columns from the true architectures and says exactly
# how they were counted. Three conventions are kept side by side (all count 2 FLOPs per
# multiply-add, matmul-like work only):
#
# | convention | what it is |
# |---|---|
# | `paper` | our reconstruction of the paper's formula: `24·d²·L·T + 2·L·d·T² + n·(4·d²·L·T/s + 20·d²·L)` for ASR with n = 10 decoded tokens; `2·N·50·duration_s` for SER |
# | `matmul` | an exact analytic count of a KV-cached greedy decoder (conv front-end, both attention products, cross-attention K/V once, logits) |
# | `measured` | `torch.utils.flop_counter.FlopCounterMode` over a real transformers forward (xT and xV applied) on the meta device |
#
# Code: `audioscale.accounting.flops`, `audioscale.accounting.params`, `audioscale.models.adaptation`.

# %% tags=["parameters"]
decoded_tokens = 10       # the paper's formula behaves as if every utterance decodes 10 tokens
real_decoded_tokens = 25  # test-other: ~20 text tokens + 4 prompt tokens + end token
tolerance = 0.001         # "match" = within 0.1 % (or within the printed rounding)

# %%
import warnings
warnings.filterwarnings("ignore")
import matplotlib.pyplot as plt
import pandas as pd

from audioscale.plots import accounting as figs
from audioscale import paper, plots
from audioscale.accounting import flops, params

pd.set_option("display.width", 200)
pd.set_option("display.max_columns", 30)

# %% [markdown]
# ## 1 · The paper's FLOPs column, recomputed (`paper` convention)
#
# One row per configuration the paper reports. `ratio` = ours / paper; `verdict` = match
# when within 0.1 % or within the printed value's rounding (±0.05).

# %%
paper_conv = flops.compare_with_paper(flops.paper_config_table("paper", decoded_tokens), tolerance)
cols = ["task", "model", "encoder_frames", "stride", "duration_s", "adaptation", "gflops", "paper_gflops",
        "delta_gflops", "ratio", "verdict"]
print(paper_conv[cols].to_string(index=False, float_format=lambda v: f"{v:.2f}" if abs(v) >= 2 else f"{v:.4f}"))
asr_rows = paper_conv[paper_conv.task == "asr"]
print(f"\nASR: {int((asr_rows.verdict == 'match').sum())} of {len(asr_rows)} match; "
      f"SER: {int((paper_conv[paper_conv.task == 'ser'].verdict == 'match').sum())} of "
      f"{int((paper_conv.task == 'ser').sum())} match.")

# %% [markdown]
# The two rows that differ are tiny-750 and medium-750. The `paper` formula is linear in the
# number of decoded tokens n, so we can ask which n the printed value implies:

# %%
misses = asr_rows[asr_rows.verdict != "match"]
for r in misses.itertuples():
    n = flops.implied_decoded_tokens(r.model, r.encoder_frames, r.stride, r.paper_gflops)
    print(f"{r.model}-{r.encoder_frames}: paper {r.paper_gflops:.1f}, ours {r.gflops:.1f} at n=10; "
          f"the printed value implies n = {n:.2f}")
if decoded_tokens == 10:  # the paper's setting: exactly these two rows differ
    assert set(zip(misses.model, misses.encoder_frames)) == {("tiny", 750), ("medium", 750)}

# %% [markdown]
# Both misses imply n ≈ 9.5 rather than 10: likely typos, or another token count for those two
# runs. Everything else matches to the printed decimal, which pins down what the paper counted:
#
# - **no conv front-end and no vocabulary logits**;
# - the attention products counted once (`2·L·d·T²`, half of the true `4·L·d·T²`);
# - **cross-attention keys and values over all T/s encoder tokens recomputed at every decoded
#   token** (`n · 4·d²·L·T/s`) — no cross-attention cache. This term is why stride 2 saves
#   ~29 % of the *total*: with a cache (as every real decoder has) K/V cost is paid once and
#   stride 2 saves far less;
# - SER: `2 · N · 50 · duration_s` with N the *whole* classifier (CNN and 6-class head
#   included) and exactly 50 frames/s (the CNN really emits 199 frames at 4 s, not 200).

# %% [markdown]
# ## 2 · Three conventions side by side
#
# `matmul` (analytic) and `measured` (FlopCounterMode on the real model) are independent routes
# to the same number; they must agree (a unit test holds them within 1 %).

# %%
tables = {c: flops.paper_config_table(c, decoded_tokens) for c in flops.CONVENTIONS}
side = tables["paper"][["task", "model", "encoder_frames", "stride", "duration_s", "paper_gflops"]].copy()
for c in flops.CONVENTIONS:
    side[c] = tables[c]["gflops"]
side["matmul/paper"] = side["matmul"] / side["paper_gflops"]
side["measured/matmul"] = side["measured"] / side["matmul"]
side = side.drop_duplicates(subset=["task", "model", "encoder_frames", "stride", "duration_s"])
print(side.to_string(index=False, float_format=lambda v: f"{v:.3f}" if abs(v) < 10 else f"{v:.1f}"))
assert (side["measured/matmul"] - 1).abs().max() < 0.01

# %% [markdown]
# The exact count of a cached decoder is **far below the paper's** for every model beyond tiny
# (about half for small, medium and large-v3 at 1500 frames): the paper's cross-attention
# recomputation dominates its decoder term. SER goes the other way: the exact count is *above*
# `2·N·frames` because wav2vec2's CNN does far more work per parameter than a linear layer
# (its first layer slides over every 5th audio sample).
#
# With a realistic transcript length (test-other averages ~20 text tokens, ~25 decoder
# positions with prompt and end token) the decoder's share grows:

# %%
real = []
for r in paper.asr_table().itertuples():
    real.append(dict(model=r.model, encoder_frames=r.encoder_frames, stride=r.stride,
                     paper_n10=flops.asr_flops(r.model, r.encoder_frames, r.stride, decoded_tokens, "paper").total_gflops,
                     paper_nreal=flops.asr_flops(r.model, r.encoder_frames, r.stride, real_decoded_tokens, "paper").total_gflops,
                     matmul_nreal=flops.asr_flops(r.model, r.encoder_frames, r.stride, real_decoded_tokens, "matmul").total_gflops))
real = pd.DataFrame(real)
real["stride_saving_matmul_%"] = float("nan")
for m in real.model.unique():
    base = real[(real.model == m) & (real.encoder_frames == 1500) & (real.stride == 1)]
    s2 = real[(real.model == m) & (real.encoder_frames == 1500) & (real.stride == 2)]
    if len(base) and len(s2):
        real.loc[s2.index, "stride_saving_matmul_%"] = 100 * (1 - s2.matmul_nreal.iloc[0] / base.matmul_nreal.iloc[0])
print(f"n = {decoded_tokens} vs n = {real_decoded_tokens} decoded tokens (GFLOPs per utterance)")
print(real.to_string(index=False, float_format=lambda v: f"{v:.1f}"))

# %% [markdown]
# ## 3 · Where the FLOPs go
#
# Figure `figures/00_compute_budget_flops_breakdown.png`, drawn by
# `audioscale.plots.accounting.plot_breakdown`.

# %%
configs = list(paper.asr_table()[["model", "encoder_frames", "stride"]].itertuples(index=False, name=None))
bd = figs.breakdown_frame(configs, ("paper", "matmul"), decoded_tokens)
fig = figs.plot_breakdown(bd)
plots.save_figure(fig, "00_compute_budget", "flops_breakdown")
plt.show()
share = bd.pivot_table(index=["config", "convention"], columns="part", values="gflops", sort=False)
share = share.div(share.sum(axis=1), axis=0) * 100
print("share of total FLOPs, %")
print(share.round(1).to_string())

# %% [markdown]
# Figure `figures/00_compute_budget_flops_vs_frames.png` (`plot_flops_vs_frames`): cost grows
# slightly faster than linearly in T (the attention products are quadratic), and the
# conventions disagree most for the big models.

# %%
fig, curve = figs.plot_flops_vs_frames(["tiny", "small", "medium", "large-v3"], [250, 500, 750, 1000, 1250, 1500],
                                       decoded_tokens=decoded_tokens)
plots.save_figure(fig, "00_compute_budget", "flops_vs_frames")
plt.show()

# %% [markdown]
# ## 4 · Parameters
#
# Our counts are exact (transformers models built from the true configs on the meta device);
# the paper quotes OpenAI's rounded nominal sizes.

# %%
print(params.model_params_table().to_string(index=False, float_format=lambda v: f"{v:.2f}"))

# %% [markdown]
# Trainable parameters of every adaptation row in the paper's SER table, and the recipes that
# reproduce the two counts the paper reports (29.7M and 315.7M, within 1 %):

# %%
tr = params.paper_trainable_table()
print(tr[["model", "recipe", "lora_rank", "top_k", "trainable_m", "paper_trainable_m", "delta_m", "trainable_pct"]]
      .to_string(index=False, float_format=lambda v: f"{v:.2f}"))
search = params.recipe_search()
print()
print(search[["model", "modules", "trainable_m", "paper_trainable_m", "ratio", "match"]]
      .to_string(index=False, float_format=lambda v: f"{v:.3f}"))

# %% [markdown]
# - **29.7M** (wav2vec2-base, r = 16, top-4) is LoRA r = 16 on the q, k, v *and* output
#   projections of all 12 layers + the top 4 layers fully trainable + projector and classifier:
#   29.730M (LoRA on q, k, v gives 29.43M — also within 1 %, but further; q, v only gives 29.14M).
# - **315.7M** (large-robust, full fine-tune) trains *everything*, the CNN feature encoder
#   included: 315.703M. Freezing the CNN, as is standard, gives 311.49M.
# - LoRA adds parameters; the paper's FLOPs column (N = 315.7M for every large-robust row) does
#   not count them, and neither does ours (LoRA can be merged into the weights for inference).

# %% [markdown]
# ## 5 · The paper's internal inconsistencies, recomputed from its own tables

# %%
inc = paper.internal_inconsistencies()
print(inc[["where", "claim", "tables_say", "how"]].to_string(index=False))

# %% [markdown]
# Three of the four prose claims disagree with the paper's tables; the accuracy-loss figure in
# the fourth agrees (7.75 points), but the FLOPs ratio beside it is 3.3×, not 4.3×. The tables,
# not the prose, are what every later section compares against.
