# Two commands for a fresh machine with Python 3.11 and pip:
#   make demo   -> venv, install, run the bundled Xinhui scenario, print where map.html is
#   make test   -> venv, install with test extras (+ Debian chromium for browser tests), run pytest
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= outputs/demo

.PHONY: demo test install install-test chromium bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian chromium for browser tests and PNG/PDF export"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null) \
	  || echo "WARNING: could not install chromium; browser tests will be skipped"; }

demo: install
	$(BIN)/geo-outreach demo --out $(OUT)

test: install-test chromium
	$(BIN)/python -m pytest -q

bench: install-test
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) outputs/demo
