#!/usr/bin/env bash
# The whole suite: lint, migrations, deploy checks, then every test (unit, integration,
# real Celery worker on Redis, Chromium browser) on SQLite and on PostgreSQL.
# Called by `make test` and by CI (.ci/run). Arguments go to both pytest runs, e.g.
#   bash scripts/test.sh tests/core -k audit
# REGIE_TEST_JOBS (default 2) sets the number of parallel pytest workers; 1 = serial.
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
REGIE_ENV=production REGIE_SECRET_KEY="$($PY -c 'import secrets; print(secrets.token_urlsafe(64))')" \
  REGIE_ALLOWED_HOSTS=regie.example.nl REGIE_DATA_DIR="$(mktemp -d)" \
  $PY manage.py check --deploy --fail-level WARNING

if compgen -G "regie/locale/*/LC_MESSAGES/*.po" >/dev/null; then
  if command -v msgfmt >/dev/null 2>&1; then
    step "translations compile"
    REGIE_ENV=test DJANGO_SETTINGS_MODULE=regie.test_settings \
      $PY manage.py compilemessages -v 0 --ignore .venv --ignore node_modules --ignore var
  else
    echo "NOTE: msgfmt (gettext) is missing; using the compiled translations as they are."
  fi
fi

PG_URL="${REGIE_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
pg_up() { $PY - "$PG_URL" <<'PYEOF'
import sys, psycopg
try:
    psycopg.connect(sys.argv[1], connect_timeout=3).close()
except Exception:
    sys.exit(1)
PYEOF
}

RUN_POSTGRES=0
if pg_up; then
  RUN_POSTGRES=1
elif [ "${CI:-}" = "true" ] || [ "${REGIE_REQUIRE_POSTGRES:-}" = "1" ]; then
  echo "PostgreSQL is not reachable at $PG_URL, and CI requires it." >&2
  exit 1
else
  echo "NOTE: PostgreSQL is not reachable at $PG_URL; only the SQLite run happens here (CI runs both)."
fi

# Parallel where safe: tests that start real processes (worker, browser) form one xdist
# group, so they run one after another on a single pytest worker (see tests/conftest.py).
JOBS="${REGIE_TEST_JOBS:-2}"
PYTEST=($PY -m pytest -p no:cacheprovider)
if [ "$JOBS" -gt 1 ]; then
  PYTEST+=(-n "$JOBS" --dist loadgroup)
fi

step "tests on SQLite (unit, integration, worker, browser)"
"${PYTEST[@]}" "$@"

if [ "$RUN_POSTGRES" = 1 ]; then
  step "tests on PostgreSQL (unit, integration, worker, browser)"
  DATABASE_URL="$PG_URL" REGIE_TEST_DB_NAME="${REGIE_TEST_DB_NAME:-test_regie_suite}" "${PYTEST[@]}" "$@"
fi
