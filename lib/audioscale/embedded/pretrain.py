"""Pretraining of the mini family on the embedded training corpus (CPU, seeded, resumable).

Recipe (shared/notes/embedded-asr-recipe.md, measured there): word-level targets, the 8 s
window, ``init_std = d_model**-0.5``, AdamW (0.9, 0.98; wd 0.01) with 50 warm-up steps and
cosine decay to 5 %, gradient clipping at 1, batch 8, and an auxiliary word-level CTC head
on the encoder output with loss ``0.3 * CE(decoder) + 0.7 * CTC`` — without the CTC term an
attention encoder-decoder trained from scratch sits on the language-model plateau for the
whole budget. The CTC head (blank = ``<pad>``) ships with each model as the encoder's
sanity check. The decoder's CE term helps the encoder too: with CTC alone (weight 1.0, the
decoder not run in stage 1) base ended stage 1 at CTC loss 0.85 vs 0.76 and held-out CTC
WER 26.1 vs 23.2 % (small: 0.68 vs 0.58), and on the two busy cores a step was no faster.

The committed family is the seventh: 5500 stage-1 steps with cropped batches and no dropout,
then 3000 decoder-stage steps with the alignment loss, their matrix products in bfloat16
(``audioscale pretrain --jobs 2``, what ``make pretrain`` runs; ``--stage1-batches padded
--align-weight 0 --steps 3000`` gives the third family's recipe, with the seventh's dropout
and autocast). On 200 held-out-voice utterances (pretrain_log.json, ``final_eval_other``):

    model   decoder full / half window   CTC head full   stage 1 + stage 2 (s)
    micro   19.0 / 28.2 %                12.4 %           372 + 230
    tiny    14.0 / 22.7 %                12.2 %           468 + 288
    base    10.5 / 17.3 %                 8.0 %           698 + 477
    small   10.8 / 12.5 %                 8.2 %           992 + 586

(seconds: training + decoder stage as logged in the timed 38:52 run, two jobs side by side;
the first timing, 44:26, logged 435 + 276, 497 + 357, 690 + 500, 976 + 667.)

On these 200 utterances small's decoder is 0.2 points behind base's; on the notebooks' 600
(results/asr_embedded.csv) it is ahead, 10.25 against 11.15 %, a gap the 600 do not resolve
(paired bootstrap 95 % interval -0.2 to +2.1 points; notebook 01). At equal steps the widest
mini gains least: its CTC head ended level with base's (8.2 against 8.0 %), where the sixth
family's, at 8000 steps, ended 3 points ahead (6.0 against 9.1 %).

Time (2026-12-04, 2-core Zen 4, ``/usr/bin/time -v`` around ``audioscale pretrain --models
micro tiny base small --jobs 2`` from an empty cache): **38:52 wall**, corpora 3:07 and jobs
35:42, peak RSS 6.0 GB, 195 % CPU; it saved the committed weights byte for byte (the times in
pretrain_log.json are that run's). The first timing of the same recipe, with whole-model lanes
(``small micro`` | ``base tiny``; the second idle for its last 5.5 minutes) and the features
computed by one process, was 44:26 (corpora 4:10, lanes 40:12, peak RSS 8.0 GB). Now each
model is two jobs (stage 1; the decoder stage on the folder stage 1 saved), and a free slot
takes the ready job with the longest chain behind it (``commands/pretrain.py``); the
features are computed by two processes, the resampling filter is designed once, and the
training corpus's spare sentences are synthesised only if needed. The sixth family took about
63 minutes (58.6 logged in its longer lane, plus ~4 for the corpora; its wall clock was not
kept). On the notebooks' 600 utterances the seventh is 1.9 points worse than the sixth for
small (10.25 against 8.31 %), 0.8 for base (11.15 / 10.34), 1.8 better for tiny (13.51 /
15.33) and level for micro (19.46 both, by chance: 864 errors each, split differently). What
made it cheaper (lanes 40.2 against 58.6 minutes):

- No dropout (it was 0.1 on the residual stream). The minis underfit (greedy WER on training
  utterances matched the held-out one, below), so dropout only slowed learning: small's
  held-out CTC WER on 100 utterances after 1500 of 5500 steps, two runs side by side, was
  32.2 % without and 37.9 % with it (42.1 / 46.1 % at 1000 steps), and a step was 6 % faster.
- The decoder stage under bfloat16 autocast (``DECODER_STAGE_AUTOCAST``): small's stage took
  667 s against 1096 in float32. Stage 1 stays float32; it got slower under autocast.
- 5500 steps instead of 8000, which the two changes above paid for.

How the recipe got here (each family trained here with ``--jobs 2``):

- Cropped stage-1 batches (``stage1_schedule``: length buckets of 50 batches, each batch cut
  to its longest utterance; training utterances fill 41 % of the window), the last 500
  steps on the full window. Fourth family (cropped only, 4000 steps): stage 1 ran ~2.2x
  faster per step (small: 672 s for 4000 steps against 1105 s for 3000 padded), the family
  took 33:58 and every CTC head improved (micro 29.4, tiny 20.7, base 17.0, small 15.0 %),
  but the decoders did not follow: 32.0 / 26.5 / 23.3 / 23.6 % (the third family, padded,
  3000 steps: 35.4 / 29.9 / 22.3 / 20.4 %). Always cropped (small, 3000 steps): CTC 17.7 %,
  decoder 23.2 %; every 4th step on the full window: slower and no better (CTC 21.0 %).
  Stage-2 probes on the cropped small: decoder dropout off 22.8 %, peak LR 6e-3 26.0 %, the
  same samples in 6000 steps of 16 24.1 % or 12000 of 8 22.9 % (3000 of 32: 23.6 %). The
  decoder's errors grew with length (cropped small, 10-15 words: 33.2 % against its CTC
  head's 16.2 %; 1-5 words: 13.1 vs 13.9 %): it lost its place in long utterances.
- The decoder stage's alignment loss (``align_weight`` > 0, ``ctc_align``): the words' frames
  are read off the frozen CTC head by forced alignment and head 0 of every decoder layer is
  asked to attend within 2 frames of the word it predicts. Fifth family (cropped + weight
  1.0, 4000 steps): 48:23 wall, peak RSS 6.8 GB; decoder / CTC head WER micro 38.3 / 26.5,
  tiny 30.2 / 16.6, base 19.0 / 15.8, small 22.0 / 16.5 %. The loss took base's decoder from
  the fourth family's 23.3 % to 19.0 % but small's only from 23.6 % to 22.0 %. A decoder step
  of small costs 19 % more with the loss (323 against 272 ms: eager attention, its backward).
- More steps. The minis underfit their own training set: greedy WERs on 200 training
  utterances (every 80th) matched the held-out-voice ones (third family's small: decoder
  16.2 % train / 20.4 % held-out, CTC head 19.5 / 19.4 %; fifth family's small 19.0 / 22.0 %,
  CTC 17.3 / 16.5 %), so the target needed training compute, not regularisation, voices or
  data. Small's held-out CTC WER, one run to 8000 steps: 14.4 / 10.7 / 7.1 / 6.6 % at 4000 /
  5000 / 6000 / 7000, 6.0 % at 8000, where its decoder reached 9.6 % (stage 1 alone: 16.2 %).
  Steps stay equal across sizes, so "bigger is better" is read at equal training steps.
- The sixth family (8000 stage-1 steps, cropped, alignment loss, dropout 0.1, float32):
  decoder / CTC head WER micro 20.6 / 15.8, tiny 15.1 / 10.3, base 10.5 / 9.1, small 9.6 /
  6.0 % (full window; half window micro 26.4, tiny 24.2, base 15.8, small 11.6 %); stage 1 +
  stage 2 s micro 587 + 310, tiny 727 + 434, base 1032 + 800, small 1494 + 1096. Its longer
  lane's logged stages sum to 3513 s (58.6 min); 108 core-minutes in all.
- The sixth recipe cut to fit 40 minutes (probe, not kept): 5500 stage-1 steps, then 1500
  decoder-stage steps on 8000 utterances (``_refine_decoder(n_utts=8000)``). 37:56 wall with
  the corpora synthesised from an empty cache (3:33) and both lanes (34:24), peak RSS 7.9 GB;
  decoder / CTC head WER micro 36.1 / 21.7, tiny 32.1 / 14.4, base 19.9 / 11.8, small 22.0 /
  11.2 %. In time, but small is above 15 % and above base: the same trade-off as the fifth.

Data: 16,000 utterances of the "v2" voice pool (``asr_corpus.TRAIN_POOLS``, ~580 voices).
The first family heard only the 45 v1 voices and lost 8-15 WER points on held-out voices
(CTC head: 8.5 % seen voices, 23 % held-out accent and variant); the SER backbone still
trains on v1 (its corpus and teacher are frozen, so the SER rows do not move).

Stage 2 (added after measuring stage 1): the decoder alone trains for
``DECODER_STAGE_STEPS`` more steps on the frozen encoder's outputs, computed once; the
encoder and the CTC head are not changed by it (``_refine_decoder``).

Threads: one per process. On the 2 shared cores, with other jobs running, a process with
2 torch threads ran 10-60x slower per step than with 1 (measured here, 04:57-05:00).

Every random choice is a function of (seed, step), and the state is saved every
``SAVE_EVERY`` steps under ``.cache/embedded/pretrain/<name>/``, so a killed run resumes to
the same result. Each model is saved as a folder the generic pipeline reads offline:
``config.json`` + ``model.safetensors`` + ``generation_config.json`` +
``preprocessor_config.json`` + a word-level tokenizer, plus ``ctc_head.safetensors`` and
``pretrain_log.json``.
"""
from __future__ import annotations

import contextlib
import copy
import json
import math
import os
import shutil
import time
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from ..errors import AudioscaleError, check_int_range
from ..models.whisper_axes import encoder_window
from . import asr_corpus, ctc_align
from .models import (BOS_ID, CTC_BLANK_ID, EOS_ID, FULL_FRAMES, HALF_FRAMES, MEL_FRAMES, PAD, PAD_ID, PEAK_LR,
                     SER_BACKBONE_NAME, TOKENS, UNK, checkpoint_dir, feature_extractor,
                     mini_wav2vec2_config, mini_whisper_config)

CTC_WEIGHT = 0.7
BATCH = 8
WARMUP_STEPS = 50
FINAL_LR_FRACTION = 0.05
SAVE_EVERY = 250
EVAL_EVERY = 500
# Equal steps for every size ("bigger is better" is read at equal steps). 5500: the seventh
# family, what fits beside its decoder stage near 40 minutes. The minis underfit at 3000-4000
# (module docstring), and the sixth family's small (8000 steps) was still improving at 7000
# (held-out CTC WER at 4000 / 5000 / 6000 / 7000 steps: 14.4 / 10.7 / 7.1 / 6.6 %).
DEFAULT_STEPS = {"micro": 5500, "tiny": 5500, "base": 5500, "small": 5500}
# Stage-1 batches: "cropped" (the sixth and seventh families: stage1_schedule's length
# buckets, each batch cut to its longest utterance, the last FULL_WINDOW_STEPS steps on the
# whole window), or "padded" (the third family: random batches on the whole window; ~2.2x the
# cost per step).
STAGE1_BATCHES = ("padded", "cropped")
DEFAULT_STAGE1_BATCHES = "cropped"
BUCKET_BATCHES = 50  # cropped: batches are dealt from length buckets this many batches wide
FULL_WINDOW_STEPS = 500  # cropped: the last stage-1 steps see the whole window, as evaluation does
SER_STEPS = 500
# The SER backbone trains on utterances up to 4 s: its task sees 1-4 s clips, and the
# raw-waveform CNN's cost grows with the padded batch length.
SER_MAX_S = 4.0
# The mini Whisper whose encoder states the backbone learns to predict: the first family's
# small (2000 steps on the v1 voice pool, commit e2a88e1), kept frozen under checkpoints/
# so that retraining the ASR family does not change the SER backbone (and every SER row).
SER_TEACHER = "ser-teacher-small-v1"
SER_TRAIN_POOL = "v1"  # the backbone's corpus: the 45 voices the emotion corpus also uses
SER_DISTILL_WEIGHT = 1.0
# Stage 2 (``_refine_decoder``): decoder-only steps on cached encoder outputs.
# Probe on micro (one run each): 2000 steps at 1e-3 took decoder WER 0.70 -> 0.51, at 3e-3
# -> 0.45, training CE still falling. All 16,000 utterances (the first family used 8,000:
# 12 passes over them in 3000 steps of 32, training CE 0.31 vs held-out WER 0.33).
# Where the family's WER floor comes from (probes on the committed small's frozen encoder, 200
# held-out-voice utterances, decoder WER 21.7 %, CTC head 15.0 %): 1500 more decoder steps on
# seen utterances 21.6 %, on 16,000 fresh ones 21.2 % (not data-limited); a fresh 2-layer
# decoder trained by this stage alone 21.8 % (stage 1's decoder training adds nothing
# measurable); a fresh 4-layer decoder 18.9 %. So decoder depth, then the encoder, bound it:
# the third family (models.DECODER_LAYERS = 4) has the deeper decoder in both stages.
DECODER_STAGE_STEPS = 3000
DECODER_STAGE_BATCH = 32
DECODER_STAGE_LR = 3e-3
DECODER_STAGE_UTTS = 16000
# Cross-attention supervision of the decoder stage (``align_weight`` > 0, ctc_align): head 0
# of every decoder layer is asked to attend within ALIGN_WIDTH encoder frames (20 ms each) of
# the word it predicts. ALIGN_WEIGHT 1.0: the fifth to seventh families; 0 turns it off.
ALIGN_WEIGHT = 1.0
ALIGN_WIDTH = 2
ALIGN_HEADS = (0,)
# Stage 2 runs its matrix products in bfloat16 (CPU autocast; the weights, optimizer state and
# losses stay float32). On this machine's AVX512-BF16 cores a decoder-stage step of small took
# 134 ms against 234 in float32 (idle, 1 thread); stage 1 got slower under autocast (163 against
# 136 ms: its cropped, smaller products do not pay for the casts), so it stays float32.
# None: float32 throughout (the sixth family's stage 2). benchmarks/pretrain_step_bench.py measures both.
DECODER_STAGE_AUTOCAST = torch.bfloat16
EVAL_N = 200  # held-out ("other") utterances for the quick WERs in pretrain_log.json


# ----------------------------------------------------------------------------- text <-> ids
def tokenizer():
    """Word-level tokenizer over ``TOKENS`` (``AutoTokenizer`` loads it back offline)."""
    from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers
    from tokenizers.models import WordLevel
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(WordLevel({t: i for i, t in enumerate(TOKENS)}, unk_token=UNK))
    tok.normalizer = normalizers.Lowercase()  # LibriSpeech transcripts are upper case
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.decoder = decoders.WordPiece(prefix="##", cleanup=False)  # joins words with spaces
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>",
                                   pad_token=PAD, unk_token=UNK)


_WORD_ID = {t: i for i, t in enumerate(TOKENS)}


def encode(text: str) -> list[int]:
    return [_WORD_ID[w] for w in text.split()]


def decode(ids) -> str:
    return " ".join(TOKENS[i] for i in ids if i > 3)  # ids 0-3 are the specials


def ctc_greedy(logits: torch.Tensor, lengths=None) -> list[str]:
    """Best path: argmax per frame, merge repeats, drop blanks. logits: (B, T, V)."""
    best = logits.argmax(-1).tolist()
    out = []
    for b, seq in enumerate(best):
        seq = seq[: lengths[b]] if lengths is not None else seq
        ids = [t for k, t in enumerate(seq) if t != CTC_BLANK_ID and (k == 0 or t != seq[k - 1])]
        out.append(decode(ids))
    return out


def wer(refs: list[str], hyps: list[str]) -> float:
    import jiwer
    return float(jiwer.wer(refs, [h if h.strip() else "<empty>" for h in hyps]))


# ----------------------------------------------------------------------------- features
def log_mel(waves: list[np.ndarray]) -> np.ndarray:
    """(B, 80, 800) float32 Whisper log-mel of each wave padded/cut to the 8 s window."""
    fe = feature_extractor()
    return fe(waves, sampling_rate=16000, return_tensors="np", device="cpu")["input_features"].astype(np.float32)


FEATURE_BATCH = 64  # utterances per log_mel call while the training features are built


def train_features(n: int = 16000, seed: int = 0, pool: str = asr_corpus.ASR_TRAIN_POOL,
                   workers: int | None = None) -> tuple[np.ndarray, list[str], np.ndarray]:
    """(features memmap (N, 80, 800) fp16, texts, lengths in samples) of the training set;
    cached. Missing features are computed by ``workers`` processes (default: up to 2, one
    thread each), each writing its batches into the one file; a batch's log-mel does not
    depend on the thread count or on which process computes it (tested), so any split gives
    the same bytes."""
    path = asr_corpus.cache_dir() / f"train-features-{pool}-n{n}-s{seed}-v{asr_corpus.CORPUS_VERSION}.f16"
    texts, n_samples = asr_corpus.train_index(n, seed, pool=pool)
    if not path.is_file():
        folder = asr_corpus.train_set_folder(n, seed, pool=pool)
        # one temporary file per process: two processes that build the same features at once
        # (pretrain jobs started on a fresh cache) must not write into one file
        tmp = path.with_name(f"{path.name}.tmp{os.getpid()}")
        np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float16, shape=(len(texts), 80, MEL_FRAMES)).flush()
        starts = list(range(0, len(texts), FEATURE_BATCH))
        workers = asr_corpus._default_workers() if workers is None else workers
        if workers <= 1 or len(starts) < 4:
            _write_features(str(tmp), str(folder), starts)
        else:
            from concurrent.futures import ProcessPoolExecutor
            from multiprocessing import get_context
            size = -(-len(starts) // min(len(starts), 8 * workers))  # 8 tasks a worker: they end together
            parts = [starts[i:i + size] for i in range(0, len(starts), size)]
            with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as ex:
                list(ex.map(_write_features_1thread, [str(tmp)] * len(parts), [str(folder)] * len(parts), parts))
        os.replace(tmp, path)  # the features are a function of (n, seed, pool): either copy is right
    return np.load(path, mmap_mode="r"), texts, n_samples


def _write_features_1thread(tmp: str, folder: str, starts: list[int]) -> None:
    torch.set_num_threads(1)  # a worker process: the workers share the cores
    _write_features(tmp, folder, starts)


def _write_features(tmp: str, folder: str, starts: list[int]) -> None:
    """Log-mel of the training batches that begin at ``starts``, written into the memmap ``tmp``."""
    mm = np.load(tmp, mmap_mode="r+")
    for i in starts:
        mm[i:i + FEATURE_BATCH] = log_mel(asr_corpus.read_waves(Path(folder), i, i + FEATURE_BATCH)).astype(np.float16)
    mm.flush()


def prepare_corpora(names, seed: int = 0, n_train: int = 16000, eval_size: int = 600) -> None:
    """Build every corpus and feature cache that pretraining ``names`` reads, once, with all cores.

    ``audioscale pretrain --jobs 2`` calls this before it starts any job: on a fresh cache
    each would otherwise synthesise the same 16,000 utterances at the same time (seen here:
    2 lanes x 2 eSpeak workers on 2 cores, the same corpus built twice).
    """
    if any(n in DEFAULT_STEPS for n in names):
        train_features(n_train, seed)
        for split in ("other", "clean"):
            asr_corpus.load_test_set(split=split, size=eval_size)
    if SER_BACKBONE_NAME in names:
        asr_corpus.train_set_folder(n_train, seed, pool=SER_TRAIN_POOL)
        asr_corpus.load_test_set(split="other", size=eval_size)


# ----------------------------------------------------------------------------- model pieces
def build(name: str, seed: int = 0):
    from transformers import WhisperForConditionalGeneration
    torch.manual_seed(seed)
    model = WhisperForConditionalGeneration(mini_whisper_config(name))
    ctc = torch.nn.Linear(model.config.d_model, model.config.vocab_size)
    return model, ctc


def generation_config():
    from transformers import GenerationConfig
    return GenerationConfig(decoder_start_token_id=BOS_ID, bos_token_id=BOS_ID, eos_token_id=EOS_ID,
                            pad_token_id=PAD_ID, forced_decoder_ids=None, suppress_tokens=None,
                            begin_suppress_tokens=None, max_length=48, do_sample=False, num_beams=1)


def _lr_at(step: int, total: int, peak: float) -> float:
    if step < WARMUP_STEPS:
        return peak * (step + 1) / WARMUP_STEPS
    progress = min(1.0, (step - WARMUP_STEPS) / max(1, total - WARMUP_STEPS))
    return peak * (FINAL_LR_FRACTION + (1 - FINAL_LR_FRACTION) * 0.5 * (1 + math.cos(math.pi * progress)))


def _batch_indices(step: int, n: int, seed: int) -> np.ndarray:
    per_epoch = n // BATCH
    epoch, k = divmod(step, per_epoch)
    order = np.random.default_rng([seed, epoch]).permutation(n)
    return np.sort(order[k * BATCH:(k + 1) * BATCH])  # sorted: faster memmap reads


def decoder_io(labels: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Teacher-forcing decoder inputs (BOS + ids, PAD after) and targets (ids + EOS, -100 after)."""
    max_len = max(len(l) for l in labels) + 1
    dec_in = torch.full((len(labels), max_len), PAD_ID, dtype=torch.long)
    target = torch.full((len(labels), max_len), -100, dtype=torch.long)
    for b, ids in enumerate(labels):
        dec_in[b, : len(ids) + 1] = torch.tensor([BOS_ID] + ids)
        target[b, : len(ids) + 1] = torch.tensor(ids + [EOS_ID])
    return dec_in, target


def _losses(model, ctc, feats, labels, n_frames):
    """(CE of the decoder, CTC of the encoder head). labels: list of id lists."""
    enc = model.model.encoder(feats).last_hidden_state
    dec_in, target = decoder_io(labels)
    logits = model(encoder_outputs=(enc,), decoder_input_ids=dec_in).logits
    ce = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1), ignore_index=-100)
    logp = torch.log_softmax(ctc(enc), -1).transpose(0, 1)
    flat = torch.tensor([t for ids in labels for t in ids], dtype=torch.long)
    ctc_loss = torch.nn.functional.ctc_loss(logp, flat, n_frames, torch.tensor([len(l) for l in labels]),
                                            blank=CTC_BLANK_ID, zero_infinity=True)
    return ce, ctc_loss


def stage1_schedule(n_samples, steps: int, seed: int) -> list[np.ndarray]:
    """The training-set indices of every stage-1 batch, a function of (lengths, steps, seed).

    Each epoch's permutation is cut into chunks of ``BUCKET_BATCHES`` batches; within a chunk
    the utterances are sorted by length and dealt into batches, and the epoch's batches are
    visited in a seeded random order. Batches of similar lengths can be cropped to their
    longest utterance (``_crop_frames``): training utterances fill 41 % of the window, a
    bucketed batch's longest one 42 %, a random batch's 72 % at best.
    """
    n = len(n_samples)
    per_epoch = n // BATCH
    lengths = np.asarray(n_samples)
    out: list[np.ndarray] = []
    for epoch in range(-(-steps // per_epoch)):
        rng = np.random.default_rng([seed, epoch])
        order = rng.permutation(n)[: per_epoch * BATCH]
        batches = []
        for c in range(0, len(order), BUCKET_BATCHES * BATCH):
            chunk = order[c:c + BUCKET_BATCHES * BATCH]
            chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
            batches += [np.sort(chunk[k:k + BATCH]) for k in range(0, len(chunk), BATCH)]
        out += [batches[k] for k in rng.permutation(len(batches))]
    return out[:steps]


def _crop_frames(step: int, steps: int, batch_frames: torch.Tensor) -> int:
    """Encoder frames stage-1 step ``step`` runs on: its longest utterance's, except in the last
    ``FULL_WINDOW_STEPS`` steps, which see the whole window as evaluation does."""
    return FULL_FRAMES if step >= steps - FULL_WINDOW_STEPS else int(batch_frames.max())


def _frames_of(n_samples) -> torch.Tensor:
    # an encoder frame covers 320 samples (two 10 ms mel hops); +1 covers the edge frame
    return torch.tensor([min(400, int(n) // 320 + 1) for n in n_samples], dtype=torch.long)


# ----------------------------------------------------------------------------- evaluation
@torch.no_grad()
def evaluate(model, ctc, utts, feats: np.ndarray | None = None, batch: int = 50) -> dict:
    """Greedy WERs of the decoder (``generate``, as the pipeline decodes) and of the CTC head,
    at the full window (400 encoder frames) and at the half window (200 frames = first 4 s)."""
    from ..models.whisper_axes import set_encoder_frames
    model = model.eval()
    feats = log_mel([u.wave for u in utts]) if feats is None else feats
    half = set_encoder_frames(copy.deepcopy(model), HALF_FRAMES)
    refs = [u.text for u in utts]
    hyp = {k: [] for k in ("dec_full", "dec_half", "ctc_full", "ctc_half")}
    for i in range(0, len(utts), batch):
        x = torch.from_numpy(np.asarray(feats[i:i + batch], dtype=np.float32))
        for key, m, xx in (("full", model, x), ("half", half, x[:, :, : 2 * HALF_FRAMES])):
            enc = m.model.encoder(xx).last_hidden_state
            hyp[f"ctc_{key}"] += ctc_greedy(ctc(enc))
            out = m.generate(input_features=xx, generation_config=m.generation_config)
            hyp[f"dec_{key}"] += [decode(seq) for seq in out.tolist()]
    return {f"wer_{k}": round(wer(refs, v), 4) for k, v in hyp.items()} | {"n_eval": len(utts),
                                                                         "examples": list(zip(refs[:3], hyp["dec_full"][:3]))}


# ----------------------------------------------------------------------------- saving
def save_model_folder(folder: Path, model, ctc, log: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    model.generation_config = generation_config()
    model.save_pretrained(folder, safe_serialization=True)
    feature_extractor().save_pretrained(folder)
    tokenizer().save_pretrained(folder)
    save_file({k: v.detach().contiguous() for k, v in ctc.state_dict().items()}, folder / "ctc_head.safetensors")
    (folder / "pretrain_log.json").write_text(json.dumps(log, indent=1) + "\n")
    return folder


def load_ctc_head(folder: str | Path) -> torch.nn.Linear:
    sd = load_file(Path(folder) / "ctc_head.safetensors")
    ctc = torch.nn.Linear(sd["weight"].shape[1], sd["weight"].shape[0])
    ctc.load_state_dict(sd)
    return ctc


def _state_path(name: str) -> Path:
    return asr_corpus.cache_dir() / "pretrain" / name / "state.pt"


def stage1_dir(name: str) -> Path:
    """Where a stage-1-only run saves its folder for the decoder stage: beside the training
    state, not over the committed checkpoint, which an interrupted run must leave whole."""
    return asr_corpus.cache_dir() / "pretrain" / name / "stage1"


def _save_state(state: dict, path: Path) -> None:
    """Write, then rename: a run killed mid-save leaves the previous state, not a torn file."""
    tmp = path.with_name(path.name + ".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


# ----------------------------------------------------------------------------- training
def cpu_autocast(dtype):
    """CPU autocast of the matrix products to ``dtype`` (``None``: plain float32)."""
    return contextlib.nullcontext() if dtype is None else torch.autocast("cpu", dtype=dtype)


def stage1_step(model, ctc, opt, params, x, labels, n_frames, frames: int, autocast=None) -> tuple[float, float]:
    """One stage-1 update on features ``x`` cut to ``frames`` encoder frames; (CE, CTC) of the batch.
    ``autocast`` (a dtype) is for benchmarks/pretrain_step_bench.py: pretraining runs float32."""
    with encoder_window(model, frames), cpu_autocast(autocast):
        ce, ctc_loss = _losses(model, ctc, x, labels, n_frames)
    loss = (1 - CTC_WEIGHT) * ce + CTC_WEIGHT * ctc_loss
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()
    return ce.item(), ctc_loss.item()


def pretrain_whisper(name: str, steps: int | None = None, seed: int = 0, resume: bool = False,
                     n_train: int = 16000, out_dir: Path | None = None, eval_n: int = EVAL_N,
                     threads: int = 1, progress: bool = True, eval_every: int = EVAL_EVERY,
                     eval_size: int = 600, stop_after: int | None = None,
                     decoder_steps: int = DECODER_STAGE_STEPS,
                     stage1_batches: str = DEFAULT_STAGE1_BATCHES, align_weight: float = ALIGN_WEIGHT,
                     stage1_only: bool = False) -> dict:
    """Train mini Whisper ``name`` and save its folder (default ``checkpoint_dir(name)``).

    ``stage1_batches`` and ``align_weight`` select the recipe variants of the module docstring;
    the defaults are the committed (seventh) family's recipe; ``"padded"`` and ``0`` give the third's.

    ``stage1_only``: stop after stage 1 and its evaluation and save the folder (default
    ``stage1_dir(name)``) for ``refine_decoder`` (``audioscale pretrain --jobs 2`` runs the two
    stages as separate jobs so that both cores stay busy); the two calls save the same bytes
    as one whole call.

    ``stop_after``: save the training state after that many steps and return early
    (``{"stopped_at": step}``); ``resume=True`` then continues to the same result.
    """
    from tqdm.auto import tqdm

    steps = check_int_range("steps", DEFAULT_STEPS.get(name, 3000) if steps is None else steps, 1, 10 ** 6)
    if stage1_batches not in STAGE1_BATCHES:
        raise AudioscaleError(f"stage1_batches={stage1_batches!r}: choose one of {list(STAGE1_BATCHES)}.")
    _check_align_weight(align_weight)
    torch.set_num_threads(threads)
    feats, texts, n_samples = train_features(n_train, seed)
    labels = [encode(t) for t in texts]
    frames = _frames_of(n_samples)
    schedule = stage1_schedule(n_samples, steps, seed) if stage1_batches == "cropped" else None
    test = asr_corpus.load_test_set(eval_n, "other", size=eval_size)
    test_feats = log_mel([u.wave for u in test])
    model, ctc = build(name, seed)
    peak = PEAK_LR[name]
    params = list(model.parameters()) + list(ctc.parameters())
    opt = torch.optim.AdamW(params, lr=peak, betas=(0.9, 0.98), weight_decay=0.01)
    log = {"model": name, "seed": seed, "steps": steps, "batch": BATCH, "peak_lr": peak, "ctc_weight": CTC_WEIGHT,
           "n_train": len(texts), "threads": threads, "params": sum(p.numel() for p in model.parameters()),
           "ctc_head_params": sum(p.numel() for p in ctc.parameters()),
           "stage1_batches": stage1_batches, "dropout": model.config.dropout, "train_wall_s": 0.0,
           "losses": [], "evals": [], "contention_note": "load1 in losses = 1-min load average of the 2-core machine"}
    state_path, start = _state_path(name), 0
    if resume and state_path.is_file():
        st = torch.load(state_path, weights_only=True)
        saved = json.loads(st["log"])
        # a state saved under another recipe (loss weight, depths) is not this run's: start over
        # (states saved before the log recorded dropout are the sixth family's, at 0.1)
        if (st["steps"], st["seed"], saved["n_train"], saved.get("ctc_weight"), saved["params"],
                saved.get("stage1_batches", "padded"), saved.get("dropout", 0.1)) == (
                steps, seed, len(texts), CTC_WEIGHT, log["params"], stage1_batches, model.config.dropout):
            model.load_state_dict(st["model"])
            ctc.load_state_dict(st["ctc"])
            opt.load_state_dict(st["opt"])
            log = json.loads(st["log"])
            start = int(st["step"])
    state_path.parent.mkdir(parents=True, exist_ok=True)
    model.train()
    ctc.train()
    bar = tqdm(range(start, steps), initial=start, total=steps, desc=f"pretrain {name}", disable=not progress)
    t0, acc = time.perf_counter(), []
    for step in bar:
        torch.manual_seed(seed * 1_000_003 + step)  # dropout: a function of (seed, step)
        if schedule is None:
            idx, t = _batch_indices(step, len(texts), seed), FULL_FRAMES
        else:
            idx = schedule[step]
            t = _crop_frames(step, steps, frames[idx])
        x = torch.from_numpy(np.asarray(feats[idx][:, :, : 2 * t], dtype=np.float32))
        for g in opt.param_groups:
            g["lr"] = _lr_at(step, steps, peak)
        acc.append(stage1_step(model, ctc, opt, params, x, [labels[i] for i in idx], frames[idx], t))
        done = step + 1
        if done % 50 == 0 or done == steps:
            ce_m, ctc_m = np.mean(acc, axis=0)
            acc = []
            log["losses"].append({"step": done, "ce": round(float(ce_m), 4), "ctc": round(float(ctc_m), 4),
                                  "wall_s": round(log["train_wall_s"] + time.perf_counter() - t0, 1),
                                  "load1": round(os.getloadavg()[0], 2)})  # contention record
            bar.set_postfix(ce=f"{ce_m:.3f}", ctc=f"{ctc_m:.3f}")
        if eval_every and done % eval_every == 0 and done < steps:
            model.eval()
            with torch.no_grad():
                enc = model.model.encoder(torch.from_numpy(test_feats[:100])).last_hidden_state
                w = wer([u.text for u in test[:100]], ctc_greedy(ctc(enc)))
            log["evals"].append({"step": done, "ctc_wer_full_other100": round(w, 4)})
            model.train()
        if done % SAVE_EVERY == 0 or done == steps:
            log["train_wall_s"] = round(log["train_wall_s"] + time.perf_counter() - t0, 1)
            t0 = time.perf_counter()
            _save_state({"model": model.state_dict(), "ctc": ctc.state_dict(), "opt": opt.state_dict(),
                        "step": done, "steps": steps, "seed": seed, "log": json.dumps(log)}, state_path)
        if stop_after is not None and done >= stop_after and done < steps:
            log["train_wall_s"] = round(log["train_wall_s"] + time.perf_counter() - t0, 1)
            _save_state({"model": model.state_dict(), "ctc": ctc.state_dict(), "opt": opt.state_dict(),
                        "step": done, "steps": steps, "seed": seed, "log": json.dumps(log)}, state_path)
            bar.close()
            return {"stopped_at": done}
    log["train_wall_s"] = round(log["train_wall_s"] + time.perf_counter() - t0, 1)
    log["s_per_step"] = round(log["train_wall_s"] / steps, 4)
    if stage1_only or decoder_steps:
        log["stage1_eval_other"] = evaluate(model, ctc, test, test_feats)
    if stage1_only:
        log["awaiting_decoder_stage"] = True
        save_model_folder(Path(out_dir) if out_dir else stage1_dir(name), model.eval(), ctc, log)
        return log
    if decoder_steps:
        log["decoder_stage"] = _refine_decoder(model, ctc, feats, labels, frames, decoder_steps, seed, threads,
                                               progress, align_weight=align_weight)
    return _finish(model, ctc, log, test, test_feats, eval_n, eval_size,
                   Path(out_dir) if out_dir else checkpoint_dir(name))


def _finish(model, ctc, log, test, test_feats, eval_n, eval_size, folder: Path) -> dict:
    t1 = time.perf_counter()
    model.generation_config = generation_config()
    log["final_eval_other"] = evaluate(model, ctc, test, test_feats)
    log["final_eval_clean"] = evaluate(model, ctc, asr_corpus.load_test_set(eval_n, "clean", size=eval_size))
    log["eval_wall_s"] = round(time.perf_counter() - t1, 1)
    log["length_profile_other"] = asr_corpus.length_profile(test)
    import transformers
    log["versions"] = {"torch": torch.__version__, "transformers": transformers.__version__}
    save_model_folder(folder, model.eval(), ctc, log)
    return log


# ----------------------------------------------------------------------------- stage 2
@contextlib.contextmanager
def decoder_only(model, watch_cross_attention: bool):
    """Inside the block only the decoder trains: yields (its parameters, the list each decoder
    layer's cross-attention probabilities are appended to, under eager attention, when
    ``watch_cross_attention``). On exit the model is whole again, on its own attention, in eval mode."""
    cross: list[torch.Tensor] = []
    hooks, attn_impl = [], model.config._attn_implementation
    if watch_cross_attention:
        model.set_attn_implementation("eager")  # SDPA does not return the probabilities
        hooks = [layer.encoder_attn.register_forward_hook(lambda mod, inp, out: cross.append(out[1]))
                 for layer in model.model.decoder.layers]
    for p in model.parameters():
        p.requires_grad_(False)
    dec_params = list(model.model.decoder.parameters())  # proj_out is tied to embed_tokens
    for p in dec_params:
        p.requires_grad_(True)
    model.model.decoder.train()
    try:
        yield dec_params, cross
    finally:
        for h in hooks:
            h.remove()
        if watch_cross_attention:
            model.set_attn_implementation(attn_impl)
        for p in model.parameters():
            p.requires_grad_(True)
        model.eval()


def decoder_stage_step(model, opt, dec_params, enc_states, labels, word_frames, cross, align_weight: float,
                       autocast) -> dict:
    """One decoder-stage update on (float32) encoder states; the loss terms. ``word_frames``:
    each word's aligned frame, read only when ``align_weight`` > 0; ``cross``: from ``decoder_only``."""
    dec_in, target = decoder_io(labels)
    cross.clear()
    with cpu_autocast(autocast):
        logits = model(encoder_outputs=(enc_states,), decoder_input_ids=dec_in).logits
    loss = torch.nn.functional.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), target.reshape(-1))
    terms = {"ce": loss.item()}
    if align_weight:
        windows, valid = ctc_align.alignment_windows(word_frames, dec_in.shape[1], enc_states.shape[1], ALIGN_WIDTH)
        align = ctc_align.alignment_loss([c.float() for c in cross], windows, valid, ALIGN_HEADS)
        terms["align"] = align.item()
        loss = loss + align_weight * align
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(dec_params, 1.0)
    opt.step()
    return terms


def _check_align_weight(align_weight: float) -> None:
    if not align_weight >= 0:  # also refuses NaN
        raise AudioscaleError(f"align_weight={align_weight}: give 0 (off) or a positive weight (default {ALIGN_WEIGHT}).")


def _refine_decoder(model, ctc, feats, labels, frames, steps: int, seed: int, threads: int,
                    progress: bool = True, n_utts: int = DECODER_STAGE_UTTS,
                    align_weight: float = ALIGN_WEIGHT) -> dict:
    """Stage 2: train only the decoder on the frozen encoder's outputs, computed once.

    After stage 1 the CTC head shows that the encoder already separates the words while
    the attention decoder lags (it learns to read the encoder hundreds of steps later). A
    decoder step on cached encoder states costs a small fraction of a full step, so many
    more decoder updates fit the same minutes. The encoder and CTC head are unchanged.

    ``align_weight`` > 0 (the default; 0 turns it off) adds ``align_weight`` x ``ctc_align.alignment_loss``: the words'
    frames are read off the frozen CTC head by forced alignment, and head ``ALIGN_HEADS`` of every
    decoder layer is asked to attend near the word it predicts. The cross-attention
    probabilities come from eager attention while this stage runs (SDPA does not return them).
    """
    from tqdm.auto import tqdm
    torch.set_num_threads(threads)
    t0 = time.perf_counter()
    n = min(n_utts, len(labels))
    enc_model = model.model.encoder.eval()
    cache = []
    with torch.no_grad(), cpu_autocast(DECODER_STAGE_AUTOCAST):
        for i in range(0, n, 64):
            x = torch.from_numpy(np.asarray(feats[i:i + 64], dtype=np.float32))
            cache.append(enc_model(x).last_hidden_state.to(torch.float16))
    cache = torch.cat(cache)
    if align_weight:
        with torch.no_grad():  # where each word is, read off the (frozen) CTC head
            word_frames = []
            for i in range(0, n, 256):
                lp = torch.log_softmax(ctc(cache[i:i + 256].float()), -1).numpy()
                word_frames += ctc_align.forced_align_frames(lp, labels[i:i + len(lp)],
                                                             frames[i:i + len(lp)].numpy(), blank=CTC_BLANK_ID)
    encode_s = time.perf_counter() - t0
    losses, acc = [], []
    with decoder_only(model, watch_cross_attention=bool(align_weight)) as (dec_params, cross):
        opt = torch.optim.AdamW(dec_params, lr=DECODER_STAGE_LR, betas=(0.9, 0.98), weight_decay=0.01)
        for step in tqdm(range(steps), desc="decoder stage", disable=not progress):
            torch.manual_seed(seed * 1_000_003 + 500_000 + step)
            bs = min(DECODER_STAGE_BATCH, n)
            epoch, k = divmod(step, n // bs)
            idx = np.sort(np.random.default_rng([seed, 7, epoch]).permutation(n)[k * bs:(k + 1) * bs])
            for g in opt.param_groups:
                g["lr"] = _lr_at(step, steps, DECODER_STAGE_LR)
            aligned = [word_frames[i] for i in idx] if align_weight else None
            terms = decoder_stage_step(model, opt, dec_params, cache[torch.from_numpy(idx)].float(),
                                       [labels[i] for i in idx], aligned, cross, align_weight,
                                       autocast=DECODER_STAGE_AUTOCAST)
            acc.append(terms)
            if (step + 1) % 100 == 0 or step + 1 == steps:
                losses.append({"step": step + 1, **{k: round(float(np.mean([a[k] for a in acc])), 4) for k in terms}})
                acc = []
    align_log = {"align_weight": align_weight, "align_width_frames": ALIGN_WIDTH,
                 "align_heads": list(ALIGN_HEADS)} if align_weight else {}
    return {"steps": steps, "batch": DECODER_STAGE_BATCH, "peak_lr": DECODER_STAGE_LR, "n_utts": n, **align_log,
            "autocast": str(DECODER_STAGE_AUTOCAST).removeprefix("torch.") if DECODER_STAGE_AUTOCAST else None,
            "encode_wall_s": round(encode_s, 1), "wall_s": round(time.perf_counter() - t0, 1), "losses": losses}


def refine_decoder(name: str, steps: int = DECODER_STAGE_STEPS, seed: int = 0, n_train: int = 16000,
                   threads: int = 1, progress: bool = True, eval_n: int = EVAL_N, eval_size: int = 600,
                   folder: Path | None = None, align_weight: float = ALIGN_WEIGHT) -> dict:
    """Run stage 2 on a model folder saved by stage 1 only.

    ``folder`` given: that folder, saved again in place. Otherwise the folder that
    ``pretrain_whisper(name, stage1_only=True)`` left in ``stage1_dir(name)`` (or, if there is
    none, ``checkpoint_dir(name)`` saved by a run without the decoder stage) becomes
    ``checkpoint_dir(name)``, and the stage-1 folder is removed once that is saved.
    """
    _check_align_weight(align_weight)
    from transformers import WhisperForConditionalGeneration
    if folder is not None:
        src = dest = Path(folder)
    else:
        src, dest = stage1_dir(name), checkpoint_dir(name)
        if not (src / "pretrain_log.json").is_file():
            src = dest
    log = json.loads((src / "pretrain_log.json").read_text())
    if "decoder_stage" in log:
        raise AudioscaleError(f"{src} already went through the decoder stage; retrain stage 1 first "
                              f"(audioscale pretrain --models {name} --stage1-only --resume).")
    model = WhisperForConditionalGeneration.from_pretrained(src, use_safetensors=True)
    ctc = load_ctc_head(src)
    feats, texts, n_samples = train_features(n_train, seed)
    labels = [encode(t) for t in texts]
    test = asr_corpus.load_test_set(eval_n, "other", size=eval_size)
    test_feats = log_mel([u.wave for u in test])
    if not log.pop("awaiting_decoder_stage", False):  # a whole run's folder saved with decoder_steps=0
        log["stage1_eval_other"] = log.pop("final_eval_other")
        log.pop("final_eval_clean", None)
    log["decoder_stage"] = _refine_decoder(model, ctc, feats, labels, _frames_of(n_samples), steps, seed, threads,
                                           progress, align_weight=align_weight)
    log = _finish(model, ctc, log, test, test_feats, eval_n, eval_size, dest)
    if src != dest:
        shutil.rmtree(src)  # spent: a later decoder stage must not start from a stale stage 1
    return log


# ----------------------------------------------------------------------------- SER backbone
def teacher_dir(teacher: str) -> Path:
    """A family name (``"small"``) -> its checkpoint; any other name -> ``checkpoints/<name>``."""
    return checkpoint_dir(teacher) if teacher in DEFAULT_STEPS else checkpoint_dir("tiny").parent / teacher


def pretrain_wav2vec2(steps: int = SER_STEPS, seed: int = 0, resume: bool = False, n_train: int = 16000,
                      out_dir: Path | None = None, threads: int = 1, progress: bool = True,
                      eval_n: int = 100, eval_size: int = 600, teacher: str | None = SER_TEACHER) -> dict:
    """A mini ``Wav2Vec2ForCTC`` trained with word-level CTC on the raw training waves; saved so
    that ``Wav2Vec2ForSequenceClassification.from_pretrained(folder, num_labels=6)`` loads it.

    CTC alone stayed on the blank plateau for 500 steps (loss 3.5, WER 1.0), so the backbone
    also learns to predict, frame by frame, the encoder states of the pretrained mini Whisper
    ``teacher`` (both run at 50 frames/s; targets layer-normalised, a linear map from the
    student's last hidden state, masked to the speech frames; loss ``CTC + SER_DISTILL_WEIGHT
    * MSE``). ``teacher=None`` (or a missing folder) trains with CTC only.
    """
    from tqdm.auto import tqdm
    from transformers import Wav2Vec2FeatureExtractor, Wav2Vec2ForCTC

    steps = check_int_range("steps", steps, 1, 10 ** 6)
    torch.set_num_threads(threads)
    utts = [u for u in asr_corpus.load_train_set(n_train, seed, pool=SER_TRAIN_POOL) if u.duration_s <= SER_MAX_S]
    labels = [encode(u.text) for u in utts]
    torch.manual_seed(seed)
    model = Wav2Vec2ForCTC(mini_wav2vec2_config())
    teacher_enc = None
    if teacher is not None and (teacher_dir(teacher) / "model.safetensors").is_file():
        from transformers import WhisperForConditionalGeneration
        from ..models.whisper_axes import set_encoder_frames
        t_model = WhisperForConditionalGeneration.from_pretrained(teacher_dir(teacher), use_safetensors=True)
        teacher_enc = set_encoder_frames(t_model, HALF_FRAMES).model.encoder.eval()  # utts are <= 4 s
        for p in teacher_enc.parameters():
            p.requires_grad_(False)
    else:
        teacher = None
    proj = torch.nn.Linear(model.config.hidden_size, teacher_enc.config.d_model if teacher_enc else 1)
    peak = 2e-3
    params = list(model.parameters()) + list(proj.parameters())
    opt = torch.optim.AdamW(params, lr=peak, betas=(0.9, 0.98), weight_decay=0.01)
    log = {"model": SER_BACKBONE_NAME, "seed": seed, "steps": steps, "batch": BATCH, "peak_lr": peak,
           "n_train": len(utts), "max_utt_s": SER_MAX_S, "threads": threads, "teacher": teacher,
           "distill_weight": SER_DISTILL_WEIGHT if teacher else 0.0,
           "params": sum(p.numel() for p in model.parameters()), "train_wall_s": 0.0, "losses": []}
    state_path, start = _state_path(SER_BACKBONE_NAME), 0
    if resume and state_path.is_file():
        st = torch.load(state_path, weights_only=True)
        if st["steps"] == steps and st["seed"] == seed and json.loads(st["log"]).get("teacher") == teacher:
            model.load_state_dict(st["model"])
            proj.load_state_dict(st["proj"])
            opt.load_state_dict(st["opt"])
            log, start = json.loads(st["log"]), int(st["step"])
    state_path.parent.mkdir(parents=True, exist_ok=True)
    model.train()
    t0, acc = time.perf_counter(), []
    for step in tqdm(range(start, steps), initial=start, total=steps, desc="pretrain ser-backbone", disable=not progress):
        torch.manual_seed(seed * 1_000_003 + step)
        idx = _batch_indices(step, len(utts), seed)
        waves = [utts[i].wave for i in idx]
        x = torch.zeros(len(idx), max(len(w) for w in waves))
        for b, w in enumerate(waves):  # zero-mean, unit-variance per utterance, as wav2vec2 expects
            x[b, : len(w)] = torch.from_numpy((w - w.mean()) / (w.std() + 1e-7))
        y = torch.full((len(idx), max(len(labels[i]) for i in idx)), -100, dtype=torch.long)
        for b, i in enumerate(idx):
            y[b, : len(labels[i])] = torch.tensor(labels[i])
        for g in opt.param_groups:
            g["lr"] = _lr_at(step, steps, peak)
        out = model(input_values=x, labels=y, output_hidden_states=teacher_enc is not None)
        loss, mse = out.loss, torch.zeros(())
        if teacher_enc is not None:
            with torch.no_grad():
                mel = torch.from_numpy(log_mel(waves)[:, :, : 2 * HALF_FRAMES])
                target = teacher_enc(mel).last_hidden_state
                target = torch.nn.functional.layer_norm(target, target.shape[-1:])
            pred = proj(out.hidden_states[-1])
            t = min(pred.shape[1], target.shape[1])
            mask = (torch.arange(t)[None, :] < torch.tensor([len(w) // 320 for w in waves])[:, None]).float()
            err = ((pred[:, :t] - target[:, :t]) ** 2).mean(-1)
            mse = (err * mask).sum() / mask.sum()
            loss = loss + SER_DISTILL_WEIGHT * mse
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        acc.append((out.loss.item(), mse.item()))
        done = step + 1
        if done % 50 == 0 or done == steps:
            ctc_m, mse_m = np.mean(acc, axis=0)
            log["losses"].append({"step": done, "ctc": round(float(ctc_m), 4), "mse": round(float(mse_m), 4),
                                  "load1": round(os.getloadavg()[0], 2),
                                  "wall_s": round(log["train_wall_s"] + time.perf_counter() - t0, 1)})
            acc = []
        if done % SAVE_EVERY == 0 or done == steps:
            log["train_wall_s"] = round(log["train_wall_s"] + time.perf_counter() - t0, 1)
            t0 = time.perf_counter()
            _save_state({"model": model.state_dict(), "proj": proj.state_dict(), "opt": opt.state_dict(),
                        "step": done, "steps": steps, "seed": seed, "log": json.dumps(log)}, state_path)
    log["train_wall_s"] = round(log["train_wall_s"] + time.perf_counter() - t0, 1)
    model.eval()
    test = asr_corpus.load_test_set(eval_n, "other", size=eval_size)
    hyps = []
    with torch.no_grad():
        for u in test:
            w = torch.from_numpy((u.wave - u.wave.mean()) / (u.wave.std() + 1e-7))[None]
            hyps += ctc_greedy(model(input_values=w).logits)
    log["ctc_wer_other"] = round(wer([u.text for u in test], hyps), 4)
    folder = Path(out_dir) if out_dir else checkpoint_dir(SER_BACKBONE_NAME)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder, safe_serialization=True)
    Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=16000, padding_value=0.0, do_normalize=True,
                             return_attention_mask=False).save_pretrained(folder)
    tokenizer().save_pretrained(folder)
    (folder / "pretrain_log.json").write_text(json.dumps(log, indent=1) + "\n")
    return log


def check_models(names) -> list[str]:
    bad = [n for n in names if n not in DEFAULT_STEPS and n != SER_BACKBONE_NAME]
    if bad:
        raise AudioscaleError(f"unknown model(s) {bad}: choose from {list(DEFAULT_STEPS) + [SER_BACKBONE_NAME]}.")
    return list(names)
