# The two commands: `make lab` and `make test`. Everything else is a helper.
#
# Set-up: inside an active virtual or conda environment the project is
# installed there; otherwise a .venv is made with the Python running make.
# The install is redone only when pyproject.toml changes (a stamp file).

PYTHON ?= python3
ifneq ($(strip $(VIRTUAL_ENV)$(CONDA_PREFIX)),)
  ENV_DIR := $(if $(VIRTUAL_ENV),$(VIRTUAL_ENV),$(CONDA_PREFIX))
  VENV_PY := $(shell command -v python)
else
  ENV_DIR := .venv
  VENV_PY := $(ENV_DIR)/bin/python
endif
STAMP := $(ENV_DIR)/.serverless-api-lab-installed
# SKIP_SETUP=1 runs a target in an environment that is already set up (used by tests).
SETUP := $(if $(SKIP_SETUP),,$(STAMP))
PYTEST_ARGS ?=
LAB_ARGS ?=

.PHONY: lab test setup solutions bench clean help

help:
	@echo "make lab    set up, then open JupyterLab on the first notebook"
	@echo "make test   set up, then run every test, notebooks included"
	@echo "make solutions  write solutions/ (exercises filled in, for instructors)"
	@echo "make bench  run the benchmarks in bench/ (prints ratios)"

setup: $(STAMP)

$(ENV_DIR)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed; found " + sys.version.split()[0] + ". Run: make PYTHON=python3.12 lab")'
	$(PYTHON) -m venv $(ENV_DIR)

$(STAMP): pyproject.toml | $(if $(filter .venv,$(ENV_DIR)),$(ENV_DIR)/bin/python)
	$(VENV_PY) -m pip install --quiet --upgrade pip
	$(VENV_PY) -m pip install --quiet -e '.[test]'
	@touch $@

# Containers (Binder, Docker, CI) often run as root, which Jupyter refuses
# unless told; a normal user never needs the flag.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

# JupyterLab also reads the project's settings in jupyter/ (Binder's start script does the same):
# chapter 00 first, and no "official Jupyter news" question covering it.
lab: export JUPYTER_CONFIG_PATH := $(CURDIR)/jupyter$(if $(JUPYTER_CONFIG_PATH),:$(JUPYTER_CONFIG_PATH))
lab: $(SETUP)
	$(VENV_PY) -m jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir=. $(ALLOW_ROOT) $(LAB_ARGS) notebooks/00_start_here.ipynb

# JupyterHub's proxy for the room test in tests/hub, from npm (its lock file);
# without npm that test says so and is skipped.
HUB_PROXY := tests/hub/node_modules/.package-lock.json
$(HUB_PROXY): tests/hub/package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --prefix tests/hub --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: the JupyterHub room test (tests/hub) will be skipped"; fi

# nbval runs each notebook in a kernel of this environment, strictly
# (outputs compared after the sanitizer); xdist spreads files over cores.
test: $(SETUP) $(if $(SKIP_SETUP),,$(HUB_PROXY))
	$(VENV_PY) -m pytest -n auto --dist loadscope --nbval --nbval-current-env \
		--nbval-sanitize-with tests/sanitize.cfg $(PYTEST_ARGS)

# Instructors: a copy of each notebook with the exercises filled in and run.
solutions: $(STAMP)
	$(VENV_PY) -m helpers.learn.solutions notebooks solutions

bench: $(STAMP)
	@for b in bench/bench_*.py; do echo "== $$b"; $(VENV_PY) $$b || exit 1; done

clean:
	rm -rf .venv build *.egg-info .pytest_cache tests/hub/node_modules
