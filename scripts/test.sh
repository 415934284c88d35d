#!/usr/bin/env bash
# Installs what the tests need (if missing) and runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh test
exec swift test "$@"
