# mmssl_ext: the two commands of the README, plus helpers.
PYTHON_BIN := .venv/bin/python
PYTEST_ARGS ?=
# Independent tests run in parallel, one pytest worker per core (pytest-xdist); TEST_WORKERS=0 runs them serially.
TEST_WORKERS ?= 2

.PHONY: install demo test test-all lint format docs prepare-cifar10 clean

install:
	@bash tools/misc/install_env.sh

demo: install
	$(PYTHON_BIN) tools/misc/demo.py

test: install
	$(PYTHON_BIN) -m pytest tests -n $(TEST_WORKERS) $(PYTEST_ARGS)

test-all: install
	$(PYTHON_BIN) -m pytest tests -m "slow or not slow" -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: install
	$(PYTHON_BIN) -m ruff check .
	$(PYTHON_BIN) -m ruff format --check .
	$(PYTHON_BIN) -m codespell_lib
	$(PYTHON_BIN) -m mypy

format: install
	$(PYTHON_BIN) -m ruff check --fix .
	$(PYTHON_BIN) -m ruff format .

# The docs site (Sphinx + MyST): guides from docs/*.md, API reference from the docstrings; warnings are errors.
docs: install
	$(PYTHON_BIN) -m sphinx -W --keep-going -q -b html docs docs/_build/html
	@echo "docs built: docs/_build/html/index.html"

# make prepare-cifar10 CIFAR10_SRC=/path/to/cifar10-download (the folder with cifar10-jpg-{train,test}.tar.gz)
prepare-cifar10: install
	@test -n "$(CIFAR10_SRC)" || { echo 'set CIFAR10_SRC=/path/to/the/folder/with/cifar10-jpg-{train,test}.tar.gz' >&2; exit 2; }
	$(PYTHON_BIN) tools/dataset_converters/prepare_cifar10.py --src $(CIFAR10_SRC) --out data/cifar10

clean:
	rm -rf work_dirs .pytest_cache .ruff_cache docs/_build
