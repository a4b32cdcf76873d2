# Two commands for a fresh machine with Python 3.11 and pip:
#   make demo   -> venv, install, run the bundled Xinhui scenario, print where map.html is
#   make test   -> venv, install with test extras (+ Debian chromium for browser tests), run pytest
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= outputs/demo

.PHONY: demo test lint install install-test chromium fonts poppler postgis bench clean wheel

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

# issue 11 briefing: pdftotext/pdfinfo check the printed briefing.pdf in the tests
poppler:
	@command -v pdftotext >/dev/null 2>&1 || { \
	  echo "Installing Debian poppler-utils (pdftotext) for the briefing.pdf tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null) \
	  || echo "WARNING: could not install poppler-utils; the PDF text tests will be skipped"; }

# issue 14: a real PostgreSQL + PostGIS server for tests/engine (the fixture runs initdb/pg_ctl
# in a temp dir on a loopback port; nothing is started here). Debian 12: postgresql-15-postgis-3.
postgis:
	@ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 || { \
	  echo "Installing Debian postgresql + postgis for the PostGIS source tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null \
	   && major=$$(ls /usr/lib/postgresql | sort -n | tail -1) \
	   && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgis \
	      postgresql-$$major-postgis-3 >/dev/null) \
	  || echo "WARNING: could not install postgresql/postgis; the PostGIS tests will be skipped"; }

fonts:
	@fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || { \
	  echo "Installing Debian fonts-noto-cjk so briefing.png/pdf can show Chinese"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null) \
	  || echo "WARNING: could not install fonts-noto-cjk; Chinese text in briefing.png/pdf may show as boxes"; }

demo: install fonts
	$(BIN)/geo-outreach demo --out $(OUT)

# ruff and mypy both run (and both report) before lint fails
lint: install-test
	@status=0; \
	$(BIN)/ruff check geo_outreach tests bench scripts || status=1; \
	$(BIN)/ruff format --check geo_outreach tests bench scripts || status=1; \
	$(BIN)/mypy || status=1; \
	exit $$status

# 2 pytest processes (CI has 2 cores), one test file at a time each, slowest files first (see
# "test-suite time" in tests/conftest.py): 1,284 tests in 8:00 on an idle 2-core machine (serial
# ~12-14 min). `make test PYTEST_ARGS=` runs them serially.
XDIST       := -n 2 --dist loadscope --no-loadscope-reorder
PYTEST_ARGS ?= $(XDIST)
test: install-test chromium poppler postgis lint
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

bench: install-test chromium
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python bench/bench_analytics.py
	$(BIN)/python bench/bench_coverage.py
	$(BIN)/python bench/bench_map.py
	$(BIN)/python bench/bench_scale.py --plan  # issue 14: 200k/1M alerts (--ten-million: 10M)

# issue 10: a wheel that ships the sample data (setup.py copies data/sample, data/boundaries)
wheel: install-test
	$(BIN)/python -m pip wheel --quiet --no-deps --no-build-isolation -w dist .

clean:
	rm -rf $(VENV) outputs/demo
