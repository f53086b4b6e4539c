#!/usr/bin/env bash
# make dev: the whole product on this machine. Starts the Temporal dev server
# with its UI, the OpenIM/FCM/APNs simulators and the worker, applies the
# migrations, registers search attributes, seeds a demo population, prints
# "ready" and copy-paste commands, and stops everything on Ctrl-C.
#
# It refuses to start when a stack is already running (.dev/dev.lock is
# held) or a port it needs is taken, before it writes a file. While it runs
# it restarts whatever of its processes dies and says which (docs/operations.md).
set -euo pipefail
cd "$(dirname "$0")/../.."

DEMO_USERS=${DEMO_USERS:-5000}
state=.dev
mkdir -p "$state"

# One stack at a time: the lock is held by this script (and its children)
# for as long as the stack runs.
exec 9>>"$state/dev.lock"
if ! flock -n 9; then
  echo "make dev: a stack is already running here (it holds $state/dev.lock); stop it with Ctrl-C in its terminal" >&2
  exit 1
fi

declare -A ports=(
  [7233]="Temporal frontend" [7243]="Temporal HTTP API" [7235]="Temporal metrics" [8233]="Temporal UI"
  [10002]="OpenIM simulator" [10443]="FCM simulator" [10444]="APNs simulator" [10080]="legacy population"
  [8080]="device/push API (IMSHIFT_HTTP_ADDR)" [9090]="metrics and health (IMSHIFT_METRICS_ADDR)"
  [8081]="codec server (IMSHIFT_CODEC_ADDR)"
)
for port in "${!ports[@]}"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "make dev: port $port (${ports[$port]}) is already in use; stop what listens there and run make dev again" >&2
    exit 1
  fi
done

declare -A pid started quick
cleanup() {
  trap - EXIT INT TERM
  echo; echo "stopping..."
  for p in "${pid[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Payloads are encrypted (docs/production.md); the key is kept with the dev
# server's database, which holds payloads it encrypted.
[ -f "$state/codec.env" ] || echo "export IMSHIFT_CODEC_KEYS=dev1:$(openssl rand -base64 32)" >"$state/codec.env"
# shellcheck disable=SC1091
source "$state/codec.env"
codec=http://127.0.0.1:8081
start_temporal() {
  bin/temporal server start-dev --ip 127.0.0.1 --port 7233 --http-port 7243 --metrics-port 7235 --ui-port 8233 \
    --ui-codec-endpoint "$codec" \
    --db-filename "$state/temporal.db" --log-level warn >>"$state/temporal.log" 2>&1 &
  pid[temporal]=$!
}
start_simulator() {
  rm -f "$state/sim/env.sh"
  # OpenIM's presence webhooks go to the worker's API (docs/presence.md).
  bin/simulator --dir "$state/sim" \
    --openim-webhook-url "http://openim:$IMSHIFT_OPENIM_WEBHOOK_SECRET@127.0.0.1:8080/openim/webhooks" \
    >>"$state/simulator.log" 2>&1 &
  pid[simulator]=$!
  for _ in $(seq 1 60); do [ -f "$state/sim/env.sh" ] && break; sleep 1; done
  # shellcheck disable=SC1091
  source "$state/sim/env.sh"
}
start_worker() {
  bin/worker >>"$state/worker.log" 2>&1 &
  pid[worker]=$!
}
start_population() {
  bin/simulator population --migration-id demo >>"$state/population.log" 2>&1 &
  pid[population]=$!
}
start() { # name
  started[$1]=$SECONDS
  "start_$1"
}

# supervise waits for any process to exit, says which, and starts it again.
# A new simulator has a new CA and keys, so the worker is restarted with it.
# A process that keeps dying within 10 s of its start is left down after 3
# tries; the rest of the stack keeps running.
supervise() {
  local exited status name
  while [ ${#pid[@]} -gt 0 ]; do
    status=0
    wait -n -p exited "${pid[@]}" || status=$?
    for name in "${!pid[@]}"; do
      [ "${pid[$name]}" = "$exited" ] || continue
      unset "pid[$name]"
      if (( SECONDS - started[$name] < 10 )); then quick[$name]=$(( ${quick[$name]:-0} + 1 )); else quick[$name]=0; fi
      if (( quick[$name] >= 3 )); then
        echo "make dev: $name exited (status $status) 3 times in a row right after starting; leaving it down (log $state/$name.log)" >&2
        continue
      fi
      echo "make dev: $name exited (status $status); restarting it (log $state/$name.log)" >&2
      start "$name"
      if [ "$name" = simulator ] && [ -n "${pid[worker]:-}" ]; then
        kill "${pid[worker]}" 2>/dev/null || true
      fi
    done
  done
}

bash testbed/scripts/services.sh
psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'imshift'" | grep -q 1 ||
  psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE imshift"

# The simulator posts its presence webhooks with it, the worker checks it.
export IMSHIFT_OPENIM_WEBHOOK_SECRET=${IMSHIFT_OPENIM_WEBHOOK_SECRET:-dev-webhook-secret-change-me}
start temporal
start simulator
for _ in $(seq 1 60); do
  bin/temporal operator cluster health --address 127.0.0.1:7233 >/dev/null 2>&1 && break
  sleep 1
done

export TEMPORAL_ADDRESS=127.0.0.1:7233
export IMSHIFT_DATABASE_URL=${IMSHIFT_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/imshift?sslmode=disable}
export IMSHIFT_REDIS_URL=${IMSHIFT_REDIS_URL:-redis://127.0.0.1:6379/0}
export IMSHIFT_API_TOKENS=${IMSHIFT_API_TOKENS:-dev-token-change-me-0001}
export IMSHIFT_HTTP_ADDR=127.0.0.1:8080
export IMSHIFT_METRICS_ADDR=127.0.0.1:9090
export IMSHIFT_CODEC_ADDR=127.0.0.1:8081 IMSHIFT_CODEC_CORS_ORIGINS=http://localhost:8233,http://127.0.0.1:8233
export IMSHIFT_BUILD_ID=${IMSHIFT_BUILD_ID:-dev}

# Everything another shell needs to run the banner's and the README's commands.
cat >"$state/env.sh" <<ENV
# Written by make dev: source it in another shell to use the running demo.
export PATH="$PWD/bin:\$PATH"
source "$PWD/$state/sim/env.sh"
export TEMPORAL_ADDRESS=$TEMPORAL_ADDRESS
export IMSHIFT_DATABASE_URL='$IMSHIFT_DATABASE_URL'
export IMSHIFT_REDIS_URL='$IMSHIFT_REDIS_URL'
export IMSHIFT_API_TOKENS='$IMSHIFT_API_TOKENS'
export IMSHIFT_CODEC_KEYS='$IMSHIFT_CODEC_KEYS'
# The temporal CLI reads it (environment config): payloads print decoded.
export TEMPORAL_CODEC_ENDPOINT=$codec
ENV

bin/worker setup
psql "$IMSHIFT_DATABASE_URL" -q -v n="$DEMO_USERS" -f testbed/scripts/demo-seed.sql
start worker
start population
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
  Codec server    $codec   (payloads are encrypted; the UI is started with it: Settings > Codec Server
                  shows "$codec", no access token; env.sh points the CLI at it: TEMPORAL_CODEC_ENDPOINT)
  Legacy clients  http://127.0.0.1:10080/stats   (POST /success-rate {"rate":0.2} makes a cohort fail)
  Logs            $state/*.log      Demo users: $DEMO_USERS in imshift.demo_users (demo_000001 ...), devices in imshift.devices

Try, in another shell (bin/ on PATH, TEMPORAL_ADDRESS, TEMPORAL_CODEC_ENDPOINT, IMSHIFT_DATABASE_URL, the API token, simulator settings):
  source $state/env.sh
  starter migration start -f examples/migration-demo.json
  starter migration watch demo
  temporal workflow signal --workflow-id migration-demo --name pause --input '{"reason":"looking"}'
  temporal workflow query --workflow-id migration-demo --type status -o json
  starter campaign start -f examples/campaign-demo.json
  starter campaign watch demo-sale
  curl -H "Authorization: Bearer \$IMSHIFT_API_TOKENS" -H "Content-Type: application/json" -d '{"userId":"demo_000002","category":"otp","title":"Code","body":"123456","ttl":"5m","idempotencyKey":"otp-1"}' http://127.0.0.1:8080/v1/push
  curl -H "Authorization: Bearer \$IMSHIFT_API_TOKENS" http://127.0.0.1:8080/v1/users/demo_000002/presence

A process that dies is restarted (this terminal says which). Ctrl-C stops everything started here.
MSG
supervise
