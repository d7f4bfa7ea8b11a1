"""Pareto frontiers, dominators and marginal value of compute (hand-made points + paper rows)."""
import math

import numpy as np
import pandas as pd
import pytest

from audioscale import paper
from audioscale.errors import AudioscaleError
from audioscale.analysis import pareto
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


def test_with_frontier_marks_a_copy():
    from audioscale.analysis.pareto import with_frontier
    df = _asr()
    df.attrs["cost"] = "gflops"
    out = with_frontier(df)
    assert "on_frontier" not in df and out.attrs == {"cost": "gflops"}
    assert set(out.loc[~out["on_frontier"], "label"]) == {"medium-750-s1", "large-v3-750-s1"}


# ------------------------------------------------------------------ notebook 06's tables
def _paper_worlds():
    from audioscale.analysis import points
    from audioscale.analysis.pareto import with_frontier
    return (with_frontier(points.paper_asr()),
            with_frontier(points.paper_ser(), error="ua_pct", maximize=True))


def test_frontier_and_claims_tables_on_the_paper_rows():
    from audioscale.analysis import frontier_report as fr
    asr, ser = _paper_worlds()
    t = fr.frontier_table(asr)
    assert t.columns.tolist() == ["label", "gflops", "wer_pct", "on_frontier", "dominator_label", "cost_saving_pct",
                                  "error_gain_pts"]
    row = t.set_index("label").loc["medium-750-s1"]
    assert row["dominator_label"] == "small-1500-s2" and row["cost_saving_pct"] == pytest.approx(57.59, abs=0.01)
    assert (t.loc[t["on_frontier"], "dominator_label"] == "-").all()
    assert fr.frontier_table(ser, error="ua_pct", maximize=True)["on_frontier"].sum() == 2
    claims = fr.claims_table(asr)
    assert claims["verdict"].tolist() == ["agrees", "agrees"]
    assert claims["we find: beaten by"].iloc[0] == "small-1500-s2, small-1500-s1"
    assert fr.claims_table(asr, [("tiny-750-s1", "small-750-s1")])["verdict"].item() == "DIFFERS"
    assert fr.dominated_line(asr) == "frontier: 9 of 11 configurations; dominated: medium-750-s1, large-v3-750-s1"
    assert fr.members_line(ser, "SER frontier") == ("SER frontier: 2 of 10 configurations: large-robust 4s full, "
                                                    "base 4s r16 k4")
    assert fr.frontier_labels(asr)[:2] == ["tiny-750-s1", "tiny-1500-s2"]


def test_report_frontier_cuts_a_long_list(capsys):
    from audioscale.analysis import frontier_report as fr
    from audioscale.analysis.pareto import with_frontier
    pts = with_frontier(pd.DataFrame({"label": [f"c{i}" for i in range(15)], "gflops": np.arange(1.0, 16.0),
                                      "wer_pct": [10.0] + [20.0 + i for i in range(14)]}))
    d = fr.report_frontier(pts, "gflops", "wer_pct", False, "ASR")
    out = capsys.readouterr().out
    assert len(d) == 14 and out.startswith("ours, ASR: 1 of 15 configurations on the frontier\n")
    assert "14 dominated; the 8 furthest behind their cheapest dominator:" in out
    assert out.splitlines()[-8].split()[:2] == ["c14", "c0"]  # the furthest behind first
    d = fr.report_frontier(pts.head(1), "gflops", "wer_pct", False, "ASR")
    assert d.empty and capsys.readouterr().out.rstrip().endswith("none")


def test_report_750_and_steps(capsys):
    from audioscale.analysis import frontier_report as fr
    asr, ser = _paper_worlds()
    t750 = fr.report_750(asr, None, None, "cap+repetition")
    out = capsys.readouterr().out
    assert list(t750) == ["paper"]
    assert out.splitlines()[0] == "paper: 2 of 4 750-frame configurations dominated, 2 of them by a 1500-frame configuration"
    assert fr.dominated_750(t750["paper"]) == "2 of 4 (2 by a 1500-frame configuration)"
    mv = fr.paper_asr_steps(asr)
    assert len(mv) == 15 and mv.columns[:1].tolist() == ["axis"] and set(fr.STEP_COLUMNS) <= set(mv.columns)
    mv_ser = fr.paper_ser_steps(ser)
    assert mv_ser["axis"].tolist().count("lora_rank") == 3 and mv_ser["doublings"].iloc[-1] == 0.0
    paper_summary, summaries, mv_real = fr.report_rates(mv, None, None, "none")
    assert summaries == {} and mv_real is None and "paper, ASR: WER points per doubling" in capsys.readouterr().out
    assert paper_summary["axis"].tolist() == ["model", "encoder_frames", "stride"]


def test_asr_steps_hold_pooling_fixed_and_rates_beside(capsys):
    from audioscale.analysis import frontier_report as fr
    pts = pd.DataFrame({"model": ["t", "t", "b", "b", "t", "t"], "encoder_frames": [750, 1500, 750, 1500, 1500, 1500],
                        "stride": [1, 1, 1, 1, 2, 2], "pooling": ["select"] * 4 + ["mean", "select"],
                        "gflops": [1.0, 2.0, 2.0, 4.0, 1.5, 1.5], "wer_pct": [20.0, 12.0, 16.0, 10.0, 12.5, 12.2]})
    pts["label"] = [f"l{i}" for i in range(6)]
    pts.attrs.update(axes=["model", "encoder_frames", "stride", "pooling"], cost="gflops")
    steps = fr.asr_steps(pts, "gflops")
    assert set(steps["axis"]) == {"model", "encoder_frames", "stride"}  # pooling is held, never stepped
    assert steps.loc[steps["axis"] == "stride", ["from_label", "to_label"]].values.tolist() == [["l5", "l1"]]
    paper_summary, summaries, _ = fr.report_rates(steps, pts, None, "none")
    assert list(summaries) == ["ours"]
    assert "ordering, paper: ['encoder_frames', 'model', 'stride']; ours:" in capsys.readouterr().out


def test_scaling_law_lines_and_small_frontier_fit(capsys):
    from audioscale.analysis import frontier_report as fr
    from audioscale.analysis.scaling_law import fit_power_law
    asr, _ = _paper_worlds()
    assert list(fr.paper_fit_sets(asr)) == ["size sweep, 1500 frames, stride 1", "Pareto frontier", "all 11 rows"]
    f = fit_power_law(asr.loc[asr["on_frontier"], "gflops"], asr.loc[asr["on_frontier"], "wer_pct"])
    assert fr.best_wer_line(asr, f).startswith("frontier fit reaches 4.85 % WER at ")
    small = asr[asr["model"] == "tiny"].assign(on_frontier=True)
    res, why = fr.frontier_fit(small, "gflops", "tiny", "three points", f, n_boot=10)
    assert res is None and "no scaling-law fit" in capsys.readouterr().out and why
    res, why = fr.frontier_fit(asr, "gflops", "paper", "frontier", f, n_boot=10)
    assert why is None and res.fit.b == pytest.approx(f.b)
    assert "paper beside the paper's frontier fit" in capsys.readouterr().out


def test_convention_tables():
    from audioscale.analysis import frontier_report as fr
    conv = pd.DataFrame({"task": ["asr"] * 4, "label": ["a", "b", "a", "b"], "convention": ["paper"] * 2 + ["matmul"] * 2,
                         "status": ["frontier", "dominated by a", "frontier", "frontier"]})
    wide = fr.convention_table(conv, ["paper", "matmul", "measured"])
    assert wide.columns.tolist() == ["paper", "matmul", "changes"] and wide["changes"].tolist() == ["", "YES"]
    assert fr.changes_line(wide) == "configurations whose status changes with the convention: 1 of 2"
    real = pd.DataFrame({"label": ["x", "y"], "wer_pct": [10.0, 12.0], "gflops_paper": [2.0, 1.0],
                         "gflops_matmul": [2.0, 3.0]})
    real.attrs["cost"] = "gflops_paper"
    t = fr.real_convention_table(real, ["paper", "matmul", "measured"])
    assert t["label"].tolist() == ["y", "x"] and t.columns.tolist() == ["label", "wer_pct", "paper", "matmul", "changes"]
    assert t.set_index("label").loc["y", "matmul"] == "dominated by x" and t["changes"].tolist() == ["YES", ""]


def test_notebook_06_findings():
    from audioscale.analysis import frontier_findings as ff
    from audioscale.analysis import frontier_report as fr
    from audioscale.analysis.scaling_law import fit_power_law, leave_one_group_out
    asr, ser = _paper_worlds()
    mv = fr.paper_asr_steps(asr)
    f = fit_power_law(asr.loc[asr["on_frontier"], "gflops"], asr.loc[asr["on_frontier"], "wer_pct"])
    loo = leave_one_group_out(asr[asr["on_frontier"]], keep=("label",))
    lines = ff.paper_findings(asr, ser, fr.claims_table(asr), mv, pareto.axis_summary(mv), f, loo)
    assert lines[0].startswith("ASR (paper's numbers): 9 of 11 configurations on the frontier; dominated: "
                               "medium-750-s1 (cheapest dominator small-1500-s2)")
    assert lines[0].endswith("the paper's two claims: agrees, agrees.")
    assert lines[2].startswith("WER points per doubling of GFLOPs along model size (1500 frames, stride 1): "
                               "2.43 -> 1.30 -> 0.73 (diminishing)")
    assert ff.convention_findings(None) == []
    wide = pd.DataFrame({"paper": ["x", "y"], "matmul": ["x", "z"], "changes": ["", "YES"]},
                        index=pd.MultiIndex.from_tuples([("asr", "a"), ("asr", "b")]))
    assert ff.convention_findings(wide) == ["Status changes with the FLOPs convention: b: paper: y / matmul: z."]
    assert ff.real_findings(None) == ["real Whisper, synthetic voice: no rows (results/asr_real.csv absent), "
                                      "not analysed."]


def test_loaders_print_what_they_read(capsys):
    from audioscale.analysis import frontier_report as fr
    ours = fr.load_embedded("ser")
    assert ours["on_frontier"].sum() == 2 and ours.attrs["cost"] == "gflops_paper"
    assert capsys.readouterr().out.startswith("ser_embedded: 42 rows -> 14 configurations; axes ['model', ")
    real, utts = fr.load_real("cap+repetition")
    assert real["on_frontier"].sum() == 4 and len(utts) == 12 * 160
    assert capsys.readouterr().out.startswith("asr_real, guard cap+repetition: 12 rows -> 12 configurations on ")
    assert fr.load_real("no-such-guard") == (None, None)
    assert "no main-subset rows under guard 'no-such-guard'" in capsys.readouterr().out


def test_convention_frontiers_name_what_cannot_be_counted(capsys):
    from audioscale.analysis import frontier_report as fr
    asr, ser = _paper_worlds()
    conv = fr.convention_frontiers(asr, ser, ["paper", "bogus"])
    assert "bogus: not available" in capsys.readouterr().out
    assert conv.columns.tolist() == ["task", "label", "convention", "gflops", "status"]
    assert len(conv) == 21 and set(conv["convention"]) == {"paper"}  # 11 ASR + 10 SER configurations
    status = conv.set_index("label")["status"]
    assert status["medium-750-s1"] == "dominated by small-1500-s2" and status["base 4s r16 k4"] == "frontier"
