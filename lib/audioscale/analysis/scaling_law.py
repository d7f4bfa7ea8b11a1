"""Scaling law of error vs compute: error(C) = a · C^(−b) + e.

The form is the saturating power law used for error-rate-vs-FLOPs fits (EFIN, Mu et al. 2025,
arXiv 2508.04096): ``a`` sets the scale, ``b`` the rate at which compute buys error, and
``e >= 0`` the irreducible error that no compute removes. Choices, stated once:

- **Least squares on the error itself** (metric points, e.g. WER %), not on log error: the
  points we compare with the paper are in points, and the irreducible term is additive.
- **Conditioning.** Compute is divided by its geometric mean ``c_ref`` before fitting, so the
  optimiser sees O(1) numbers whatever the units (GFLOPs of Whisper large-v3 or of a 0.3 M
  model); ``a`` is reported back in the caller's units: error = a · C^(−b) + e with C as given.
- **Bounds**: a > 0, 0 < b <= 5, 0 <= e <= min(error) (the power term is positive, so the
  floor cannot exceed the best observed error). Parameters on a bound are flagged.
- **Deterministic**: a fixed starting point (e0 = min(error)/2, then a log-log line through
  error - e0) and scipy's bounded ``trf`` solver; the bootstrap uses a seeded generator.
- **Confidence intervals** by bootstrap. Default ``"residual"``: refit on fitted values plus
  resampled residuals, which keeps the design (the compute values) fixed — with ~10 points a
  pairs bootstrap often draws too few distinct compute values to fit three parameters.
  ``"pairs"`` resamples rows instead (draws with < 4 distinct compute values are skipped
  and counted).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import curve_fit

from ..errors import AudioscaleError, check_choice, check_int_range

B_MAX = 5.0
MIN_POINTS = 4  # three parameters need at least one residual degree of freedom


@dataclass(frozen=True)
class PowerLawFit:
    """error(C) = a · C^(−b) + e, C in the units the fit was given."""
    a: float
    b: float
    e: float
    c_ref: float  # geometric mean of the fitted compute; a = a_scaled · c_ref^b
    n_points: int
    rmse: float  # metric points
    at_bound: tuple[str, ...] = field(default=())

    def predict(self, cost) -> np.ndarray:
        cost = np.asarray(cost, dtype=float)
        return self.a * np.power(cost, -self.b) + self.e

    def compute_for(self, error: float) -> float:
        """The compute at which the fit reaches ``error`` (inf at or below the floor e)."""
        if error <= self.e:
            return float("inf")
        return float((self.a / (error - self.e)) ** (1.0 / self.b))

    def as_dict(self) -> dict:
        return {"a": self.a, "b": self.b, "e": self.e, "n_points": self.n_points, "rmse": self.rmse,
                "at_bound": ",".join(self.at_bound)}


def _scaled_model(x, a, b, e):
    return a * np.power(x, -b) + e


def _check_points(cost, error) -> tuple[np.ndarray, np.ndarray]:
    c = np.asarray(cost, dtype=float).ravel()
    y = np.asarray(error, dtype=float).ravel()
    if c.shape != y.shape:
        raise AudioscaleError(f"cost has {c.size} values but error has {y.size}; pass one error per cost.")
    if not (np.isfinite(c).all() and np.isfinite(y).all()):
        raise AudioscaleError("cost and error must be finite numbers; drop rows with missing values first.")
    if (c <= 0).any():
        raise AudioscaleError(f"cost must be > 0 (got min {c.min()}); a power law needs positive compute.")
    if (y < 0).any():
        raise AudioscaleError(f"error must be >= 0 (got min {y.min()}).")
    if np.unique(c).size < MIN_POINTS:
        raise AudioscaleError(f"a 3-parameter fit needs >= {MIN_POINTS} distinct cost values, got "
                              f"{np.unique(c).size}; add configurations or fit fewer parameters.")
    return c, y


def fit_power_law(cost, error) -> PowerLawFit:
    """Least-squares fit of error = a · cost^(−b) + e (see the module docstring)."""
    c, y = _check_points(cost, error)
    c_ref = float(np.exp(np.mean(np.log(c))))
    x = c / c_ref
    e_hi = float(y.min())
    e0 = 0.5 * e_hi
    # Starting point: a straight line in log-log through (x, y - e0).
    slope, intercept = np.polyfit(np.log(x), np.log(np.maximum(y - e0, 1e-9)), 1)
    b0 = float(np.clip(-slope, 1e-3, B_MAX - 1e-3))
    a0 = float(max(np.exp(intercept), 1e-9))
    lower, upper = [1e-12, 1e-6, 0.0], [np.inf, B_MAX, max(e_hi, 1e-12)]
    p0 = np.clip([a0, b0, e0], lower, [1e12, B_MAX, upper[2]])
    try:
        (a_s, b, e), _ = curve_fit(_scaled_model, x, y, p0=p0, bounds=(lower, upper), method="trf",
                                   max_nfev=20000, x_scale="jac")
    except RuntimeError as exc:  # no convergence: say what was being fitted
        raise AudioscaleError(f"power-law fit did not converge on {c.size} points: {exc}") from None
    resid = y - _scaled_model(x, a_s, b, e)
    at_bound = tuple(name for name, v, lo, hi in (("b", b, lower[1], upper[1]), ("e", e, lower[2], upper[2]))
                     if np.isclose(v, lo, atol=1e-6) or np.isclose(v, hi, atol=1e-6))
    return PowerLawFit(a=float(a_s * c_ref ** b), b=float(b), e=float(e), c_ref=c_ref, n_points=int(c.size),
                       rmse=float(np.sqrt(np.mean(resid ** 2))), at_bound=at_bound)


def bootstrap_fits(cost, error, n_boot: int = 1000, seed: int = 0, method: str = "residual") -> pd.DataFrame:
    """Refits on ``n_boot`` bootstrap draws: one row per successful refit (columns a, b, e).

    ``df.attrs["skipped"]`` counts draws that could not be fitted (pairs bootstrap with too few
    distinct costs, or a solver failure).
    """
    check_choice("method", method, ("residual", "pairs"))
    n_boot = check_int_range("n_boot", n_boot, 1)
    c, y = _check_points(cost, error)
    base = fit_power_law(c, y)
    fitted = base.predict(c)
    resid = y - fitted
    rng = np.random.default_rng(seed)
    rows, skipped = [], 0
    for _ in range(n_boot):
        if method == "residual":
            cb, yb = c, np.maximum(fitted + rng.choice(resid, size=resid.size, replace=True), 0.0)
        else:
            idx = rng.integers(0, c.size, size=c.size)
            cb, yb = c[idx], y[idx]
            if np.unique(cb).size < MIN_POINTS:
                skipped += 1
                continue
        try:
            f = fit_power_law(cb, yb)
        except AudioscaleError:
            skipped += 1
            continue
        rows.append((f.a, f.b, f.e))
    out = pd.DataFrame(rows, columns=["a", "b", "e"])
    out.attrs["skipped"] = skipped
    return out


@dataclass(frozen=True)
class FitWithCI:
    """A fit, its bootstrap refits and the percentile intervals drawn from them.

    ``table`` columns: ``param``, ``estimate``, ``ci_lo``, ``ci_hi``, ``at_bound``. (Kept out
    of ``DataFrame.attrs`` on purpose: pandas compares attrs when combining frames, and a frame
    stored there makes that comparison fail.)
    """
    fit: PowerLawFit
    table: pd.DataFrame
    boots: pd.DataFrame
    skipped: int
    level: float


def fit_with_ci(cost, error, n_boot: int = 1000, seed: int = 0, level: float = 0.95,
                method: str = "residual") -> FitWithCI:
    """Point estimates and percentile bootstrap intervals for a, b, e (see ``FitWithCI``)."""
    if not 0 < level < 1:
        raise AudioscaleError(f"level={level} must be in (0, 1), e.g. 0.95.")
    fit = fit_power_law(cost, error)
    boots = bootstrap_fits(cost, error, n_boot=n_boot, seed=seed, method=method)
    skipped = int(boots.attrs.get("skipped", 0))
    boots.attrs.clear()
    q = [(1 - level) / 2, (1 + level) / 2]
    rows = []
    for p in ("a", "b", "e"):
        lo, hi = (boots[p].quantile(q).to_numpy() if len(boots) else (np.nan, np.nan))
        rows.append({"param": p, "estimate": getattr(fit, p), "ci_lo": float(lo), "ci_hi": float(hi),
                     "at_bound": p in fit.at_bound})
    return FitWithCI(fit=fit, table=pd.DataFrame(rows), boots=boots, skipped=skipped, level=level)


def leave_one_group_out(df: pd.DataFrame, group: str = "model", cost: str = "gflops",
                        error: str = "wer_pct", keep: tuple[str, ...] = ()) -> pd.DataFrame:
    """Extrapolation check: hold out every row of one group (e.g. one model size), fit the
    rest, predict the held-out rows.

    One output row per held-out row: ``held_out`` (group value), the row's cost and error,
    ``predicted``, ``residual_pts`` = error − predicted, ``n_train``, ``extrapolation``
    (``"above"``/``"below"``/``"inside"`` the training compute range) and ``status``
    (``"ok"`` or why no fit was possible, e.g. too few distinct costs left). ``keep`` columns
    (e.g. a label) are copied from the held-out row.
    """
    for col in (group, cost, error):
        if col not in df.columns:
            raise AudioscaleError(f"column {col!r} is not in the rows (columns: {list(df.columns)}).")
    out = []
    for g in pd.unique(df[group]):
        test = df[df[group] == g]
        train = df[df[group] != g]
        fit, status = None, "ok"
        try:
            fit = fit_power_law(train[cost], train[error])
        except AudioscaleError as exc:
            status = str(exc).split(";")[0]
        cmin, cmax = train[cost].min(), train[cost].max()
        for _, r in test.iterrows():
            pred = float(fit.predict(r[cost])) if fit else np.nan
            where = "above" if r[cost] > cmax else "below" if r[cost] < cmin else "inside"
            out.append({"held_out": g, **{k: r[k] for k in keep}, cost: float(r[cost]), error: float(r[error]), "predicted": pred,
                        "residual_pts": float(r[error]) - pred, "n_train": int(len(train)),
                        "extrapolation": where, "status": status})
    return pd.DataFrame(out)


def fit_each(sets: dict[str, pd.DataFrame], cost: str = "gflops", error: str = "wer_pct", n_boot: int = 1000,
             seed: int = 0, level: float = 0.95) -> tuple[dict, pd.DataFrame]:
    """``fit_with_ci`` on each named data set. Returns ``{name: (rows, fit, bootstrap refits)}``
    and one table row per (data set, parameter): ``data``, ``n``, ``param``, ``estimate``,
    ``ci_lo``, ``ci_hi``, ``at_bound``, ``rmse_pts``. A floor fitted at its bound 0 comes out as
    ~1e-12 noise: the table shows it (and any |value| <= 1e-6) as 0."""
    fits, rows = {}, []
    for name, d in sets.items():
        res = fit_with_ci(d[cost], d[error], n_boot=n_boot, seed=seed, level=level)
        fits[name] = (d, res.fit, res.boots)
        for _, r in res.table.iterrows():
            rows.append({"data": name, "n": res.fit.n_points, "param": r["param"], "estimate": r["estimate"],
                         "ci_lo": r["ci_lo"], "ci_hi": r["ci_hi"], "at_bound": r["at_bound"], "rmse_pts": res.fit.rmse})
    table = pd.DataFrame(rows)
    num = ["estimate", "ci_lo", "ci_hi"]
    table[num] = table[num].where(table[num].abs() > 1e-6, 0.0)
    return fits, table


# How ``fit_each``'s table prints: estimates span 1e-1 to 1e7, so significant digits, not decimals.
FIT_TABLE_FORMATS = {"estimate": "{:.3g}".format, "ci_lo": "{:.3g}".format, "ci_hi": "{:.3g}".format,
                     "rmse_pts": "{:.2f}".format}


def doubling_table(fits: dict, at_costs) -> pd.DataFrame:
    """What one doubling of compute buys under each fit of ``fit_each``: per (data set, cost in
    ``at_costs``) the fitted error ``wer_fit`` and ``pts_per_doubling`` = fit(C) − fit(2C)."""
    rows = []
    for name, (_, f, _) in fits.items():
        for c in at_costs:
            rows.append({"data": name, "at_gflops": c, "wer_fit": float(f.predict(c)),
                         "pts_per_doubling": float(f.predict(c) - f.predict(2 * c))})
    return pd.DataFrame(rows)


def loo_summary(loo: pd.DataFrame) -> pd.DataFrame:
    """Per held-out group of ``leave_one_group_out``: ``mean_abs_residual_pts`` and whether
    predicting it was an ``extrapolation`` above or below the training compute."""
    return loo.groupby("held_out", sort=False).agg(mean_abs_residual_pts=("residual_pts", lambda r: r.abs().mean()),
                                                   extrapolation=("extrapolation", "first")).reset_index()
