#!/usr/bin/env bash
# Last step of `make demo`: an API key and a dashboard login for this demo, then the dashboard
# (background) and the scoring API (foreground; Ctrl-C stops both). Secrets are random, shown
# once, and never written to the repository.
set -euo pipefail

CLI=${CLI:-.venv/bin/credit-scoring}
PY=${PY:-.venv/bin/python}
HOME_DIR=${CREDIT_SCORING_HOME:-artifacts}
DATA_DIR=${DATA_DIR:-$HOME_DIR/data/synthetic}
API_PORT=${CREDIT_SCORING_API_PORT:-8000}
DASHBOARD_PORT=${CREDIT_SCORING_DASHBOARD_PORT:-8501}
demo_dir="$HOME_DIR/demo"
mkdir -p "$demo_dir"

"$CLI" db upgrade >/dev/null
api_key=$("$CLI" keys create --name "demo-$(date +%s)" --scope score --scope read | tail -n 1)

dashboard_password=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(12))')
CREDIT_SCORING_DASHBOARD_PASSWORD_HASH=$(printf '%s\n' "$dashboard_password" |
  "$CLI" dashboard hash-password --password-stdin)
export CREDIT_SCORING_DASHBOARD_USER=demo CREDIT_SCORING_DASHBOARD_PASSWORD_HASH

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
trap 'kill "$dashboard_pid" 2>/dev/null || true' EXIT INT TERM

cat <<MSG

  Demo is up.
  API        http://127.0.0.1:$API_PORT   (OpenAPI docs: http://127.0.0.1:$API_PORT/docs)
  Dashboard  http://127.0.0.1:$DASHBOARD_PORT   user: demo   password: $dashboard_password
  API key    $api_key   (scopes score, read; shown once)

  Score an application:
    curl -s -X POST http://127.0.0.1:$API_PORT/v1/scores \\
      -H "X-API-Key: $api_key" -H "Content-Type: application/json" \\
      -d @$demo_dir/request.json

  Send traffic (with drift) and watch the dashboard:
    CREDIT_SCORING_API_KEY=$api_key $CLI simulate --n 2000 --scenario sudden --with-outcomes \
      --api-url http://127.0.0.1:$API_PORT
    $CLI monitor all --window 1m --metrics-url http://127.0.0.1:$API_PORT/metrics

  Ctrl-C stops the API and the dashboard.

MSG
"$CLI" serve --port "$API_PORT"
