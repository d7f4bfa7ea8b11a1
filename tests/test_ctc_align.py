"""CTC forced alignment (the decoder stage's attention targets) against a brute-force search."""
import itertools

import numpy as np
import pytest
import torch

from audioscale.embedded.ctc_align import alignment_loss, alignment_windows, forced_align_frames


def _collapse(path, blank=0):
    out = [t for k, t in enumerate(path) if t != blank and (k == 0 or t != path[k - 1])]
    return out


def _brute_force(lp, label):
    """Best-scoring frame path that collapses to ``label``, and each label's mean frame."""
    best, best_path = -np.inf, None
    for path in itertools.product(range(lp.shape[1]), repeat=lp.shape[0]):
        if _collapse(path) == label:
            score = sum(lp[t, v] for t, v in enumerate(path))
            if score > best:
                best, best_path = score, path
    # label j's frames: the j-th run of non-blank symbols
    frames, j, prev = [[] for _ in label], -1, 0
    for t, v in enumerate(best_path):
        if v != 0 and (t == 0 or v != prev):
            j += 1
        if v != 0:
            frames[j].append(t)
        prev = v
    return [float(np.mean(f)) for f in frames]


@pytest.mark.parametrize("seed", range(6))
def test_forced_alignment_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    labels = [[1, 1], [2, 1, 2], [1]]  # a repeated label needs a blank between
    lengths = [6, 7, 5]
    lp = np.log(rng.dirichlet(np.ones(3) * 0.5, size=(3, 7)))
    got = forced_align_frames(lp, labels, lengths)
    for b in range(3):
        assert got[b] == pytest.approx(_brute_force(lp[b, : lengths[b]], labels[b]))


def test_alignment_follows_the_reference_not_the_heads_argmax():
    # the head's argmax reads "1 1 1 1 1 <blank>" (one word); the reference is [1, 2]
    p = np.full((1, 6, 3), 0.05)
    p[0, :5, 1] = 0.9
    p[0, 4, 2] = 0.3
    p[0, 5, 0] = 0.9
    assert forced_align_frames(np.log(p), [[1, 2]], [6]) == [[1.5, 4.0]]


def test_alignment_loss_is_low_only_when_attention_sits_on_the_word():
    windows, valid = alignment_windows([[2.0, 6.0]], n_positions=3, n_frames=10, width=1)
    assert valid.tolist() == [[True, True, False]]  # the EOS position has no word
    on = torch.zeros(1, 2, 3, 10)
    on[0, :, 0, 2] = on[0, :, 1, 6] = on[0, :, 2, 9] = 1.0
    off = torch.zeros(1, 2, 3, 10)
    off[0, :, :, 9] = 1.0
    assert alignment_loss([on], windows, valid, heads=[0]) == pytest.approx(0.0, abs=1e-6)
    assert alignment_loss([off], windows, valid, heads=[0]) > 10
    assert alignment_loss([on, off], windows, valid, heads=[0, 1]) > 5  # every layer counts
