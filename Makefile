# The two commands a newcomer needs: `make run` and `make test`. Everything else here serves them.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed-$(shell cat setup.cfg pyproject.toml requirements/dev.txt | cksum | cut -d' ' -f1)
# The lock files: every package at one version, with its hashes, for Python 3.11+ on any platform. The image installs
# requirements/runtime.txt, `make install` requirements/dev.txt; `make lock` re-pins them after setup.cfg changes.
LOCK_DIR ?= requirements
UV_COMPILE = $(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	--custom-compile-command 'make lock' $(if $(UPGRADE),--upgrade)

.PHONY: run test install lock locales nlu voice screenshots clean

run: install ## migrate and seed the embedded database, then serve on http://127.0.0.1:5000
	$(BIN)/kheti db upgrade
	$(BIN)/kheti seed --demo
	SIMULATOR_NUMBERS=$${SIMULATOR_NUMBERS:-+919999900000-+919999900099} $(BIN)/kheti serve  # the console's phone (a demo: no real SMS)

test: install ## the whole suite; uses TEST_DATABASE_URL / TEST_REDIS_URL when set, the embedded default otherwise
	$(BIN)/python -m pytest $(PYTEST_ARGS)

install: $(STAMP) locales nlu

screenshots: install ## the console's pages, from the browser tests, into docs/ (needs Debian's chromium)
	KHETI_SCREENSHOTS=docs $(BIN)/python -m pytest -q tests/console/test_in_a_browser.py \
		tests/console/test_broadcasts_in_a_browser.py tests/console/test_phone_in_a_browser.py

nlu: ## train the SMS intent model once (kept in var/, retrained when nlu/data changes)
	$(BIN)/kheti nlu train

$(STAMP): setup.cfg pyproject.toml requirements/dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11 or newer is needed")'
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements/dev.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	rm -f $(VENV)/.installed-*
	touch $@

# Keeps every pin that still satisfies setup.cfg (UPGRADE=1: the newest allowed). CI checks the files are current.
lock: $(STAMP) ## re-pin requirements/runtime.txt and dev.txt from setup.cfg
	$(UV_COMPILE) setup.cfg requirements/build.in -o $(LOCK_DIR)/runtime.txt
	$(UV_COMPILE) setup.cfg requirements/build.in --extra dev -c requirements/runtime.txt -o $(LOCK_DIR)/dev.txt

voice: install ## Hindi and Marathi call audio for Africa's Talking (espeak-ng if installed, else its pip wheel)
	command -v espeak-ng >/dev/null || $(BIN)/python -m pip install --quiet 'espeakng-loader>=0.2,<0.3'
	$(BIN)/kheti db upgrade
	$(BIN)/kheti seed --demo
	$(BIN)/kheti voice build-prompts

locales: ## compile the Babel catalogues (.po -> .mo); the Dockerfile runs the same step
	$(BIN)/pybabel compile --domain messages --directory locales --statistics

clean:
	rm -rf $(VENV) var .pytest_cache
