#!/usr/bin/env bash
# The test command (make test): unit and integration tests against a real
# Temporal dev server (the pinned CLI, as its own process), the machine's
# PostgreSQL and Redis (throwaway databases), and the simulators.
set -euo pipefail
cd "$(dirname "$0")/../.."

port=${IMSHIFT_TEST_TEMPORAL_PORT:-7244}
log=$(mktemp -t imshift-temporal.XXXXXX.log)
bin/temporal server start-dev --headless --ip 127.0.0.1 --port "$port" \
  --log-level error >"$log" 2>&1 &
temporal_pid=$!
trap 'kill $temporal_pid 2>/dev/null; wait $temporal_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do
  if bin/temporal operator cluster health --address "127.0.0.1:$port" >/dev/null 2>&1; then break; fi
  sleep 1
done
bin/temporal operator cluster health --address "127.0.0.1:$port" >/dev/null || { cat "$log"; exit 1; }

export IMSHIFT_TEST_TEMPORAL_ADDRESS=127.0.0.1:$port
go vet ./...
go test -count=1 -timeout 40m "$@" ./...
