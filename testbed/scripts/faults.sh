#!/usr/bin/env bash
# make faults: every fault test (the tests named TestFault*) against the real
# stack (Temporal dev servers the tests start and kill, PostgreSQL, Redis,
# the simulators), then one table: fault, what was running, delivered,
# duplicated, lost, users registered, outcome. The same tests run in
# make test (they fit CI's time); this command adds the table.
set -uo pipefail
cd "$(dirname "$0")/../.."

packages=(./worker/... ./starter ./testbed/faults/... ./testbed/e2e)
report=$(mktemp -t imshift-faults.XXXXXX.jsonl)
trap 'rm -f "$report"' EXIT
export IMSHIFT_FAULTS_REPORT=$report
log=$(mktemp -t imshift-faults.XXXXXX.log)
echo "make faults: running the fault tests (log $log)"
go test -count=1 -timeout 30m -run '^TestFault' "${packages[@]}" >"$log" 2>&1
status=$?
grep -E '^(ok|FAIL|---)' "$log" | grep -v '^--- PASS' || true
echo
go run ./testbed/faults/table "$report"
exit $status
