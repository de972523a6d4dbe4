#!/usr/bin/env bash
# Security scanning for `make test`: bandit over our code, pip-audit over the pinned requirements.
# Fails on a high-severity, high-confidence bandit finding, and on a known vulnerability with a fix
# in a pinned package. pip-audit needs the PyPI vulnerability API: when it cannot be reached, this
# says so clearly and does not fail (no network is not a finding).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-.venv/bin/python}"

echo "bandit (config: pyproject.toml [tool.bandit]; fails on high severity, high confidence)"
"$PY" -m bandit -q -c pyproject.toml -r . --severity-level high --confidence-level high || exit 1

echo "pip-audit over requirements/ (scripts/audit_requirements.py)"
"$PY" scripts/audit_requirements.py
