"""The study as a book: a static HTML site from the committed, executed notebooks.

``python -m audioscale.book`` (``make book``) writes ``_build/book/``: a front page, one page per
notebook (``notebooks/NN_*.ipynb``, found by name, so new ones join), a page listing every
figure with the notebook cell and function that drew it, a FLOPs walk-through whose numbers
come from ``audioscale.accounting.flops`` at build time, and a glossary of the compute axes.

- ``build``: stage the sources and run Sphinx (MyST-NB, sphinx-book-theme; offline);
- ``pages``: the book's copy of a notebook (folded code, HTML tables, captioned figures, a
  provenance note) and the figures it saves;
- ``text_tables``: the notebooks' printed tables read back into cells;
- ``provenance``: the commit and date a page's numbers come from (git);
- ``flops_walkthrough``: the walk-through's numbers.
"""
