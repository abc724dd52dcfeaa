#!/usr/bin/env bash
# The whole suite: lint, migrations, deploy checks, tests on SQLite and PostgreSQL
# (browser and worker tests included). Called by `make test` and by CI.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export PYTHONDONTWRITEBYTECODE=1

step() { printf '\n== %s\n' "$*"; }

step "ruff"
.venv/bin/ruff check regie tests bench

step "migrations are complete"
REGIE_ENV=test DJANGO_SETTINGS_MODULE=regie.test_settings $PY manage.py makemigrations --check --dry-run

step "check --deploy with production settings"
REGIE_ENV=production REGIE_SECRET_KEY="$(python3 -c 'import secrets; print(secrets.token_urlsafe(64))')" \
  REGIE_ALLOWED_HOSTS=regie.example.nl REGIE_DATA_DIR="$(mktemp -d)" \
  $PY manage.py check --deploy --fail-level WARNING

PG_URL="${REGIE_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
pg_up() { $PY - "$PG_URL" <<'PYEOF'
import sys, psycopg
try:
    psycopg.connect(sys.argv[1], connect_timeout=3).close()
except Exception:
    sys.exit(1)
PYEOF
}

step "tests on SQLite (unit, integration, worker, browser)"
$PY -m pytest -p no:cacheprovider "$@"

if pg_up; then
  step "tests on PostgreSQL"
  DATABASE_URL="$PG_URL" $PY -m pytest -p no:cacheprovider -m "not browser" "$@"
elif [ "${CI:-}" = "true" ] || [ "${REGIE_REQUIRE_POSTGRES:-}" = "1" ]; then
  echo "PostgreSQL is not reachable at $PG_URL, and CI requires it." >&2
  exit 1
else
  echo "NOTE: PostgreSQL not reachable at $PG_URL; the PostgreSQL run was skipped (CI runs it)."
fi
