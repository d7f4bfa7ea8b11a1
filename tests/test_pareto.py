"""Pareto frontiers, dominators and marginal value of compute (hand-made points + paper rows)."""
import math

import numpy as np
import pandas as pd
import pytest

from audioscale import paper
from audioscale.errors import AudioscaleError
from audioscale.analysis.pareto import collapse_seeds, dominated_mask, dominators, marginal_value, pareto_frontier


def _points():
    # name, cost, error.  Ties and duplicates on purpose.
    rows = [("a", 1.0, 10.0),   # cheapest: frontier
            ("b", 2.0, 8.0),    # frontier
            ("c", 2.0, 9.0),    # same cost as b, worse error: dominated by b (0 % saving)
            ("d", 3.0, 8.0),    # same error as b, costlier: dominated by b
            ("e", 4.0, 5.0),    # frontier
            ("e2", 4.0, 5.0),   # exact duplicate of e: neither dominates the other -> both kept
            ("f", 5.0, 6.0),    # dominated by e and e2
            ("g", 8.0, 4.0)]    # frontier
    return pd.DataFrame(rows, columns=["label", "gflops", "wer_pct"])


def test_frontier_ties_and_duplicates():
    df = _points()
    front = pareto_frontier(df)
    assert list(front["label"]) == ["a", "b", "e", "e2", "g"]
    assert list(dominated_mask(df)) == [False, False, True, True, False, False, True, False]


def test_dominators_rules_and_amounts():
    df = _points()
    cheap = dominators(df, label="label").set_index("label")
    assert list(cheap.index) == ["c", "d", "f"]
    assert cheap.loc["c", "dominator_label"] == "b"
    assert cheap.loc["c", "cost_saving_pct"] == 0.0 and cheap.loc["c", "error_gain_pts"] == 1.0
    assert cheap.loc["d", "cost_saving_pct"] == pytest.approx(100 / 3)
    assert cheap.loc["d", "error_gain_pts"] == 0.0
    # f is dominated by e and e2 (equal cost, equal error): tie goes to the earlier row.
    assert cheap.loc["f", "dominator_label"] == "e" and cheap.loc["f", "n_dominators"] == 2
    assert cheap.loc["f", "cost_saving_pct"] == pytest.approx(20.0)
    assert cheap.loc["f", "error_gain_pts"] == pytest.approx(1.0)
    # d is dominated by b only (a has worse error): same for "best".
    best = dominators(df, label="label", rule="best").set_index("label")
    assert best.loc["d", "dominator_label"] == "b"
    pairs = dominators(df, label="label", rule="all")
    assert sorted(pairs.loc[pairs["label"] == "f", "dominator_label"]) == ["e", "e2"]
    assert (pairs["cost_saving_pct"] >= 0).all() and (pairs["error_gain_pts"] >= 0).all()
    assert ((pairs["cost_saving_pct"] > 0) | (pairs["error_gain_pts"] > 0)).all()


def test_best_rule_differs_from_cheapest():
    df = pd.DataFrame({"label": ["x", "y", "z"], "gflops": [1.0, 2.0, 3.0], "wer_pct": [5.0, 4.0, 6.0]})
    assert dominators(df, label="label")["dominator_label"].item() == "x"
    assert dominators(df, label="label", rule="best")["dominator_label"].item() == "y"


def test_maximize_score():
    df = pd.DataFrame({"label": ["p", "q", "r"], "gflops": [1.0, 2.0, 2.0], "ua_pct": [50.0, 70.0, 60.0]})
    front = pareto_frontier(df, error="ua_pct", maximize=True)
    assert list(front["label"]) == ["p", "q"]
    d = dominators(df, error="ua_pct", maximize=True, label="label")
    assert d["label"].item() == "r" and d["dominator_label"].item() == "q"
    assert d["error_gain_pts"].item() == pytest.approx(10.0)


def test_nan_and_missing_columns_refused():
    df = _points()
    df.loc[2, "wer_pct"] = np.nan
    with pytest.raises(AudioscaleError, match="missing or non-numeric"):
        pareto_frontier(df)
    with pytest.raises(AudioscaleError, match="not in the rows"):
        pareto_frontier(_points(), cost="gflops_paper")
    with pytest.raises(AudioscaleError):
        dominators(_points(), rule="nearest")
    assert pareto_frontier(_points().iloc[:0]).empty


def _asr():
    df = paper.asr_table()
    df["label"] = df["model"] + "-" + df["encoder_frames"].astype(str) + "-s" + df["stride"].astype(str)
    return df


def test_paper_asr_frontier_matches_paper_claims():
    df = _asr()
    front = set(pareto_frontier(df)["label"])
    assert "medium-750-s1" not in front and "large-v3-750-s1" not in front
    assert front == set(df["label"]) - {"medium-750-s1", "large-v3-750-s1"}
    pairs = dominators(df, label="label", rule="all")
    # "medium-750 is beaten by small-1500" (both strides) ...
    assert set(pairs.loc[pairs["label"] == "medium-750-s1", "dominator_label"]) == {"small-1500-s1", "small-1500-s2"}
    # ... "large-v3-750 by medium-1500-stride-2", the cheapest of its two dominators.
    cheap = dominators(df, label="label").set_index("label")
    assert cheap.loc["large-v3-750-s1", "dominator_label"] == "medium-1500-s2"
    assert cheap.loc["large-v3-750-s1", "cost_saving_pct"] == pytest.approx(100 * (1 - 1776.6 / 2573.1))
    assert cheap.loc["large-v3-750-s1", "error_gain_pts"] == pytest.approx(7.76 - 5.88)


def test_paper_ser_frontier_is_sparse():
    ser = paper.ser_table()
    front = pareto_frontier(ser, error="ua_pct", maximize=True)
    assert len(front) == 2
    assert set(zip(front["model"], front["adaptation"])) == {("wav2vec2-base", "lora+top-k"),
                                                              ("wav2vec2-large-robust", "full-finetune")}


def test_marginal_value_diminishing_returns_on_model_size():
    df = _asr()
    mv = marginal_value(df, "model", ["model", "encoder_frames", "stride"], label="label")
    full = mv[(mv["encoder_frames"] == 1500) & (mv["stride"] == 1)]
    assert list(full["from"]) == ["tiny", "small", "medium"]
    rates = full["gain_pts_per_doubling"].to_numpy()
    assert rates[0] > rates[1] > rates[2] > 0
    assert rates[0] == pytest.approx((16.48 - 7.96) / math.log2(722.4 / 63.7))
    both = marginal_value(df, ["encoder_frames", "stride"], ["model", "encoder_frames", "stride"])
    assert set(both["axis"]) == {"encoder_frames", "stride"}
    assert len(both[both["axis"] == "encoder_frames"]) == 4 and len(both[both["axis"] == "stride"]) == 3


def test_marginal_value_free_axis_and_duplicates():
    ser = paper.ser_table()
    ad = ser[(ser["experiment"] == "adaptation") & (ser["adaptation"] == "lora+top-k")
             & (ser["model"] == "wav2vec2-large-robust") & (ser["unfrozen_top_layers"] == "4")]
    mv = marginal_value(ad, "lora_rank", ["lora_rank"], error="ua_pct", maximize=True)
    assert (mv["doublings"] == 0).all() and mv["gain_pts_per_doubling"].isna().all()
    with pytest.raises(AudioscaleError, match="collapse"):
        marginal_value(ser, "duration_s", ["model", "duration_s"], error="ua_pct", maximize=True)


def test_collapse_seeds():
    df = pd.DataFrame({"model": ["a", "a", "b"], "seed": [0, 1, 0], "gflops": [1.0, 1.0, 2.0],
                       "ua_pct": [50.0, 60.0, 70.0]})
    out = collapse_seeds(df, ["model"], "ua_pct", keep=["gflops"])
    assert list(out["ua_pct"]) == [55.0, 70.0] and list(out["n_seeds"]) == [2, 1]
    assert out["ua_pct_std"].iloc[0] == pytest.approx(np.std([50, 60], ddof=1))
    df.loc[1, "gflops"] = 3.0
    with pytest.raises(AudioscaleError, match="differs between seeds"):
        collapse_seeds(df, ["model"], "ua_pct", keep=["gflops"])


def test_configurations_from_result_store_rows(tmp_path):
    from audioscale.analysis.pareto import asr_labels, configurations, cost_column, ser_labels
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
    from audioscale.analysis.pareto import one_eval_set
    df = pd.DataFrame({"data": ["seen", "unseen", "unseen"], "gflops": [1.0, 1.0, 2.0], "wer_pct": [1.0, 2.0, 1.5]})
    df.attrs["axes"] = ["model", "data"]
    out = one_eval_set(df)
    assert out.attrs["eval_set"] == "unseen" and len(out) == 2 and out.attrs["axes"] == ["model"]
    assert one_eval_set(df, "seen")["wer_pct"].tolist() == [1.0]
    assert one_eval_set(df.drop(columns="data")).attrs["eval_sets"] == []


def test_short_model_names():
    from audioscale.analysis.pareto import short_model_names
    s = pd.Series(["checkpoints/asr-mini-tiny", "checkpoints/asr-mini-small", "checkpoints/asr-mini-tiny"])
    assert short_model_names(s).tolist() == ["tiny", "small", "tiny"]
    assert short_model_names(pd.Series(["tiny", "small"])).tolist() == ["tiny", "small"]
    assert short_model_names(pd.Series(["wav2vec2-base", "wav2vec2-large-robust"])).tolist() == ["base", "large-robust"]


def test_one_eval_set_leaves_out_rows_scored_on_a_subset():
    from audioscale.analysis.pareto import one_eval_set
    df = pd.DataFrame({"data": ["d", "d", "d"], "limit": [-1, -1, 16], "gflops": [1.0, 2.0, 1.0],
                       "wer_pct": [3.0, 2.0, 1.0]})
    df.attrs["axes"] = ["model", "limit"]
    out = one_eval_set(df)
    assert out["limit"].tolist() == [-1, -1] and out.attrs["subset_rows_dropped"] == 1
    assert out.attrs["axes"] == ["model"]
    only_subset = one_eval_set(df[df["limit"] == 16])  # nothing better to analyse: kept as is
    assert len(only_subset) == 1 and only_subset.attrs["subset_rows_dropped"] == 0


def test_dominations_at_the_paper_750_frame_rows():
    from audioscale.analysis.pareto import dominations_at, frontier_status
    df = _asr()
    t = dominations_at(df, "encoder_frames", 750, label="label").set_index("label")
    assert list(t.index) == ["tiny-750-s1", "small-750-s1", "medium-750-s1", "large-v3-750-s1"]  # cheapest first
    assert t["on_frontier"].tolist() == [True, True, False, False]
    assert t.loc["medium-750-s1", "dominator"] == "small-1500-s2"
    assert t.loc["medium-750-s1", "dominator_other"] == "small-1500-s2"
    assert t.loc["large-v3-750-s1", "dominator"] == "medium-1500-s2"
    assert t.loc["large-v3-750-s1", "error_gain_pts"] == pytest.approx(7.76 - 5.88)
    assert t.loc["tiny-750-s1", "dominator_other"] == "-" and np.isnan(t.loc["tiny-750-s1", "cost_saving_pct"])
    st = frontier_status(df, label="label")
    assert st[df["label"] == "large-v3-750-s1"].item() == "dominated by medium-1500-s2"
    assert (st[~df["label"].str.contains("-750-")] == "frontier").all()


def test_dominations_at_separates_same_axis_dominators():
    from audioscale.analysis.pareto import dominations_at
    # x750b is beaten by x750a (same window, cheaper) and by y1500 (other window, costlier than x750a).
    df = pd.DataFrame({"label": ["x750a", "x750b", "y1500"], "frames": [750, 750.0, 1500],
                       "gflops": [1.0, 4.0, 3.0], "wer_pct": [5.0, 9.0, 4.0]})
    t = dominations_at(df, "frames", "750").set_index("label")
    assert t.loc["x750b", "dominator"] == "x750a" and t.loc["x750b", "dominator_other"] == "y1500"
    assert t.loc["x750b", "cost_saving_pct"] == pytest.approx(75.0)
    with pytest.raises(AudioscaleError, match="must be in the rows"):
        dominations_at(df, "encoder_frames", 750)


def test_axis_summary_rates_beside_and_order():
    from audioscale.analysis.pareto import axis_order, axis_summary, rates_beside
    mv = marginal_value(_asr(), ["model", "encoder_frames", "stride"], ["model", "encoder_frames", "stride"])
    paper_s = axis_summary(mv).set_index("axis")
    assert paper_s.loc["stride", "steps"] == 3
    assert paper_s.loc["model", "min_pts_per_doubling"] == pytest.approx(mv[mv["axis"] == "model"]["gain_pts_per_doubling"].min())
    assert axis_order(paper_s.reset_index()) == ["encoder_frames", "model", "stride"]
    other = pd.DataFrame({"axis": ["stride", "model"], "mean_pts_per_doubling": [1.0, 2.0]})
    side = rates_beside(paper_s.reset_index(), {"real": other})
    assert side["axis"].tolist() == ["model", "encoder_frames", "stride"]
    assert side.set_index("axis").loc["stride", "delta_real"] == pytest.approx(1.0 - paper_s.loc["stride", "mean_pts_per_doubling"])
    assert np.isnan(side.set_index("axis").loc["encoder_frames", "real"])
    assert axis_order(other, ["model", "stride"]) == ["model", "stride"]
    assert axis_summary(pd.DataFrame()).empty


def test_asr_points_from_result_rows(tmp_path):
    from audioscale.analysis.pareto import asr_points
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


def test_figures_spread_offsets_moves_only_overlapping_labels():
    from audioscale.plots import spread_offsets
    boxes = np.array([[0.0, 0.0], [5.0, 2.0], [100.0, 1.0], [0.0, 30.0]])  # lower-left corners, points
    sizes = np.array([[40.0, 9.0]] * 4)
    out = spread_offsets(boxes, sizes, pad=1.0)
    assert (out[:, 0] == 0).all()
    assert out[0, 1] == 0 and out[2, 1] == 0 and out[3, 1] == 0  # the lowest, a far one, a clear one
    assert out[1, 1] == pytest.approx(10.0 - 2.0)  # moved just above the first: 0 + 9 + 1
    moved = boxes + out
    for i in range(4):
        for j in range(i + 1, 4):
            xo = moved[i, 0] < moved[j, 0] + 40 and moved[j, 0] < moved[i, 0] + 40
            yo = moved[i, 1] < moved[j, 1] + 9 and moved[j, 1] < moved[i, 1] + 9
            assert not (xo and yo)
    # A fixed box (a marker) in the way: the label goes above it; the marker never moves.
    out = spread_offsets(np.array([[0.0, 0.0]]), np.array([[40.0, 9.0]]), fixed=[(10.0, 5.0, 8.0, 8.0)])
    assert out[0, 1] == pytest.approx(5.0 + 8.0 + 1.0)


def test_paired_wer_intervals():
    from audioscale.analysis.pareto import paired_wer_intervals
    rng = np.random.default_rng(0)
    words = rng.integers(5, 30, size=200)
    good = rng.binomial(words, 0.05) + 1
    per = pd.concat([
        pd.DataFrame({"label": "bad", "utt_id": np.arange(200), "errors": good + rng.binomial(words, 0.10),
                      "n_ref_words": words}),
        pd.DataFrame({"label": "good", "utt_id": np.arange(200), "errors": good, "n_ref_words": words}),
        # one error more on even utterances, one fewer on odd ones: the same corpus WER
        pd.DataFrame({"label": "same", "utt_id": np.arange(200), "errors": good + np.where(np.arange(200) % 2, -1, 1),
                      "n_ref_words": words})])
    pairs = pd.DataFrame({"label": ["bad", "same"], "dominator_label": ["good", "good"]})
    out = paired_wer_intervals(pairs, per).set_index("label")
    wer = per.groupby("label").apply(lambda g: 100 * g["errors"].sum() / g["n_ref_words"].sum())
    assert out.loc["bad", "delta_pts"] == pytest.approx(wer["bad"] - wer["good"])
    assert out.loc["bad", "resolved"] and out.loc["bad", "ci_low_pts"] > 0
    assert not out.loc["same", "resolved"] and out.loc["same", "ci_low_pts"] < 0 < out.loc["same", "ci_high_pts"]
    assert (out["n_utterances"] == 200).all()
    with pytest.raises(AudioscaleError, match="no per-utterance rows"):
        paired_wer_intervals(pd.DataFrame({"label": ["x"], "dominator_label": ["good"]}), per)


def test_asr_utterance_errors_labels_rows_like_asr_points():
    from audioscale.asr.run import config_id
    from audioscale.analysis.pareto import asr_points, asr_utterance_errors
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
