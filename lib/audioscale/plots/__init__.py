"""Figures: the study's style and saving (``style``), then one module per kind of figure, one
function per figure: ``accounting`` (notebook 00), ``asr`` (01-03), ``ser`` (04-05),
``pareto`` and ``frontier`` (06-07)."""
from .frontier import budget_choice_plot, fit_plot, frontier_plot, iso_flop_plot, spread_offsets
from .style import DOMINATED_COLOR, FRONTIER_COLOR, apply_style, figures_dir, log_x, save_figure

__all__ = ["DOMINATED_COLOR", "FRONTIER_COLOR", "apply_style", "budget_choice_plot", "figures_dir", "fit_plot",
           "frontier_plot", "iso_flop_plot", "log_x", "save_figure", "spread_offsets"]
