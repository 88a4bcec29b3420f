# CohortStudio: `make run` serves the app on its embedded default (class reminders included); `make test` runs the suite.
PYTHON ?= python3.11
VENV := .venv
PORT ?= 8000
SITE_URL ?= http://127.0.0.1:$(PORT)
export SITE_URL

.PHONY: run test venv dev-venv requirements clean

$(VENV)/.installed: requirements.txt
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(VENV)/bin/pip install -q -r requirements-dev.txt
	@touch $@

venv: $(VENV)/.installed
dev-venv: $(VENV)/.installed-dev

run: venv
	$(VENV)/bin/python manage.py migrate --noinput
	$(VENV)/bin/python manage.py migrate --noinput --database zoom_simulator
	$(VENV)/bin/python manage.py load_demo_data
	$(VENV)/bin/python manage.py run_embedded 127.0.0.1:$(PORT)

test: dev-venv
	bash scripts/system-deps.sh
	bash scripts/test.sh --cov --cov-report=term:skip-covered $(PYTEST_ARGS)

# requirements.in and requirements-dev.in are written by hand; this pins them, indirect packages included.
requirements: dev-venv
	$(VENV)/bin/pip-compile -q --strip-extras --no-emit-index-url --no-emit-find-links -o requirements.txt requirements.in
	$(VENV)/bin/pip-compile -q --strip-extras --no-emit-index-url --no-emit-find-links -o requirements-dev.txt requirements-dev.in

clean:
	rm -rf $(VENV) db.sqlite3* zoom-simulator.sqlite3* .local staticfiles
