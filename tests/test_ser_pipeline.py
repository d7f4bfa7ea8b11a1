"""SER end to end on a tiny random wav2vec2 and a tone corpus: metrics, pooling, resume, rows."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from audioscale.errors import AudioscaleError
from audioscale.results import ResultStore
from audioscale.ser import data as serdata
from audioscale.ser.model import (CachedFrozenModule, FeatureStore, _frame_mask, cache_frozen_prefix, check_duration,
                                  crop, forward_logits, load_backbone, prepare_batch, trim_padded_frames,
                                  use_fast_frame_mask)
from audioscale.ser.config import SERConfig
from audioscale.ser.run import paper_gflops, run_config, summarize
from audioscale.ser.train import TrainConfig, ser_metrics, train
from ser_testdata import save_tiny_wav2vec2, write_tone_corpus


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("ser")
    return {"data": write_tone_corpus(root / "data", n_speakers=6, per_class=2),
            "model": save_tiny_wav2vec2(root / "model"), "root": root}


def test_ua_wa_golden():
    y_true = [0, 0, 0, 0, 1, 1, 2, 2, 3, 4, 5, 5]
    y_pred = [0, 0, 0, 1, 1, 0, 2, 2, 3, 4, 5, 0]
    m = ser_metrics(y_true, y_pred)
    # recalls: 3/4, 1/2, 1, 1, 1, 1/2 -> UA = 4.75/6; WA = 9/12
    assert m["ua"] == pytest.approx(4.75 / 6, abs=1e-12)
    assert m["wa"] == pytest.approx(0.75, abs=1e-12)
    assert m["confusion"].shape == (6, 6) and m["confusion"].sum() == 12
    assert m["confusion"][0].tolist() == [3, 1, 0, 0, 0, 0]


def test_crop_and_batch_policy():
    w = np.arange(16000 * 3, dtype=np.float32)
    rng = np.random.default_rng(0)
    starts = {int(crop(w, 1.0, "anchored", rng)[0][0]) for _ in range(50)}
    assert starts == {0, 16000, 32000}  # start, centre, end of a 3 s clip
    x, m = prepare_batch([np.ones(8000, np.float32) + np.random.default_rng(1).standard_normal(8000).astype(np.float32),
                          w], 1.0)
    assert x.shape == m.shape == (2, 16000)
    assert m[0].sum() == 8000 and (x[0, 8000:] == 0).all()  # zero padding after the clip
    assert abs(float(x[0, :8000].mean())) < 1e-4 and abs(float(x[0, :8000].std()) - 1) < 1e-3
    with pytest.raises(AudioscaleError, match="duration_s=0"):
        check_duration(0)
    with pytest.raises(AudioscaleError, match="shorter than one wav2vec2 frame"):
        check_duration(0.01)


def test_pooling_changes_logits_only_when_padded(world):
    model = load_backbone(str(world["model"]), seed=0).eval()
    wave = np.random.default_rng(0).standard_normal(12000).astype(np.float32)
    with torch.no_grad():
        full = [forward_logits(model, *prepare_batch([wave], 0.75), p) for p in ("masked", "all")]
        padded = [forward_logits(model, *prepare_batch([wave], 2.0), p) for p in ("masked", "all")]
    assert torch.allclose(full[0], full[1], atol=1e-5)  # no padding: the same
    assert not torch.allclose(padded[0], padded[1], atol=1e-4)  # padding: pooling matters


def test_cached_cnn_gives_the_same_numbers(world):
    model = load_backbone(str(world["model"]), seed=0).eval()
    model.freeze_feature_encoder()
    cnn = model.wav2vec2.feature_extractor
    x, m = prepare_batch([np.random.default_rng(i).standard_normal(9000).astype(np.float32) for i in range(3)], 1.0)
    with torch.no_grad():
        per_row = torch.cat([cnn(x[i:i + 1]) for i in range(3)])
        plain = forward_logits(model, x, m)
        store = FeatureStore()
        assert cache_frozen_prefix(model, store, modules=("feature_extractor",)) == ["feature_extractor"]
        assert torch.equal(model.wav2vec2.feature_extractor(x), per_row)  # row by row, bit for bit
        cached = forward_logits(model, x, m)
        again = forward_logits(model, x, m)
    assert torch.allclose(plain, cached, atol=1e-5) and torch.equal(cached, again)
    assert store.misses == 3 and store.hits == 6


def test_cached_prefix_gives_the_same_numbers_and_keeps_gradients(world):
    from audioscale.models.adaptation import apply_recipe
    model = apply_recipe(load_backbone(str(world["model"]), seed=0), "lora+top-k", rank=2, top_k=1).model.eval()
    waves = [np.random.default_rng(i).standard_normal(9000 + 3000 * i).astype(np.float32) for i in range(3)]
    x, m = prepare_batch(waves, 1.0)
    with torch.no_grad():
        plain = forward_logits(model, x, m)
        store = FeatureStore()
        assert cache_frozen_prefix(model, store) == ["feature_extractor", "encoder.pos_conv_embed"]
        assert use_fast_frame_mask(model) >= 1
        cached, again = forward_logits(model, x, m), forward_logits(model, x, m)
    assert torch.allclose(plain, cached, atol=1e-5) and torch.equal(cached, again)
    assert store.misses == 6 and store.hits == 6  # CNN and positional conv, 3 rows each
    # LoRA in layer 0 still gets its gradient (nothing below it trains, so the cache is on the path)
    forward_logits(model, x, m).sum().backward()
    lora = [p for n, p in model.named_parameters() if "lora_" in n and ".layers.0." in n]
    assert lora and all(p.grad is not None for p in lora) and any(p.grad.abs().sum() > 0 for p in lora)


def test_cached_module_refuses_trainable_and_bypasses_inputs_with_grad():
    conv = torch.nn.Conv1d(2, 2, 3, padding=1)
    with pytest.raises(ValueError, match="frozen"):
        CachedFrozenModule(conv, FeatureStore())
    conv.requires_grad_(False)
    store = FeatureStore()
    wrapped = CachedFrozenModule(conv, store)
    x = torch.randn(2, 2, 5, requires_grad=True)
    y = wrapped(x)
    assert y.requires_grad and store.misses == 0  # computed directly: the input's gradient path is kept
    y.sum().backward()
    assert x.grad is not None


def test_fast_frame_mask_is_bit_identical(world):
    model = load_backbone(str(world["model"]), seed=0)
    for n_in in (8000, 16000, 720):
        n_frames = int(model._get_feat_extract_output_lengths(n_in))
        am = torch.zeros(5, n_in, dtype=torch.long)
        for i, n in enumerate((n_in, n_in // 2, 401, 400, n_in - 1)):
            am[i, :n] = 1
        ref = model.wav2vec2._get_feature_vector_attention_mask(n_frames, am)
        ours = _frame_mask(model.wav2vec2, n_frames, am)
        assert ours.dtype == ref.dtype and torch.equal(ours, ref)
    with pytest.raises(IndexError):  # out of range: the original's own error
        _frame_mask(model.wav2vec2, 1, torch.zeros(1, 300, dtype=torch.long))


def test_trimmed_padding_gives_the_same_logits_and_gradients(world):
    """Dropping the all-padding tail changes only float rounding under masked pooling, and
    nothing at all without a mask (pooling="all" sees the padding by definition)."""
    from audioscale.models.adaptation import apply_recipe
    model = apply_recipe(load_backbone(str(world["model"]), seed=0), "lora+top-k", rank=2, top_k=1).model.eval()
    waves = [np.random.default_rng(i).standard_normal(6000 + 2500 * i).astype(np.float32) for i in range(3)]
    x, m = prepare_batch(waves, 2.0)  # 32 000 samples; the longest clip has 11 000
    plain = forward_logits(model, x, m)
    plain_all = forward_logits(model, x, m, "all")
    plain.sum().backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.requires_grad}
    model.zero_grad()
    assert trim_padded_frames(model) == 1
    lengths = []
    model.wav2vec2.encoder.register_forward_hook(lambda mod, a, out: lengths.append(out.last_hidden_state.shape[1]))
    trimmed = forward_logits(model, x, m)
    frames = int(model._get_feat_extract_output_lengths(32000))
    assert lengths[-1] == int(model._get_feat_extract_output_lengths(11000)) < frames
    assert torch.allclose(plain, trimmed, atol=1e-5)
    trimmed.sum().backward()
    for n, p in model.named_parameters():
        if p.requires_grad:
            assert torch.allclose(p.grad, grads[n], atol=1e-5, rtol=1e-4), n
    assert torch.equal(forward_logits(model, x, m, "all"), plain_all) and lengths[-1] == frames
    # eval order (longest first under masked pooling) does not change any prediction
    from audioscale.ser.train import predict
    assert np.array_equal(predict(model, waves, 2.0, "masked", batch_size=2),
                          np.concatenate([forward_logits(model, *prepare_batch([w], 2.0), "masked").argmax(-1).numpy()
                                          for w in waves]))


def _split(world):
    clips = serdata.make_splits(serdata.scan(world["data"]), seed=0)
    waves, clips, _ = serdata.load_waves(clips)
    sets = {}
    for s in ("train", "validation", "test"):
        idx = np.flatnonzero(clips.split.to_numpy() == s)
        sets[s] = ([waves[i] for i in idx], clips.label.to_numpy()[idx])
    return sets


def _fresh(world):
    from audioscale.models.adaptation import apply_recipe
    return apply_recipe(load_backbone(str(world["model"]), seed=0), "lora+top-k", rank=2, top_k=1).model


def test_resume_after_kill_is_identical(world, tmp_path):
    sets = _split(world)
    cfg = TrainConfig(duration_s=0.5, epochs=4, patience=10, batch_size=8, lr=3e-3, seed=1)
    args = (*sets["train"], *sets["validation"], cfg)
    ref_model = _fresh(world)
    ref = train(ref_model, *args, progress=False)
    killed = _fresh(world)
    part = train(killed, *args, ckpt_dir=tmp_path / "ck", progress=False, stop_after_epochs=2)
    assert part.epochs_run == 2
    resumed_model = _fresh(world)  # a new process: fresh model, state from disk
    resumed = train(resumed_model, *args, ckpt_dir=tmp_path / "ck", progress=False)
    assert resumed.resumed_from_epoch == 2 and resumed.epochs_run == 4
    assert resumed.history == ref.history
    assert resumed.best_epoch == ref.best_epoch
    for (n, a), (_, b) in zip(ref_model.state_dict().items(), resumed_model.state_dict().items()):
        assert torch.equal(a, b), n
    assert len(list((tmp_path / "ck").glob("*.safetensors"))) == 3  # only the checkpoint in force


def test_run_config_writes_a_tidy_row(world, tmp_path):
    store = ResultStore("ser_test", root=tmp_path)
    cfg = SERConfig(model=str(world["model"]), data=str(world["data"]), duration_s=0.5, recipe="lora+top-k",
                    rank=2, top_k=1, epochs=2, patience=2, batch_size=8, lr=3e-3, seed=0)
    row = run_config(cfg, store=store, progress=False)
    assert row["model"] == "model" and row["data"] == "data"  # names, never machine paths
    assert "/" not in open(store.path).read().replace("/s", "")
    assert 0 <= row["ua"] <= 1 and row["n_test"] > 0 and row["n_bad_clips"] == 0
    assert row["gflops_paper"] == pytest.approx(paper_gflops(row["backbone_params"], 0.5))
    assert row["gflops_paper"] == pytest.approx(2 * row["backbone_params"] * 25 / 1e9)
    assert "gflops_matmul" in row and row["gflops_matmul"] > 0
    assert np.array(json.loads(row["confusion"])).sum() == row["n_test"]
    assert (tmp_path / "splits" / "ser_data_split0.csv").is_file()
    timing = store.timings()
    assert timing.train_examples_per_s.iloc[0] > 0
    # stored rows are reused; a second seed adds a row and the summary has mean and std
    again = run_config(cfg, store=store, progress=False)
    assert again["config_key"] == row["config_key"] and again["ua"] == pytest.approx(row["ua"], abs=1e-9)
    from dataclasses import replace
    run_config(replace(cfg, seed=1), store=store, progress=False)
    s = summarize(store.rows(), ["recipe", "rank", "top_k", "duration_s"])
    assert len(s) == 1 and s.n_seeds.iloc[0] == 2 and np.isfinite(s.ua_std.iloc[0])


@pytest.mark.parametrize("kw, words", [
    (dict(duration_s=-1), "duration_s=-1"),
    (dict(rank=0), "rank=0"),
    (dict(recipe="dama"), "recipe='dama'"),
    (dict(pooling="max"), "pooling='max'"),
    (dict(top_k=3), "top_k=3 is out of range"),  # the tiny model has 2 layers
    (dict(hidden_dropout=1.0), "hidden_dropout=1.0"),
    (dict(attention_dropout=-0.1), "attention_dropout=-0.1"),
])
def test_bad_configs_name_the_value(world, tmp_path, kw, words):
    cfg = SERConfig(model=str(world["model"]), data=str(world["data"]), **{"epochs": 1, **kw})
    with pytest.raises(AudioscaleError, match=words):
        run_config(cfg, store=ResultStore("ser_bad", root=tmp_path), progress=False)


def test_effect_verdicts_and_paper_mapping():
    import pandas as pd

    from audioscale.ser import report, sweep
    assert report.verdict(+5.5, +3.0, 1.0) == "agrees"
    assert report.verdict(+5.5, -3.0, 1.0) == "disagrees"
    assert report.verdict(-1.2, -1.5, 1.0) == "unclear"  # within 2 standard errors
    s = pd.DataFrame({"duration_s": [2.0, 4.0], "ua_mean_pct": [40.0, 46.0], "ua_std_pct": [3.0, 0.0],
                      "n_seeds": [3, 3]})
    d, se = report.effect(s, dict(duration_s=2.0), dict(duration_s=4.0))
    assert d == pytest.approx(6.0) and se == pytest.approx(3.0 / np.sqrt(3))
    p = report.paper_ser()
    ua = lambda c: p[report.matching(p, **c)].ua_pct.tolist()  # noqa: E731
    assert ua(sweep.paper_counterpart("lora+top-k", 16, 1)) == [67.13]
    assert ua(sweep.paper_counterpart("lora+top-k", 4, 2)) == [60.33]
    assert ua(sweep.paper_counterpart("lora", 4, None)) == [43.82]
    assert ua(sweep.paper_counterpart("full", None, None)) == [80.46]
    assert sweep.paper_counterpart("head-only", None, None) is None
    assert sweep.paper_counterpart("lora+top-k", 4, 1, init="random") is None
