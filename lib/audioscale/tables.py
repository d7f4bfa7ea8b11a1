"""How the notebooks print a table: one ``show`` for all of them.

nbval compares printed text exactly, so every number is rounded before it is printed. Two
styles cover the study's tables:

- ``digits`` (default): each column rounded to ``digits`` decimals, except small costs (a
  ``gflops*`` or ``budget`` float column whose values stay under 100: the embedded world's
  GFLOPs are fractions), which keep 4 significant digits;
- ``float_format``: one formatter for every float value, e.g. ``three_or_one`` (the SER
  notebooks' tables, where UA deltas and fractional GFLOPs share a table).
"""
from __future__ import annotations

from collections.abc import Callable

import pandas as pd

SMALL_COST_MAX = 100  # below this a GFLOPs column is the embedded world's: 2 decimals would erase it


def three_or_one(v: float) -> str:
    """3 decimals under 10 in magnitude, 1 above (0.122 GFLOPs beside a UA of 41.4)."""
    return f"{v:.3f}" if abs(v) < 10 else f"{v:.1f}"


def two(v: float) -> str:
    return f"{v:.2f}"


def small_cost_formatters(df: pd.DataFrame) -> dict:
    """``{column: "{:.4g}".format}`` for the float cost columns (``gflops*``, ``budget``) whose
    values are all under ``SMALL_COST_MAX``."""
    return {c: "{:.4g}".format for c in df.columns
            if ("gflops" in str(c) or c == "budget") and pd.api.types.is_float_dtype(df[c])
            and df[c].abs().max() < SMALL_COST_MAX}


def format_table(df: pd.DataFrame, digits: int | None = 2, *, index: bool = False,
                 float_format: Callable[[float], str] | None = None, formatters: dict | None = None,
                 na_rep: str = "NaN") -> str:
    """The text ``show`` prints (see the module docstring for the two styles). ``formatters``
    override per column; ``digits=None`` leaves the values unrounded."""
    if float_format is not None:
        return df.to_string(index=index, float_format=float_format, formatters=formatters, na_rep=na_rep)
    fmt = {**small_cost_formatters(df), **(formatters or {})}
    if digits is not None:
        df = df.round({c: digits for c in df.columns if c not in fmt})
    return df.to_string(index=index, formatters=fmt, na_rep=na_rep)


def show(df: pd.DataFrame, digits: int | None = 2, **kw) -> None:
    """Print ``format_table(df, digits, **kw)``."""
    print(format_table(df, digits, **kw))
