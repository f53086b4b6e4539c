package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"github.com/imshift/imshift/internal/config"
	apiserver "github.com/imshift/imshift/worker/api"
)

func run(ctx context.Context) error {
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	settings, err := config.LoadWorker(nil)
	if err != nil {
		return err
	}
	if settings.MetricsAddr == settings.HTTPAddr {
		return &config.Error{Name: "IMSHIFT_METRICS_ADDR", Problem: "must differ from IMSHIFT_HTTP_ADDR (/metrics and /healthz are not served on the API address)"}
	}
	opts, err := config.Temporal()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	metrics, closeMetrics := newMetricsHandler()
	defer closeMetrics()
	opts.Logger = sdklog.NewStructuredLogger(logger)
	opts.MetricsHandler = metrics
	tc, err := client.DialContext(ctx, opts)
	if err != nil {
		return fmt.Errorf("connect to Temporal at %s: %w", opts.HostPort, err)
	}
	defer tc.Close()
	d, err := newDeps(ctx, settings, tc, logger)
	if err != nil {
		return err
	}
	defer d.close()

	w := worker.New(tc, settings.TaskQueue, worker.Options{
		WorkerStopTimeout: settings.ShutdownGrace,
	})
	register(w, d)
	servers := httpServers(settings.HTTPAddr, settings.MetricsAddr, apiHandler(d), opsHandler(d))
	for _, s := range servers {
		go serveHTTP(s, logger, stop)
	}
	defer shutdownHTTP(servers)
	logger.Info("worker started", "taskQueue", settings.TaskQueue, "temporal", opts.HostPort,
		"http", settings.HTTPAddr, "metrics", settings.MetricsAddr)
	return w.Run(interruptOn(ctx))
}

// interruptOn adapts ctx to the channel worker.Run stops on.
func interruptOn(ctx context.Context) <-chan interface{} {
	ch := make(chan interface{})
	go func() {
		<-ctx.Done()
		close(ch)
	}()
	return ch
}

// httpServers serves the API on httpAddr and /healthz and /metrics only on
// metricsAddr, which is meant to stay inside the cluster: the figures and
// the dependency report are for probes and Prometheus, not for API clients
// (docs/operations.md). Both run with the API's timeouts.
func httpServers(httpAddr, metricsAddr string, api, ops http.Handler) []*http.Server {
	return []*http.Server{
		apiserver.Server(httpAddr, api, apiserver.DefaultLimits),
		apiserver.Server(metricsAddr, ops, apiserver.DefaultLimits),
	}
}

func serveHTTP(s *http.Server, log *slog.Logger, stop context.CancelFunc) {
	if err := s.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("http server failed", "addr", s.Addr, "error", err)
		stop()
	}
}

func shutdownHTTP(servers []*http.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, s := range servers {
		_ = s.Shutdown(ctx)
	}
}
