# dnre-quad: make run (dashboard), make test (the whole suite, as CI runs it), make bench (→ BENCHMARKS.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= $(or $(STREAMLIT_SERVER_PORT),8501)
# The dashboard listens on this machine only; ADDRESS=0.0.0.0 exposes it (no login: see docs/dashboard.md).
ADDRESS ?= 127.0.0.1
export OMP_NUM_THREADS ?= 1
# Python byte-compiles each module on its first import and keeps the .pyc, even where the environment sets
# PYTHONDONTWRITEBYTECODE (as container images often do): otherwise each of the suite's many processes would compile
# its imports afresh. This replaces compiling the whole venv at install (pip runs with --no-compile), most of whose
# files are never imported.
export PYTHONDONTWRITEBYTECODE :=

.PHONY: setup run test test-stability lint bench bench-smoke default-model clean

$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q --no-compile -r requirements.txt
	$(PY) -m pip install -q --no-compile --no-deps --no-build-isolation -e .
	touch $@

setup: $(VENV)/.installed

run: setup
	$(VENV)/bin/streamlit run app.py --server.port $(PORT) --server.address $(ADDRESS) --server.headless true

# The whole suite, as CI runs it (.ci/run is `make test`): lint, then the tests and the DNRE stability guard, with
# everything they need set up first (the browser's install beside the Python packages'). The tests run on two
# pytest-xdist workers of one torch thread each, a test file at a time, in the order given: longest first (the
# stability guard, then the files that take a minute or more), so that a worker that is free takes the next file and
# the two finish close together instead of one waiting for the other's long last file.
LONGEST := tests/test_dnre_stability.py tests/test_e2e_browser.py tests/test_linear_gaussian.py tests/test_masking.py \
	tests/test_design.py tests/test_benchmark_runner.py tests/test_pages_app.py
TEST_FILES := $(LONGEST) $(filter-out $(LONGEST),$(sort $(wildcard tests/test_*.py)))
test:
	$(MAKE) --no-print-directory -j 3 setup bench-setup browser-setup
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -n 2 --dist loadfile --no-loadscope-reorder $(TEST_FILES)

test-stability: setup bench-setup
	$(PY) -m pytest -m stability

lint: setup
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

# Benchmarks (the benchmarks/ package, not installed; `python -m benchmarks --help`): the packages of
# requirements-bench.txt, installed without their dependencies (the file says why).
.PHONY: bench-setup bench-sbibm
$(VENV)/.bench-installed: requirements-bench.txt $(VENV)/.installed
	$(PY) -m pip install -q --no-deps -r requirements-bench.txt
	touch $@

bench-setup: $(VENV)/.bench-installed

# The sbibm run, resumed where benchmarks/results/sbibm_full.jsonl stops: all ten tasks, 10k simulations,
# observations 1-10; DNRE with MH and HMC, NRE and BNRE with MH, on seeds 0-2; sbi's NRE_A, NRE_B and BNRE on seed 0.
# Its models are kept in benchmarks/cache/models for the studies. A results file holds one configuration: after a
# library default changes, the run is refused until SBIBM_RESULTS names a new file. BENCH_ARGS, given last so that
# it wins, picks cells, e.g. BENCH_ARGS="--tasks two_moons --seeds 0". A failed cell makes a step exit 1; the next
# steps still run.
SBIBM_RESULTS ?= benchmarks/results/sbibm_full
SBIBM_FULL := -m benchmarks sbibm --budget 10000 --observations 1-10 --seeds 0-2 --jobs 2 \
	--posterior-samples 1000 --reference-samples 1000 --coverage-pairs 50 \
	--results $(SBIBM_RESULTS).jsonl --report $(SBIBM_RESULTS).md --figures benchmarks/figures/full \
	--preamble benchmarks/preambles/sbibm_full.md --model-cache benchmarks/cache/models
BENCH_ARGS ?=
bench-sbibm: bench-setup
	-$(PY) $(SBIBM_FULL) --methods dnre --samplers mh,hmc $(BENCH_ARGS)
	-$(PY) $(SBIBM_FULL) --methods nre,bnre --samplers mh $(BENCH_ARGS)
	-$(PY) $(SBIBM_FULL) --methods sbi-nre-a,sbi-nre-b,sbi-bnre --seeds 0 $(BENCH_ARGS)

# Everything, then BENCHMARKS.md: the speed benchmarks (gpu measures only where CUDA is present), the sbibm run, its
# follow-up studies (each resumes its results file: a finished one only rewrites its summary), then the assembly.
STUDIES := c2st_reference_size coverage_pairs mh_mixing mh_spread default_sampling temperature dnre_partners \
	early_stopping ablation
bench: bench-setup
	$(PY) -m benchmarks speed core
	$(PY) -m benchmarks speed callbacks
	$(PY) -m benchmarks speed gpu
	$(PY) -m benchmarks speed simulator
	$(PY) -m benchmarks speed dashboard
	$(MAKE) --no-print-directory bench-sbibm
	for study in $(STUDIES); do $(PY) -m benchmarks study $$study || exit 1; done
	$(PY) -m benchmarks assemble

# A check that the sbibm run works end to end on real training, not a measurement: two_moons at 2,000 simulations
# with both samplers, a short early-stopping patience and 5 coverage pairs, which exercise the coverage path; it fails
# on a failed cell or a C2ST above 0.75. Worth running before a long `make bench` after a change to the benchmark. Not
# part of `make test`: the suite covers its parts (the runner and its report: tests/test_benchmark_runner.py; the
# default DNRE's accuracy on two_moons: the stability guard). Its files go to benchmarks/results/smoke/ (not in git).
SMOKE := benchmarks/results/smoke
bench-smoke: bench-setup
	rm -rf $(SMOKE) && $(PY) -m benchmarks sbibm --tasks two_moons --methods dnre --samplers mh,hmc --budget 2000 \
		--observations 1 --seeds 0 --jobs 2 --results $(SMOKE)/results.jsonl --report $(SMOKE)/sbibm.md \
		--figures $(SMOKE)/figures --posterior-samples 1000 --reference-samples 1000 --coverage-pairs 5 --patience 20 \
		--max-c2st 0.75 --no-progress  # a check of the current code: it never resumes an older run

# Dashboard (issue 5): the shipped default model, and Debian's chromium for the browser end-to-end test.
.PHONY: browser-setup
default-model: setup
	$(PY) scripts/make_default_model.py

browser-setup:
	test -x /usr/bin/chromium || (apt-get update && apt-get install -y chromium)
