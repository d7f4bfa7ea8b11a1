"""Our points: result rows -> one labelled point per configuration (``analysis.points``)."""
import pandas as pd
import pytest

from audioscale.errors import AudioscaleError


def test_configurations_from_result_store_rows(tmp_path):
    from audioscale.analysis.points import asr_labels, configurations, cost_column, ser_labels
    from audioscale.results import ResultStore

    store = ResultStore("ser_fake", root=tmp_path)
    for seed, ua in ((0, 50.0), (1, 60.0)):
        store.put({"model": "m", "duration_s": 2.0, "rank": 16, "top_k": 4, "init": "pretrained", "seed": seed},
                  {"ua_pct": ua, "gflops_paper": 1.5, "gflops_matmul": 2.0})
        store.put({"model": "m", "duration_s": 2.0, "rank": 16, "top_k": 4, "init": "random", "seed": seed},
                  {"ua_pct": ua - 20, "gflops_paper": 1.5, "gflops_matmul": 2.0})
    pts = configurations(store.rows(), "ua_pct", ["model", "duration_s", "rank", "top_k"])
    assert len(pts) == 2 and list(pts["n_seeds"]) == [2, 2]
    assert sorted(pts["ua_pct"]) == [35.0, 55.0]
    assert pts.attrs["axes"] == ["model", "duration_s", "rank", "top_k", "init"]  # init varies: kept apart
    assert "gflops_matmul" in pts and cost_column(pts, "matmul") == "gflops_matmul"
    assert cost_column(pts, "measured") == "gflops_matmul"  # absent convention: first gflops_* column
    with pytest.raises(AudioscaleError, match="no GFLOPs column"):
        cost_column(pts.drop(columns=["gflops_paper", "gflops_matmul"]))
    assert ser_labels(pts.iloc[:1]).item() == "m 2s r16 k4"
    asr = pd.DataFrame({"model": ["tiny"], "encoder_frames": [750.0], "stride": [2], "pooling": ["mean"]})
    assert asr_labels(asr).item() == "tiny-750-s2mean"


def test_one_eval_set():
    from audioscale.analysis.points import one_eval_set
    df = pd.DataFrame({"data": ["seen", "unseen", "unseen"], "gflops": [1.0, 1.0, 2.0], "wer_pct": [1.0, 2.0, 1.5]})
    df.attrs["axes"] = ["model", "data"]
    out = one_eval_set(df)
    assert out.attrs["eval_set"] == "unseen" and len(out) == 2 and out.attrs["axes"] == ["model"]
    assert one_eval_set(df, "seen")["wer_pct"].tolist() == [1.0]
    assert one_eval_set(df.drop(columns="data")).attrs["eval_sets"] == []


def test_short_model_names():
    from audioscale.analysis.points import short_model_names
    s = pd.Series(["checkpoints/asr-mini-tiny", "checkpoints/asr-mini-small", "checkpoints/asr-mini-tiny"])
    assert short_model_names(s).tolist() == ["tiny", "small", "tiny"]
    assert short_model_names(pd.Series(["tiny", "small"])).tolist() == ["tiny", "small"]
    assert short_model_names(pd.Series(["wav2vec2-base", "wav2vec2-large-robust"])).tolist() == ["base", "large-robust"]


def test_one_eval_set_leaves_out_rows_scored_on_a_subset():
    from audioscale.analysis.points import one_eval_set
    df = pd.DataFrame({"data": ["d", "d", "d"], "limit": [-1, -1, 16], "gflops": [1.0, 2.0, 1.0],
                       "wer_pct": [3.0, 2.0, 1.0]})
    df.attrs["axes"] = ["model", "limit"]
    out = one_eval_set(df)
    assert out["limit"].tolist() == [-1, -1] and out.attrs["subset_rows_dropped"] == 1
    assert out.attrs["axes"] == ["model"]
    only_subset = one_eval_set(df[df["limit"] == 16])  # nothing better to analyse: kept as is
    assert len(only_subset) == 1 and only_subset.attrs["subset_rows_dropped"] == 0


def test_asr_points_from_result_rows(tmp_path):
    from audioscale.analysis.points import asr_points
    from audioscale.results import ResultStore

    store = ResultStore("asr_fake", root=tmp_path)
    for frames, stride, pooling, wer, g in ((1500, 1, "select", 10.0, 100.0), (1500, 2, "mean", 11.0, 70.0),
                                            (750, 2, "select", 14.0, 35.0)):
        store.put({"model": "ckpt/asr-mini-tiny", "data": "d", "encoder_frames": frames, "stride": stride,
                   "pooling": pooling, "limit": -1, "seed": 0}, {"wer_pct": wer, "gflops_paper": g, "gflops_matmul": g / 2})
    for limit, wer in ((-1, 8.0), (8, 1.0)):  # the second is a check row on 8 utterances
        store.put({"model": "ckpt/asr-mini-base", "data": "d", "encoder_frames": 1500, "stride": 1,
                   "pooling": "select", "limit": limit, "seed": 0}, {"wer_pct": wer, "gflops_paper": 200.0,
                                                                      "gflops_matmul": 100.0})
    pts = asr_points(store.rows(), convention="matmul").sort_values("gflops_matmul")
    assert pts.attrs["cost"] == "gflops_matmul" and pts.attrs["n_rows"] == 5 and pts.attrs["subset_rows_dropped"] == 1
    assert pts["label"].tolist() == ["tiny-750-s2select", "tiny-1500-s2mean", "tiny-1500-s1", "base-1500-s1"]
    assert pts["xv"].tolist() == ["s2-select", "s2-mean", "s1", "s1"]
    assert pts["wer_pct"].tolist() == [14.0, 11.0, 10.0, 8.0]
    empty = asr_points(pd.DataFrame())
    assert empty.empty and empty.attrs["cost"] is None


def test_asr_utterance_errors_labels_rows_like_asr_points():
    from audioscale.asr.run import config_id
    from audioscale.analysis.points import asr_points, asr_utterance_errors
    from audioscale.results import config_key
    cfgs = [{"model": "m/asr-mini-tiny", "encoder_frames": 750, "stride": 2, "pooling": "mean"},
            {"model": "m/asr-mini-base", "encoder_frames": 1500, "stride": 1, "pooling": "select"}]
    rows = pd.DataFrame([{"config_key": config_key(c), **c} for c in cfgs]).assign(wer_pct=[20.0, 10.0],
                                                                                   gflops_paper=[1.0, 4.0])
    k1, k2 = rows["config_key"]
    utts = pd.DataFrame({"config_id": [config_id(k1), config_id(k1), config_id(k2), "other"],
                         "utt_id": ["u1", "u2", "u1", "u1"], "errors": [2, 0, 1, 9], "n_ref_words": [10, 5, 10, 10],
                         "hypothesis": ["", "", "", ""]})
    out = asr_utterance_errors(rows, utts)
    assert out.columns.tolist() == ["label", "utt_id", "errors", "n_ref_words"]
    assert out["label"].tolist() == ["tiny-750-s2mean", "tiny-750-s2mean", "base-1500-s1"]
    assert set(out["label"]) == set(asr_points(rows)["label"])
    with pytest.raises(AudioscaleError, match="repeat"):
        asr_utterance_errors(pd.concat([rows, rows]), utts)


def test_ser_points_from_result_store_rows(tmp_path):
    from audioscale.analysis.points import ser_points, world_points
    from audioscale.results import ResultStore

    store = ResultStore("ser_fake", root=tmp_path)
    for seed, ua in ((0, 0.40), (1, 0.50)):
        for d, g in ((2.0, 0.1), (4.0, 0.2)):
            store.put({"model": "ckpt/ser-backbone-mini", "duration_s": d, "recipe": "lora+top-k", "rank": 4,
                       "top_k": 1, "seed": seed}, {"ua": ua + d / 100, "gflops_paper": g, "backbone_params": 600_000})
    pts = ser_points(store.rows()).sort_values("duration_s")
    assert pts["ua_pct"].tolist() == pytest.approx([47.0, 49.0])  # a fraction stored, percent analysed
    assert pts["label"].tolist() == ["ser-backbone-mini 2s r4 k1", "ser-backbone-mini 4s r4 k1"]
    assert pts["params_m"].tolist() == [0.6, 0.6] and pts.attrs["cost"] == "gflops_paper"
    assert pts.attrs["n_rows"] == 4 and pts["n_seeds"].tolist() == [2, 2]
    empty = world_points(pd.DataFrame(), "ua_pct", ["model"])
    assert empty.empty and empty.attrs["n_rows"] == 0 and empty.attrs["cost"] is None


def test_token_resolution():
    from audioscale.analysis.points import token_resolution
    pts = pd.DataFrame({"stride": [1, 2, 2.0], "pooling": ["select", "mean", "select"]})
    assert token_resolution(pts).tolist() == ["s1", "s2-mean", "s2-select"]
    assert token_resolution(pts.drop(columns="pooling")).tolist() == ["s1", "s2-select", "s2-select"]


def test_paper_worlds_are_labelled():
    from audioscale.analysis.points import paper_asr, paper_ser
    asr = paper_asr()
    assert len(asr) == 11 and asr["label"].iloc[0] == "tiny-750-s1" and asr["label"].is_unique
    ser = paper_ser()
    assert len(ser) == 10 and ser["label"].is_unique  # the reference configuration listed twice, kept once
    assert "large-robust 4s r16 lora-only" in set(ser["label"]) and "base 4s r16 k4" in set(ser["label"])


def test_embedded_points_read_the_committed_rows():
    from audioscale.analysis.points import describe, embedded
    asr = embedded("asr")
    assert asr.attrs["experiment"] == "asr_embedded" and asr.attrs["n_rows"] == 25 and len(asr) == 24
    assert describe(asr, "asr_embedded") == [
        "asr_embedded: 25 rows -> 24 configurations; axes ['model', 'encoder_frames', 'stride', 'pooling']; "
        "cost column gflops_paper; 1 row(s) scored on a subset of the test set left out"]
    assert describe(asr, "asr_embedded", axes=False, subset_apart=True) == [
        "asr_embedded: 1 row(s) scored on a subset of the test set left out",
        "asr_embedded: 25 rows -> 24 configurations; cost column gflops_paper"]
    assert {"micro", "tiny", "base", "small"} == set(asr["model"]) and asr["label"].is_unique
    ser = embedded("ser")
    assert describe(ser, "ser_embedded", axes=False, seeds=True) == [
        "ser_embedded: 42 rows -> 14 configurations (seeds per configuration: [3]); cost column gflops_paper"]
    with pytest.raises(AudioscaleError, match="task='mt'"):
        embedded("mt")


def test_real_points_read_the_committed_rows():
    from audioscale.analysis.points import real_asr
    pts, utts = real_asr("cap+repetition")
    assert len(pts) == 12 and pts.attrs["stored_rows"] > 12 and pts.attrs["cost"] == "gflops_paper"
    assert set(pts["model"]) == {"tiny.en", "base"} and (pts["n_utterances"] == 160).all()
    assert set(utts["label"]) == set(pts["label"]) and len(utts) == 12 * 160
    none, _ = real_asr("no-such-guard")
    assert none.empty and none.attrs["stored_rows"] == pts.attrs["stored_rows"]
