"""One stage of an EFIN strategy: the step modes, the training loop, and the greedy WERs.

Step modes (``budget.STEP_MODES``), all on the family's cropped batch schedule, AdamW
(0.9, 0.98; wd 0.01), warm-up then cosine decay (``schedule.lr_at``), clipping at 1, batch 8:

- ``joint``: the family's stage-1 step (``stage1.stage1_step``): everything trains on
  ``(1 - w) · CE + w · CTC``.
- ``encoder``: the encoder and the CTC head train on CTC alone; the decoder is not run.
- ``decoder``: the decoder trains on CE; the encoder is frozen (no gradient reaches it).
- ``decoder+top1``: as ``decoder``, plus the top encoder layer and the final norm at a lower
  learning rate. Freezing is ``requires_grad`` toggling, so autograd builds no graph below
  the first trained layer.

Every random choice is a function of (seed, step); one torch thread (see docs/pretraining.md).
"""
from __future__ import annotations

import time

import numpy as np
import torch

from ..asr.wer import corpus_wer
from ..embedded.models import CTC_BLANK_ID, FULL_FRAMES, PEAK_LR
from ..embedded.pretrain.evaluation import WER_NORMALIZER, ctc_greedy
from ..embedded.pretrain.schedule import lr_at
from ..embedded.pretrain.stage1 import decoder_io, stage1_step
from ..embedded.vocab import decode
from ..models.whisper_axes import encoder_window
from .budget import StepCosts, full_window_steps, stage_schedule, step_costs

LOG_EVERY = 50  # steps per mean-loss entry


def _ctc_loss(ctc, enc, labels, n_frames):
    logp = torch.log_softmax(ctc(enc), -1).transpose(0, 1)
    flat = torch.tensor([t for ids in labels for t in ids], dtype=torch.long)
    return torch.nn.functional.ctc_loss(logp, flat, n_frames, torch.tensor([len(l) for l in labels]),
                                        blank=CTC_BLANK_ID, zero_infinity=True)


def _ce_loss(model, enc, labels):
    dec_in, target = decoder_io(labels)
    logits = model(encoder_outputs=(enc,), decoder_input_ids=dec_in).logits
    return torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1),
                                             ignore_index=-100)


def trainable(model, ctc, mode: str) -> list[dict]:
    """Set ``requires_grad`` for ``mode``; the optimizer's parameter groups (``lr_factor`` each)."""
    for p in list(model.parameters()) + list(ctc.parameters()):
        p.requires_grad_(False)
    enc, dec = model.model.encoder, model.model.decoder
    if mode == "joint":
        groups = [{"params": list(model.parameters()) + list(ctc.parameters()), "lr_factor": 1.0}]
    elif mode == "encoder":
        groups = [{"params": list(enc.parameters()) + list(ctc.parameters()), "lr_factor": 1.0}]
    else:
        groups = [{"params": list(dec.parameters()), "lr_factor": 1.0}]  # proj_out is tied to embed_tokens
        if mode == "decoder+top1":
            from .strategies import ENCODER_TUNE_LR_FACTOR
            top = list(enc.layers[-1].parameters()) + list(enc.layer_norm.parameters())
            groups.append({"params": top, "lr_factor": ENCODER_TUNE_LR_FACTOR})
    for g in groups:
        for p in g["params"]:
            p.requires_grad_(True)
    return groups


def _step(model, ctc, opt, params, mode: str, x, labels, n_frames, frames: int, ctc_weight: float) -> float:
    """One update of ``mode``; its loss."""
    if mode == "joint":
        ce, ctc_l = stage1_step(model, ctc, opt, params, x, labels, n_frames, frames, ctc_weight=ctc_weight)
        return (1 - ctc_weight) * ce + ctc_weight * ctc_l
    with encoder_window(model, frames):
        enc = model.model.encoder(x).last_hidden_state
        loss = _ctc_loss(ctc, enc, labels, n_frames) if mode == "encoder" else _ce_loss(model, enc, labels)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()
    return loss.item()


def plan_stage(model_name: str, mode: str, data, flops: float, seed: int, max_steps: int) -> tuple[int, StepCosts, list]:
    """(steps the stage's ``flops`` buy, the schedule's step costs, its batches)."""
    batches, crop, positions = stage_schedule(data.n_samples, data.labels, max_steps, seed)
    costs = step_costs(model_name, mode, crop, positions)
    return costs.steps_within(flops), costs, batches


def train_stage(model, ctc, model_name: str, mode: str, data, steps: int, batches, seed: int,
                ctc_weight: float) -> dict:
    """Train ``steps`` steps of ``mode`` in place on ``batches``; the stage's log."""
    groups = trainable(model, ctc, mode)
    params = [p for g in groups for p in g["params"]]
    peak = PEAK_LR[model_name]
    opt = torch.optim.AdamW(groups, lr=peak, betas=(0.9, 0.98), weight_decay=0.01)
    model.train()
    ctc.train()
    tail = full_window_steps(steps)
    t0, acc, losses = time.perf_counter(), [], []
    for step in range(steps):
        torch.manual_seed(seed * 1_000_003 + step)
        idx = batches[step]
        frames = FULL_FRAMES if step >= steps - tail else int(data.frames[idx].max())
        x = torch.from_numpy(np.asarray(data.feats[idx][:, :, : 2 * frames], dtype=np.float32))
        lr = lr_at(step, steps, peak)
        for g in opt.param_groups:
            g["lr"] = lr * g["lr_factor"]
        acc.append(_step(model, ctc, opt, params, mode, x, [data.labels[i] for i in idx], data.frames[idx],
                         frames, ctc_weight))
        if (step + 1) % LOG_EVERY == 0 or step + 1 == steps:
            losses.append({"step": step + 1, "loss": round(float(np.mean(acc)), 4)})
            acc = []
    for p in list(model.parameters()) + list(ctc.parameters()):
        p.requires_grad_(True)
    model.eval()
    ctc.eval()
    return {"mode": mode, "steps": steps, "wall_s": round(time.perf_counter() - t0, 1), "losses": losses}


@torch.no_grad()
def greedy_wers(model, ctc, refs: list[str], feats: np.ndarray, batch: int = 50,
                with_decoder: bool = True) -> dict:
    """WERs on log-mel ``feats`` (full window): ``decoder`` under ``guard.DECODE_GUARD``,
    ``decoder_unguarded`` (the same greedy ``generate``, uncut), ``ctc`` (the CTC head), and
    ``n_guard_changed`` (hypotheses the guard cut)."""
    from ..embedded.pretrain.folder import generation_config
    from .guard import guard_words, words_of
    model.eval()
    raw, ctc_h = [], []
    for i in range(0, len(refs), batch):
        x = torch.from_numpy(np.asarray(feats[i:i + batch], dtype=np.float32))
        ctc_h += ctc_greedy(ctc(model.model.encoder(x).last_hidden_state))
        if with_decoder:
            raw += [words_of(seq) for seq in model.generate(input_features=x,
                                                           generation_config=generation_config()).tolist()]
    out = {"ctc": corpus_wer(refs, ctc_h, normalizer=WER_NORMALIZER)}
    if with_decoder:
        guarded = [guard_words(ids) for ids in raw]
        out["decoder"] = corpus_wer(refs, [decode(ids) for ids in guarded], normalizer=WER_NORMALIZER)
        out["decoder_unguarded"] = corpus_wer(refs, [decode(ids) for ids in raw], normalizer=WER_NORMALIZER)
        out["n_guard_changed"] = sum(g != r for g, r in zip(guarded, raw))
    return out
