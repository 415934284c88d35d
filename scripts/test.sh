#!/usr/bin/env bash
# Installs what the tests need (if missing) and runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh test
# Serial: the live-stream and terminal tests start real servers and time reconnects; on 2 cores
# running suites side by side makes those timings flaky.
exec swift test --no-parallel "$@"
