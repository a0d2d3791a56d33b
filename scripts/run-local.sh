#!/usr/bin/env bash
# Starts the whole service on one machine with its embedded defaults (SQLite, a file-system message
# broker, e-mail printed to the console): migrations, demo data, a Celery worker with the beat
# scheduler in the background and the development web server in the foreground.
# Called by `make run`; stop everything with Ctrl+C.
set -euo pipefail
cd "$(dirname "$0")/.."

export DEBUG=true
export PYTHONUNBUFFERED=1
BIN=.venv/bin
ADDRESS="${ADDRESS:-127.0.0.1:8000}"

mkdir -p "${VAR_DIR:-var}"

"$BIN/python" manage.py migrate --noinput
"$BIN/python" manage.py seed_demo

worker_pid=""
web_pid=""
stop_all() {
    if [[ -n "$web_pid" ]]; then
        # runserver's autoreloader serves from a child process: stop that one too.
        pkill -TERM -P "$web_pid" 2>/dev/null || true
        kill -TERM "$web_pid" 2>/dev/null || true
    fi
    if [[ -n "$worker_pid" ]]; then
        kill -TERM "$worker_pid" 2>/dev/null || true  # a warm shutdown: running tasks finish
    fi
    wait 2>/dev/null || true
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$BIN/celery" -A failure_regime worker --beat --loglevel=INFO --concurrency=2 &
worker_pid=$!

cat <<EOF

  ----------------------------------------------------------------
  Single failure regime is starting at:  http://${ADDRESS}/
  Sign in with one of the demo accounts listed above.
  Press Ctrl+C to stop the web server and the Celery worker.
  ----------------------------------------------------------------

EOF

"$BIN/python" manage.py runserver "$ADDRESS" &
web_pid=$!

# Runs until Ctrl+C, or until either process ends (then the other is stopped too).
wait -n
