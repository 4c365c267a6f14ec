# Everything a fresh checkout needs: `make run` serves, `make test` tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run worker serve install install-test cli link-ceph-bindings migrate demo test lint format clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The stamp files re-run the install whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	$(MAKE) --no-print-directory link-ceph-bindings
	touch $@

# The RBD store uses Debian's python3-rados/python3-rbd (C bindings built for Debian's
# python3, not on PyPI). A venv does not see them, even with --system-site-packages, so the two
# extension modules alone are linked into its site-packages (no other Debian module leaks in).
# Without the packages, or for another Python version, nothing is linked and RBD stays off.
CEPH_BINDINGS := $(wildcard /usr/lib/python3/dist-packages/rados.cpython-*.so \
	/usr/lib/python3/dist-packages/rbd.cpython-*.so)
link-ceph-bindings: | $(BIN)/python
	@site=$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["platlib"])'); \
	for module in $(CEPH_BINDINGS); do ln -sf "$$module" "$$site/"; done

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test,dev]'
	touch $@

# The openstack CLI and glance client (the README's CLI section). Not part of `make run`: a
# large dependency tree that a first start for curl and the browser does not need.
$(VENV)/.installed-cli: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[cli]'
	touch $@

install: $(VENV)/.installed

cli: $(VENV)/.installed-cli

install-test: $(VENV)/.installed-test

# Settings create nothing at import: ensure_var makes var/ and its generated secret key.
migrate: install
	$(BIN)/python manage.py ensure_var
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py ensure_demo --url http://$(HOST):$(PORT)
	$(BIN)/python manage.py load_metadefs

# The background worker (imports) runs beside the web server and stops with it.
run: demo
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py run_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/gunicorn config.wsgi:application --bind $(HOST):$(PORT) \
		--worker-class gthread --workers 2 --threads 8 --timeout 0 --access-logfile -

worker: migrate
	$(BIN)/python manage.py run_worker

test: install-test link-ceph-bindings
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var/test-*
