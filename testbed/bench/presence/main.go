// Command presence measures the presence API on the demo data: the rate at
// which the worker's webhook route takes OpenIM's presence events, and the
// p50/p99 of a 1 000-user POST /v1/presence:query, both over real HTTP on
// loopback against the real handler, PostgreSQL and Redis.
//
// It creates a database of its own with the demo population
// (testbed/scripts/demo-seed.sql, -users of them), routes half of them to
// OpenIM (routing row at 50 %), puts a third of the legacy half online in
// the legacy presence sets, feeds -events webhooks for the OpenIM half
// through POST /openim/webhooks/{command} from -clients connections, then
// runs -queries queries of 1 000 random demo users one after another.
// The load generator runs in the same process, on the same cores.
//
//	go run ./testbed/bench/presence
//	go run ./testbed/bench/presence -users 5000 -events 100000 -queries 500
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

type flags struct {
	users, events, clients, queries int
	adminDB, redisURL, cpuProfile   string
}

func main() {
	var f flags
	flag.IntVar(&f.users, "users", 5000, "demo users (make dev's DEMO_USERS)")
	flag.IntVar(&f.events, "events", 100000, "webhook events to send")
	flag.IntVar(&f.clients, "clients", 16, "concurrent webhook connections")
	flag.IntVar(&f.queries, "queries", 500, "1 000-user presence:query calls to time")
	flag.StringVar(&f.adminDB, "db", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "PostgreSQL URL used to create and drop the bench database")
	flag.StringVar(&f.redisURL, "redis", "redis://127.0.0.1:6379/13", "Redis database for the facade and the legacy presence keys (only the demo users' keys are written, and removed after)")
	flag.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile of the query phase to this file")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, f); err != nil {
		fmt.Fprintln(os.Stderr, "presence bench:", err)
		os.Exit(1)
	}
}
