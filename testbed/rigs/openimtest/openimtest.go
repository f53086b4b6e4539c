// Package openimtest gives a push rig what the worker has beside its
// senders for token hygiene: the OpenIM simulator over HTTP and the token
// pruner (activities/tokens) running on it, wired as the worker wires it,
// so a push that finds a dead FCM token clears it from OpenIM.
package openimtest

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/imshift/imshift/activities/openim"
	tokensact "github.com/imshift/imshift/activities/tokens"
	"github.com/imshift/imshift/testbed/simulator/openimsim"
)

// OpenIM is the simulator, a client on it and the running pruner.
type OpenIM struct {
	Sim    *openimsim.Server
	Client *openim.Client
	Pruner *tokensact.Pruner
}

// Start serves the simulator and runs the pruner on pool until the test
// ends (the pruner stops before the database closes).
func Start(t testing.TB, pool *pgxpool.Pool) *OpenIM {
	t.Helper()
	sim := openimsim.New(openimsim.Options{})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	client := openim.New(openim.Config{BaseURL: srv.URL, AdminUserID: openimsim.DefaultAdminUserID, Secret: openimsim.DefaultSecret})
	o := &OpenIM{Sim: sim, Client: client, Pruner: tokensact.NewPruner(tokensact.New(tokensact.Config{DB: pool, OpenIM: client}), nil)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		o.Pruner.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return o
}

// Provision records userID as moved to OpenIM (same id there) and gives
// OpenIM an FCM token for it on Android, as the migration's copy does.
func (o *OpenIM) Provision(t testing.TB, pool *pgxpool.Pool, userID, fcmToken string) {
	t.Helper()
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `INSERT INTO imshift.user_id_map (legacy_id, openim_id, migration_id) VALUES ($1, $1, 'test')`, userID); err != nil {
		t.Fatal(err)
	}
	if err := o.Client.FCMUpdateToken(ctx, userID, openim.PlatformAndroid, fcmToken, 30*86400); err != nil {
		t.Fatal(err)
	}
}
