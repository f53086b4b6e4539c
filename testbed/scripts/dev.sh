#!/usr/bin/env bash
# make dev: the whole product on this machine. Starts the Temporal dev server
# with its UI, the OpenIM/FCM/APNs simulators and the worker, applies the
# migrations, registers search attributes, seeds a demo population, prints
# "ready" and copy-paste commands, and stops everything on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/../.."

DEMO_USERS=${DEMO_USERS:-5000}
state=.dev
mkdir -p "$state"
pids=()
cleanup() {
  echo; echo "stopping..."
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

bash testbed/scripts/services.sh
psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'imshift'" | grep -q 1 ||
  psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE imshift"

bin/temporal server start-dev --ip 127.0.0.1 --port 7233 --ui-port 8233 \
  --db-filename "$state/temporal.db" --log-level warn >"$state/temporal.log" 2>&1 &
pids+=($!)
rm -f "$state/sim/env.sh"
bin/simulator --dir "$state/sim" >"$state/simulator.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 60); do
  bin/temporal operator cluster health --address 127.0.0.1:7233 >/dev/null 2>&1 && [ -f "$state/sim/env.sh" ] && break
  sleep 1
done

# shellcheck disable=SC1091
source "$state/sim/env.sh"
export TEMPORAL_ADDRESS=127.0.0.1:7233
export IMSHIFT_DATABASE_URL=${IMSHIFT_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/imshift?sslmode=disable}
export IMSHIFT_REDIS_URL=${IMSHIFT_REDIS_URL:-redis://127.0.0.1:6379/0}
export IMSHIFT_API_TOKENS=${IMSHIFT_API_TOKENS:-dev-token-change-me-0001}
export IMSHIFT_HTTP_ADDR=127.0.0.1:8080
export IMSHIFT_METRICS_ADDR=127.0.0.1:9090

bin/worker setup
psql "$IMSHIFT_DATABASE_URL" -q -v n="$DEMO_USERS" -f testbed/scripts/demo-seed.sql
bin/worker >"$state/worker.log" 2>&1 &
pids+=($!)
bin/simulator population --migration-id demo >"$state/population.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 60); do
  curl -fs http://127.0.0.1:9090/healthz >/dev/null 2>&1 && break
  sleep 1
done
curl -fs http://127.0.0.1:9090/healthz >/dev/null || { tail -n 20 "$state/worker.log"; exit 1; }

cat <<MSG

ready
  Temporal UI     http://localhost:8233   (Start Workflow: task queue imshift, type TrafficMigration or PushCampaign)
  Device/push API http://127.0.0.1:8080   (Authorization: Bearer $IMSHIFT_API_TOKENS)
  Metrics, health http://127.0.0.1:9090/metrics  /healthz
  Legacy clients  http://127.0.0.1:10080/stats   (POST /success-rate {"rate":0.2} makes a cohort fail)
  Logs            $state/*.log      Demo users: $DEMO_USERS in imshift.demo_users, devices in imshift.devices

Try (another shell: source $state/sim/env.sh; export TEMPORAL_ADDRESS=127.0.0.1:7233):
  bin/starter migration start -f examples/migration-demo.json
  bin/starter migration watch demo
  bin/temporal workflow signal --workflow-id migration-demo --name pause --input '{"reason":"looking"}'
  bin/temporal workflow query --workflow-id migration-demo --type status
  bin/starter campaign start -f examples/campaign-demo.json
  bin/starter campaign watch demo-sale
  curl -H "Authorization: Bearer $IMSHIFT_API_TOKENS" -H "Content-Type: application/json" -d '{"userId":"demo_000002","category":"otp","title":"Code","body":"123456","ttl":"5m","idempotencyKey":"otp-1"}' http://127.0.0.1:8080/v1/push

Ctrl-C stops everything started here.
MSG
wait -n "${pids[@]}"
