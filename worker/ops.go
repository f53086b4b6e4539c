package main

import (
	"context"
	"encoding/json"
	"net/http"
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

// opsHandler serves /metrics and /healthz. /healthz is 200 only when both
// Temporal and PostgreSQL answer, so an orchestrator stops routing to (or
// restarts) a worker that cannot make progress.
func opsHandler(d *deps) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.Handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		status := map[string]string{"temporal": "ok", "postgres": "ok"}
		code := http.StatusOK
		if _, err := d.temporal.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
			status["temporal"], code = "unreachable", http.StatusServiceUnavailable
		}
		if err := d.db.Ping(ctx); err != nil {
			status["postgres"], code = "unreachable", http.StatusServiceUnavailable
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(status)
	})
	return mux
}
