package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"github.com/imshift/imshift/internal/codec"
	"github.com/imshift/imshift/internal/config"
	"github.com/imshift/imshift/internal/temporalclient"
	apiserver "github.com/imshift/imshift/worker/api"
)

func run(ctx context.Context) error {
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	settings, err := config.LoadWorker(nil)
	if err != nil {
		return err
	}
	// Two ":0" addresses are two different ephemeral ports (tests use them).
	if settings.MetricsAddr == settings.HTTPAddr && !strings.HasSuffix(settings.HTTPAddr, ":0") {
		return &config.Error{Name: "IMSHIFT_METRICS_ADDR", Problem: "must differ from IMSHIFT_HTTP_ADDR (/metrics and /healthz are not served on the API address)"}
	}
	cdc, err := temporalclient.Codec(nil)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	metrics, closeMetrics := newMetricsHandler()
	defer closeMetrics()
	var hostPort string
	tc, err := temporalclient.Dial(ctx, func(o *client.Options) {
		o.Logger = sdklog.NewStructuredLogger(logger)
		o.MetricsHandler = metrics
		hostPort = o.HostPort
	})
	if err != nil {
		return err
	}
	defer tc.Close()
	d, err := newDeps(ctx, settings, tc, logger)
	if err != nil {
		return err
	}
	defer d.close()

	deployment := deploymentOptions(settings.DeploymentName, buildID(settings.BuildID))
	w := worker.New(tc, settings.TaskQueue, worker.Options{
		WorkerStopTimeout: settings.ShutdownGrace,
		DeploymentOptions: deployment,
	})
	pruner, pushes := register(w, d)
	go pruner.Run(ctx) // dead tokens leave OpenIM off the send path
	go pushes.Sweep(ctx)
	go adoptIfFirst(ctx, tc, deployment.Version, logger)
	servers := httpServers(settings.HTTPAddr, settings.MetricsAddr, apiHandler(d, pushes), opsHandler(d))
	if settings.Codec.Addr != "" {
		servers = append(servers, codecServer(settings.Codec, cdc))
	}
	for _, s := range servers {
		go serveHTTP(s, logger, stop)
	}
	defer shutdownHTTP(servers)
	logger.Info("worker started", "taskQueue", settings.TaskQueue, "temporal", hostPort,
		"http", settings.HTTPAddr, "metrics", settings.MetricsAddr, "codec", settings.Codec.Addr,
		"deployment", settings.DeploymentName, "buildId", deployment.Version.BuildID, "encrypted", cdc != nil)
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

// codecServer decrypts payloads for the Temporal UI and the CLI.
func codecServer(s config.CodecServer, c *codec.Codec) *http.Server {
	h := codec.Handler(c, codec.ServerOptions{Tokens: s.Tokens, Origins: s.Origins})
	return apiserver.Server(s.Addr, h, apiserver.DefaultLimits)
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
