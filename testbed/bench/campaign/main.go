// Command campaign measures a PushCampaign at scale: it seeds N devices (1 000
// 000 by default, half FCM, half APNs) into a fresh PostgreSQL database with
// COPY, starts the simulators (the `simulator` command), a Temporal dev
// server (bin/temporal) and the real `worker` command as processes of their
// own, and for each simulator latency:
//
//  1. measures the raw ceiling: the same SDK senders (firebase SendEach,
//     apns2) sending the same number of pushes to the same simulators,
//     without Temporal or the ledger, with -fcm-calls SendEach calls and
//     -apns-streams APNs streams in flight;
//  2. runs the campaign end to end on a fresh worker process, pausing it
//     half way to time the pause (signal to last push seen by the
//     simulators) and resuming it;
//
// and prints end-to-end pushes/s, the ratio to the raw ceiling, the worker's
// peak RSS (VmHWM), the largest history among the campaign's runs, and the
// pause time, against the targets.
//
// With -faults it instead runs the campaign three times at the first
// latency: clean, with 20 % 429 + 20 % 503 injected by both simulators, and
// clean again, and prints delivered, duplicated, lost, pushes/s and the
// ratio of the faulty rate to the better clean one (issue 12).
//
//	make bench                                  # 1 000 000 devices, 0 ms and 20 ms
//	make bench-faults                           # 100 000 devices at 20 ms, clean, faulty, clean
//	make bench-sendpush                         # POST /v1/push at 25..400/s, then 100/s beside a campaign
//
// With -sendpush it drives the worker's POST /v1/push at rising steady
// rates (25, 50, 100, 200, 400 per second, -step each) and prints accepted/s,
// errors and p50/p99 from the 202 to the provider's acknowledgement,
// stopping at the first step whose p99 passes 2 s; then 100/s again while a
// full-speed campaign runs on the same worker.
//
//	go run ./bench/campaign -devices 20000      # a quick run
//	go run ./bench/campaign -latencies 20ms
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

type flags struct {
	devices     int
	latencies   []time.Duration
	fcmCalls    int
	apnsStreams int
	adminDB     string
	redisURL    string
	temporal    string
	pauseAt     float64
	keep        bool
	faults      bool
	sendPush    bool
	step        time.Duration
	profile     time.Duration
}

func parseFlags() (flags, error) {
	var f flags
	var lat string
	flag.IntVar(&f.devices, "devices", 1_000_000, "devices to seed (half FCM, half APNs)")
	flag.StringVar(&lat, "latencies", "0ms,20ms", "simulator latencies to run at, comma-separated")
	flag.IntVar(&f.fcmCalls, "fcm-calls", 8, "raw ceiling: SendEach calls in flight (at least 4)")
	flag.IntVar(&f.apnsStreams, "apns-streams", 1000, "raw ceiling: APNs requests in flight")
	flag.StringVar(&f.adminDB, "db", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "PostgreSQL URL used to create and drop the bench database")
	flag.StringVar(&f.redisURL, "redis", "redis://127.0.0.1:6379/12", "Redis database for the gate (flushed)")
	flag.StringVar(&f.temporal, "temporal", "", "host:port of a running Temporal server (empty: start bin/temporal)")
	flag.Float64Var(&f.pauseAt, "pause-at", 0.5, "share of the audience after which the campaign is paused once")
	flag.BoolVar(&f.keep, "keep", false, "keep the bench database")
	flag.BoolVar(&f.faults, "faults", false, "run clean, with 20 % 429 + 20 % 503 injected, and clean again, at the first latency")
	flag.BoolVar(&f.sendPush, "sendpush", false, "drive POST /v1/push at rising rates instead, at the first latency")
	flag.DurationVar(&f.step, "step", 30*time.Second, "-sendpush: how long each rate is held")
	flag.DurationVar(&f.profile, "profile", 0, "save a CPU profile of the worker, this long from each campaign's start, as <campaign>-cpu.pprof in the log directory")
	flag.Parse()
	for _, s := range strings.Split(lat, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			return f, fmt.Errorf("-latencies: %w", err)
		}
		f.latencies = append(f.latencies, d)
	}
	if f.devices < 2 || f.fcmCalls < 1 || f.apnsStreams < 1 {
		return f, fmt.Errorf("-devices must be at least 2, -fcm-calls and -apns-streams at least 1")
	}
	return f, nil
}

func main() {
	f, err := parseFlags()
	if err == nil {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err = bench(ctx, f)
		stop()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "campaign bench:", err)
		os.Exit(1)
	}
}

// bench sets the stack up once and measures every latency on it.
func bench(ctx context.Context, f flags) error {
	s, err := newStack(ctx, f)
	if err != nil {
		return err
	}
	defer s.close()
	switch {
	case f.faults:
		return s.faultBench(ctx, os.Stdout)
	case f.sendPush:
		return s.sendPushBench(ctx, os.Stdout)
	}
	var results []result
	for _, lat := range f.latencies {
		r, err := s.measure(ctx, lat)
		if err != nil {
			return fmt.Errorf("at %v: %w", lat, err)
		}
		results = append(results, r)
		logf("at %v: %s", lat, r.summary())
	}
	report(os.Stdout, f, results)
	return nil
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}
