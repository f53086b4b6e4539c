package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/pprof"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/uber-go/tally/v4"
	tallyprom "github.com/uber-go/tally/v4/prometheus"
	"go.temporal.io/sdk/client"
	sdktally "go.temporal.io/sdk/contrib/tally"
)

// newMetricsHandler reports the Temporal SDK's metrics into the default
// Prometheus registry, next to imshift's own counters, so one /metrics
// serves both.
func newMetricsHandler() (client.MetricsHandler, func()) {
	reporter := tallyprom.NewReporter(tallyprom.Options{})
	scope, closer := tally.NewRootScope(tally.ScopeOptions{
		CachedReporter:  reporter,
		Separator:       tallyprom.DefaultSeparator,
		SanitizeOptions: &sdktally.PrometheusSanitizeOptions,
	}, time.Second)
	return sdktally.NewMetricsHandler(sdktally.NewPrometheusNamingScope(scope)), func() { _ = closer.Close() }
}

// checkTimeout is each dependency's own deadline in /healthz. The checks
// run side by side, so a frozen dependency is reported by its own name and
// /healthz answers within one deadline, under a probe's usual 5 s.
const checkTimeout = 2 * time.Second

// check is one dependency /healthz asks.
type check struct {
	name  string
	probe func(context.Context) error
}

func (d *deps) checks() []check {
	return []check{
		{"temporal", func(ctx context.Context) error {
			_, err := d.temporal.CheckHealth(ctx, &client.CheckHealthRequest{})
			return err
		}},
		{"postgres", d.db.Ping},
		{"redis", func(ctx context.Context) error { return d.redis.Ping(ctx).Err() }},
	}
}

// opsHandler serves /metrics and /healthz. /healthz is 200 only when
// Temporal, PostgreSQL and Redis all answer, so an orchestrator stops
// routing to (or restarts) a worker that cannot make progress; the body
// names each dependency: "ok", "unreachable" or "no answer within 2s".
func opsHandler(d *deps) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.Handler())
	// Go's profiler, on the same in-cluster address: `go tool pprof
	// http://<metrics addr>/debug/pprof/profile?seconds=20` is how the
	// benchmarks' CPU per push is explained (docs/delivery.md).
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		status, healthy := runChecks(r.Context(), d.checks())
		code := http.StatusOK
		if !healthy {
			code = http.StatusServiceUnavailable
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(status)
	})
	return mux
}

// runChecks runs every check at once, each under its own deadline.
func runChecks(ctx context.Context, checks []check) (map[string]string, bool) {
	status := make(map[string]string, len(checks))
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	for _, c := range checks {
		wg.Go(func() {
			result := probe(ctx, c)
			mu.Lock()
			status[c.name] = result
			mu.Unlock()
		})
	}
	wg.Wait()
	for _, s := range status {
		if s != "ok" {
			return status, false
		}
	}
	return status, true
}

func probe(ctx context.Context, c check) string {
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	err := c.probe(ctx)
	switch {
	case err == nil:
		return "ok"
	case ctx.Err() != nil:
		return "no answer within " + checkTimeout.String()
	}
	return "unreachable"
}
