"""Reading result rows: Pareto frontiers and dominations (``pareto``), error-vs-compute power
laws with bootstrap intervals (``scaling_law``) and iso-FLOP curves (``iso_flop``)."""
