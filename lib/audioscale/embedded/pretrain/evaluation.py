"""Greedy WERs of a mini model during and after pretraining (what pretrain_log.json records).

Scored by the pinned scorer (``asr.wer.corpus_wer``) with normalizer ``"none"``: the closed
32-word vocabulary needs no normalization, and Whisper's would merge digit runs.
"""
from __future__ import annotations

import copy

import numpy as np
import torch

from ...asr.wer import corpus_wer
from ..models import CTC_BLANK_ID, HALF_FRAMES
from ..vocab import decode
from .features import log_mel

WER_NORMALIZER = "none"


def word_error_rate(refs: list[str], hyps: list[str]) -> float:
    """Corpus WER (a fraction) of aligned reference and hypothesis lists."""
    return corpus_wer(refs, hyps, normalizer=WER_NORMALIZER).wer


def ctc_greedy(logits: torch.Tensor, lengths=None) -> list[str]:
    """Best path: argmax per frame, merge repeats, drop blanks. logits: (B, T, V)."""
    best = logits.argmax(-1).tolist()
    out = []
    for b, seq in enumerate(best):
        seq = seq[: lengths[b]] if lengths is not None else seq
        ids = [t for k, t in enumerate(seq) if t != CTC_BLANK_ID and (k == 0 or t != seq[k - 1])]
        out.append(decode(ids))
    return out


@torch.no_grad()
def ctc_wer(model, ctc, feats: np.ndarray, refs: list[str]) -> float:
    """Greedy WER of the CTC head on log-mel ``feats`` (B, 80, 800), full window."""
    enc = model.model.encoder(torch.from_numpy(feats)).last_hidden_state
    return word_error_rate(refs, ctc_greedy(ctc(enc)))


@torch.no_grad()
def evaluate(model, ctc, utts, feats: np.ndarray | None = None, batch: int = 50) -> dict:
    """Greedy WERs of the decoder (``generate``, as the pipeline decodes) and of the CTC head,
    at the full window (400 encoder frames) and at the half window (200 frames = first 4 s)."""
    from ...models.whisper_axes import set_encoder_frames
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
    return {f"wer_{k}": round(word_error_rate(refs, v), 4) for k, v in hyp.items()} | {
        "n_eval": len(utts), "examples": list(zip(refs[:3], hyp["dec_full"][:3]))}
