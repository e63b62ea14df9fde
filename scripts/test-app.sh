#!/usr/bin/env bash
# Run the Python target app's tests (app/tests) with Debian's Python.
# Extra arguments go to pytest, e.g. scripts/test-app.sh -k metrics
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian's interpreter sees the apt-installed modules; a pyenv/venv python3 may not.
if [ -x /usr/bin/python3 ]; then py=/usr/bin/python3; else py=python3; fi

if ! "$py" -c 'import flask, prometheus_client, gunicorn, pytest' 2>/dev/null; then
  echo "test-app: $py cannot import flask, prometheus_client, gunicorn and pytest; install them with: apt-get install -y python3-flask python3-prometheus-client gunicorn python3-pytest" >&2
  exit 1
fi

rc=0
"$py" -m pytest -q app/tests "$@" || rc=$?
if [ "$rc" -eq 5 ]; then
  echo "test-app: pytest collected no tests; failing" >&2
fi
exit "$rc"
