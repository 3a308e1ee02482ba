# jupyterlab-flight: two commands on a fresh machine.
#   make demo   creates .venv, builds everything (the MCP SDK too), starts a demo target and prints how to attach
#   make test   installs what the tests need and runs them all
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)
TARGET_PYTHONS := 3.9 3.10 3.11 3.12 3.13 3.8

.PHONY: demo test install system-deps target-pythons torch-venv lint bench native clean

# Debian packages the build and the tests need (gcc, make, node for the labextension).
system-deps:
	@missing=""; for tool in gcc make node npm tmux; do command -v $$tool >/dev/null || missing="$$missing $$tool"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; apt-get update -qq && apt-get install -y -qq gcc make nodejs npm tmux; fi

# Target interpreters for the tests (3.8 only to test the 'unsupported' error).
target-pythons:
	@for v in $(TARGET_PYTHONS); do \
	  ls -d $$HOME/.pyenv/versions/$$v* >/dev/null 2>&1 || command -v python$$v >/dev/null || \
	  { command -v pyenv >/dev/null && pyenv install -s $$v; } || { echo "Python $$v is missing and pyenv is not installed"; exit 1; }; \
	done

# A Python 3.11 target venv with the CPU build of torch that lies on these machines (tests/test_torch.py).
# Never a plain `torch`: PyPI's pulls CUDA builds of several GB. Nothing is added to our own deps.
TORCH_VENV := .venv-torch
torch-venv:
	@py=$$(ls -d $$HOME/.pyenv/versions/3.11*/bin/python 2>/dev/null | sort -V | tail -1); \
	[ -n "$$py" ] || py=$$(command -v python3.11 || true); \
	if [ -z "$$py" ]; then echo "torch-venv: no Python 3.11, the torch tests will be skipped"; exit 0; fi; \
	if ! $(TORCH_VENV)/bin/python -c "import torch, numpy" 2>/dev/null; then \
	  rm -rf $(TORCH_VENV) && $$py -m venv $(TORCH_VENV) && $(TORCH_VENV)/bin/pip install -q "torch==2.13.0" numpy; fi

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Editable install: compiles native/ and builds the labextension through the hatch build hooks.
install: system-deps $(BIN)/python
	$(BIN)/pip install -q "jupyterlab>=4.4,<5" "hatchling>=1.5" "hatch-jupyter-builder>=0.5" editables
	$(BIN)/pip install -q --no-build-isolation -e ".[test,dev,bench]"
	$(BIN)/jupyter labextension develop --overwrite . >/dev/null
	@# an editable install does not place the wheel's shared data: enable the server extension by hand
	mkdir -p $(VENV)/etc/jupyter/jupyter_server_config.d
	cp jupyter-config/server-config/jupyterlab_flight.json $(VENV)/etc/jupyter/jupyter_server_config.d/
	@# jupyter-server-mcp (the tests load our tools in it) would bind port 3001 in every Jupyter server
	@# the tests start: off here, its tests start it on a port of the OS's choosing
	$(BIN)/jupyter server extension disable --sys-prefix jupyter_server_mcp >/dev/null 2>&1 || true

native:
	$(MAKE) -C native

lint: install
	$(BIN)/ruff check server_ext agent tests bench binder/*.py hatch_build.py
	$(BIN)/ruff format --check server_ext agent tests bench binder/*.py hatch_build.py
	$(BIN)/mypy
	jlpm lint:check

test: lint target-pythons torch-venv
	$(BIN)/python -m pytest -q -n 2 --dist loadfile tests
	jlpm test
	bash ui-tests/run.sh

bench: install target-pythons
	$(BIN)/python bench/attach_latency.py
	$(BIN)/python bench/stack_100_threads.py
	$(BIN)/python bench/pfp_env.py
	$(BIN)/python bench/observe_overhead.py
	bash ui-tests/bench/run.sh

# Starts a demo target for the terminal and prints how to attach to it, then JupyterLab on the
# tour notebook (headless-friendly: it prints the URL to open), listing the workflow notebooks;
# each notebook starts its own target. Ctrl-C stops everything.
DEMO_NOTEBOOKS := $(filter-out demo.ipynb,$(notdir $(wildcard binder/*.ipynb)))
demo: install
	@pidfile=/tmp/jupyterlab-flight-demo-$$$$.pid; \
	  if [ -x $(TORCH_VENV)/bin/python ]; then export FLIGHT_DEMO_TORCH_PYTHON=$(CURDIR)/$(TORCH_VENV)/bin/python; \
	  else echo "(torch_training.ipynb needs a torch interpreter: make torch-venv, then make demo again)"; fi; \
	  cd binder && FLIGHT_DEMO_PID_FILE=$$pidfile ../$(BIN)/python demo_target.py > /tmp/jupyterlab-flight-demo.log 2>&1 & \
	  sleep 1; pid=$$(cat $$pidfile); \
	  trap "kill $$pid 2>/dev/null; rm -f $$pidfile" EXIT; \
	  echo ""; echo "Demo target running as pid $$pid (log: /tmp/jupyterlab-flight-demo.log). From a terminal:"; \
	  echo "  $(BIN)/flight_profiler $$pid                      # interactive prompt: help, stack, getglobal ..."; \
	  echo "  $(BIN)/flight_profiler $$pid --cmd 'getglobal __main__ CACHE'"; \
	  echo "  $(BIN)/flight_profiler $$pid --cmd 'vmtool -a getInstances -c __main__ Order -n 3' --json"; \
	  echo "An AI assistant: $(BIN)/flight_profiler mcp (an MCP server), or install-skills (docs/assistants.md)"; \
	  token=$$($(BIN)/python -c 'import secrets; print(secrets.token_hex(24))'); port=$${PORT:-8888}; \
	  echo "In JupyterLab, the tour (its first cell starts a demo service of its own):"; \
	  echo "  http://127.0.0.1:$$port/lab/tree/demo.ipynb?token=$$token"; \
	  echo "and one notebook per workflow, each with its own demo service:"; \
	  for nb in $(DEMO_NOTEBOOKS); do echo "  http://127.0.0.1:$$port/lab/tree/$$nb?token=$$token"; done; echo ""; \
	  cd binder && ../$(BIN)/jupyter lab --no-browser --ip=127.0.0.1 --port=$$port --ServerApp.port_retries=0 --IdentityProvider.token=$$token $$( [ "$$(id -u)" = 0 ] && echo --allow-root ) 2>&1 \
	    | grep --line-buffered -v "^\[W.*Could not determine jupyterlab build status"

clean:
	$(MAKE) -C native clean
	rm -rf lib server_ext/jupyterlab_flight/labextension tsconfig.tsbuildinfo
