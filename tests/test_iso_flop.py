"""Iso-FLOP analysis on a synthetic joint sweep with a known compute-optimal size."""
import itertools

import numpy as np
import pandas as pd
import pytest

from audioscale import paper
from audioscale.errors import AudioscaleError
from audioscale.analysis.iso_flop import (best_under_budget, iso_flop_curves, joint_vs_star, log_spaced_budgets,
                                 optimal_size, star_rows)

AXES = ["size", "frames", "stride"]


def _sweep():
    """cost = N·T·(0.75 if stride 2), error = 20/√N + 20/√T (+1 for stride 2).

    At fixed compute C = N·T the error is minimised at N = √C: an interior optimum."""
    rows = []
    for n, t, s in itertools.product([1, 2, 4, 8, 16], [1, 2, 4, 8], [1, 2]):
        rows.append({"size": n, "frames": t, "stride": s, "gflops": n * t * (0.75 if s == 2 else 1.0),
                     "wer_pct": 20 / np.sqrt(n) + 20 / np.sqrt(t) + (1.0 if s == 2 else 0.0)})
    return pd.DataFrame(rows)


def test_best_under_budget_is_brute_force_optimum():
    df = _sweep()
    budgets = [0.5, 3, 16, 50, 1000]
    best = best_under_budget(df, budgets)
    assert list(best["feasible"]) == [False, True, True, True, True]
    assert best.loc[0, ["size", "wer_pct"]].isna().all()
    for _, r in best[best["feasible"]].iterrows():
        ok = df[df["gflops"] <= r["budget"]]
        assert r["gflops"] <= r["budget"]
        assert r["wer_pct"] == pytest.approx(ok["wer_pct"].min())
    assert best.loc[2, ["size", "frames", "stride"]].tolist() == [4, 4, 1]


def test_ties_go_to_lower_cost_then_earlier_row():
    df = pd.DataFrame({"name": ["x", "y", "z"], "gflops": [2.0, 1.0, 1.0], "wer_pct": [5.0, 5.0, 5.0]})
    assert best_under_budget(df, [3])["name"].item() == "y"
    ua = pd.DataFrame({"name": ["p", "q"], "gflops": [1.0, 2.0], "ua_pct": [60.0, 70.0]})
    assert best_under_budget(ua, [5], error="ua_pct", maximize=True)["name"].item() == "q"


def test_star_rows_and_regret():
    df = _sweep()
    base = {"size": 16, "frames": 8, "stride": 1}
    star = star_rows(df, base, AXES)
    assert len(star) == 1 + 4 + 3 + 1
    table = joint_vs_star(df, [4, 16, 64, 128], base, AXES)
    defined = table["regret_pts"].dropna()
    assert (defined >= -1e-12).all()
    assert defined.max() > 1.0  # the star sweep cannot shrink two axes at once
    assert table["regret_pts"].iloc[-1] == pytest.approx(0.0)  # full budget: the base itself
    assert table["joint_config"].iloc[1] == "4|4|1"
    with pytest.raises(AudioscaleError, match="no row matches"):
        star_rows(df, {"size": 3, "frames": 8, "stride": 1}, AXES)
    with pytest.raises(AudioscaleError, match="lacks a value"):
        star_rows(df, {"size": 16}, AXES)


def test_iso_flop_curves_interior_optimum_and_no_extrapolation():
    df = _sweep()
    curves = iso_flop_curves(df, [16, 64], "size")
    at16 = curves[curves["budget"] == 16].set_index("size")
    assert np.isnan(at16.loc[1, "wer_pct"])  # size 1 never reaches 16 GFLOPs
    assert at16.loc[4, "exact"] and at16.loc[4, "wer_pct"] == pytest.approx(20.0)
    opt = optimal_size(curves, "size").set_index("budget")
    assert opt.loc[16, "size"] == 4 and opt.loc[64, "size"] == 8  # N = sqrt(C)
    assert opt.loc[16, "n_sizes"] == 4


def test_iso_flop_interpolates_in_log_compute():
    df = pd.DataFrame({"size": [1, 1], "gflops": [1.0, 4.0], "wer_pct": [10.0, 6.0]})
    c = iso_flop_curves(df, [2.0, 8.0], "size").set_index("budget")
    assert c.loc[2.0, "wer_pct"] == pytest.approx(8.0)  # halfway in log2: 1 of 2 doublings
    assert np.isnan(c.loc[8.0, "wer_pct"]) and not c.loc[2.0, "exact"]


def test_paper_rows_and_budgets():
    asr = paper.asr_table()
    b = log_spaced_budgets(asr, n=5)
    assert b[0] >= asr["gflops"].min() and b[-1] >= asr["gflops"].max() and b == sorted(b)
    t = joint_vs_star(asr, [600, 2000], {"model": "large-v3", "encoder_frames": 1500, "stride": 1},
                      ["model", "encoder_frames", "stride"])
    assert list(t["joint_config"]) == ["small|1500|2", "medium|1500|2"]
    assert list(t["star_config"]) == ["tiny|1500|1", "small|1500|1"]
    with pytest.raises(AudioscaleError, match="budgets"):
        best_under_budget(asr, [0])


def test_base_config_prefers_run_configurations():
    from audioscale.analysis.iso_flop import base_config
    df = _sweep()
    assert base_config(df, AXES) == {"size": 16, "frames": 8, "stride": 1}
    assert base_config(df, AXES, prefer={"frames": 4, "stride": 3}) == {"size": 16, "frames": 4, "stride": 1}


def test_rounded_budgets_snap_to_nearby_frontier_points():
    df = pd.DataFrame({"size": [1, 1, 2, 2], "gflops": [10.0, 20.0, 15.0, 40.0], "wer_pct": [9.0, 8.0, 7.5, 6.0]})
    near = iso_flop_curves(df, [20.1], "size").set_index("size")
    assert near.loc[1, "wer_pct"] == pytest.approx(8.0) and near.loc[1, "exact"]
    strict = iso_flop_curves(df, [20.1], "size", snap_rel=0).set_index("size")
    assert np.isnan(strict.loc[1, "wer_pct"])
    with pytest.raises(AudioscaleError, match="snap_rel"):
        iso_flop_curves(df, [20.0], "size", snap_rel=0.9)


def test_base_config_breaks_cost_ties_by_metric():
    from audioscale.analysis.iso_flop import base_config
    df = pd.DataFrame({"m": ["a", "b", "b"], "r": [8, 8, 16], "gflops": [1.0, 2.0, 2.0], "ua_pct": [50.0, 60.0, 70.0]})
    assert base_config(df, ["m", "r"]) == {"m": "b", "r": 8}
    assert base_config(df, ["m", "r"], error="ua_pct", maximize=True) == {"m": "b", "r": 16}


def test_model_size_is_the_full_window_count():
    from audioscale.analysis.iso_flop import model_size
    df = pd.DataFrame({"model": ["a", "a", "b"], "params_m": [0.17, 0.16, 0.29]})
    assert model_size(df).tolist() == [0.17, 0.17, 0.29]
    with pytest.raises(AudioscaleError, match="params_m"):
        model_size(df.drop(columns="params_m"))


# ------------------------------------------------------------------ notebook 07's tables
def _sweep_object():
    from audioscale.analysis import sweep_report as sr
    df = _sweep()
    df["label"] = df["size"].astype(str) + "-" + df["frames"].astype(str) + "-s" + df["stride"].astype(str)
    return sr.Sweep("ASR", df, "gflops", "toy", "size", AXES)


def test_sweep_report_joint_vs_star_iso_flop_and_findings(capsys):
    from audioscale.analysis import sweep_report as sr
    sweep = sr.report_joint_vs_star(_sweep_object(), 4)
    out = capsys.readouterr().out
    assert out.startswith("ASR (toy); budgets (GFLOPs): [0.75, 4.17, 23.1, 128.0]\n"
                          "star-sweep base: {'size': 16, 'frames': 8, 'stride': 1}; star configurations: 9 of 40")
    assert sweep.budgets == [0.75, 4.17, 23.1, 128.0] and sweep.vs is not None and _sweep_object().vs is None
    sweep = sr.report_iso_flop(sweep)
    out = capsys.readouterr().out
    assert "interpolated WER (%) at each budget" in out and "budgets where >= 2 sizes can be compared: 2 of 4" in out
    assert sweep.opt["n_sizes"].tolist() == [1, 3, 3, 1] and sweep.opt["size"].tolist() == [1, 2, 4, 16]
    lines = sr.findings(sweep, None)
    assert lines == ["- ASR (toy): star-sweep regret > 0 at 1 of 4 budgets; largest 1.21 points at 23.1 GFLOPs "
                     "(joint picks 4-4-s1, star 2-8-s1); at 2 budget(s) the star sweep has no configuration at all",
                     "- ASR: compute-optimal size identifiable at 2 of 4 budgets: 4.17 -> 2, 23.1 -> 4"]
    named = sr.Sweep("ASR", sweep.pts, "gflops", "voice", "size", AXES, guard="g", name="ASR (real)", vs=sweep.vs,
                     opt=sweep.opt)
    assert sr.regret_line(named).startswith("- ASR (voice; guard g): ")
    assert sr.optimum_line(named).startswith("- ASR (real): ")


def test_sweep_report_ser_style_and_reference(capsys):
    from audioscale.analysis import sweep_report as sr
    df = _sweep().assign(ua_pct=lambda d: 100 - d["wer_pct"], ua_pct_std=1.5)
    df["label"] = df.index.astype(str)
    ser = sr.report_iso_flop(sr.report_joint_vs_star(
        sr.Sweep("SER", df, "gflops", "toy", "size", AXES, metric="ua_pct", maximize=True), 3))
    out = capsys.readouterr().out
    assert out.startswith("SER (toy); budgets") and "interpolated WER" not in out
    assert out.rstrip().endswith("seed spread: median std of UA over seeds 1.50 points (regrets smaller than this "
                                 "are not resolved)")
    assert sr.ser_reference(ser) == {"duration_s": 4.0, "rank": 16, "top_k": 4}  # not the embedded sweep
    assert sr.ser_reference(sr.Sweep("SER", df, "gflops", sr.EMBEDDED, "size", AXES)) == \
        {"duration_s": 4.0, "rank": 4, "top_k": 1}


def test_regret_intervals_need_per_utterance_rows():
    from audioscale.analysis import sweep_report as sr
    vs = pd.DataFrame({"budget": [1.0, 2.0, 3.0], "star_label": ["s", "s", "j"], "joint_label": ["j", "j", "j"],
                       "regret_pts": [1.0, 1.0, 0.0]})
    utts = pd.concat([pd.DataFrame({"label": lab, "utt_id": range(50), "errors": e, "n_ref_words": 10})
                      for lab, e in (("s", 3), ("j", 1))])
    r = sr.regret_intervals(vs, utts)
    assert len(r) == 1 and r["regret_pts"].item() == pytest.approx(20.0) and r["resolved"].item()
    assert sr.regret_intervals(vs, None).empty


def test_sweep_loaders_read_the_committed_rows(capsys):
    from audioscale.analysis import sweep_report as sr
    asr = sr.load_asr()
    assert asr.source == sr.EMBEDDED and len(asr.pts) == 24 and asr.axes == ["model", "encoder_frames", "xv"]
    assert capsys.readouterr().out.splitlines()[-1].startswith("ASR axes: ['model', 'encoder_frames', 'xv']; "
                                                               "24 configurations; sizes (M parameters): micro 0.25")
    real = sr.load_real("cap+repetition")
    assert real.spread and real.described == "real Whisper, synthetic voice, piper joe; guard cap+repetition"
    assert sr.load_real("no-such-guard") is None
    ser = sr.load_ser()
    assert ser.axes == ["duration_s", "recipe", "rank", "top_k"] and ser.size == "params_m" and ser.maximize
