package api_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/imshift/imshift/internal/db"
	"github.com/imshift/imshift/internal/registry"
	"github.com/imshift/imshift/testbed/faults/report"
	"github.com/imshift/imshift/testbed/rigs/sendpushtest"
	"github.com/imshift/imshift/worker/api"
)

// rawServer serves the API with the worker's http.Server settings, limits l.
func rawServer(t *testing.T, l api.Limits) (*rig, string) {
	r := newRig(t)
	h := api.New(api.Options{Tokens: []string{oldToken}, Devices: r.Registry, DB: r.DB, Pushes: r.Pushes,
		Logger: slog.New(slog.NewJSONHandler(r.logs, nil))})
	srv := httptest.NewUnstartedServer(h)
	srv.Config = api.Server("", h, l)
	srv.Start()
	t.Cleanup(srv.Close)
	return r, srv.Listener.Addr().String()
}

// rawRequest writes head (request line and headers, without the blank
// line) and then body as given, and reads the answer. The connection's
// deadline only guards the test from hanging.
func rawRequest(t *testing.T, addr, head, body string) (*http.Response, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(time.Minute))
	if _, err := io.WriteString(conn, head+"\r\n\r\n"+body); err != nil {
		t.Fatal(err)
	}
	rd := bufio.NewReader(conn)
	resp, err := http.ReadResponse(rd, nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	return resp, rd
}

// A client that sends the headers and part of the body, then stops, is cut
// off by the read timeout: it gets 408 and the connection is closed.
func TestFaultStalledBodyIsCutOff(t *testing.T) {
	report.Record(t, &report.Row{Fault: "client stops mid-body", Running: "POST /v1/devices",
		Delivered: report.NA, Duplicated: report.NA, Lost: report.NA, Registered: report.NA, Outcome: "408 after the read timeout, connection closed"})
	_, addr := rawServer(t, api.Limits{ReadHeader: time.Second, Read: 2 * time.Second, Write: 10 * time.Second, Idle: 10 * time.Second})
	head := "POST /v1/devices HTTP/1.1\r\nHost: api\r\nAuthorization: Bearer " + oldToken +
		"\r\nContent-Type: application/json\r\nContent-Length: 200"
	resp, rd := rawRequest(t, addr, head, `{"userId":"alice","plat`)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Fatalf("stalled body: %d %s, want 408", resp.StatusCode, body)
	}
	if _, err := rd.ReadByte(); err != io.EOF {
		t.Fatalf("connection still open after a stalled body: %v", err)
	}
}

// A declared length over 64 KiB is refused before a byte of the body is
// sent: the client here never sends it.
func TestFaultDeclaredLengthOverLimitIs413BeforeTheBody(t *testing.T) {
	report.Record(t, &report.Row{Fault: "3 MiB Content-Length, body never sent", Running: "POST /v1/devices, /v1/push",
		Delivered: report.NA, Duplicated: report.NA, Lost: report.NA, Registered: report.NA, Outcome: "413 before the body"})
	_, addr := rawServer(t, api.DefaultLimits)
	for _, path := range []string{"/v1/devices", "/v1/push"} {
		head := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: api\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d",
			path, oldToken, 3<<20)
		resp, _ := rawRequest(t, addr, head, "")
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(body), "65536") {
			t.Fatalf("%s with 3 MiB declared: %d %s, want 413", path, resp.StatusCode, body)
		}
	}
}

func TestInvalidUTF8IsNamed(t *testing.T) {
	r := newRig(t)
	if got := r.call(t, "GET", "/v1/users/%FF%FE/devices", oldToken, nil); got.status != http.StatusBadRequest || got.body["field"] != "userId" {
		t.Fatalf("path: %d %s, want 400 naming userId", got.status, got.raw)
	}
	dev := "{\"userId\":\"al\xffice\",\"platform\":\"android\",\"provider\":\"fcm\",\"token\":\"" + sendpushtest.FCMToken(1) + "\"}"
	if got := r.call(t, "POST", "/v1/devices", oldToken, dev); got.status != http.StatusBadRequest || got.body["field"] != "userId" {
		t.Fatalf("device body: %d %s, want 400 naming userId", got.status, got.raw)
	}
	push := "{\"userId\":\"alice\",\"category\":\"otp\",\"title\":\"C\xfe\xffde\",\"body\":\"1\",\"ttl\":\"1m\",\"idempotencyKey\":\"k\"}"
	if got := r.call(t, "POST", "/v1/push", oldToken, push); got.status != http.StatusBadRequest || got.body["field"] != "title" {
		t.Fatalf("push body: %d %s, want 400 naming title", got.status, got.raw)
	}
}

// DELETE takes every provider and token form POST takes, normalized the
// same way, and removes the row POST made.
func TestDeleteAcceptsWhatRegisterAccepts(t *testing.T) {
	r := newRig(t)
	forms := []struct{ provider, token string }{
		{"FCM", sendpushtest.FCMToken(1)},
		{" fcm ", "  " + sendpushtest.FCMToken(2) + "\t"},
		{"APNs", " " + sendpushtest.APNsToken(3) + " "},
	}
	for _, f := range forms {
		d := device("alice", strings.ToLower(strings.TrimSpace(f.provider)), f.token)
		d["provider"] = f.provider
		if got := r.call(t, "POST", "/v1/devices", oldToken, d); got.status != http.StatusCreated {
			t.Fatalf("register %q: %d %s", f.provider, got.status, got.raw)
		}
		del := r.call(t, "DELETE", "/v1/devices", oldToken, map[string]any{"provider": f.provider, "token": f.token})
		if del.status != http.StatusNoContent {
			t.Fatalf("delete %q: %d %s", f.provider, del.status, del.raw)
		}
	}
	if list := r.call(t, "GET", "/v1/users/alice/devices", oldToken, nil); len(list.body["devices"].([]any)) != 0 {
		t.Fatalf("deleted devices still listed: %s", list.raw)
	}
}

// After PostgreSQL ends the API's pooled connection (pg_terminate_backend
// on the test's own database), the next request is retried once on a new
// connection and succeeds. The pool never pings before handing out a
// connection, so the request surely meets the broken one.
func TestFaultBrokenPooledConnectionIsRetriedOnce(t *testing.T) {
	report.Record(t, &report.Row{Fault: "pg_terminate_backend of the pooled connection", Running: "API register, list, delete",
		Delivered: report.NA, Duplicated: report.NA, Lost: report.NA, Registered: report.NA, Outcome: "each answered 2xx after one retry"})
	r := newRig(t)
	ctx := context.Background()
	cfg := r.DB.Config().Copy()
	cfg.MaxConns = 1
	cfg.ShouldPing = func(context.Context, pgxpool.ShouldPingParams) bool { return false }
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	srv := httptest.NewServer(api.New(api.Options{Tokens: []string{oldToken}, Devices: registry.New(pool), DB: pool,
		Pushes: r.Pushes, Logger: slog.New(slog.NewJSONHandler(r.logs, nil))}))
	t.Cleanup(srv.Close)
	api2 := &rig{Env: r.Env, url: srv.URL, logs: r.logs}

	terminate := func() {
		var pid int
		if err := pool.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
			t.Fatal(err)
		}
		var ok bool
		if err := r.DB.QueryRow(ctx, "SELECT pg_terminate_backend($1)", pid).Scan(&ok); err != nil || !ok {
			t.Fatalf("pg_terminate_backend: %v %v", ok, err)
		}
	}
	// The fault is real: a plain query on the pool fails after it.
	terminate()
	if _, err := pool.Exec(ctx, "SELECT 1"); !db.BrokenConn(err) {
		t.Fatalf("query on a terminated connection: %v, want a broken-connection error", err)
	}
	steps := []func() reply{
		func() reply {
			return api2.call(t, "POST", "/v1/devices", oldToken, device("alice", "fcm", sendpushtest.FCMToken(5)))
		},
		func() reply { return api2.call(t, "GET", "/v1/users/alice/devices", oldToken, nil) },
		func() reply {
			return api2.call(t, "DELETE", "/v1/devices", oldToken, map[string]any{"provider": "fcm", "token": sendpushtest.FCMToken(5)})
		},
	}
	for i, step := range steps {
		terminate()
		if got := step(); got.status/100 != 2 {
			t.Fatalf("request %d after pg_terminate_backend: %d %s", i, got.status, got.raw)
		}
	}
}
