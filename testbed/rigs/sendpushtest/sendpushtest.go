// Package sendpushtest runs SendPush for tests on real parts: a fresh
// PostgreSQL database, the Temporal dev server, an in-process worker, and the
// real FCM and APNs senders pointed at the provider simulators over TLS.
package sendpushtest

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/imshift/imshift/activities/delivery"
	pushact "github.com/imshift/imshift/activities/sendpush"
	"github.com/imshift/imshift/internal/registry"
	"github.com/imshift/imshift/testbed/rigs/openimtest"
	"github.com/imshift/imshift/testbed/simulator/apnssim"
	"github.com/imshift/imshift/testbed/simulator/fcmsim"
	"github.com/imshift/imshift/testbed/simulator/simtest"
	"github.com/imshift/imshift/testbed/testenv"
	"github.com/imshift/imshift/workflows/sendpush"
)

// Env is one test's push stack.
type Env struct {
	DB        *pgxpool.Pool
	DBURL     string
	Registry  *registry.Store
	Temporal  client.Client
	TaskQueue string
	FCM       *fcmsim.Server
	APNs      *apnssim.Server
	Senders   map[string]delivery.Sender
	// OpenIM is where the worker's pruner clears dead FCM tokens.
	OpenIM *openimtest.OpenIM
	// Pushes is the API's way in (POST /v1/push), on the worker's
	// activities; its sweep runs while the test does.
	Pushes *sendpush.Dispatcher
}

// Start builds the stack and a worker polling a task queue of the test's
// own; everything stops when the test ends.
func Start(t *testing.T) *Env {
	t.Helper()
	pool, dbURL := testenv.Database(t)
	providers := simtest.Start(t)
	e := &Env{
		DB:        pool,
		DBURL:     dbURL,
		Registry:  registry.New(pool),
		Temporal:  testenv.Temporal(t),
		TaskQueue: "sendpush-" + strings.ToLower(strings.NewReplacer("/", "-", " ", "-").Replace(t.Name())),
		FCM:       providers.FCM,
		APNs:      providers.APNs,
		Senders:   providers.Senders(t, 16),
		OpenIM:    openimtest.Start(t, pool),
	}
	w := worker.New(e.Temporal, e.TaskQueue, worker.Options{})
	acts := &pushact.Activities{DB: pool, Registry: e.Registry, Senders: e.Senders, OnPruned: e.OpenIM.Pruner.Pruned}
	sendpush.Register(w, acts)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	e.Pushes = &sendpush.Dispatcher{Outbox: pushact.Outbox{DB: pool}, Acts: acts, Temporal: e.Temporal,
		TaskQueue: e.TaskQueue, Logger: slog.Default()}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); e.Pushes.Sweep(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return e
}

// FCMToken is a well-formed FCM token, unique per n; a "dead-" prefix makes
// the simulator answer UNREGISTERED.
func FCMToken(n int) string { return fmt.Sprintf("fcm-token-%06d:APA91b", n) }

// APNsToken is a well-formed 64-hex-digit APNs token, unique per n.
func APNsToken(n int) string { return fmt.Sprintf("%064x", 0xa000000+n) }

// Register adds a device for user and returns it.
func (e *Env) Register(t *testing.T, user, provider, token string) registry.Device {
	t.Helper()
	platform := registry.PlatformAndroid
	if provider == registry.ProviderAPNs {
		platform = registry.PlatformIOS
	}
	d, _, err := e.Registry.Upsert(context.Background(), registry.Device{UserID: user, Platform: platform, Provider: provider, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	return d
}
