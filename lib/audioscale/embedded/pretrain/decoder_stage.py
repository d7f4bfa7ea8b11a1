"""The decoder stage: after stage 1, only the decoder trains, on the frozen encoder's outputs
computed once; the encoder and the CTC head are not changed.

After stage 1 the CTC head shows that the encoder already separates the words while the
attention decoder lags; a decoder step on cached encoder states costs a small fraction of a
full step, so many more decoder updates fit the same minutes. With ``align_weight`` > 0 the
words' frames are read off the frozen CTC head by forced alignment (``ctc_align``) and head
``ALIGN_HEADS`` of every decoder layer is asked to attend near the word it predicts; the
cross-attention probabilities come from eager attention while the stage runs (SDPA does not
return them). The stage's matrix products run under ``DECODER_STAGE_AUTOCAST``.
"""
from __future__ import annotations

import contextlib
import time

import numpy as np
import torch

from .. import ctc_align
from ..models import CTC_BLANK_ID
from .features import TrainingSet
from .recipe import (ALIGN_HEADS, ALIGN_WIDTH, DECODER_STAGE_AUTOCAST, DECODER_STAGE_BATCH, DECODER_STAGE_LR,
                     DECODER_STAGE_UTTS, RunOptions, WhisperRecipe)
from .schedule import cpu_autocast, lr_at
from .stage1 import decoder_io

LOG_EVERY = 100  # steps per mean-loss entry in the log
ENCODE_BATCH = 64  # utterances per encoder call while the encoder states are cached
ALIGN_BATCH = 256  # utterances per forced-alignment call


@contextlib.contextmanager
def decoder_stage_mode(model, watch_cross_attention: bool):
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
    each word's aligned frame, read only when ``align_weight`` > 0; ``cross``: from ``decoder_stage_mode``."""
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


@torch.no_grad()
def encoder_states(model, feats, n: int) -> torch.Tensor:
    """(n, 400, d_model) float16 outputs of the frozen encoder on the first ``n`` utterances."""
    enc_model = model.model.encoder.eval()
    cache = []
    with cpu_autocast(DECODER_STAGE_AUTOCAST):
        for i in range(0, n, ENCODE_BATCH):
            x = torch.from_numpy(np.asarray(feats[i:i + ENCODE_BATCH], dtype=np.float32))
            cache.append(enc_model(x).last_hidden_state.to(torch.float16))
    return torch.cat(cache)


@torch.no_grad()
def aligned_word_frames(ctc, cache: torch.Tensor, labels, frames) -> list[list[float]]:
    """Each word's frame, by forced alignment on the (frozen) CTC head."""
    word_frames = []
    for i in range(0, len(cache), ALIGN_BATCH):
        lp = torch.log_softmax(ctc(cache[i:i + ALIGN_BATCH].float()), -1).numpy()
        word_frames += ctc_align.forced_align_frames(lp, labels[i:i + len(lp)], frames[i:i + len(lp)].numpy(),
                                                     blank=CTC_BLANK_ID)
    return word_frames


def train_decoder_stage(model, ctc, data: TrainingSet, recipe: WhisperRecipe, run: RunOptions) -> dict:
    """Train ``model``'s decoder in place for ``recipe.decoder_steps`` steps; the stage's log."""
    from tqdm.auto import tqdm
    torch.set_num_threads(run.threads)
    t0 = time.perf_counter()
    steps, seed, align_weight = recipe.decoder_steps, recipe.seed, recipe.align_weight
    n = min(DECODER_STAGE_UTTS, len(data.labels))
    cache = encoder_states(model, data.feats, n)
    word_frames = aligned_word_frames(ctc, cache, data.labels, data.frames) if align_weight else None
    encode_s = time.perf_counter() - t0
    losses, acc = [], []
    with decoder_stage_mode(model, watch_cross_attention=bool(align_weight)) as (dec_params, cross):
        opt = torch.optim.AdamW(dec_params, lr=DECODER_STAGE_LR, betas=(0.9, 0.98), weight_decay=0.01)
        for step in tqdm(range(steps), desc="decoder stage", disable=not run.progress):
            torch.manual_seed(seed * 1_000_003 + 500_000 + step)
            bs = min(DECODER_STAGE_BATCH, n)
            epoch, k = divmod(step, n // bs)
            idx = np.sort(np.random.default_rng([seed, 7, epoch]).permutation(n)[k * bs:(k + 1) * bs])
            for g in opt.param_groups:
                g["lr"] = lr_at(step, steps, DECODER_STAGE_LR)
            aligned = [word_frames[i] for i in idx] if align_weight else None
            terms = decoder_stage_step(model, opt, dec_params, cache[torch.from_numpy(idx)].float(),
                                       [data.labels[i] for i in idx], aligned, cross, align_weight,
                                       autocast=DECODER_STAGE_AUTOCAST)
            acc.append(terms)
            if (step + 1) % LOG_EVERY == 0 or step + 1 == steps:
                losses.append({"step": step + 1, **{k: round(float(np.mean([a[k] for a in acc])), 4) for k in terms}})
                acc = []
    align_log = {"align_weight": align_weight, "align_width_frames": ALIGN_WIDTH,
                 "align_heads": list(ALIGN_HEADS)} if align_weight else {}
    return {"steps": steps, "batch": DECODER_STAGE_BATCH, "peak_lr": DECODER_STAGE_LR, "n_utts": n, **align_log,
            "autocast": str(DECODER_STAGE_AUTOCAST).removeprefix("torch.") if DECODER_STAGE_AUTOCAST else None,
            "encode_wall_s": round(encode_s, 1), "wall_s": round(time.perf_counter() - t0, 1), "losses": losses}
