#!/usr/bin/env bash
# Installs what is missing, builds platetop (release) and replays the shipped demo clip:
# the dashboard in a terminal, JSON lines otherwise. Extra arguments go to `platetop replay`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh runtime
swift build -c release --product platetop 2>&1 | grep -E "error|warning: unre|Compiling platetop|Build complete" || true
bin=.build/release/platetop
[ -x "$bin" ] || { echo "platetop: build failed" >&2; exit 1; }
if [ -t 1 ]; then
    exec "$bin" replay streams/demo.mp4 --pace realtime --hold --no-log "$@"
else
    exec "$bin" replay streams/demo.mp4 --headless --no-log "$@"
fi
