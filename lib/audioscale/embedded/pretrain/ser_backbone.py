"""The SER backbone: a mini ``Wav2Vec2ForCTC`` trained with word-level CTC on raw training
waves, and taught by a frozen mini Whisper; saved so that
``Wav2Vec2ForSequenceClassification.from_pretrained(folder, num_labels=6)`` loads it.

CTC alone stays on the blank plateau, so the backbone also learns to predict, frame by frame,
the encoder states of the teacher (both run at 50 frames/s; targets layer-normalised, a
linear map from the student's last hidden state, masked to the speech frames; loss
``CTC + SER_DISTILL_WEIGHT * MSE``).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import torch

from ...paths import SAMPLE_RATE
from .. import asr_corpus
from ..models import HALF_FRAMES, SER_BACKBONE_NAME, checkpoint_dir, mini_wav2vec2_config
from ..vocab import encode, word_tokenizer
from .evaluation import ctc_greedy, word_error_rate
from .features import log_mel
from .recipe import (BATCH, DEFAULT_STEPS, SER_DISTILL_WEIGHT, SER_EVAL_N, SER_MAX_S, SER_PEAK_LR, SER_TRAIN_POOL,
                     RunOptions, SerKey, SerRecipe)
from .schedule import batch_indices, lr_at
from .state import TrainingState

LOG_EVERY = 50  # steps per mean-loss entry in the log
SAMPLES_PER_FRAME = 320  # wav2vec2's CNN and Whisper's encoder both emit 50 frames/s at 16 kHz


def teacher_dir(teacher: str) -> Path:
    """A family name (``"small"``) -> its checkpoint; any other name -> ``checkpoints/<name>``."""
    return checkpoint_dir(teacher) if teacher in DEFAULT_STEPS else checkpoint_dir("tiny").parent / teacher


def _frozen_teacher(teacher: str | None):
    """(the teacher's encoder on the 4 s half window, frozen; its name), or (None, None) when
    there is no teacher or its folder has no weights."""
    if teacher is None or not (teacher_dir(teacher) / "model.safetensors").is_file():
        return None, None
    from transformers import WhisperForConditionalGeneration

    from ...models.whisper_axes import set_encoder_frames
    t_model = WhisperForConditionalGeneration.from_pretrained(teacher_dir(teacher), use_safetensors=True)
    encoder = set_encoder_frames(t_model, HALF_FRAMES).model.encoder.eval()  # utts are <= 4 s
    for p in encoder.parameters():
        p.requires_grad_(False)
    return encoder, teacher


def _normalized(wave: np.ndarray) -> np.ndarray:
    return (wave - wave.mean()) / (wave.std() + 1e-7)  # zero-mean, unit-variance, as wav2vec2 expects


def _batch(waves: list[np.ndarray], labels: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """(zero-padded normalised waves, CTC targets padded with -100)."""
    x = torch.zeros(len(waves), max(len(w) for w in waves))
    for b, w in enumerate(waves):
        x[b, : len(w)] = torch.from_numpy(_normalized(w))
    y = torch.full((len(labels), max(len(l) for l in labels)), -100, dtype=torch.long)
    for b, l in enumerate(labels):
        y[b, : len(l)] = torch.tensor(l)
    return x, y


def _distill_mse(teacher_enc, proj, hidden: torch.Tensor, waves: list[np.ndarray]) -> torch.Tensor:
    """Masked MSE between ``proj(hidden)`` and the teacher's layer-normalised encoder states."""
    with torch.no_grad():
        mel = torch.from_numpy(log_mel(waves)[:, :, : 2 * HALF_FRAMES])
        target = teacher_enc(mel).last_hidden_state
        target = torch.nn.functional.layer_norm(target, target.shape[-1:])
    pred = proj(hidden)
    t = min(pred.shape[1], target.shape[1])
    mask = (torch.arange(t)[None, :] < torch.tensor([len(w) // SAMPLES_PER_FRAME for w in waves])[:, None]).float()
    err = ((pred[:, :t] - target[:, :t]) ** 2).mean(-1)
    return (err * mask).sum() / mask.sum()


def pretrain_wav2vec2(recipe: SerRecipe = SerRecipe(), run: RunOptions | None = None, out_dir: Path | None = None,
                      resume: bool = False) -> dict:
    """Train the SER backbone and save its folder (default ``checkpoint_dir(SER_BACKBONE_NAME)``);
    its log. ``run`` defaults to evaluating ``SER_EVAL_N`` utterances."""
    from tqdm.auto import tqdm
    from transformers import Wav2Vec2ForCTC

    run = run or RunOptions(eval_n=SER_EVAL_N)
    steps, seed = recipe.steps, recipe.seed
    torch.set_num_threads(run.threads)
    utts = asr_corpus.load_train_set(recipe.n_train, seed, pool=SER_TRAIN_POOL)
    utts = [u for u in utts if u.duration_s <= SER_MAX_S]
    labels = [encode(u.text) for u in utts]
    torch.manual_seed(seed)
    model = Wav2Vec2ForCTC(mini_wav2vec2_config())
    teacher_enc, teacher = _frozen_teacher(recipe.teacher)
    proj = torch.nn.Linear(model.config.hidden_size, teacher_enc.config.d_model if teacher_enc else 1)
    params = list(model.parameters()) + list(proj.parameters())
    opt = torch.optim.AdamW(params, lr=SER_PEAK_LR, betas=(0.9, 0.98), weight_decay=0.01)
    log = {"model": SER_BACKBONE_NAME, "seed": seed, "steps": steps, "batch": BATCH, "peak_lr": SER_PEAK_LR,
           "n_train": len(utts), "max_utt_s": SER_MAX_S, "threads": run.threads, "teacher": teacher,
           "distill_weight": SER_DISTILL_WEIGHT if teacher else 0.0,
           "params": sum(p.numel() for p in model.parameters()), "train_wall_s": 0.0, "losses": []}
    state = TrainingState(SER_BACKBONE_NAME, {"model": model, "proj": proj, "opt": opt}, steps, seed)
    resumed = state.resume(recipe.key(teacher), SerKey.of_state) if resume else None
    log, start = resumed or (log, 0)
    model.train()
    state.start_clock()
    acc = []
    for step in tqdm(range(start, steps), initial=start, total=steps, desc="pretrain ser-backbone",
                     disable=not run.progress):
        torch.manual_seed(seed * 1_000_003 + step)
        idx = batch_indices(step, len(utts), seed)
        waves = [utts[i].wave for i in idx]
        x, y = _batch(waves, [labels[i] for i in idx])
        for g in opt.param_groups:
            g["lr"] = lr_at(step, steps, SER_PEAK_LR)
        out = model(input_values=x, labels=y, output_hidden_states=teacher_enc is not None)
        loss, mse = out.loss, torch.zeros(())
        if teacher_enc is not None:
            mse = _distill_mse(teacher_enc, proj, out.hidden_states[-1], waves)
            loss = loss + SER_DISTILL_WEIGHT * mse
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        acc.append((out.loss.item(), mse.item()))
        done = step + 1
        if done % LOG_EVERY == 0 or done == steps:
            ctc_m, mse_m = np.mean(acc, axis=0)
            log["losses"].append({"step": done, "ctc": round(float(ctc_m), 4), "mse": round(float(mse_m), 4),
                                  "load1": round(os.getloadavg()[0], 2), "wall_s": state.wall_s(log)})
            acc = []
        state.after_step(done, log)
    state.bank_wall_s(log)
    return _evaluate_and_save(model, log, run, Path(out_dir) if out_dir else checkpoint_dir(SER_BACKBONE_NAME))


def _evaluate_and_save(model, log: dict, run: RunOptions, folder: Path) -> dict:
    """Greedy CTC WER on held-out "other" voices, then the folder."""
    from transformers import Wav2Vec2FeatureExtractor
    model.eval()
    test = asr_corpus.load_test_set(run.eval_n, "other", size=run.eval_size)
    hyps = []
    with torch.no_grad():
        for u in test:
            hyps += ctc_greedy(model(input_values=torch.from_numpy(_normalized(u.wave))[None]).logits)
    log["ctc_wer_other"] = round(word_error_rate([u.text for u in test], hyps), 4)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder, safe_serialization=True)
    Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=SAMPLE_RATE, padding_value=0.0, do_normalize=True,
                             return_attention_mask=False).save_pretrained(folder)
    word_tokenizer().save_pretrained(folder)
    (folder / "pretrain_log.json").write_text(json.dumps(log, indent=1) + "\n")
    return log
