"""The tables and findings of notebook 07: each joint sweep (embedded ASR, real Whisper on a
synthetic voice, embedded SER) asked for its best configuration per budget, what a star
(one-factor-at-a-time) sweep would have picked, and its iso-FLOP curves.

A ``Sweep`` carries one world's points and what the notebook learns about them; the
``load_*`` and ``report_*`` functions print what the notebook shows and return the sweep
with the new results filled in (a copy: the input is left as it was).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import pandas as pd

from ..tables import show
from . import iso_flop, pareto, points
from .points import REAL

ASR_AXES = ["model", "encoder_frames", "xv"]  # xV as one axis: stride 1 has no pooling choice
PAPER_ASR_AXES = ["model", "encoder_frames", "stride"]
EMBEDDED, PAPER_ROWS = "embedded sweep", "paper's rows"


@dataclass(frozen=True)
class Sweep:
    """One world's joint sweep of ``task`` ("ASR" or "SER"). ``source`` names it in figure
    titles (``described`` adds the decoding guard, for tables and findings), ``name`` (default:
    the task) on its compute-optimal line."""
    task: str
    pts: pd.DataFrame
    cost: str
    source: str
    size: str
    axes: list
    metric: str = "wer_pct"
    maximize: bool = False
    guard: str = ""
    spread: bool = False  # labels cluster (nearly equal cost and error): spread them in figures
    utterances: pd.DataFrame | None = None
    budgets: list = field(default_factory=list)
    vs: pd.DataFrame | None = None
    curves: pd.DataFrame | None = None
    opt: pd.DataFrame | None = None
    regret: pd.DataFrame | None = None
    name: str = ""

    @property
    def described(self) -> str:
        return f"{self.source}; guard {self.guard}" if self.guard else self.source


def _sizes_text(pts: pd.DataFrame, size: str) -> str:
    return ", ".join(f"{m} {p:.3g}" for m, p in pts.groupby("model")[size].first().sort_values().items())


def load_asr(test_set: str = "", convention: str = "paper") -> Sweep:
    """The embedded ASR sweep (``points.embedded``); without its rows, the paper's 11 rows as a
    demonstration (a partial grid, not a joint sweep). Sizes: each model's full-window
    parameter count (a shorter window slices the positional table)."""
    pts = points.embedded("asr", test_set, convention)
    if pts.attrs["n_rows"] == 0:
        print("results/asr_embedded.csv is absent: no embedded ASR sweep yet. "
              "Demonstrating on the paper's 11 ASR rows (a partial grid, not a joint sweep).")
        pts = points.paper_asr()
        pts["xv"] = points.token_resolution(pts)
        cost, source = "gflops", PAPER_ROWS
    else:
        print("\n".join(points.describe(pts, "asr_embedded", axes=False, subset_apart=True)))
        cost, source = pts.attrs["cost"], EMBEDDED
    pts["model_params_m"] = iso_flop.model_size(pts, "model", "params_m")
    print(f"ASR axes: {ASR_AXES}; {len(pts)} configurations; sizes (M parameters): {_sizes_text(pts, 'model_params_m')}")
    return Sweep("ASR", pts, cost, source, "model_params_m", ASR_AXES)


def load_real(guard: str, convention: str = "paper") -> Sweep | None:
    """Real Whisper's joint sweep under one decoding ``guard`` (``points.real_asr``), or None,
    saying why, without its rows."""
    pts, utts = points.real_asr(guard, convention)
    if pts.attrs["stored_rows"] == 0:
        print(f"results/asr_real.csv is absent: no {REAL} sweep; section 3b is skipped.")
        return None
    if pts.empty:
        print(f"asr_real: no main-subset rows under guard {guard!r}; section 3b is skipped.")
        return None
    cost = pts.attrs["cost"]
    pts["model_params_m"] = iso_flop.model_size(pts, "model", "params_m")
    print(f"asr_real ({REAL}, piper joe; guard {guard}): {len(pts)} configurations on "
          f"{pts.attrs['eval_set']} ({int(pts['n_utterances'].iloc[0])} utterances); cost column {cost}; "
          f"sizes (M parameters): {_sizes_text(pts, 'model_params_m')}")
    return Sweep("ASR", pts, cost, f"{REAL}, piper joe", "model_params_m", ASR_AXES, guard=guard,
                 spread=True, utterances=utts, name=f"ASR ({REAL})")


def load_ser(test_set: str = "", convention: str = "paper") -> Sweep:
    """The embedded SER sweep (``points.embedded``); without its rows, the paper's SER rows as a
    demonstration. Axes: those of ``points.SER_AXES`` that vary."""
    pts = points.embedded("ser", test_set, convention)
    if pts.attrs["n_rows"] == 0:
        print("results/ser_embedded.csv is absent: no embedded SER sweep yet. "
              "Demonstrating on the paper's SER rows: its duration sweep and adaptation ablation vary one knob "
              "at a time around large-robust, 4 s, LoRA r16 + top-4; full fine-tuning changes recipe, rank and "
              "top-k at once, so a strict star sweep excludes it.")
        from .. import paper

        pts = points.paper_ser().rename(columns={"adaptation": "recipe", "lora_rank": "rank",
                                                 "unfrozen_top_layers": "top_k"})
        pts["params_m"] = pts["model"].map(paper.PAPER_PARAMS_M)
        cost, source, size = "gflops", PAPER_ROWS, "params_m"
    else:
        print("\n".join(points.describe(pts, "ser_embedded", axes=False, seeds=True, subset_apart=True)))
        cost, source, size = pts.attrs["cost"], EMBEDDED, "params_m" if "params_m" in pts else "model"
    axes = [a for a in points.SER_AXES if a in pts and pts[a].nunique(dropna=False) > 1]
    print(f"SER axes: {axes}; {len(pts)} configurations")
    return Sweep("SER", pts, cost, source, size, axes, metric="ua_pct", maximize=True)


def ser_reference(sweep: Sweep) -> dict:
    """The star sweep's base for SER: the paper's reference recipe (4 s, r=16 + top-4), which
    is r=4 + top-1 on the embedded ladder (``audioscale.ser.sweep``)."""
    if sweep.source != EMBEDDED:
        return {"duration_s": 4.0, "rank": 16, "top_k": 4}
    from ..ser.sweep import REFERENCE

    return {"duration_s": 4.0, "rank": REFERENCE["rank"], "top_k": REFERENCE["top_k"]}


def report_joint_vs_star(sweep: Sweep, n_budgets: int, prefer: dict | None = None) -> Sweep:
    """Budgets evenly spaced in log-compute, the star sweep's base (the costliest configuration
    with ``prefer`` swapped in) and, per budget, the joint search's and the star sweep's pick
    and the regret (``iso_flop.joint_vs_star``), printed."""
    pts, cost, metric, mx = sweep.pts, sweep.cost, sweep.metric, sweep.maximize
    budgets = iso_flop.log_spaced_budgets(pts, cost, n_budgets)
    base = iso_flop.base_config(pts, sweep.axes, cost, prefer=prefer, error=metric, maximize=mx)
    print(f"{sweep.task} ({sweep.described}); budgets (GFLOPs): {budgets}")
    print(f"star-sweep base: {base}; star configurations: {len(iso_flop.star_rows(pts, base, sweep.axes))} "
          f"of {len(pts)}")
    vs = iso_flop.joint_vs_star(pts, budgets, base, sweep.axes, cost, metric, maximize=mx, label="label")
    show(vs.rename(columns={f"joint_{cost}": "joint_gflops", f"star_{cost}": "star_gflops"}))
    return replace(sweep, budgets=budgets, vs=vs)


def regret_intervals(vs: pd.DataFrame, utterances: pd.DataFrame | None, level: float = 0.95) -> pd.DataFrame:
    """Each distinct (star pick, joint pick) pair with a positive regret, the regret in WER
    points with a paired-bootstrap interval over the utterances (``pareto.paired_wer_intervals``;
    empty without per-utterance rows)."""
    lost = vs[vs["regret_pts"] > 1e-9].drop_duplicates(subset=["star_label", "joint_label"])
    lost = lost[["budget", "star_label", "joint_label"]]
    if utterances is None or not len(utterances):  # no per-utterance rows: no intervals
        cols = ["regret_pts", "ci_low_pts", "ci_high_pts", "n_utterances", "resolved"]
        return pd.concat([lost.iloc[:0].reset_index(drop=True), pd.DataFrame(columns=cols)], axis=1)
    return pareto.paired_wer_intervals(lost, utterances, "star_label", "joint_label",
                                       level=level).rename(columns={"delta_pts": "regret_pts"})


def report_regret(sweep: Sweep) -> Sweep:
    """Is what the star sweep leaves on the table more than the test set's noise? Printed."""
    regret = regret_intervals(sweep.vs, sweep.utterances)
    if len(regret):
        print("regret (star WER - joint WER), 95 % paired-bootstrap interval over the utterances:")
        show(regret.drop(columns="n_utterances"))
    return replace(sweep, regret=regret)


def report_iso_flop(sweep: Sweep) -> Sweep:
    """Iso-FLOP curves at the sweep's budgets and the compute-optimal size per budget, printed;
    for ASR with the interpolated error per (size, budget) and how many budgets compare sizes,
    for SER with the seed spread that a regret must exceed."""
    mx = sweep.maximize
    curves = iso_flop.iso_flop_curves(sweep.pts, sweep.budgets, sweep.size, sweep.cost, sweep.metric, maximize=mx)
    opt = iso_flop.optimal_size(curves, sweep.size, sweep.metric, maximize=mx)
    if sweep.task == "SER":
        show(opt)
        if "ua_pct_std" in sweep.pts:
            print(f"seed spread: median std of UA over seeds {sweep.pts['ua_pct_std'].median():.2f} points "
                  "(regrets smaller than this are not resolved)")
        return replace(sweep, curves=curves, opt=opt)
    wide = curves.pivot(index=sweep.size, columns="budget", values="wer_pct")
    wide.columns = [f"B={b:g}" for b in wide.columns]
    print("interpolated WER (%) at each budget (rows: size in M parameters; blank = size not run near that compute)")
    show(wide, 2, index=True, na_rep="")
    show(opt.rename(columns={sweep.size: "best_params_m"}))
    multi = int((opt["n_sizes"] >= 2).sum())
    print(f"budgets where >= 2 sizes can be compared: {multi} of {len(opt)}"
          + ("" if multi else " — the sizes' compute ranges do not overlap, so no iso-FLOP comparison is possible here"))
    return replace(sweep, curves=curves, opt=opt)


def regret_line(sweep: Sweep) -> str:
    """Where a star sweep loses to the joint search (with the interval of the largest loss
    when ``report_regret`` gave one) and where it has no configuration at all."""
    vs = sweep.vs
    d = vs.dropna(subset=["regret_pts"])
    worst = d.loc[d["regret_pts"].idxmax()] if len(d) else None
    line = (f"- {sweep.task} ({sweep.described}): star-sweep regret > 0 at "
            f"{int((d['regret_pts'] > 1e-9).sum())} of {len(vs)} budgets")
    if worst is not None and worst["regret_pts"] > 1e-9:
        line += (f"; largest {worst['regret_pts']:.2f} points at {worst['budget']:g} GFLOPs "
                 f"(joint picks {worst['joint_label']}, star {worst['star_label']})")
        if sweep.regret is not None and len(sweep.regret):  # the largest regret's interval
            r = sweep.regret.loc[sweep.regret["regret_pts"].idxmax()]
            line += (f" (95 % paired-bootstrap interval {r['ci_low_pts']:+.2f}...{r['ci_high_pts']:+.2f} over "
                     f"{int(r['n_utterances'])} utterances: {'resolved' if r['resolved'] else 'not resolved'})")
    no_star = vs["star_label"].isna() & vs["joint_label"].notna()
    if no_star.any():
        line += f"; at {int(no_star.sum())} budget(s) the star sweep has no configuration at all"
    return line


def optimum_line(sweep: Sweep) -> str:
    """At how many budgets the iso-FLOP curves compare two or more sizes, and the best size there."""
    opt = sweep.opt
    comp = opt[opt["n_sizes"] >= 2]
    return (f"- {sweep.name or sweep.task}: compute-optimal size identifiable at {len(comp)} of {len(opt)} budgets"
            + (": " + ", ".join(f"{b:g} -> {s}" for b, s in zip(comp["budget"], comp.iloc[:, 1])) if len(comp) else ""))


def findings(*sweeps: Sweep | None) -> list[str]:
    """Notebook 07's summary: every sweep's regret line, then every sweep's optimum line."""
    present = [s for s in sweeps if s is not None]
    return [regret_line(s) for s in present] + [optimum_line(s) for s in present]
