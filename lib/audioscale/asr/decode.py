"""Batched decoding with the paper's two Whisper axes applied for real.

Pipeline per batch: log-mel features over the checkpoint's full window -> keep the first
2T mel frames (xT: the encoder runs on T tokens, no padding back to 30 s; see
``whisper_axes.set_encoder_frames``) -> encoder -> subsample its output by the stride s
(xV: ``select`` keeps every s-th token, ``mean`` averages groups of s) -> decoder, whose
cross-attention sees T/s tokens.

Greedy decoding is our own KV-cached loop: the prompt is fed once, then one token per
step, with the cross-attention keys/values computed once per utterance (the cache) rather
than per token. It applies the checkpoint's ``suppress_tokens`` at every step and its
``begin_suppress_tokens`` at the first generated position, exactly as transformers'
Whisper ``generate`` does, so at T = full window and s = 1 its tokens equal
``model.generate(input_features)`` (tested). It skips ``generate``'s per-step machinery,
which matters for small models whose decode time is overhead-bound. Beam search
(``beam_size > 1``) goes through ``model.generate(encoder_outputs=...)``.

Timing follows the open_asr_leaderboard: processing time runs from raw audio to decoded
text (features + encoder + decoder + detokenisation); ``warmup=True`` runs the shortest batch
once, untimed, before the timed pass.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch

from ..paths import SAMPLE_RATE
from ..errors import AudioscaleError, check_choice, check_int_range
from ..progress import progress
from ..models.whisper_axes import POOLINGS, check_frames_and_stride, encoder_window, subsample_encoder_states
from .system import AsrSystem


@dataclass
class Transcription:
    """Outputs aligned with the input waves, plus the timed window's totals."""
    texts: list[str]
    token_ids: list[list[int]]  # generated tokens, prompt and end token excluded
    decoded_tokens: list[int]  # decoder steps per utterance: generated tokens + the end token if reached
    audio_s: float  # total audio seconds of the timed pass (each wave's full length)
    timing: dict = field(default_factory=dict)  # seconds: features, encoder, decoder, total; batch_size, ...

    @property
    def rtfx(self) -> float:
        """Inverse real-time factor: audio seconds per processing second (higher = faster)."""
        return self.audio_s / self.timing["total_s"] if self.timing.get("total_s") else float("nan")


def check_window(system: AsrSystem, encoder_frames) -> int:
    """T must fit this checkpoint's window (1500 for real Whisper, 400 for the minis)."""
    full = system.full_encoder_frames
    if isinstance(encoder_frames, int) and encoder_frames > full:
        raise AudioscaleError(f"encoder_frames={encoder_frames} is out of range for {system.source!r}: its window "
                              f"holds at most {full} encoder frames ({system.window_s:g} s of audio). "
                              f"Fix: use encoder_frames <= {full} (half window: {full // 2}).")
    return check_frames_and_stride(encoder_frames, 1, max_frames=full)[0]


def features(system: AsrSystem, waves: list[np.ndarray], encoder_frames: int) -> torch.Tensor:
    """(batch, n_mels, 2T) log-mel features: computed over the full window, then cut to 2T
    frames (the normalisation's clamp at max - 8 sees the whole window, as in Whisper)."""
    fe = system.feature_extractor
    out = fe(waves, sampling_rate=SAMPLE_RATE, return_tensors="pt").input_features
    n_mel_frames = 2 * encoder_frames
    if out.shape[-1] < n_mel_frames:
        raise AudioscaleError(f"encoder_frames={encoder_frames} needs {n_mel_frames} mel frames but the feature "
                              f"extractor makes {out.shape[-1]}. Fix: use encoder_frames <= {out.shape[-1] // 2}.")
    return out[..., :n_mel_frames].to(device=system.device, dtype=system.model.dtype)


@torch.inference_mode()
def encode(system: AsrSystem, feats: torch.Tensor, stride: int = 1, pooling: str = "select") -> torch.Tensor:
    """(batch, n_mels, 2T) -> (batch, T // s, d_model): encoder output, subsampled."""
    hidden = system.model.get_encoder()(input_features=feats).last_hidden_state
    return subsample_encoder_states(hidden, stride, pooling)


def _suppress_mask(ids: list[int], vocab: int, device) -> torch.Tensor | None:
    ids = [i for i in ids if 0 <= i < vocab]
    if not ids:
        return None
    mask = torch.zeros(vocab, dtype=torch.bool, device=device)
    mask[ids] = True
    return mask


@torch.inference_mode()
def greedy_decode(system: AsrSystem, encoder_states: torch.Tensor, max_new_tokens: int,
                  drop_finished: bool = False) -> tuple[torch.Tensor, int]:
    """KV-cached greedy decoding. Returns ((batch, steps) generated ids, steps taken);
    rows that finished keep emitting the end token.

    ``drop_finished=True`` removes finished rows from the batch (and their cache) as they
    end, so one utterance that loops to the token cap does not keep its batch-mates'
    decoding running; the tokens are the same up to floating-point rounding of the
    smaller matmuls (opt-in: committed rows were computed without it).
    """
    model = system.model
    decoder = model.get_decoder()
    b, device = encoder_states.shape[0], encoder_states.device
    vocab = model.config.vocab_size
    always = _suppress_mask(system.suppress_tokens, vocab, device)
    at_begin = _suppress_mask(system.begin_suppress_tokens, vocab, device)
    ids = torch.tensor(system.prompt_ids, device=device).expand(b, -1)
    out = decoder(input_ids=ids, encoder_hidden_states=encoder_states, use_cache=True)
    cache = out.past_key_values
    eos = system.eos_token_id
    result = torch.full((b, max_new_tokens), eos, dtype=torch.long, device=device)
    rows = torch.arange(b, device=device)  # original row of each row still in the batch
    finished = torch.zeros(b, dtype=torch.bool, device=device)
    n_steps = 0
    for step in range(max_new_tokens):
        logits = model.proj_out(out.last_hidden_state[:, -1]).float()
        if always is not None:
            logits = logits.masked_fill(always, float("-inf"))
        if step == 0 and at_begin is not None:
            logits = logits.masked_fill(at_begin, float("-inf"))
        nxt = logits.argmax(dim=-1)
        nxt = torch.where(finished, torch.full_like(nxt, eos), nxt)
        result[rows, step] = nxt
        n_steps = step + 1
        finished |= nxt == eos
        if bool(finished.all()) or step + 1 == max_new_tokens:
            break
        if drop_finished and bool(finished.any()):
            keep = (~finished).nonzero().squeeze(1)
            cache.batch_select_indices(keep)
            rows, nxt, encoder_states = rows[keep], nxt[keep], encoder_states[keep]
            finished = finished[keep]
        out = decoder(input_ids=nxt[:, None], encoder_hidden_states=encoder_states,
                      past_key_values=cache, use_cache=True)
        cache = out.past_key_values
    return result[:, :n_steps], n_steps


@torch.inference_mode()
def beam_decode(system: AsrSystem, encoder_states: torch.Tensor, max_new_tokens: int, beam_size: int) -> torch.Tensor:
    """Beam search through transformers' Whisper ``generate`` on our (subsampled) encoder states."""
    from transformers.modeling_outputs import BaseModelOutput

    b = encoder_states.shape[0]
    prompt = torch.tensor(system.prompt_ids, device=encoder_states.device).expand(b, -1)
    seq = system.model.generate(encoder_outputs=BaseModelOutput(last_hidden_state=encoder_states),
                                decoder_input_ids=prompt, num_beams=beam_size, do_sample=False,
                                max_new_tokens=max_new_tokens)
    # generate returns the prompt too when it is given as decoder_input_ids
    if seq.shape[1] >= prompt.shape[1] and torch.equal(seq[:, :prompt.shape[1]], prompt):
        seq = seq[:, prompt.shape[1]:]
    return seq


def max_new_tokens_for(system: AsrSystem, requested: int | None = None) -> int:
    """The decoder's positional table bounds prompt + generated tokens."""
    room = system.model.config.max_target_positions - len(system.prompt_ids)
    if requested is None:
        return room
    n = check_int_range("max_new_tokens", requested, 1, None, fix="Give the number of tokens to generate.")
    if n > room:
        raise AudioscaleError(f"max_new_tokens={n} is out of range: the decoder holds "
                              f"{system.model.config.max_target_positions} positions of which the prompt uses "
                              f"{len(system.prompt_ids)}, so at most {room}.")
    return n


def _split(seq: torch.Tensor, eos: int, pad: int | None) -> tuple[list[int], int]:
    """Generated ids up to (excluding) the end token, and decoder steps up to and including it."""
    ids = seq.tolist()
    if eos in ids:
        k = ids.index(eos)
        return ids[:k], k + 1
    if pad is not None:
        ids = [i for i in ids if i != pad]
    return ids, len(ids)


def _sync(system: AsrSystem) -> None:
    if system.device == "cuda":
        torch.cuda.synchronize()


def transcribe(system: AsrSystem, waves: list[np.ndarray], encoder_frames: int | None = None, stride: int = 1,
               pooling: str = "select", batch_size: int = 16, beam_size: int = 1,
               max_new_tokens: int | None = None, warmup: bool = False) -> Transcription:
    """Decode ``waves`` (16 kHz mono float32) at (T, s, pooling); outputs follow input order.

    ``encoder_frames=None`` means the checkpoint's full window.
    """
    out = transcribe_axes(system, waves, encoder_frames, [(stride, pooling)], batch_size, beam_size,
                          max_new_tokens, warmup)
    return out[(stride, pooling)]


def transcribe_axes(system: AsrSystem, waves: list[np.ndarray], encoder_frames: int | None,
                    axes: list[tuple[int, str]], batch_size: int = 16, beam_size: int = 1,
                    max_new_tokens: int | None = None, warmup: bool = False,
                    drop_finished: bool = False) -> dict[tuple[int, str], Transcription]:
    """Decode ``waves`` at one window T and several (stride, pooling) pairs, running the
    features and the encoder once per batch for all of them (the xV axis only changes what
    the decoder sees). Each Transcription's timing holds its own decoder seconds and the
    shared features/encoder seconds (``shared_axes`` says how many pairs shared them).
    ``drop_finished``: see ``greedy_decode``."""
    t_frames = system.full_encoder_frames if encoder_frames is None else check_window(system, encoder_frames)
    for stride, pooling in axes:
        check_frames_and_stride(t_frames, stride, max_frames=system.full_encoder_frames)
        check_choice("pooling", pooling, POOLINGS)
    batch_size = check_int_range("batch_size", batch_size, 1, None, fix="Use e.g. 16.")
    beam_size = check_int_range("beam_size", beam_size, 1, None, fix="Use 1 (greedy) or e.g. 5.")
    n_new = max_new_tokens_for(system, max_new_tokens)
    with encoder_window(system.model, t_frames):
        return _decode_in_window(system, waves, t_frames, axes, batch_size, beam_size, n_new, warmup, drop_finished)


def _decode_in_window(system, waves, t_frames, axes, batch_size, beam_size, n_new, warmup, drop_finished):
    pad = system.model.generation_config.pad_token_id

    # Longest first: similar lengths share a batch, so the decoder loop wastes fewer steps.
    order = sorted(range(len(waves)), key=lambda i: -len(waves[i]))
    batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    if warmup and batches:
        # the shortest batch: warms the kernels without re-decoding the longest (and loopiest) utterances
        _run_batch(system, [waves[i] for i in batches[-1]], t_frames, axes, beam_size, n_new, drop_finished)

    texts = {a: [""] * len(waves) for a in axes}
    tokens = {a: [[] for _ in waves] for a in axes}
    steps_per_utt = {a: [0] * len(waves) for a in axes}
    totals = {a: dict(features_s=0.0, encoder_s=0.0, decoder_s=0.0, detok_s=0.0, decoder_steps=0) for a in axes}
    t0 = time.perf_counter()
    for idx in progress(batches, desc=f"decoding at T={t_frames}", unit="batch"):
        seqs, tm = _run_batch(system, [waves[i] for i in idx], t_frames, axes, beam_size, n_new, drop_finished)
        for a in axes:
            for key in ("features_s", "encoder_s"):
                totals[a][key] += tm[key]
            totals[a]["decoder_s"] += tm["decoder_s"][a]
            totals[a]["decoder_steps"] += tm["decoder_steps"][a]
            t_detok = time.perf_counter()
            for j, i in enumerate(idx):
                ids, n_steps = _split(seqs[a][j], system.eos_token_id, pad)
                tokens[a][i], steps_per_utt[a][i] = ids, n_steps
                texts[a][i] = system.tokenizer.decode(ids, skip_special_tokens=True).strip()
            totals[a]["detok_s"] += time.perf_counter() - t_detok
    elapsed = time.perf_counter() - t0
    audio_s = float(sum(len(w) for w in waves)) / SAMPLE_RATE
    out = {}
    for a in axes:
        tm = totals[a]
        # one pair alone: the wall time; several: what this pair would have cost on its own
        tm["total_s"] = elapsed if len(axes) == 1 else (tm["features_s"] + tm["encoder_s"] + tm["decoder_s"]
                                                         + tm["detok_s"])
        tm.update(batch_size=batch_size, n_batches=len(batches), warmup_batches=int(bool(warmup and batches)),
                  device=system.device, dtype=system.dtype, shared_axes=len(axes))
        out[a] = Transcription(texts[a], tokens[a], steps_per_utt[a], audio_s, tm)
    return out


def _run_batch(system, batch_waves, t_frames, axes, beam_size, n_new, drop_finished=False):
    _sync(system)
    t0 = time.perf_counter()
    feats = features(system, batch_waves, t_frames)
    _sync(system)
    t1 = time.perf_counter()
    hidden = encode(system, feats)
    _sync(system)
    t2 = time.perf_counter()
    seqs, decoder_s, decoder_steps = {}, {}, {}
    for stride, pooling in axes:
        t3 = time.perf_counter()
        enc = subsample_encoder_states(hidden, stride, pooling)
        if beam_size == 1:
            seq, n_steps = greedy_decode(system, enc, n_new, drop_finished)
        else:
            seq = beam_decode(system, enc, n_new, beam_size)
            n_steps = seq.shape[1]
        seqs[(stride, pooling)] = seq.cpu()
        _sync(system)
        decoder_s[(stride, pooling)] = time.perf_counter() - t3
        decoder_steps[(stride, pooling)] = n_steps
    return seqs, dict(features_s=t1 - t0, encoder_s=t2 - t1, decoder_s=decoder_s, decoder_steps=decoder_steps)
