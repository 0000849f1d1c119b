# evalcorr: `make render` builds the site and the PDF, `make test` runs the tests.
# Everything installs into a project-local virtual environment (.venv) from pyproject.toml.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python

# The upstream mirror: pass EVALCORR_DATA_DIR=/path, or keep ../shared/data beside the checkout.
# When neither exists, `make data` downloads from the upstream addresses in data/manifest.yaml.
# Both paths are exported absolute: Quarto may start a page's kernel in the page's own folder.
EVALCORR_DATA_DIR ?= $(if $(wildcard ../shared/data/README.md),../shared/data,)
EVALCORR_CACHE_DIR ?= data/cache
override EVALCORR_DATA_DIR := $(if $(EVALCORR_DATA_DIR),$(abspath $(EVALCORR_DATA_DIR)),)
override EVALCORR_CACHE_DIR := $(abspath $(EVALCORR_CACHE_DIR))
export EVALCORR_DATA_DIR EVALCORR_CACHE_DIR

# `make report SCORES=my_scores.csv [OUT=_report] [REPORT_ARGS="--metric acc_norm,none ..."]`
OUT ?= _report

.PHONY: help venv data render report test bench bench-quick clean experiment

help:
	@echo "make render   build the data cache, then the site (_site/) and the PDF"
	@echo "make report   the report of your own score table: make report SCORES=FILE-OR-FOLDER [OUT=_report]"
	@echo "make test     run the test suite"
	@echo "make data     build the data cache from the mirror ($(or $(EVALCORR_DATA_DIR),upstream download))"
	@echo "make bench    whole-process timings (medians) of data build, statistics and rendering, how cost"
	@echo "              grows with the table, and training throughput (about 15 min; writes docs/performance.md)"
	@echo "make bench-quick  the same, one run per case and no 100,000-model tables (a few minutes)"
	@echo "make experiment  re-run the controlled experiment (transfer matrices, then a population of models) and check it against the committed results (QUICK=1: reduced, minutes)"

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

# JAX for the controlled experiment and its tests; `make render` never needs it
$(VENV)/.installed-experiment: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[dev,experiment]'
	touch $@

data: venv
	$(PY) -m evalcorr data

# Without a mirror, a complete cache is rendered as it is (the data step says its raw files were not re-verified).
render: venv
	$(PY) -m evalcorr data --cache-if-no-mirror
	$(PY) -m evalcorr render

report: venv
	@test -n "$(SCORES)" || { echo "make report: name the score table, e.g. make report SCORES=my_scores.csv [OUT=_report]" >&2; exit 2; }
	$(PY) -m evalcorr report "$(SCORES)" --out "$(OUT)" $(REPORT_ARGS)

test: $(VENV)/.installed-experiment
	$(PY) -m pytest

# The controlled experiment, transfer stage then population stage (needs the experiment extra): re-run the full configuration and
# compare it with the committed results in data/controlled-transfer and data/controlled-population (resumes: finished runs are kept
# in .experiment/; delete it to start afresh). QUICK=1 runs the reduced configuration (minutes).
# `python -m evalcorr experiment` without --check writes new results into those folders.
experiment: $(VENV)/.installed-experiment
	$(PY) -m evalcorr experiment $(if $(QUICK),--quick,--check)

bench: data $(VENV)/.installed-experiment
	$(PY) bench/run.py

bench-quick: data $(VENV)/.installed-experiment
	$(PY) bench/run.py --quick

clean:
	rm -rf _site .render-cache _freeze .quarto downloads libs $(EVALCORR_CACHE_DIR)
