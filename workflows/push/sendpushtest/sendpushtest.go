// Package sendpushtest runs SendPush for tests on real parts: a fresh
// PostgreSQL database, the Temporal dev server, an in-process worker, and the
// real FCM and APNs senders pointed at the provider simulators over TLS.
package sendpushtest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/imshift/imshift/activities/apns"
	"github.com/imshift/imshift/activities/delivery"
	"github.com/imshift/imshift/activities/fcm"
	pushact "github.com/imshift/imshift/activities/push"
	"github.com/imshift/imshift/activities/registry"
	"github.com/imshift/imshift/internal/testenv"
	"github.com/imshift/imshift/simulator/apnssim"
	"github.com/imshift/imshift/simulator/fcmsim"
	"github.com/imshift/imshift/simulator/simtls"
	"github.com/imshift/imshift/workflows/push"
)

// Identity the APNs simulator accepts.
const (
	TeamID = "TEAM123456"
	KeyID  = "KEY1234567"
	Topic  = "com.example.chat"
)

// Env is one test's push stack.
type Env struct {
	DB        *pgxpool.Pool
	Registry  *registry.Store
	Temporal  client.Client
	TaskQueue string
	FCM       *fcmsim.Server
	APNs      *apnssim.Server
	Senders   map[string]delivery.Sender
}

// Start builds the stack and a worker polling a task queue of the test's
// own; everything stops when the test ends.
func Start(t *testing.T) *Env {
	t.Helper()
	pool, _ := testenv.Database(t)
	ca, err := simtls.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	e := &Env{
		DB:        pool,
		Registry:  registry.New(pool),
		Temporal:  testenv.Temporal(t),
		TaskQueue: "sendpush-" + strings.ToLower(strings.NewReplacer("/", "-", " ", "-").Replace(t.Name())),
		Senders:   map[string]delivery.Sender{},
	}
	e.Senders[registry.ProviderFCM] = e.startFCM(t, ca)
	e.Senders[registry.ProviderAPNs] = e.startAPNs(t, ca)
	w := worker.New(e.Temporal, e.TaskQueue, worker.Options{})
	push.RegisterSendPush(w, &pushact.SendPushActivities{DB: pool, Registry: e.Registry, Senders: e.Senders})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	return e
}

func (e *Env) startFCM(t *testing.T, ca *simtls.CA) delivery.Sender {
	e.FCM = fcmsim.New(fcmsim.Options{ProjectID: "imshift-test"})
	srv := serveTLS(t, e.FCM, ca)
	key, err := fcmsim.ServiceAccountJSON(srv+"/token", e.FCM.ProjectID())
	if err != nil {
		t.Fatal(err)
	}
	if err := e.FCM.RegisterServiceAccount(key); err != nil {
		t.Fatal(err)
	}
	s, err := fcm.NewSender(context.Background(), fcm.Config{
		CredentialsFile: writeFile(t, "sa.json", key), Endpoint: srv, RootCAs: ca.Pool(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (e *Env) startAPNs(t *testing.T, ca *simtls.CA) delivery.Sender {
	p8, pub, err := apnssim.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	e.APNs = apnssim.New(apnssim.Options{TeamID: TeamID, KeyID: KeyID, Topic: Topic, PublicKey: pub})
	ts := e.APNs.StartTLS(ca)
	t.Cleanup(ts.Close)
	s, err := apns.NewSender(apns.Config{
		KeyFile: writeFile(t, "AuthKey.p8", p8), KeyID: KeyID, TeamID: TeamID, Topic: Topic,
		Endpoint: ts.URL, RootCAs: ca.Pool(), Streams: 16,
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// serveTLS serves h over TLS with HTTP/2, as FCM does, and returns its URL.
func serveTLS(t *testing.T, h http.Handler, ca *simtls.CA) string {
	srv := httptest.NewUnstartedServer(h)
	srv.EnableHTTP2 = true
	srv.TLS = ca.ServerTLSConfig()
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.URL
}

func writeFile(t *testing.T, name string, b []byte) string {
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
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
