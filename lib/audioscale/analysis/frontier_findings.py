"""The summary of notebook 06, computed from its tables (nothing typed in by hand): one line per
finding, for the paper's numbers, the FLOPs conventions and real Whisper on a synthetic voice."""
from __future__ import annotations

import pandas as pd

from . import pareto
from .frontier_report import dominated_750, frontier_labels
from .points import REAL


def size_steps(mv: pd.DataFrame) -> pd.DataFrame:
    """The model-size steps of a ``marginal_value`` table at the full window and stride 1."""
    return mv[(mv["axis"] == "model") & (mv["encoder_frames"] == 1500) & (mv["stride"] == 1)]


def paper_findings(asr: pd.DataFrame, ser: pd.DataFrame, claims: pd.DataFrame, mv_asr: pd.DataFrame,
                   paper_summary: pd.DataFrame, frontier_fit, loo: pd.DataFrame) -> list[str]:
    """The paper's frontiers, its two claims, the price of a doubling along each axis, the
    frontier's power law and how well it predicts a held-out model size."""
    dom = pareto.dominators(asr, label="label")
    steps = size_steps(mv_asr)["gain_pts_per_doubling"]
    f = frontier_fit
    return [
        f"ASR (paper's numbers): {int(asr['on_frontier'].sum())} of {len(asr)} configurations on the frontier; dominated: "
        + ", ".join(dom["label"] + " (cheapest dominator " + dom["dominator_label"] + ")")
        + f"; the paper's two claims: {', '.join(claims['verdict'])}.",
        f"SER (paper's numbers): {int(ser['on_frontier'].sum())} of {len(ser)} configurations on the frontier: "
        + ", ".join(ser.loc[ser["on_frontier"], "label"]) + ".",
        "WER points per doubling of GFLOPs along model size (1500 frames, stride 1): "
        + " -> ".join(f"{v:.2f}" for v in steps)
        + (" (diminishing)" if steps.is_monotonic_decreasing else " (not monotone)") + "; "
        + "; ".join(f"{r.axis}: {r.mean_pts_per_doubling:.2f}" for r in paper_summary.itertuples()) + " (mean per axis).",
        f"Frontier fit: WER = {f.a:.3g}·C^(-{f.b:.2f}) + {max(f.e, 0.0):.2f}, rmse {f.rmse:.2f} points"
        + (f"; the floor e sits at its bound ({', '.join(f.at_bound)})" if f.at_bound else "") + ".",
        "Leave-one-size-out |residual| (WER points): "
        + ", ".join(f"{g} {r.abs().mean():.2f}" for g, r in loo.groupby("held_out", sort=False)["residual_pts"]) + ".",
    ]


def convention_findings(wide: pd.DataFrame | None) -> list[str]:
    """The configurations whose frontier status changes with the FLOPs convention
    (``frontier_report.convention_table``; nothing when it could not be computed)."""
    if wide is None or wide.empty:
        return []
    moved = wide[wide["changes"] == "YES"]
    return ["Status changes with the FLOPs convention: "
            + ("; ".join(f"{lab}: " + " / ".join(f"{c}: {st}" for c, st in r.drop("changes").items())
                         for (_, lab), r in moved.iterrows()) if len(moved) else "none") + "."]


def real_findings(real: pd.DataFrame | None, dom: pd.DataFrame | None = None, t750: dict | None = None,
                  mv_real: pd.DataFrame | None = None, mv_asr: pd.DataFrame | None = None,
                  paper_summary: pd.DataFrame | None = None, summaries: dict | None = None, fit=None,
                  no_fit: str | None = None, paper_fit=None, guard: str = "", level: float = 0.95) -> list[str]:
    """Real Whisper beside the paper: its frontier (``real``: its points), its dominated
    750-frame configurations (``t750``: ``frontier_report.report_750``) and which dominations
    (``dom``) the test set resolves, its price per doubling per axis (``mv_real`` beside the
    paper's ``mv_asr`` and ``summaries`` beside ``paper_summary``), its power law (``fit``,
    or why none: ``no_fit``) beside the paper's frontier fit. One line when ``real`` is None."""
    if real is None:
        return [f"{REAL}: no rows (results/asr_real.csv absent), not analysed."]
    front = frontier_labels(real, real.attrs["cost"])
    resolved = dom[dom["resolved"]] if "resolved" in dom else None
    out = [
        f"ASR ({REAL}, piper joe; guard {guard}): {len(front)} of {len(real)} configurations on the "
        f"frontier: {', '.join(front)}; 750-frame configurations dominated: "
        f"{dominated_750(t750[f'real, {guard}'])}, paper {dominated_750(t750['paper'])}"
        + (f", no guard {dominated_750(t750['real, no guard'])}" if "real, no guard" in t750 else "")
        + ("" if resolved is None else
           f"; dominations the {int(dom['n_utterances'].max())} utterances resolve ({level:.0%} paired "
           f"bootstrap): {len(resolved)} of {len(dom)}"
           + (": " + ", ".join(resolved["label"] + " by " + resolved["dominator_label"]) if len(resolved) else ""))
        + "."]
    paper_step = size_steps(mv_asr)["gain_pts_per_doubling"].iloc[0]
    out.append(
        f"WER points per doubling of GFLOPs, {REAL} (mean per axis, beside the paper's): "
        + "; ".join(f"{r.axis}: {r.real:.2f} (paper {r.paper:.2f}, delta {r.delta_real:+.2f})"
                    for r in pareto.rates_beside(paper_summary, {"real": summaries["real"]}).dropna(subset=["real"])
                    .itertuples())
        + "".join(f"; size step {r.from_label} -> {r.to_label}: {r.gain_pts_per_doubling:.2f} (paper tiny-1500-s1 -> "
                  f"small-1500-s1 {paper_step:.2f})" for r in size_steps(mv_real).itertuples())
        + ".")
    if fit is None:
        out.append(f"Frontier fit, {REAL}: none ({int(real['on_frontier'].sum())} frontier points: "
                   f"{no_fit.rstrip('.')}).")
        return out
    b_row = fit.table.set_index("param").loc["b"]
    inside = b_row["ci_lo"] <= paper_fit.b <= b_row["ci_hi"]
    out.append(
        f"Frontier fit, {REAL}: WER = {fit.fit.a:.3g}·C^(-{fit.fit.b:.2f}) + {max(fit.fit.e, 0.0):.2f} "
        f"from {fit.fit.n_points} points ({fit.fit.n_points - 3} residual degree(s) of freedom); b "
        f"{level:.0%} interval {b_row['ci_lo']:.2f}-{b_row['ci_hi']:.2f}, the paper's frontier b "
        f"{paper_fit.b:.2f} {'inside' if inside else 'outside'} it (delta {fit.fit.b - paper_fit.b:+.2f}).")
    return out
