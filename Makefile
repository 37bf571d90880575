# dnre-quad: make run (dashboard), make test (tests), make bench (benchmarks → BENCHMARKS.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= $(or $(STREAMLIT_SERVER_PORT),8501)
# The dashboard listens on this machine only; ADDRESS=0.0.0.0 exposes it (no login: see docs/dashboard.md).
ADDRESS ?= 127.0.0.1
export OMP_NUM_THREADS ?= 1

.PHONY: setup run test test-stability lint bench bench-smoke default-model clean

$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	touch $@

setup: $(VENV)/.installed

run: setup
	$(VENV)/bin/streamlit run app.py --server.port $(PORT) --server.address $(ADDRESS) --server.headless true

# The multi-seed DNRE stability guard (about 14 minutes on one core on a slow day) runs beside the rest of the
# suite, which uses one torch thread: on a 2-core machine both finish in about the time of the longer one.
test: setup browser-setup
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -m stability > .stability.log 2>&1 & guard=$$!; \
	$(PY) -m pytest -m "not stability"; suite=$$?; \
	wait $$guard; stability=$$?; \
	echo "--- stability guard (tests/test_dnre_stability.py) ---"; cat .stability.log; \
	test $$suite -eq 0 -a $$stability -eq 0

test-stability: setup bench-setup
	$(PY) -m pytest -m stability

lint: setup
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

# Benchmarks (dnre_core/benchmarks): sbibm's tasks, sbi's peers. Packages from requirements-bench.txt, without deps.
.PHONY: bench-setup
$(VENV)/.bench-installed: requirements-bench.txt $(VENV)/.installed
	$(PY) -m pip install -q --no-deps -r requirements-bench.txt
	touch $@

bench-setup: $(VENV)/.bench-installed

# The full sbibm run (issue 4), resumed where its results file stops: all ten tasks, 10k simulations, observations
# 1-10; DNRE with MH and HMC, NRE and BNRE with MH, on seeds 0-2; sbi's NRE_A, NRE_B and BNRE on seed 0. C2ST uses
# 1,000 samples a side (see the report). BENCH_ARGS, given last so that it wins, picks cells, e.g.
# BENCH_ARGS="--tasks two_moons --seeds 0". A recorded failed cell makes a step exit 1; the next steps still run.
SBIBM_FULL := -m dnre_core.benchmarks --budget 10000 --observations 1-10 --seeds 0-2 --jobs 2 \
	--posterior-samples 1000 --reference-samples 1000 --coverage-pairs 50 \
	--results bench/results/sbibm_full.jsonl --report bench/results/sbibm_full.md --figures bench/figures/full \
	--preamble bench/preambles/sbibm_full.md --model-cache bench/cache/models
BENCH_ARGS ?=
bench: bench-setup
	$(PY) bench/bench_core.py
	$(PY) bench/bench_callbacks.py  # what live R-hat/ESS in sampler callbacks cost
	$(PY) bench/bench_gpu.py  # measures only where CUDA is present
	$(PY) bench/bench_simulator.py
	$(PY) bench/bench_dashboard.py  # the Design lab's 100 × 100 sweep, Pareto and parcoords figures for 10,000 designs
	-$(PY) $(SBIBM_FULL) --methods dnre --samplers mh,hmc $(BENCH_ARGS)
	-$(PY) $(SBIBM_FULL) --methods nre,bnre --samplers mh $(BENCH_ARGS)
	-$(PY) $(SBIBM_FULL) --methods sbi-nre-a,sbi-nre-b,sbi-bnre --seeds 0 $(BENCH_ARGS)
	$(PY) bench/c2st_reference_size.py  # sbibm's 10,000-sample C2ST on a subset of the full run's models
	$(PY) bench/coverage_pairs.py  # DNRE's coverage on the issue's 200 held-out pairs, the full run's models
	$(PY) bench/dnre_partners.py  # DNRE's contrastive partners, K = 4 against K = 1, on held-out simulations
	$(PY) bench/mh_mixing.py  # gaussian_mixture: the learned posterior against what MH and HMC draw from it
	$(PY) bench/mh_spread.py  # MH's scale_spread on all ten tasks (seed 0): a default considered for gaussian_mixture's HMC - MH gap
	$(PY) bench/temperature.py  # DNRE before and after temperature calibration: coverage and C2ST, seed 0
	$(PY) bench/assemble.py

# A check that the benchmark works end to end on real training, not a measurement: the library's early-stopping
# patience (20 epochs; the full run's 200 spent 285 s on two_moons alone on a slow day) and 5 coverage pairs, which
# exercise the coverage path (20 pairs, each a 100-chain MH and HMC run, were most of gaussian_linear's share).
bench-smoke: bench-setup
	rm -f bench/results/smoke/results.jsonl  # a check of the current code: never resume an older run
	$(PY) -m dnre_core.benchmarks --tasks two_moons,gaussian_linear --methods dnre --samplers mh,hmc --budget 2000 \
		--observations 1 --seeds 0 --jobs 2 --results bench/results/smoke/results.jsonl --report bench/results/smoke/sbibm.md \
		--figures bench/results/smoke/figures --posterior-samples 1000 --reference-samples 1000 --coverage-pairs 5 \
		--patience 20 --max-c2st 0.75

# Dashboard (issue 5): the shipped default model, and Debian's chromium for the browser end-to-end test.
.PHONY: browser-setup
default-model: setup
	$(PY) scripts/make_default_model.py

browser-setup:
	test -x /usr/bin/chromium || (apt-get update && apt-get install -y chromium)
