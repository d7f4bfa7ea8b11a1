"""Where each word is, from a CTC head: forced alignment, and the cross-attention loss built on it.

The mini decoders lose their place in long utterances (docs/pretraining.md has the probes): at
10-15 words the committed small's decoder made 28.5 % errors where its own CTC head made
20.4 %, while on 1-5 words the decoder was the better of the two. The CTC head knows where
each word is; the decoder has to find it by cross-attention. ``forced_align_frames`` reads
the words' positions off the CTC head (Viterbi over the label sequence, so it follows the
reference, not the head's own mistakes), and ``alignment_loss`` asks chosen cross-attention
heads to put their mass near the word being predicted — a training signal only: the model,
and how it decodes, stay stock Whisper.
"""
from __future__ import annotations

import numpy as np
import torch

_NEG = -1e30


def forced_align_frames(log_probs: np.ndarray, labels: list[list[int]], lengths, blank: int = 0) -> list[list[float]]:
    """CTC forced alignment of a batch: for each utterance, the mean frame of each label's emissions.

    log_probs: (B, T, V) log-softmax of the CTC head; labels: the B label sequences (no
    blanks); lengths: the B valid frame counts. A label with no frame (only when the
    utterance has fewer frames than CTC needs) gets -1.
    """
    log_probs = np.asarray(log_probs, dtype=np.float64)
    b_size, t_max, _ = log_probs.shape
    lengths = np.asarray(lengths, dtype=np.int64)
    n_states = 2 * max(max((len(l) for l in labels), default=0), 1) + 1
    ext = np.full((b_size, n_states), blank)  # blank, l1, blank, l2, ..., blank
    for b, lab in enumerate(labels):
        ext[b, 1:2 * len(lab):2] = lab
    states_of = np.array([2 * len(l) + 1 for l in labels])
    lp = np.take_along_axis(log_probs, np.broadcast_to(ext[:, None, :], (b_size, t_max, n_states)), 2)
    lp = np.where(np.arange(n_states)[None, None, :] >= states_of[:, None, None], _NEG, lp)
    # a label may be reached from two states back unless it repeats the label before it
    skip_ok = np.zeros((b_size, n_states), bool)
    skip_ok[:, 3::2] = ext[:, 3::2] != ext[:, 1:-2:2]
    alpha = np.full((b_size, n_states), _NEG)
    alpha[:, 0] = lp[:, 0, 0]
    alpha[:, 1] = np.where(states_of > 1, lp[:, 0, 1], _NEG)
    back = np.zeros((t_max, b_size, n_states), np.int8)  # 0 stay, 1 from s-1, 2 from s-2
    pad1, pad2 = np.full((b_size, 1), _NEG), np.full((b_size, 2), _NEG)
    for t in range(1, t_max):
        cand = np.stack([alpha, np.concatenate([pad1, alpha[:, :-1]], 1),
                         np.where(skip_ok, np.concatenate([pad2, alpha[:, :-2]], 1), _NEG)])
        move = cand.argmax(0)
        live = (t < lengths)[:, None]  # past an utterance's end its path stays where it is
        alpha = np.where(live, np.take_along_axis(cand, move[None], 0)[0] + lp[:, t], alpha)
        back[t] = np.where(live, move, 0)
    rows = np.arange(b_size)
    ends_on_label = alpha[rows, states_of - 1] >= alpha[rows, np.maximum(states_of - 2, 0)]
    s = np.where(ends_on_label | (states_of == 1), states_of - 1, states_of - 2)
    path = np.empty((b_size, t_max), np.int64)
    for t in range(t_max - 1, -1, -1):
        path[:, t] = s
        s = s - back[t, rows, s]
    out = []
    for b, lab in enumerate(labels):
        p = path[b, : lengths[b]]
        frames = []
        for j in range(len(lab)):
            hit = np.nonzero(p == 2 * j + 1)[0]
            frames.append(float(hit.mean()) if len(hit) else -1.0)
        out.append(frames)
    return out


def alignment_windows(word_frames: list[list[float]], n_positions: int, n_frames: int, width: int
                      ) -> tuple[torch.Tensor, torch.Tensor]:
    """(windows (B, K, T) of 0/1, valid (B, K)): decoder position j, which predicts word j,
    should attend within ``width`` frames of that word's aligned frame. Positions past the
    last word (the EOS target, padding) and unaligned words are not valid."""
    grid = torch.arange(n_frames, dtype=torch.float32)
    centre = torch.full((len(word_frames), n_positions), -1e9)
    for b, frames in enumerate(word_frames):
        centre[b, : len(frames)] = torch.tensor(frames, dtype=torch.float32)
    valid = centre >= 0
    windows = ((grid[None, None, :] - centre[:, :, None]).abs() <= width).float()
    return windows, valid


def alignment_loss(cross_attentions, windows: torch.Tensor, valid: torch.Tensor, heads) -> torch.Tensor:
    """Mean over the chosen heads of every layer of -log(cross-attention mass inside the window).

    cross_attentions: per decoder layer, (B, H, K, T) attention probabilities."""
    if not bool(valid.any()):
        return torch.zeros(())
    terms = []
    for attn in cross_attentions:
        mass = (attn[:, list(heads)] * windows[:, None]).sum(-1)  # (B, h, K)
        terms.append(-torch.log(mass.clamp_min(1e-6))[valid[:, None].expand_as(mass)].mean())
    return torch.stack(terms).mean()
