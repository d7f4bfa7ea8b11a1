"""The tables and findings of the SER notebooks (``audioscale.ser.report``) on small frames."""
import numpy as np
import pandas as pd
import pytest

from audioscale.ser import report, sweep


def _rows(grid, uas, **extra):
    """Result rows: one per (configuration in ``grid``, UA in its list), seeds 0, 1, ..."""
    base = dict(model="m", init="pretrained", duration_s=4.0, pooling="masked", recipe="lora+top-k", rank=4,
                top_k=1, trainable_params=1000, gflops_paper=0.25, gflops_matmul=0.5, total_params=600_000)
    out = []
    for cfg, ua in zip(grid, uas):
        for seed, u in enumerate(ua):
            out.append({**base, **cfg, "seed": seed, "ua": u, "wa": u, "best_epoch": seed + 1, **extra})
    return pd.DataFrame(out)


def _duration_rows():
    grid = [dict(duration_s=d, pooling=p) for d in (2.0, 4.0, 6.0) for p in ("masked", "all")]
    uas = [[0.40, 0.42, 0.44], [0.41, 0.41, 0.41], [0.50, 0.52, 0.54], [0.45, 0.45, 0.48],
           [0.46, 0.46, 0.46], [0.30, 0.31, 0.32]]
    return _rows(grid, uas)


def test_matching_treats_none_as_missing():
    df = pd.DataFrame({"rank": [16.0, np.nan, 16.0], "recipe": ["lora", "full", "lora+top-k"]})
    assert report.matching(df, rank=16).tolist() == [True, False, True]
    assert report.matching(df, rank=None).tolist() == [False, True, False]
    assert report.matching(df, rank=16, recipe="lora").tolist() == [True, False, False]
    assert report.matching(df).all()


def test_duration_table_and_effects():
    summary = report.seed_summary(_duration_rows())
    paper_ua = pd.Series({2.0: 50.0, 4.0: 56.0, 6.0: 55.0})
    t = report.duration_table(summary, paper_ua)
    assert t.columns.tolist() == report.DURATION_COLUMNS
    assert t[["pooling", "duration_s"]].values.tolist() == [["all", 2.0], ["all", 4.0], ["all", 6.0],
                                                           ["masked", 2.0], ["masked", 4.0], ["masked", 6.0]]
    row = t[(t.pooling == "masked") & (t.duration_s == 4.0)].iloc[0]
    assert row["UA % (mean ± std)"] == "52.0 ± 2.0"
    assert row.paper_ua_pct == 56.0 and row.delta_pts == pytest.approx(-4.0)
    eff = report.duration_effects(summary).set_index("effect")
    assert eff.columns.tolist() == ["paper_delta_pts", "ours_delta_pts", "ours_se_pts", "verdict"]
    assert eff.loc["4 s vs 2 s (masked)", "ours_delta_pts"] == pytest.approx(10.0)
    assert eff.loc["4 s vs 2 s (masked)", "paper_delta_pts"] == pytest.approx(5.51)  # the paper's own table
    assert eff.loc["4 s vs 2 s (masked)", "verdict"] == "agrees"
    assert eff.loc["6 s vs 4 s (all)", "ours_delta_pts"] == pytest.approx(-15.0)


def test_pooling_effects_and_their_line():
    summary = report.seed_summary(_duration_rows())
    pe = report.pooling_effects(summary, (2.0, 4.0, 6.0, 8.0))
    assert pe.columns.tolist() == ["duration_s", "delta_pts", "se_pts"]
    assert pe.delta_pts.iloc[0] == pytest.approx(41.0 - 42.0)
    assert np.isnan(pe.delta_pts.iloc[3])
    line = report.pooling_effects_line(pe)
    assert line.startswith("all-frames minus masked pooling, UA points (± s.e.): 2 s -1.0 ± 1.2")
    assert line.endswith("8 s not run")


def test_duration_findings_and_seed_detail():
    rows = _duration_rows()
    summary = report.seed_summary(rows)
    base = pd.DataFrame({"duration_s": [2.0, 4.0, 6.0], "ua": [0.6, 0.55, 0.58], "ua_pct": [60.0, 55.0, 58.0]})
    assert report.seed_detail(rows, duration_s=2.0, pooling="masked") == "40.0 (1), 42.0 (2), 44.0 (3)"
    lines = report.duration_findings(summary, rows, base, (2.0, 4.0, 6.0), pd.Series({2.0: 50.0, 4.0: 56.0, 6.0: 55.0}))
    assert lines[0] == "4 s vs 2 s, UA points: paper +6.0; ours +10.0 ± 1.6 (masked), +5.0 ± 1.0 (all)"
    assert lines[1].startswith("6 s vs 4 s, UA points: paper -1.0; ours -6.0 ± 1.2 (masked)")
    assert "per seed, UA % (best epoch): 40.0 (1), 42.0 (2), 44.0 (3)" in lines[2]
    assert lines[4] == ("UA %: ours 31.0–52.0 (every configuration), paper 50.0–56.0, prosodic baseline 55.0–60.0; "
                        "the baseline's lowest beats our best: yes")
    assert lines[5].startswith("backbone + head parameters: ours 0.60M")


def test_clip_lengths_and_their_findings():
    from audioscale.ser.emotion_corpus import CREMA_D_DURATION_S
    stats = {f"duration_{k}": v + 0.01 for k, v in CREMA_D_DURATION_S.items()}
    stats["duration_share_over_4s"] = 0.05
    t = report.clip_lengths(stats)
    assert t.columns.tolist() == ["embedded", "CREMA-D", "delta"] and list(t.index) == list(CREMA_D_DURATION_S)
    assert t.loc["median", "delta"] == pytest.approx(0.01)
    assert report.clip_length_findings(t) == ("lower quartile and median within 0.01 s of CREMA-D's; clips longer "
                                              "than 4 s: 5.0 % here, 1.1 % in CREMA-D")
    assert report.corpus_line({"clips": 3, "speakers": 2, "test_speakers": 1}) == "3 clips, 2 speakers (1 on held-out voices)"


def _adaptation_rows():
    grid = [dict(recipe="head-only", rank=None, top_k=None), dict(recipe="lora", top_k=None),
            dict(rank=2), dict(rank=4), dict(rank=8), dict(rank=16), dict(top_k=2),
            dict(recipe="full", rank=None, top_k=None), dict(init="random")]
    uas = [[0.28, 0.29, 0.30], [0.35, 0.36, 0.36], [0.40, 0.41, 0.42], [0.41, 0.42, 0.43], [0.40, 0.40, 0.40],
           [0.42, 0.42, 0.42], [0.44, 0.45, 0.44], [0.46, 0.47, 0.46], [0.33, 0.34, 0.33]]
    return _rows(grid, uas)


def test_adaptation_summary_table_and_effects():
    s = report.adaptation_summary(_adaptation_rows())
    assert s.recipe.tolist() == ["head-only", "lora", "lora+top-k", "lora+top-k", "lora+top-k", "lora+top-k",
                                 "lora+top-k", "full", "lora+top-k"]
    assert s["rank"].tolist()[2:6] == [2, 4, 8, 16] and str(s["rank"].dtype) == "Int64"
    # The paper's UA on the same rung: r4 + top-1 stands for the paper's r16 + top-4 (56.49).
    assert s.set_index(["init", "recipe", "rank", "top_k"]).loc[("pretrained", "lora+top-k", 4, 1), "paper_ua_pct"] == 56.49
    assert np.isnan(s.paper_ua_pct.iloc[0]) and np.isnan(s.paper_ua_pct.iloc[-1])  # head only, random init
    assert report.adaptation_table(s).columns.tolist() == report.ADAPTATION_COLUMNS
    assert report.adaptation_summary(_adaptation_rows(), scale="paper").paper_ua_pct.isna().all()
    eff = report.adaptation_effects(s).set_index("effect")
    assert eff.loc["LoRA + top-k vs LoRA alone", "ours_delta_pts"] == pytest.approx(42.0 - 35.667, abs=0.01)
    assert eff.loc["LoRA + top-k vs LoRA alone", "verdict"] == "agrees"
    assert eff.loc["full vs LoRA r16 + top-4", "paper_delta_pts"] == pytest.approx(80.46 - 56.49)
    lines = report.control_lines(s)
    assert lines[0].startswith("pretrained vs random-init backbone (reference recipe): +8.7 ± ")
    assert report.control_lines(s[s.init == "pretrained"])[0].endswith("not run yet")


def test_adaptation_findings():
    s = report.adaptation_summary(_adaptation_rows())
    base = pd.DataFrame({"ua_pct": [45.0, 49.0]})
    acc = pd.DataFrame({"model": ["wav2vec2-large-robust"] * 2, "trainable_m": [3.4, 315.7]})
    lines = report.adaptation_findings(s, (2, 4, 8, 16), acc, base)
    assert lines[0] == ("UA % per recipe (pretrained backbone): head-only 29.0 < lora 35.7 < lora+top-k 40.0–44.3 "
                        "< full 46.3 (least to most trained; increasing: yes)")
    assert lines[1] == ("rank ladder, UA %: ours (top-1) r2 41.0 / r4 42.0 / r8 40.0 / r16 42.0; "
                        "paper (top-4) r8 50.9 / r16 56.5 / r32 62.7 / r64 67.1")
    assert lines[2] == "trainable parameters: 1,000 -> 1,000 here, 3.4M -> 315.7M in the paper (wav2vec2-large-robust)"
    assert lines[3].endswith("prosodic baseline (notebook 04) 45.0–49.0, reached by: full")


def test_recipe_lines():
    acc = pd.DataFrame({"model": ["wav2vec2-large-robust"] * 5 + ["wav2vec2-base"],
                        "recipe": ["lora", "lora+top-k", "lora+top-k", "lora+top-k", "full", "lora+top-k"],
                        "rank": [16, 16, 64, 16, None, 16], "top_k": [None, 4, 4, 8, None, 4],
                        "trainable_m": [3.0, 50.0, 60.0, 100.0, 300.0, 29.0],
                        "paper_trainable_m": [np.nan] * 4 + [300.1, 29.05]})
    acc["delta_m"] = acc.trainable_m - acc.paper_trainable_m
    assert report.recipe_steps_line(acc) == ("r=16 -> r=64 adds 10.0M trainable (3.3 % of the model); top-4 -> top-8 "
                                             "adds 50.0M (16.7 %); LoRA alone trains 3.0M")
    assert report.recipe_check_line(acc) == "the paper prints 2 trainable counts; ours differ by at most 0.10M"


def test_notebook_study_names_configs_and_rows():
    configs, experiment, line = sweep.notebook_study("duration", "embedded", seeds=[0, 1])
    assert experiment == "ser_embedded" and len(configs) == 12
    assert line == "12 configurations (6 settings x 2 seeds) -> results/ser_embedded.csv"
    with pytest.raises(Exception, match="CREMA-D folder"):
        sweep.notebook_study("duration", "paper", seeds=[0])


def test_paper_scale_tables_from_the_paper_and_stored_rows():
    acc = report.paper_recipe_params()
    assert acc.columns.tolist() == ["model", "recipe", "rank", "top_k", "trainable_m", "share_pct",
                                    "paper_trainable_m", "paper_ua_pct", "delta_m"]
    full = acc[acc.recipe == "full"].iloc[0]
    assert full.trainable_m == pytest.approx(315.7, abs=0.05) and full.share_pct == pytest.approx(100.0)
    assert acc.delta_m.abs().max() < 0.05  # the two counts the paper prints, reproduced
    assert report.paper_durations().to_dict() == {2.0: 50.98, 4.0: 56.49, 6.0: 55.31}
    base = report.prosodic_baseline((2.0, 4.0))  # the committed results/ser_embedded_prosody.csv rows
    assert base.columns.tolist() == ["duration_s", "ua", "wa", "ua_pct"] and base.ua_pct.tolist() == [49.0, 44.8]
