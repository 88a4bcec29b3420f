#!/usr/bin/env bash
# Runs the whole suite against real PostgreSQL and Redis started on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
# The tree is clean: lint and format checked by ruff, the architecture by import-linter (pyproject.toml).
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/lint-imports
eval "$(scripts/test-services.sh start)"
trap 'scripts/test-services.sh stop' EXIT
export CELERY_TASK_ALWAYS_EAGER=1 ZOOM_SIMULATOR=1
.venv/bin/python -m pytest "$@"
