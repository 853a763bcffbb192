#!/usr/bin/env bash
# `make install`: the locked environment in $VENV, with a line per phase and the elapsed time.
# The package sync is the long phase on a cold cache (minutes): it reports how many of the
# locked packages are in place every $HEARTBEAT seconds, so a silent terminal never means a hang.
set -euo pipefail

PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
UV=${UV:-uv}
LOCK=${LOCK:-requirements.lock}
HEARTBEAT=${HEARTBEAT:-10}
started=$(date +%s)

say() { printf '[install %4ds] %s\n' "$(($(date +%s) - started))" "$*"; }

if ! $UV --version >/dev/null 2>&1; then
  say "uv not found: installing it with pip"
  "$PYTHON" -m pip install --quiet --disable-pip-version-check uv
fi
say "uv $($UV --version | awk '{print $2}'); creating $VENV with $("$PYTHON" --version 2>&1)"
$UV venv --quiet --allow-existing --python "$PYTHON" "$VENV"

locked=$(grep -c '^[A-Za-z0-9]' "$LOCK" || true)
site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
say "syncing $locked locked packages from $LOCK (the first time downloads them: a few minutes)"
$UV pip sync --quiet --python "$VENV/bin/python" "$LOCK" &
sync_pid=$!
trap 'kill "$sync_pid" 2>/dev/null || true' INT TERM
while kill -0 "$sync_pid" 2>/dev/null; do
  for _ in $(seq "$HEARTBEAT"); do
    sleep 1
    kill -0 "$sync_pid" 2>/dev/null || break 2
  done
  present=$(find "$site" -maxdepth 1 -name '*.dist-info' 2>/dev/null | wc -l)
  if [ "$present" -eq 0 ]; then  # uv fetches everything first, then installs at once
    say "  … still syncing: downloading and unpacking (installed together at the end)"
  else
    say "  … still syncing: $present of $locked packages in place"
  fi
done
wait "$sync_pid"
trap - INT TERM
say "packages in place; installing credit-scoring itself (editable)"
$UV pip install --quiet --python "$VENV/bin/python" --no-deps -e .
say "environment ready in $VENV"
