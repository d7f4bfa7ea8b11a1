# %% [markdown]
# # 02 — ASR: encoder frames (xT)
#
# The paper halves Whisper's encoder window, 1500 → 750 frames (30 s → 15 s of audio), and
# reports roughly half the FLOPs for +2.5…+3.0 WER points at every model size.
#
# **How the change is made** (`audioscale.models.whisper_axes.set_encoder_frames`): stock Whisper only
# accepts exactly 3000 mel frames. We slice the encoder's sinusoidal positional table to its
# first T rows and feed the first 2T mel frames, so the encoder really runs on T tokens (no
# padding back to 30 s, hence the FLOPs saving). Audio after T × 20 ms is not heard.
#
# **Roles.** In the embedded world (default) the minis' 8 s window (400 frames) plays 1500 frames
# and its first 4 s (200 frames) play 750. Its test set is shaped like test-other *relative to
# the window*: 5.8 % of utterances are longer than half the window (as in test-other at 15 s).
#
# The second half asks how much of the penalty the duration distribution alone explains: if
# every word spoken after the cut became a deletion, the penalty would be 100 × the fraction of
# words beyond the cut.

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
from audioscale.asr import duration, real_report, report

pd.set_option("display.width", 160)
plots.apply_style()
NB = "02_asr_encoder_frames"

rows = report.load_rows(scale, compute=True, model_ids=model_ids or None, data_dir=data_dir, limit=limit)
HAVE_ROWS = not rows.empty
if HAVE_ROWS:
    print(f"{len(rows)} configurations of {rows['model'].nunique()} models on {rows['data'].iloc[0]}")
else:
    print(f"no rows in results/asr_{scale}.csv and no trained minis to compute them: paper numbers only.")

# %% [markdown]
# ## A. Real Whisper at 750 frames: the penalty, and the loop it causes
#
# Real tiny.en and base (OpenAI's weights) on test-other's text read by a synthetic voice at each
# utterance's real duration (see notebook 01, part A). A 15 s window cuts the 5.8 % of utterances
# that are longer, and real Whisper then does what its users know: it **loops** — the decoder,
# shown speech that stops mid-sentence, repeats a phrase until the token limit. So each row is
# scored under four decoding guards (`audioscale.asr.real.GUARDS`): `none` (openai/whisper's
# default limit of 224 tokens), `token-cap` (8 tokens per second of window: 120 at 15 s),
# `repetition` (Whisper's compression-ratio check, > 2.4, cutting the loop after its first copy)
# and both. The guards come from one greedy decode: a guard only stops it earlier.

# %%
real_rows = real_report.load_rows(compute=real, verbose=False)
HAVE_REAL = not real_rows.empty
if HAVE_REAL:
    print("WER (%) by guard, stride 1; n_hit_cap = hypotheses that ran to the 224-token limit")
    report.show(real_report.guard_summary(real_rows), 2)
else:
    print("no real rows (results/asr_real.csv) and no weights to compute them: run `make setup`.")

# %% [markdown]
# The penalty per guard beside the paper's (tiny.en beside the paper's tiny) and beside what the
# subset's durations alone predict (every word after 15 s deleted, nothing else changed).

# %%
if HAVE_REAL:
    report.show(real_report.frames_penalty(real_rows), 2)
    for guard in ("none", real_guard):
        print(real_report.frames_verdict(real_rows, guard))

# %% [markdown]
# Where the penalty sits: utterances longer than 15 s (the ones the window cuts) against the
# rest, from the per-utterance hypotheses (`audioscale.asr.real_report.frames_penalty_by_length`).

# %%
if HAVE_REAL:
    for guard in ("none", real_guard):
        report.show(real_report.frames_penalty_by_length(real_rows, guard), 2)

# %% [markdown]
# ## B. The embedded world (minis)

# %% [markdown]
# ## 1. The penalty: ours beside the paper's
#
# Stride 1; penalty = WER(half window) − WER(full window). Absolute points are not comparable
# across worlds; the relative penalty and its sign are. FLOPs savings under the paper's
# convention and the exact matmul count.

# %%
print("paper: WER(750) - WER(1500), stride 1")
report.show(duration.paper_half_window_penalty(), 2)
if HAVE_ROWS:
    pen = report.penalty_table(rows, "frames")
    print()
    report.show(pen, 2)

# %% [markdown]
# What the penalty is made of: substitutions, deletions and insertions as % of reference words,
# with the mean number of decoded tokens (a cut loses words as deletions; a decoder that runs on
# past the end of what it heard adds insertions).

# %%
if HAVE_ROWS:
    report.show(report.error_types(rows, "frames"), 2)

# %% [markdown]
# ## 2. How much of the penalty does the duration distribution explain?
#
# **LibriSpeech test-other** (from `test-other.manifest.tsv` in the shared real-data folder, when
# present): words beyond 15 s are estimated under a uniform speaking rate within each utterance
# (`audioscale.asr.duration.length_profile`); words beyond 30 s are lost at both window sizes and
# are subtracted. The result is the penalty the cut alone predicts if every unheard word became a
# deletion and nothing else changed.

# %%
manifest = duration.shared_manifest("librispeech-test-other")
if manifest is not None:
    prof = duration.length_profile(duration.manifest_lengths(manifest), cut_s=15.0, window_s=30.0)
    report.show(pd.DataFrame([prof]), 4)
    pp = duration.paper_half_window_penalty()
    pp["predicted_by_cut_pts"] = prof["expected_penalty_points"]
    pp["paper / predicted"] = pp["penalty_points"] / prof["expected_penalty_points"]
    report.show(pp, 2)
else:
    print("test-other manifest not present (../shared/data): skipping the real-data estimate")

# %% [markdown]
# **Embedded world**, measured rather than estimated: eSpeak reports when each word ends, so the
# fraction of words that start after 4 s (entirely unheard) and that end after it (cut or lost)
# are counted directly (`embedded.asr_corpus.length_profile`). The measured penalty is then split
# into the part carried by utterances longer than 4 s — the only ones the cut can touch — and the
# rest (`report.utterance_penalties`, from the per-utterance hypotheses the sweep writes).

# %%
if scale == "embedded":
    from audioscale.embedded import asr_corpus

    eprof = report.embedded_length_profile(limit)
    report.show(pd.DataFrame([eprof]), 4)
    print(f"predicted by the cut: {100 * eprof['frac_words_beyond_half']:.2f} points (words starting after 4 s) "
          f"to {100 * eprof['frac_words_ending_beyond_half']:.2f} points (words ending after 4 s)")
    if HAVE_ROWS:
        split = report.utterance_penalties(rows, cut_s=asr_corpus.HALF_WINDOW_S)
        if not split.empty:
            split["predicted_lo_pts"] = 100 * eprof["frac_words_beyond_half"]
            split["predicted_hi_pts"] = 100 * eprof["frac_words_ending_beyond_half"]
            split["long_utts_share_of_penalty"] = split["from_long_utts_points"] / split["penalty_points"]
            report.show(split, 2)
            lo, hi = split["long_utts_share_of_penalty"].min(), split["long_utts_share_of_penalty"].max()
            print(f"utterances longer than the half window carry {100 * lo:.0f}-{100 * hi:.0f} % of our penalty; "
                  f"measured penalty / cut-alone prediction (words ending after 4 s): "
                  f"{(split['penalty_points'] / split['predicted_hi_pts']).min():.1f}-"
                  f"{(split['penalty_points'] / split['predicted_hi_pts']).max():.1f}x")

# %% [markdown]
# ## 3. Measured speed (machine-dependent)

# %%
# NBVAL_IGNORE_OUTPUT
if HAVE_ROWS and "rtfx" in rows:
    t = report.with_roles(rows)
    t = t[t["stride"] == 1].sort_values(["params_m", "encoder_frames"])
    report.show(t[["model", "encoder_frames", "rtfx", "encoder_s", "decoder_s", "processing_s", "load_avg_1m"]], 2)

# %% [markdown]
# ## 4. Figure: WER against GFLOPs, full → half window
#
# Arrows go from each model's full-window point (circle) to its half-window point (square).
# Drawn by `audioscale.plots.asr.wer_vs_gflops`.
#
# ![WER vs GFLOPs, full to half window](../figures/02_asr_encoder_frames_wer_vs_gflops.png)

# %%
if HAVE_ROWS:
    fig = asr_figures.wer_vs_gflops(rows, "frames", convention)
    print(plots.save_figure(fig, NB, "wer_vs_gflops"))
    plt.close(fig)  # saved to figures/; not displayed inline (keeps nbval independent of the backend)

# %% [markdown]
# **Reading the tables.** The cut-alone prediction assumes every unheard word becomes exactly
# one deletion and nothing else changes. A measured penalty above it means the half window also
# hurts what *is* heard (a word cut mid-way, a decoder that hallucinates a tail past the cut, or a
# model that never saw its positional table cut); below it, some words past the cut are still
# recovered (e.g. guessed from context) or were already wrong at the full window. In the embedded
# split, `from_short_utts_points` is the part of the penalty that no duration argument explains:
# those utterances fit entirely in the half window.

