"""Stage 1: the whole mini Whisper (encoder, decoder) and an auxiliary word-level CTC head
on the encoder output, trained together on ``(1 - ctc_weight) * CE(decoder) + ctc_weight * CTC``.

Without the CTC term an attention encoder-decoder trained from scratch sits on the
language-model plateau for the whole budget; the decoder's CE term in turn helps the
encoder (docs/pretraining.md). Stage 1 runs in float32.
"""
from __future__ import annotations

import os

import numpy as np
import torch

from ...models.whisper_axes import encoder_window
from ..models import BOS_ID, CTC_BLANK_ID, EOS_ID, FULL_FRAMES, PAD_ID, PEAK_LR
from .evaluation import ctc_wer
from .features import TrainingSet
from .recipe import BATCH, CTC_WEIGHT, RunOptions, Stage1Key, WhisperRecipe
from .schedule import batch_indices, cpu_autocast, crop_frames, lr_at, stage1_schedule
from .state import TrainingState

LOG_EVERY = 50  # steps per mean-loss entry in the log
QUICK_EVAL_N = 100  # held-out utterances of the periodic CTC WER


def decoder_io(labels: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Teacher-forcing decoder inputs (BOS + ids, PAD after) and targets (ids + EOS, -100 after)."""
    max_len = max(len(l) for l in labels) + 1
    dec_in = torch.full((len(labels), max_len), PAD_ID, dtype=torch.long)
    target = torch.full((len(labels), max_len), -100, dtype=torch.long)
    for b, ids in enumerate(labels):
        dec_in[b, : len(ids) + 1] = torch.tensor([BOS_ID] + ids)
        target[b, : len(ids) + 1] = torch.tensor(ids + [EOS_ID])
    return dec_in, target


def stage1_losses(model, ctc, feats, labels, n_frames) -> tuple[torch.Tensor, torch.Tensor]:
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


def stage1_step(model, ctc, opt, params, x, labels, n_frames, frames: int, autocast=None,
                ctc_weight: float = CTC_WEIGHT) -> tuple[float, float]:
    """One stage-1 update on features ``x`` cut to ``frames`` encoder frames; (CE, CTC) of the batch.
    ``autocast`` (a dtype) is for benchmarks/pretrain_step_bench.py: pretraining runs float32."""
    with encoder_window(model, frames), cpu_autocast(autocast):
        ce, ctc_loss = stage1_losses(model, ctc, x, labels, n_frames)
    loss = (1 - ctc_weight) * ce + ctc_weight * ctc_loss
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()
    return ce.item(), ctc_loss.item()


def _new_log(recipe: WhisperRecipe, run: RunOptions, model, ctc, n_train: int) -> dict:
    return {"model": recipe.name, "seed": recipe.seed, "steps": recipe.steps, "batch": BATCH,
            "peak_lr": PEAK_LR[recipe.name], "ctc_weight": recipe.ctc_weight, "n_train": n_train,
            "threads": run.threads, "params": sum(p.numel() for p in model.parameters()),
            "ctc_head_params": sum(p.numel() for p in ctc.parameters()),
            "stage1_batches": recipe.stage1_batches, "dropout": model.config.dropout, "train_wall_s": 0.0,
            "losses": [], "evals": [], "contention_note": "load1 in losses = 1-min load average of the 2-core machine"}


def train_stage1(recipe: WhisperRecipe, run: RunOptions, model, ctc, data: TrainingSet, test, test_feats,
                 resume: bool = False, stop_after: int | None = None) -> tuple[dict, int | None]:
    """Train ``model`` and ``ctc`` in place for ``recipe.steps`` steps; (the run's log, None). Its
    state is saved as it goes; ``resume`` continues a saved state of the same ``Stage1Key``.
    ``stop_after``: save the state once that many steps are done and return (log, the step)."""
    from tqdm.auto import tqdm

    steps, seed, peak = recipe.steps, recipe.seed, PEAK_LR[recipe.name]
    schedule = stage1_schedule(data.n_samples, steps, seed) if recipe.stage1_batches == "cropped" else None
    params = list(model.parameters()) + list(ctc.parameters())
    opt = torch.optim.AdamW(params, lr=peak, betas=(0.9, 0.98), weight_decay=0.01)
    log = _new_log(recipe, run, model, ctc, len(data.texts))
    state = TrainingState(recipe.name, {"model": model, "ctc": ctc, "opt": opt}, steps, seed)
    key = recipe.stage1_key(log["n_train"], log["params"], log["dropout"])
    resumed = state.resume(key, Stage1Key.of_state) if resume else None
    log, start = resumed or (log, 0)
    model.train()
    ctc.train()
    bar = tqdm(range(start, steps), initial=start, total=steps, desc=f"pretrain {recipe.name}",
               disable=not run.progress)
    state.start_clock()
    acc = []
    for step in bar:
        torch.manual_seed(seed * 1_000_003 + step)  # dropout: a function of (seed, step)
        if schedule is None:
            idx, t = batch_indices(step, len(data.texts), seed), FULL_FRAMES
        else:
            idx = schedule[step]
            t = crop_frames(step, steps, data.frames[idx])
        x = torch.from_numpy(np.asarray(data.feats[idx][:, :, : 2 * t], dtype=np.float32))
        for g in opt.param_groups:
            g["lr"] = lr_at(step, steps, peak)
        acc.append(stage1_step(model, ctc, opt, params, x, [data.labels[i] for i in idx], data.frames[idx], t,
                               ctc_weight=recipe.ctc_weight))
        done = step + 1
        if done % LOG_EVERY == 0 or done == steps:
            ce_m, ctc_m = np.mean(acc, axis=0)
            acc = []
            log["losses"].append({"step": done, "ce": round(float(ce_m), 4), "ctc": round(float(ctc_m), 4),
                                  "wall_s": state.wall_s(log), "load1": round(os.getloadavg()[0], 2)})
            bar.set_postfix(ce=f"{ce_m:.3f}", ctc=f"{ctc_m:.3f}")
        if run.eval_every and done % run.eval_every == 0 and done < steps:
            model.eval()
            w = ctc_wer(model, ctc, test_feats[:QUICK_EVAL_N], [u.text for u in test[:QUICK_EVAL_N]])
            log["evals"].append({"step": done, "ctc_wer_full_other100": round(w, 4)})
            model.train()
        state.after_step(done, log)
        if stop_after is not None and done >= stop_after and done < steps:
            state.bank_wall_s(log)
            state.save(done, log)
            bar.close()
            return log, done
    state.bank_wall_s(log)
    log["s_per_step"] = round(log["train_wall_s"] / steps, 4)
    return log, None
