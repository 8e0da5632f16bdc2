# vmlab: two commands do all the set-up on a fresh machine with Python 3.11.
#   make lab    install into .venv, then open the workbook in JupyterLab
#   make test   install into .venv (with the test extra), then run every test
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-test
HOST ?= 127.0.0.1
PORT ?= 8888
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
BROWSER_FLAG := $(if $(DISPLAY),,--no-browser)
# pytest workers: the machines we test on have 2 cores.
JOBS ?= 2

.PHONY: lab app test test-fast install benchmarks clean help book

help:
	@echo "make lab    - install (.venv) and open the workbook in JupyterLab"
	@echo "make test   - install (.venv, test extra) and run every test"
	@echo "make app    - serve the explorer notebooks as Voila apps"
	@echo "make benchmarks - print the speed measurements"
	@echo "make book   - build the workbook as a static HTML site (build/book/index.html)"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "vmlab needs Python >= 3.11, found " + sys.version' 
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# JupyterLab's defaults for this workbook: .jupyter/lab/settings/overrides.json (no "get notified
# about official Jupyter news?" prompt, no update check). The student's own settings still win.
LAB_SETTINGS := $(CURDIR)/.jupyter/lab/settings
lab: $(STAMP)
	@echo "Opening the workbook: copy the http://$(HOST):$(PORT)/lab?token=... URL printed below into a browser."
	$(BIN)/jupyter lab --ip=$(HOST) --port=$(PORT) $(ROOT_FLAG) $(BROWSER_FLAG) \
		--LabApp.app_settings_dir=$(LAB_SETTINGS) \
		--ServerApp.root_dir=$(CURDIR) notebooks/00_start_here.ipynb

# The explorer notebooks as Voila apps (no code shown); the landing page lists them.
# The site (build/app/) is rebuilt on every start: links to notebooks/ and data/, plus index.ipynb.
APP_PORT ?= 8866
app: $(STAMP)
	$(BIN)/python -m vmlab.app --host $(HOST) --port $(APP_PORT) --site build/app

test: $(STAMP)
	$(BIN)/python -m pytest -n $(JOBS) --dist loadscope

test-fast: $(STAMP)
	$(BIN)/python -m pytest -n $(JOBS) --dist loadscope -m "not notebooks and not browser and not qemu"

# The workbook as a static HTML site: every notebook executed, interactive figures, a sidebar.
# Needs the book extra (Sphinx, MyST-NB, sphinx-book-theme), installed here on first use.
BOOK_STAMP := $(VENV)/.installed-book
$(BOOK_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test,book]'
	touch $(BOOK_STAMP)

book: $(BOOK_STAMP)
	$(BIN)/vmlab book --out build/book --workers $(JOBS)
	@echo "open build/book/index.html"

benchmarks: $(STAMP)
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache test-artifacts
