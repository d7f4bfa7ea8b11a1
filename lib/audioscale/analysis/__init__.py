"""Reading result rows: our points of each world, labelled (``points``), Pareto frontiers and
dominations (``pareto``), error-vs-compute power laws with bootstrap intervals
(``scaling_law``), iso-FLOP curves (``iso_flop``), and the tables and findings of notebooks 06
(``frontier_report``) and 07 (``sweep_report``)."""
