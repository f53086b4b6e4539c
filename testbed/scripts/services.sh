#!/usr/bin/env bash
# Makes sure the machine's PostgreSQL, Redis and RabbitMQ answer, starting the
# ones that do not (the commands this machine documents). Used by .ci/run and
# make dev; harmless when everything is already up.
set -euo pipefail

wait_for() { # name, command...
  local name=$1; shift
  for _ in $(seq 1 60); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  echo "services: $name did not come up" >&2
  return 1
}

if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  echo "services: starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
  wait_for PostgreSQL pg_isready -h 127.0.0.1 -p 5432 -q
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "services: starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_for Redis redis-cli -h 127.0.0.1 -p 6379 ping
fi
if ! rabbitmq-diagnostics -q ping >/dev/null 2>&1; then
  echo "services: starting RabbitMQ"
  rabbitmq-server -detached || true
  wait_for RabbitMQ rabbitmq-diagnostics -q ping
fi
echo "services: PostgreSQL, Redis and RabbitMQ are up"
