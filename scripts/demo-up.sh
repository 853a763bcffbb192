#!/usr/bin/env bash
# Last step of `make demo`: an API key and a dashboard login for this demo, then the dashboard
# and the scoring API. "Demo is up" is printed only once /readyz answers 200 and the printed
# request has been sent once and answered; then the script waits (Ctrl-C stops both servers).
# Secrets are random, shown once, and never written to the repository.
# Ports: CREDIT_SCORING_API_PORT / CREDIT_SCORING_DASHBOARD_PORT (make demo API_PORT=… DASHBOARD_PORT=…).
set -euo pipefail

CLI=${CLI:-.venv/bin/credit-scoring}
PY=${PY:-.venv/bin/python}
HOME_DIR=${CREDIT_SCORING_HOME:-artifacts}
DATA_DIR=${DATA_DIR:-$HOME_DIR/data/synthetic}
API_PORT=${CREDIT_SCORING_API_PORT:-8000}
DASHBOARD_PORT=${CREDIT_SCORING_DASHBOARD_PORT:-8501}
READY_TIMEOUT=${DEMO_READY_TIMEOUT:-300}
started=${DEMO_STARTED:-$(date +%s)}
demo_dir="$HOME_DIR/demo"
mkdir -p "$demo_dir"

say() { printf '[demo %4ds] %s\n' "$(($(date +%s) - started))" "$*"; }

say "migrating the serving database; creating a demo API key and dashboard login"

"$CLI" db upgrade >/dev/null
api_key=$("$CLI" keys create --name "demo-$(date +%s)" --scope score --scope outcomes --scope read | tail -n 1)

dashboard_password=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(12))')
dashboard_user="demo-$(date +%s)"
printf '%s\n' "$dashboard_password" |
  "$CLI" users add "$dashboard_user" --role admin --password-stdin >/dev/null

# A ready-to-send request: the first application of the test table, as the API takes it.
"$PY" - "$DATA_DIR" "$demo_dir/request.json" <<'PYEOF'
import json
import math
import sys
from pathlib import Path

from credit_scoring.data.reading import read_table

row = read_table(Path(sys.argv[1]), "application_test").iloc[0].to_dict()
body = {
    k: (v.item() if hasattr(v, "item") else v)
    for k, v in row.items()
    if v is not None and not (isinstance(v, float) and math.isnan(v))
}
Path(sys.argv[2]).write_text(json.dumps(body, indent=1))
PYEOF

"$CLI" dashboard --port "$DASHBOARD_PORT" >"$demo_dir/dashboard.log" 2>&1 &
dashboard_pid=$!
"$CLI" serve --port "$API_PORT" >"$demo_dir/api.log" 2>&1 &
api_pid=$!
stop() {
  trap - EXIT INT TERM
  kill -TERM "$api_pid" "$dashboard_pid" 2>/dev/null || true
  wait "$api_pid" "$dashboard_pid" 2>/dev/null || true
}
trap stop EXIT
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM

say "starting the API on :$API_PORT (log: $demo_dir/api.log) and the dashboard on :$DASHBOARD_PORT (log: $demo_dir/dashboard.log)"
api="http://127.0.0.1:$API_PORT"
waited=0
until curl -fs -o /dev/null "$api/readyz"; do
  if ! kill -0 "$api_pid" 2>/dev/null; then
    say "the API stopped before it was ready; the end of $demo_dir/api.log:"
    tail -n 20 "$demo_dir/api.log" >&2
    exit 1
  fi
  if ((waited >= READY_TIMEOUT)); then
    say "the API was not ready after ${READY_TIMEOUT} s; the end of $demo_dir/api.log:"
    tail -n 20 "$demo_dir/api.log" >&2
    exit 1
  fi
  if ((waited % 5 == 0)); then
    say "  … waiting for $api/readyz (loading the model and the history store)"
  fi
  sleep 1
  waited=$((waited + 1))
done
until curl -fs -o /dev/null "http://127.0.0.1:$DASHBOARD_PORT/_stcore/health"; do
  kill -0 "$dashboard_pid" 2>/dev/null || { say "the dashboard stopped; see $demo_dir/dashboard.log"; exit 1; }
  sleep 1
done

# The request printed below, sent once: "up" means this exact command works.
request=(curl -s -X POST "$api/v1/scores" -H "X-API-Key: $api_key"
  -H "Content-Type: application/json" -d "@$demo_dir/request.json")
answer=$("${request[@]}")
case "$answer" in
  *'"decision"'*) ;;
  *) say "the API is ready but the demo request failed: $answer"; exit 1 ;;
esac

cat <<MSG

  Demo is up after $(($(date +%s) - started)) s (since make started, install included).
  API        $api   (OpenAPI docs: $api/docs)
  Dashboard  http://127.0.0.1:$DASHBOARD_PORT   user: $dashboard_user   password: $dashboard_password
  API key    $api_key   (scopes score, read; shown once)

  Score an application (this exact command was just sent and answered):
    curl -s -X POST $api/v1/scores \\
      -H "X-API-Key: $api_key" -H "Content-Type: application/json" \\
      -d @$demo_dir/request.json
  Its answer:
    $answer

  Send traffic (with drift) and watch the dashboard:
    CREDIT_SCORING_API_KEY=$api_key $CLI simulate --n 2000 --scenario sudden --with-outcomes \\
      --api-url $api
    $CLI monitor all --window 1m --metrics-url $api/metrics

  Ctrl-C stops the API and the dashboard (their logs: $demo_dir/).

MSG
wait "$api_pid"
