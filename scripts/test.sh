#!/usr/bin/env bash
# Run the whole test suite: unit tests plus the integration tests that start real servers.
# Installs (idempotently) what the integration tests need outside the project's venv.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${VIRTUAL_ENV:-}" ] && [ -f .venv/bin/activate ]; then . .venv/bin/activate; fi
for s in scripts/setup_*.sh; do [ -f "$s" ] && bash "$s"; done
python -m pytest "$@"
