"""Encoder-first vs joint training as a scaling law (issue 28; EFIN, Mu et al., arXiv 2508.04096).

Modules: ``budget`` (training FLOPs, convention ``matmul-train``, and the steps a budget buys),
``strategies`` (joint, encoder-first frozen, encoder-first top-1 tuned; ``EfinConfig``),
``train`` (the step modes and the loop), ``sweep`` (the rows of ``results/efin.csv``, resumable),
``report`` (the fitted laws with bootstrap intervals, compute at equal WER, WER at equal
compute, beside EFIN's). Design and what differs from EFIN: docs/efin.md.
"""
