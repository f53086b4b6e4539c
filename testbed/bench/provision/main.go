// Command provision measures how fast the migration provisions a user
// directory in OpenIM: it seeds N users (1 000 000 by default) into a fresh
// PostgreSQL database with COPY, then runs the migration's ProvisionStep
// activity over all of them (bucket threshold 0 → 10000) through the real
// OpenIM client against an OpenIM simulator in another process, and prints
// users/s and this process's peak resident memory (VmHWM).
//
// The activity runs in the SDK's activity test environment (no Temporal
// server): the same function, heartbeats included. The environment gives an
// attempt ten minutes; if one runs out, the next attempt resumes from the
// last heartbeat, exactly as after a worker crash, and the attempts are
// reported.
//
//	go run ./bench/provision -users 1000000
//	go run ./bench/provision -users 20000 -fcm-share 0.5
//	go run ./bench/provision -openim http://127.0.0.1:10002   # bin/simulator's OpenIM
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

type flags struct {
	users         int
	fcmShare      float64
	openimURL     string
	openimLatency time.Duration
	adminDB       string
	keep          bool
	serveOpenIM   string
}

func parseFlags() flags {
	var f flags
	flag.IntVar(&f.users, "users", 1_000_000, "directory users to seed and provision")
	flag.Float64Var(&f.fcmShare, "fcm-share", 0, "share of users with an Android FCM device whose token is copied (0..1)")
	flag.StringVar(&f.openimURL, "openim", "", "base URL of a running OpenIM simulator with the default secret and admin (empty: start one in a child process)")
	flag.DurationVar(&f.openimLatency, "openim-latency", 0, "latency of the child OpenIM simulator")
	flag.StringVar(&f.adminDB, "db", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "PostgreSQL URL used to create and drop the bench database")
	flag.BoolVar(&f.keep, "keep", false, "keep the bench database")
	flag.StringVar(&f.serveOpenIM, "serve-openim", "", "internal: serve an OpenIM simulator on this address (the child process)")
	flag.Parse()
	return f
}

func main() {
	f := parseFlags()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if f.serveOpenIM != "" {
		err = serveOpenIM(ctx, f.serveOpenIM, f.openimLatency)
	} else {
		err = bench(ctx, f)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "provision bench:", err)
		os.Exit(1)
	}
}
