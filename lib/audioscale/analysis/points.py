"""Our points: the result rows of each world, read and labelled, one point per configuration.

Notebooks 06 (frontiers) and 07 (iso-FLOP sweep) read the same worlds through this module:

- **paper**: the paper's printed tables (``paper_asr``, ``paper_ser``);
- **embedded**: our sweeps' rows, ``results/asr_embedded.csv`` and ``results/ser_embedded.csv``
  (``embedded``);
- **real Whisper, synthetic voice**: ``results/asr_real.csv``, OpenAI's weights reading
  LibriSpeech test-other's text in a synthetic voice (``real_asr``, with per-utterance errors
  for paired intervals).

Rows become points through ``configurations`` (seeds averaged; every stored config field
keeps runs apart), ``one_eval_set`` (a frontier must not mix test sets) and a cost column
(``cost_column``), then get the paper's names (``asr_labels``, ``ser_labels``). The frontier
math lives in ``pareto``.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import AudioscaleError
from .pareto import _joined, _num, collapse_seeds

REAL = "real Whisper, synthetic voice"  # the third world's name wherever its numbers are printed


def cost_column(df: pd.DataFrame, convention: str = "paper") -> str:
    """The GFLOPs column to use as cost: ``gflops_<convention>`` when the rows have it, else
    ``gflops``, else the first ``gflops_*`` column (callers print which one they got)."""
    for col in (f"gflops_{convention}", "gflops"):
        if col in df.columns:
            return col
    others = sorted(c for c in df.columns if str(c).startswith("gflops_"))
    if not others:
        raise AudioscaleError(f"the rows have no GFLOPs column (columns: {list(df.columns)}); "
                              "result rows must carry gflops or gflops_<convention>.")
    return others[0]


def asr_labels(df: pd.DataFrame) -> pd.Series:
    """``model-frames-sK`` (e.g. ``medium-1500-s2``), plus the pooling when a stride > 1 row
    says how it pooled (``small-750-s2mean``): the paper's names for its configurations."""
    def one(r):
        lab = f"{r['model']}-{_num(r['encoder_frames'])}-s{_num(r['stride'])}"
        pool = r.get("pooling")
        if _num(r["stride"]) not in ("", "1") and isinstance(pool, str) and pool:
            lab += pool
        return lab
    return df.apply(one, axis=1).astype(str) if len(df) else pd.Series([], dtype=str)


def ser_labels(df: pd.DataFrame) -> pd.Series:
    """``<model> <duration>s <recipe>`` with ``r<rank>`` / ``k<top-k>`` when they apply, for
    the paper's columns (adaptation, lora_rank, unfrozen_top_layers) or our rows' (recipe,
    rank, top_k). ``wav2vec2-`` is dropped from model names to keep plot labels short."""
    def one(r):
        model = str(r["model"]).removeprefix("wav2vec2-")
        recipe = r.get("adaptation", r.get("recipe", ""))
        rank = _num(r.get("lora_rank", r.get("rank")))
        top = _num(r.get("unfrozen_top_layers", r.get("top_k")))
        parts = [model, f"{_num(r['duration_s'])}s"]
        if str(recipe).startswith("full"):
            parts.append("full")
        else:
            parts += ([f"r{rank}"] if rank else []) + ([f"k{top}"] if top not in ("", "0") else [])
            if top in ("", "0") and rank:
                parts.append("lora-only")
        return " ".join(parts)
    return df.apply(one, axis=1).astype(str) if len(df) else pd.Series([], dtype=str)


def configurations(rows: pd.DataFrame, metric: str, axes: Sequence[str], seed: str = "seed") -> pd.DataFrame:
    """Result-store rows -> one point per configuration (seeds averaged), ready for a frontier.

    A configuration is the row's ``config_key`` (its full config JSON) with the seed removed,
    so every knob that was stored with the row (data set, pooling, init, ...) keeps runs
    apart, not only ``axes``. Output: the ``metric`` mean, ``<metric>_std``, ``n_seeds``, and
    every column that is constant within each configuration (costs, parameter counts, ...).
    ``attrs["axes"]`` = ``axes`` present in the rows plus any other config field that varies
    and is not already fixed by them (so no two output rows share all their axis values).
    """
    import json

    if rows.empty:
        return rows.copy()
    if metric not in rows.columns:
        raise AudioscaleError(f"metric {metric!r} is not in the rows (columns: {list(rows.columns)}).")
    if "config_key" in rows.columns:
        cfgs = [json.loads(k) for k in rows["config_key"]]
        fields = sorted({f for c in cfgs for f in c} - {seed})
        ident = [json.dumps({k: v for k, v in c.items() if k != seed}, sort_keys=True) for c in cfgs]
    else:
        fields = [a for a in axes if a in rows.columns]
        ident = _joined(rows[fields]).tolist()
    df = rows.assign(_config=ident)
    g = df.groupby("_config", sort=True)
    const = [c for c in df.columns if c not in ("_config", metric, "config_key", seed)
             and (g[c].nunique(dropna=False) <= 1).all()]
    out = collapse_seeds(df, ["_config"], metric, keep=const).drop(columns="_config")
    present = [a for a in axes if a in out.columns]
    extra = []
    for f in fields:
        if f in present or f not in out.columns or out[f].nunique(dropna=False) <= 1:
            continue
        if present and (out.groupby(present, dropna=False)[f].nunique(dropna=False) <= 1).all():
            continue  # determined by the axes (e.g. a checkpoint path that names the model)
        extra.append(f)
    out.attrs["axes"] = present + extra
    return out


def one_eval_set(points: pd.DataFrame, wanted: str = "", column: str = "data") -> pd.DataFrame:
    """Keep one evaluation set when the rows hold several (a frontier must not mix test sets).

    ``wanted`` names the value of ``column`` to keep; "" (or a value not present) keeps the one
    with the most configurations (ties: alphabetical). ``attrs["eval_sets"]`` lists all values,
    ``attrs["eval_set"]`` the kept one; ``column`` leaves ``attrs["axes"]``.

    Rows scored on the first N utterances only (``limit`` other than -1, e.g. the cheap check
    row a test recomputes) are another evaluation set too: where full-set rows exist, subset
    rows are dropped (counted in ``attrs["subset_rows_dropped"]``) and ``limit`` leaves the axes.
    """
    points = _drop_subset_rows(points)
    if column not in points.columns or points[column].nunique(dropna=False) <= 1:
        out = points.copy()
        out.attrs["eval_sets"] = sorted(points[column].dropna().astype(str).unique()) if column in points else []
        out.attrs["eval_set"] = out.attrs["eval_sets"][0] if out.attrs["eval_sets"] else ""
        return out
    counts = points[column].astype(str).value_counts()
    counts = counts.sort_index().sort_values(ascending=False, kind="stable")
    pick = wanted if wanted in counts.index else counts.index[0]
    out = points[points[column].astype(str) == pick].copy()
    out.attrs["axes"] = [a for a in points.attrs.get("axes", []) if a != column]
    out.attrs["eval_sets"] = sorted(counts.index)
    out.attrs["eval_set"] = pick
    return out


def _drop_subset_rows(points: pd.DataFrame, column: str = "limit") -> pd.DataFrame:
    attrs = dict(points.attrs)
    if column not in points.columns:
        out = points.copy()
        out.attrs = {**attrs, "subset_rows_dropped": 0}
        return out
    limit = pd.to_numeric(points[column], errors="coerce").fillna(-1)
    full = limit == -1
    out = points[full].copy() if full.any() else points.copy()
    out.attrs = {**attrs, "subset_rows_dropped": int((~full).sum()) if full.any() else 0,
                 "axes": [a for a in attrs.get("axes", []) if a != column] if full.any() else attrs.get("axes", [])}
    return out


def short_model_names(models: pd.Series) -> pd.Series:
    """Plot-friendly model names: the last path component, minus a prefix shared by all names
    up to its last "-" (``checkpoints/asr-mini-tiny`` -> ``tiny`` beside ``asr-mini-small``)."""
    import os

    base = models.astype(str).str.rsplit("/", n=1).str[-1]
    uniq = sorted(base.unique())
    if len(uniq) < 2:
        return base
    prefix = os.path.commonprefix(uniq)
    prefix = prefix[: prefix.rfind("-") + 1]
    if not prefix or any(len(u) == len(prefix) for u in uniq):
        return base
    return base.str.slice(len(prefix))


ASR_AXES = ("model", "encoder_frames", "stride", "pooling")
SER_AXES = ("model", "duration_s", "recipe", "rank", "top_k")


def world_points(rows: pd.DataFrame, metric: str, axes: Sequence[str], eval_set: str = "",
                 convention: str = "paper") -> pd.DataFrame:
    """Result rows -> one frontier point per configuration on one evaluation set.

    ``configurations`` (seeds averaged), then ``one_eval_set`` (one test set; rows scored on a
    subset left out), then rows lacking the cost or the metric dropped; model names shortened
    (``short_model_names``). ``attrs``: ``axes``, ``eval_sets``, ``eval_set``,
    ``subset_rows_dropped``, ``cost`` (the ``gflops_<convention>`` column used, see
    ``cost_column``) and ``n_rows`` (input rows). Empty rows give an empty frame with the same
    attrs keys.
    """
    if rows.empty:
        out = rows.copy()
        out.attrs = {"axes": [], "eval_sets": [], "eval_set": "", "subset_rows_dropped": 0, "cost": None, "n_rows": 0}
        return out
    pts = one_eval_set(configurations(rows, metric, list(axes)), eval_set)
    attrs = dict(pts.attrs)
    cost = cost_column(pts, convention)
    pts = pts.dropna(subset=[cost, metric]).copy()
    pts["model"] = short_model_names(pts["model"])
    pts.attrs = {**attrs, "cost": cost, "n_rows": len(rows)}
    return pts


def asr_points(rows: pd.DataFrame, eval_set: str = "", convention: str = "paper", metric: str = "wer_pct",
               axes: Sequence[str] = ASR_AXES) -> pd.DataFrame:
    """ASR result rows -> ``world_points``, plus ``label`` (``asr_labels``) and ``xv``: token
    resolution as one knob (``s1``; ``s2-select``, ``s2-mean``), since stride 1 has no pooling
    choice. Index reset; attrs as ``world_points``'."""
    pts = world_points(rows, metric, axes, eval_set, convention)
    if pts.empty:
        return pts
    attrs = dict(pts.attrs)
    pts["xv"] = token_resolution(pts)
    pts["label"] = asr_labels(pts)
    pts = pts.reset_index(drop=True)
    pts.attrs = attrs
    return pts


def token_resolution(pts: pd.DataFrame) -> np.ndarray:
    """xV as one knob per row: ``s1``, else ``s<stride>-<pooling>`` (``select`` when the rows
    say nothing about pooling, as the paper's do)."""
    pool = pts["pooling"].astype(str) if "pooling" in pts else pd.Series("select", index=pts.index)
    stride = pd.to_numeric(pts["stride"])
    return np.where(stride == 1, "s1", "s" + stride.astype(int).astype(str) + "-" + pool)


def ser_points(rows: pd.DataFrame, eval_set: str = "", convention: str = "paper",
               axes: Sequence[str] = SER_AXES) -> pd.DataFrame:
    """SER result rows -> ``world_points`` of UA in percent (``ua_pct``; the SER runner stores
    UA as a fraction), plus ``label`` (``ser_labels``) and ``params_m`` (the backbone's
    parameters, millions) when the rows carry ``backbone_params``."""
    if not rows.empty and "ua_pct" not in rows:
        rows = rows.assign(ua_pct=100.0 * rows["ua"])
    pts = world_points(rows, "ua_pct", axes, eval_set, convention)
    if pts.empty:
        return pts
    pts["label"] = ser_labels(pts)
    if "backbone_params" in pts:
        pts["params_m"] = pts["backbone_params"] / 1e6
    return pts


def asr_utterance_errors(rows: pd.DataFrame, utterances: pd.DataFrame) -> pd.DataFrame:
    """Per-utterance error counts of ASR result rows, labelled the way ``asr_points`` labels
    them: ``label``, ``utt_id``, ``errors``, ``n_ref_words`` (the input of
    ``paired_wer_intervals``). ``utterances`` is the store's per-utterance file
    (``ResultStore.utterances``), keyed by ``config_id``; give the rows of one seed and one
    evaluation set, so that each label names one row."""
    from ..results import config_id

    labels = asr_labels(rows.assign(model=short_model_names(rows["model"])))
    if labels.duplicated().any():
        raise AudioscaleError(f"configurations repeat (e.g. {labels[labels.duplicated()].iloc[0]!r}); "
                              "give one row per configuration (one seed, one evaluation set, one guard).")
    ids = pd.DataFrame({"label": labels.to_numpy(), "config_id": rows["config_key"].map(config_id).to_numpy()})
    return ids.merge(utterances, on="config_id")[["label", "utt_id", "errors", "n_ref_words"]]


# ------------------------------------------------------------------ the three worlds
def paper_asr() -> pd.DataFrame:
    """The paper's eleven Whisper configurations (GFLOPs, WER on test-other), labelled."""
    from .. import paper

    asr = paper.asr_table()
    asr["label"] = asr_labels(asr)
    return asr


def paper_ser() -> pd.DataFrame:
    """The paper's SER rows, labelled. Its table lists the large-robust 4 s LoRA r16 + top-4
    configuration twice (duration sweep and adaptation ablation, same numbers): kept once."""
    from .. import paper

    ser = paper.ser_table()
    ser = ser.drop_duplicates(subset=["model", "duration_s", "adaptation", "lora_rank", "unfrozen_top_layers"])
    ser["label"] = ser_labels(ser)
    return ser


EMBEDDED = {"asr": "asr_embedded", "ser": "ser_embedded"}


def embedded(task: str, eval_set: str = "", convention: str = "paper") -> pd.DataFrame:
    """Our embedded sweep of ``task`` ("asr" or "ser") as points (``asr_points`` /
    ``ser_points``); ``attrs["experiment"]`` names its results file. Empty when the file is
    absent (``attrs["n_rows"] == 0``)."""
    from ..results import ResultStore

    if task not in EMBEDDED:
        raise AudioscaleError(f"task={task!r} is not one of {sorted(EMBEDDED)}.")
    rows = ResultStore(EMBEDDED[task]).rows()
    pts = (asr_points if task == "asr" else ser_points)(rows, eval_set, convention)
    pts.attrs["experiment"] = EMBEDDED[task]
    return pts


def real_asr(guard: str, convention: str = "paper") -> tuple[pd.DataFrame, pd.DataFrame]:
    """The real-Whisper rows of the read-aloud subset under one decoding ``guard`` as points
    (``asr_points``), and their per-utterance error counts (``asr_utterance_errors``; empty
    when the per-utterance file is absent). ``attrs["stored_rows"]``: all real rows stored
    (0: ``results/asr_real.csv`` is absent); the points are empty when none is under ``guard``."""
    from ..asr import real_report
    from ..results import ResultStore

    rows = real_report.load_rows(compute=False, verbose=False)
    if rows.empty:
        pts = asr_points(rows)
        pts.attrs["stored_rows"] = 0
        return pts, pd.DataFrame(columns=["label", "utt_id", "errors", "n_ref_words"])
    main = real_report.main_rows(rows)
    main = main[main["guard"] == guard]
    pts = asr_points(main, convention=convention)
    pts.attrs["stored_rows"] = len(rows)
    utts = asr_utterance_errors(main, ResultStore("asr_real").utterances.read()) if len(main) else \
        pd.DataFrame(columns=["label", "utt_id", "errors", "n_ref_words"])
    return pts, utts


def describe(pts: pd.DataFrame, name: str, axes: bool = True, seeds: bool = False,
             subset_apart: bool = False) -> list[str]:
    """What was read: a line naming the evaluation sets when there were several, then
    ``<name>: <n> rows -> <m> configurations[ (seeds per configuration: ...)][; axes ...];
    cost column ...`` and the rows scored on a subset that were left out (appended, or on a
    line of their own before it with ``subset_apart``)."""
    a = pts.attrs
    out = []
    if len(a.get("eval_sets", [])) > 1:
        out.append(f"{name}: evaluation sets {a['eval_sets']}; analysing {a['eval_set']!r}")
    dropped = a.get("subset_rows_dropped", 0)
    left_out = f"{dropped} row(s) scored on a subset of the test set left out"
    if dropped and subset_apart:
        out.append(f"{name}: {left_out}")
    line = f"{name}: {a['n_rows']} rows -> {len(pts)} configurations"
    if seeds:
        line += f" (seeds per configuration: {sorted(pts['n_seeds'].unique().tolist())})"
    if axes:
        line += f"; axes {a['axes']}"
    line += f"; cost column {a['cost']}"
    if dropped and not subset_apart:
        line += f"; {left_out}"
    return out + [line]
