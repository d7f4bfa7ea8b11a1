"""Figure functions of the notebooks (``plots.ser``, ``plots.pareto``): each returns a figure with
the panels, titles and legend entries its notebook shows."""
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from audioscale import plots
from audioscale.analysis import pareto, points, scaling_law
from audioscale.plots import pareto as pareto_plots
from audioscale.plots import ser as ser_plots


def _legend(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def _summary(**cols):
    base = dict(model="m", init="pretrained", duration_s=4.0, pooling="masked", recipe="lora+top-k", rank=4.0,
                top_k=1.0, n_seeds=3, ua_mean_pct=40.0, ua_std_pct=1.0, trainable_params=1000, gflops_paper=0.25)
    n = max(len(v) for v in cols.values())
    return pd.DataFrame({k: cols.get(k, [v] * n) for k, v in base.items()})


def test_ua_vs_duration_panels_and_baseline():
    s = _summary(duration_s=[2.0, 4.0, 2.0, 4.0], pooling=["masked", "masked", "all", "all"],
                 ua_mean_pct=[40.0, 41.0, 39.0, 42.0])
    paper_ua = pd.Series({2.0: 51.0, 4.0: 56.5, 6.0: 55.3})
    base = pd.DataFrame({"duration_s": [2.0, 4.0], "ua": [0.49, 0.45]})
    fig = ser_plots.ua_vs_duration(paper_ua, s, (2.0, 4.0, 6.0), base, "embedded", 3)
    left, right = fig.axes
    assert left.get_title() == "paper: UA vs clip duration"
    assert list(left.lines[0].get_ydata()) == [51.0, 56.5, 55.3]
    assert right.get_title() == "ours (embedded): UA vs clip duration (mean ± std, 3 seeds)"
    assert _legend(right) == ["prosodic baseline", "chance", "ours, pooling=masked", "ours, pooling=all"]
    assert list(right.get_xticks()) == [2.0, 4.0, 6.0]
    no_base = ser_plots.ua_vs_duration(paper_ua, s, (2.0, 4.0, 6.0), None, "paper", 1)
    assert "prosodic baseline" not in _legend(no_base.axes[1]) and "(paper)" in no_base.axes[1].get_title()
    plt.close("all")


def test_ua_vs_rank_and_ua_vs_cost():
    from audioscale.ser.report import paper_ser
    s = _summary(recipe=["head-only", "lora", "lora+top-k", "lora+top-k", "lora+top-k", "full", "lora+top-k"],
                 rank=[np.nan, 4.0, 2.0, 4.0, 4.0, np.nan, 4.0], top_k=[np.nan, np.nan, 1.0, 1.0, 2.0, np.nan, 1.0],
                 init=["pretrained"] * 6 + ["random"], trainable_params=[10, 20, 30, 40, 50, 60, 40])
    fig = ser_plots.ua_vs_rank(paper_ser(), s, (2, 4, 8, 16), "embedded", 3)
    left, right = fig.axes
    assert _legend(left) == ["LoRA + top-4", "LoRA + top-8", "LoRA alone", "full fine-tune"]
    assert list(left.lines[0].get_xdata()) == [8, 16, 32, 64]
    assert _legend(right)[:3] == ["chance", "LoRA + top-1", "LoRA + top-2"]
    assert "LoRA + top-1, random-init backbone" in _legend(right)
    assert [t.get_text() for t in right.get_xticklabels()] == ["2", "4", "8", "16"]
    fig = ser_plots.ua_vs_cost(s, s)
    left, right = fig.axes
    assert _legend(left) == ["pooling=masked", "pooling=all"] and right.get_xscale() == "log"
    assert sorted(t.get_text() for t in right.texts)[:2] == ["full", "head-only"]
    assert "lora+top-k r4 k2" in [t.get_text() for t in right.texts]
    plt.close("all")


def test_save_figure_closes_on_request(tmp_path, monkeypatch):
    monkeypatch.setenv("AUDIOSCALE_FIGURES", str(tmp_path))
    fig = plt.figure()
    names = plots.save_figure(fig, "nb", "x", close=True)
    assert names == ["figures/nb_x.png", "figures/nb_x.svg"] and (tmp_path / "nb_x.svg").exists()
    assert not plt.fignum_exists(fig.number)
    kept = plt.figure()
    plots.save_figure(kept, "nb", "y")
    assert plt.fignum_exists(kept.number)
    plt.close("all")


def _ours(n=5, cost="gflops_paper"):
    pts = pd.DataFrame({"label": [f"c{i}" for i in range(n)], cost: np.geomspace(0.1, 2, n),
                        "wer_pct": [30, 20, 25, 12, 10][:n], "ua_pct": [30, 40, 35, 45, 44][:n]})
    pts.attrs["cost"] = cost
    return pts


def test_frontiers_columns_follow_the_worlds():
    asr = pareto.with_frontier(points.paper_asr())
    ser = pareto.with_frontier(points.paper_ser(), error="ua_pct", maximize=True)
    fig = pareto_plots.frontiers(asr, ser)
    assert len(fig.axes) == 2 and fig.axes[0].get_title() == "ASR, paper (Whisper, LibriSpeech test-other)"
    real = _ours(cost="gflops_matmul")
    fig = pareto_plots.frontiers(asr, ser, _ours(), None, real, [100, 1000], [50], "cap+repetition")
    assert len(fig.axes) == 6
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[1] == "ASR, ours (embedded world, gflops_paper)"
    assert titles[2].startswith("ASR, real Whisper, synthetic voice (piper joe)") and "cap+repetition" in titles[2]
    assert not fig.axes[4].axison and fig.axes[4].texts[0].get_text() == "no embedded SER rows yet"
    assert not fig.axes[5].axison
    plt.close("all")


def test_scaling_law_and_conventions_figures():
    asr = pareto.with_frontier(points.paper_asr())
    fits, _ = scaling_law.fit_each({"Pareto frontier": asr[asr["on_frontier"]], "all": asr}, n_boot=20)
    loo = scaling_law.leave_one_group_out(asr[asr["on_frontier"]], keep=("label",))
    fig = pareto_plots.scaling_law(asr, fits, loo)
    left, right = fig.axes
    labels = _legend(left)
    assert {"frontier rows", "dominated rows", "95% bootstrap band"} <= set(labels)
    assert sum(lab.startswith(("Pareto frontier: ", "all: ")) for lab in labels) == 2  # one curve per fit
    assert sum(lab.endswith("bootstrap band") for lab in labels) == 1  # a band for the frontier fit only
    assert _legend(right) == [f"{m} held out" for m in ["tiny", "small", "medium", "large-v3"]]
    conv = pd.concat([asr[["label", "gflops"]].assign(task="asr", convention=c, gflops=asr["gflops"] * k)
                      for c, k in (("matmul", 2.0), ("paper", 1.0))])
    fig = pareto_plots.conventions(conv, asr, ["paper", "matmul", "measured"])
    assert [ax.get_title() for ax in fig.axes] == ["ASR frontier, paper convention", "ASR frontier, matmul convention"]
    plt.close("all")


def test_sweep_figures():
    from audioscale.analysis import sweep_report as sr
    pts = pd.DataFrame({"model": ["a", "a", "b", "b"], "encoder_frames": [1, 2, 1, 2], "xv": ["s1"] * 4,
                        "gflops": [1.0, 2.0, 2.0, 4.0], "wer_pct": [20.0, 15.0, 14.0, 10.0],
                        "ua_pct": [40.0, 45.0, 46.0, 50.0], "model_params_m": [1.0, 1.0, 2.0, 2.0]})
    pts["label"] = pts["model"] + pts["encoder_frames"].astype(str)
    sweep = sr.Sweep("ASR", pts, "gflops", "toy", "model_params_m", sr.ASR_AXES)
    sweep = sr.report_iso_flop(sr.report_joint_vs_star(sweep, 3))
    fig = pareto_plots.asr_sweeps([sweep, sweep])
    assert len(fig.axes) == 6
    assert [ax.get_title() for ax in fig.axes[:3]] == ["ASR joint sweep (toy)", "joint search vs star sweep (toy)",
                                                        "iso-FLOP curves (interpolated in log-compute)"]
    ser = sr.Sweep("SER", pts, "gflops", "toy", "model_params_m", sr.ASR_AXES, metric="ua_pct", maximize=True)
    fig = pareto_plots.ser_sweep(sr.report_iso_flop(sr.report_joint_vs_star(ser, 3)))
    assert fig.axes[0].get_ylabel() == "UA (%)" and fig.axes[2].get_xlabel() == "model_params_m"
    plt.close("all")


@pytest.fixture(autouse=True)
def _style():
    plots.apply_style()


def test_asr_figures_draw_ours_beside_the_paper():
    import matplotlib.pyplot as plt
    import pandas as pd

    from audioscale.asr import real_report, report
    from audioscale.plots import asr as asr_figures

    rows = report.load_rows("embedded", compute=False)
    if rows.empty:
        pytest.skip("no committed embedded ASR rows")
    fig = asr_figures.wer_vs_gflops(rows, "size")
    assert [ax.get_title() for ax in fig.axes] == ["ours (embedded; paper convention)", "paper (LibriSpeech test-other)"]
    assert all(len(ax.collections) >= 4 for ax in fig.axes)  # a point per configuration on each side
    plt.close(fig)
    real = real_report.load_rows(compute=False, verbose=False)
    if not real.empty:
        fig = asr_figures.real_wer_vs_gflops(real, "cap+repetition")
        assert "synthetic voice" in fig.axes[0].get_title()
        plt.close(fig)
        with pytest.raises(Exception, match="convention='flops'"):
            asr_figures.real_wer_vs_gflops(real, convention="flops")
    saving = pd.DataFrame({"model": ["a", "b"], "flops_saving_pct (paper conv.)": [40.0, 30.0],
                           "flops_saving_pct (matmul)": [35.0, 25.0], "decoder_time_saving_pct": [10.0, 5.0],
                           "total_time_saving_pct": [8.0, 4.0]})
    fig = asr_figures.flops_vs_time_saving(saving)
    assert len(fig.axes[0].patches) == 8 and fig.axes[0].get_ylabel() == "saving of stride 2 vs 1 (%)"
    plt.close(fig)
