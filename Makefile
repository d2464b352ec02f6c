# The two commands: `make lab` and `make test`. Everything else is a helper.
#
# Both run helpers/make.py (standard library only), which Windows runs without
# make as `py -m helpers.make lab` / `py -m helpers.make test`: one set-up on every OS.
# Set-up: inside an active virtual or conda environment the project is
# installed there; otherwise a .venv is made with the Python running make.
# The install is redone only when pyproject.toml changes (a stamp file).

PYTHON ?= python3
# SKIP_SETUP=1 runs a target in an environment that is already set up (used by tests);
# VENV_PY=<interpreter> runs it with that environment's interpreter.
RUN := $(PYTHON) -m helpers.make $(if $(SKIP_SETUP),--skip-setup) $(if $(VENV_PY),--python $(VENV_PY))
PYTEST_ARGS ?=
LAB_ARGS ?=

.PHONY: lab test setup solutions bench clean help

help:
	@echo "make lab    set up, then open JupyterLab on the first notebook"
	@echo "make test   set up, then run every test, notebooks included"
	@echo "make solutions  write solutions/ (exercises filled in, for instructors)"
	@echo "make bench  run the benchmarks in bench/ (prints ratios)"
	@echo "Without make (Windows): py -m helpers.make lab, py -m helpers.make test"

setup:
	@$(RUN) setup

# JupyterLab on 127.0.0.1, chapter 00 first, with the project's settings in jupyter/.
lab:
	@$(RUN) lab $(LAB_ARGS)

# JupyterHub's proxy for the room test in tests/hub, from npm (its lock file);
# without npm that test says so and is skipped.
HUB_PROXY := tests/hub/node_modules/.package-lock.json
$(HUB_PROXY): tests/hub/package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --prefix tests/hub --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: the JupyterHub room test (tests/hub) will be skipped"; fi

# nbval runs each notebook in a kernel of this environment, strictly
# (outputs compared after the sanitizer); xdist spreads files over cores.
test: $(if $(SKIP_SETUP),,$(HUB_PROXY))
	@$(RUN) test $(PYTEST_ARGS)

# Instructors: a copy of each notebook with the exercises filled in and run.
solutions: setup
	"$$($(RUN) python)" -m helpers.learn.solutions notebooks solutions

bench: setup
	@py="$$($(RUN) python)"; for b in bench/bench_*.py; do echo "== $$b"; "$$py" $$b || exit 1; done

clean:
	rm -rf .venv build *.egg-info .pytest_cache tests/hub/node_modules
