"""The embedded emotion corpus (deterministic, CREMA-D layout), the prosodic baseline, and
the committed check row (results/ser_embedded_check.csv) recomputed exactly."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audioscale.paths import REPO
from audioscale.results import ResultStore
from audioscale.ser import data as serdata
from audioscale.ser import emotion_corpus as ec
from audioscale.ser.prosody import FEATURES, features

TINY = ec.CorpusSpec(train_speakers=3, test_speakers=1, sentences_per_speaker=1)


def test_corpus_is_deterministic_and_in_crema_d_layout(tmp_path):
    spk = ec.speakers(TINY)
    from audioscale.embedded.speech import HELDOUT_VOICES, TRAIN_VOICES
    assert spk[~spk.held_out].voice.isin(TRAIN_VOICES).all() and spk[spk.held_out].voice.isin(HELDOUT_VOICES).all()
    s = spk.iloc[0].to_dict()
    p1, p2 = (ec.utterance_prosody(TINY, s, 0, "SAD") for _ in range(2))
    assert p1 == p2 and p1 != ec.utterance_prosody(TINY, s, 0, "ANG")
    root = ec.build_corpus(TINY, root=tmp_path / "c")
    clips = serdata.scan(root)
    assert len(clips) == 4 * 6 and set(clips.emotion) == set(ec.PROFILES)
    split = serdata.make_splits(clips, seed=0, test_actors=serdata.read_test_actors(root))
    assert set(split[split.split == "test"].actor_id) == set(spk[spk.held_out].actor_id)
    a = serdata.load_waves(clips)[0]
    b = serdata.load_waves(serdata.scan(ec.build_corpus(TINY, root=tmp_path / "d")))[0]
    assert all(np.array_equal(x, y) for x, y in zip(a, b))  # rebuilt elsewhere: same samples
    man = pd.read_csv(root / "manifest.csv")
    # sad is spoken slower and quieter than angry by construction
    assert man[man.emotion == "SAD"].rate_wpm.mean() < man[man.emotion == "ANG"].rate_wpm.mean()
    assert man[man.emotion == "SAD"].volume.mean() < man[man.emotion == "ANG"].volume.mean()


def test_prosodic_features_find_the_pitch():
    t = np.arange(16000) / 16000
    for f0 in (120.0, 220.0):
        wave = (np.sin(2 * np.pi * f0 * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t))).astype(np.float32)
        f = dict(zip(FEATURES, features(wave)))
        assert abs(np.exp(f["f0_mean"]) - f0) < 0.03 * f0
        assert f["voiced_frac"] > 0.9


def _committed(cfg):
    from audioscale.ser.run import row_config
    from audioscale.results import config_key
    from audioscale.ser.sweep import experiment_of
    rows = ResultStore(experiment_of("check")).rows()
    if rows.empty:
        return None
    hit = rows[rows.config_key == config_key(row_config(cfg))]
    return None if hit.empty else hit.iloc[0]


@pytest.mark.slow
def test_cheapest_committed_row_recomputes_exactly(tmp_path):
    from audioscale.ser.run import run_config
    from audioscale.ser.sweep import BACKBONE, cheapest_config, experiment_of
    if not (REPO / BACKBONE / "config.json").is_file():
        pytest.skip("the embedded SER backbone is not in checkpoints/")
    cfg = cheapest_config()
    committed = _committed(cfg)
    # The check file is committed: a missing row means the configuration changed without it.
    assert committed is not None, ("results/ser_embedded_check.csv has no row for the check configuration: "
                                   "recompute it with `audioscale ser-sweep --study check`")
    store = ResultStore("ser_embedded_check", root=tmp_path)
    run_config(cfg, store=store, force=True, progress=False)
    fresh = store.rows().iloc[0]
    # Byte for byte, as `make reproduce` must leave results/ (the check file holds this one row).
    assert store.path.read_bytes() == ResultStore(experiment_of("check")).path.read_bytes()
    for col in ("ua", "wa", "val_ua", "best_epoch", "epochs_run", "trainable_params", "total_params",
                "gflops_paper", "n_train", "n_validation", "n_test", "confusion"):
        if isinstance(committed[col], str):
            assert fresh[col] == committed[col], col  # the confusion matrix: every prediction
        else:  # stored as %.10g; a row rewritten by pandas may carry more digits of the same value
            assert float(fresh[col]) == pytest.approx(float(committed[col]), rel=0, abs=1e-9), col
