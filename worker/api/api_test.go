package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/imshift/imshift/testbed/rigs/sendpushtest"
	"github.com/imshift/imshift/testbed/testenv"
	"github.com/imshift/imshift/worker/api"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const (
	oldToken = "old-api-token-0123456789"
	newToken = "new-api-token-9876543210"
)

// syncBuffer collects the API's log lines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type rig struct {
	*sendpushtest.Env
	url  string
	logs *syncBuffer
}

func newRig(t *testing.T) *rig {
	e := sendpushtest.Start(t)
	logs := &syncBuffer{}
	h := api.New(api.Options{
		Tokens: []string{oldToken, newToken}, Devices: e.Registry, DB: e.DB, Pushes: e.Pushes,
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &rig{Env: e, url: srv.URL, logs: logs}
}

type reply struct {
	status int
	body   map[string]any
	raw    string
}

// call sends body (a value to marshal, or a string sent as is) with token.
func (r *rig) call(t *testing.T, method, path, token string, body any) reply {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, r.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := reply{status: resp.StatusCode, raw: string(raw)}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out.body); err != nil {
			t.Fatalf("%s %s: %d answer is not JSON: %q", method, path, resp.StatusCode, raw)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Fatalf("Content-Type %q", ct)
		}
	}
	return out
}

func device(user, provider, token string) map[string]any {
	platform := "android"
	if provider == "apns" {
		platform = "ios"
	}
	return map[string]any{"userId": user, "platform": platform, "provider": provider, "token": token,
		"appId": "com.example.chat", "locale": "de-DE", "timeZone": "Europe/Berlin"}
}

func TestAuthentication(t *testing.T) {
	r := newRig(t)
	path := "/v1/users/alice/devices"
	for name, token := range map[string]string{"missing": "", "bad": "not-a-configured-token", "prefix": oldToken[:10]} {
		t.Run(name, func(t *testing.T) {
			got := r.call(t, "GET", path, token, nil)
			if got.status != http.StatusUnauthorized || got.body["error"] == "" {
				t.Fatalf("got %d %s", got.status, got.raw)
			}
		})
	}
	for _, token := range []string{oldToken, newToken} {
		if got := r.call(t, "GET", path, token, nil); got.status != http.StatusOK {
			t.Fatalf("configured token refused: %d %s", got.status, got.raw)
		}
	}
	req, _ := http.NewRequest("GET", r.url+path, nil)
	req.Header.Set("Authorization", "Basic "+oldToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
		t.Fatalf("Basic scheme: %d", resp.StatusCode)
	}
	if got := r.call(t, "POST", "/v1/push", "", map[string]any{}); got.status != http.StatusUnauthorized {
		t.Fatalf("push without auth: %d", got.status)
	}
}

func TestRegisterNamesTheBadField(t *testing.T) {
	r := newRig(t)
	apnsTok := sendpushtest.APNsToken(1)
	cases := []struct {
		name  string
		edit  func(map[string]any)
		field string
	}{
		{"no user", func(d map[string]any) { delete(d, "userId") }, "userId"},
		{"long user", func(d map[string]any) { d["userId"] = strings.Repeat("u", 200) }, "userId"},
		{"user not a string", func(d map[string]any) { d["userId"] = 42 }, "userId"},
		{"platform", func(d map[string]any) { d["platform"] = "symbian" }, "platform"},
		{"provider", func(d map[string]any) { d["provider"] = "mqtt" }, "provider"},
		{"apns on android", func(d map[string]any) { d["platform"] = "android" }, "provider"},
		{"token shape", func(d map[string]any) { d["token"] = "xyz" }, "token"},
		{"token too long", func(d map[string]any) { d["token"] = strings.Repeat("ab", 150) }, "token"},
		{"app id", func(d map[string]any) { d["appId"] = strings.Repeat("a", 300) }, "appId"},
		{"locale", func(d map[string]any) { d["locale"] = "not a locale" }, "locale"},
		{"time zone", func(d map[string]any) { d["timeZone"] = "Europe/Atlantis" }, "timeZone"},
		{"unknown field", func(d map[string]any) { d["pushKitToken"] = "x" }, "pushKitToken"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := device("alice", "apns", apnsTok)
			c.edit(d)
			got := r.call(t, "POST", "/v1/devices", oldToken, d)
			if got.status != http.StatusBadRequest || got.body["field"] != c.field || got.body["error"] == "" {
				t.Fatalf("got %d %s, want 400 naming %s", got.status, got.raw, c.field)
			}
		})
	}
	if list := r.call(t, "GET", "/v1/users/alice/devices", oldToken, nil); len(list.body["devices"].([]any)) != 0 {
		t.Fatalf("a rejected device was stored: %s", list.raw)
	}
}

func TestMalformedBodies(t *testing.T) {
	r := newRig(t)
	for name, body := range map[string]string{
		"not json":       `{"userId": `,
		"two objects":    `{"provider":"fcm","token":"abcdefghijklmnopq"} {}`,
		"array":          `[]`,
		"trailing comma": `{"provider":"fcm",}`,
	} {
		t.Run(name, func(t *testing.T) {
			if got := r.call(t, "DELETE", "/v1/devices", oldToken, body); got.status != http.StatusBadRequest {
				t.Fatalf("got %d %s", got.status, got.raw)
			}
		})
	}
	big := `{"userId":"` + strings.Repeat("u", api.MaxBody) + `"}`
	if got := r.call(t, "POST", "/v1/devices", oldToken, big); got.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("large body: %d %s", got.status, got.raw)
	}
	req, _ := http.NewRequest("POST", r.url+"/v1/devices", strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer "+oldToken)
	req.Header.Set("Content-Type", "text/plain")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Fatalf("text/plain: %d", resp.StatusCode)
	}
	req, _ = http.NewRequest("POST", r.url+"/v1/devices", strings.NewReader(`{"userId":""}`))
	req.Header.Set("Authorization", "Bearer "+oldToken)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("no Content-Type: %d, want the body read as JSON (400 naming userId)", resp.StatusCode)
	}
}

func TestUpsertMovesTokenAndListsMasked(t *testing.T) {
	r := newRig(t)
	tok := sendpushtest.FCMToken(7)
	created := r.call(t, "POST", "/v1/devices", newToken, device("alice", "fcm", tok))
	if created.status != http.StatusCreated || created.body["userId"] != "alice" || created.body["token"] != "fcm-to…A91b" {
		t.Fatalf("register: %d %s", created.status, created.raw)
	}
	moved := r.call(t, "POST", "/v1/devices", oldToken, device("bob", "fcm", tok))
	if moved.status != http.StatusOK || moved.body["id"] != created.body["id"] || moved.body["userId"] != "bob" {
		t.Fatalf("move: %d %s", moved.status, moved.raw)
	}
	if alice := r.call(t, "GET", "/v1/users/alice/devices", oldToken, nil); len(alice.body["devices"].([]any)) != 0 {
		t.Fatalf("alice still has the token: %s", alice.raw)
	}
	bob := r.call(t, "GET", "/v1/users/bob/devices", oldToken, nil)
	devices := bob.body["devices"].([]any)
	if bob.status != http.StatusOK || len(devices) != 1 || devices[0].(map[string]any)["token"] != "fcm-to…A91b" {
		t.Fatalf("bob: %d %s", bob.status, bob.raw)
	}
	for _, raw := range []string{created.raw, moved.raw, bob.raw, r.logs.String()} {
		if strings.Contains(raw, tok) {
			t.Fatalf("token shown in the clear: %s", raw)
		}
	}
	if strings.Contains(r.logs.String(), oldToken) || !strings.Contains(r.logs.String(), "POST /v1/devices") {
		t.Fatalf("logs: %s", r.logs.String())
	}
}

func TestDeleteIsIdempotent(t *testing.T) {
	r := newRig(t)
	tok := sendpushtest.APNsToken(3)
	r.call(t, "POST", "/v1/devices", oldToken, device("alice", "apns", tok))
	for range 2 {
		got := r.call(t, "DELETE", "/v1/devices", oldToken, map[string]any{"provider": "apns", "token": tok})
		if got.status != http.StatusNoContent || got.raw != "" {
			t.Fatalf("delete: %d %s", got.status, got.raw)
		}
	}
	if list := r.call(t, "GET", "/v1/users/alice/devices", oldToken, nil); len(list.body["devices"].([]any)) != 0 {
		t.Fatalf("still listed: %s", list.raw)
	}
	bad := r.call(t, "DELETE", "/v1/devices", oldToken, map[string]any{"provider": "gcm", "token": tok})
	if bad.status != http.StatusBadRequest || bad.body["field"] != "provider" {
		t.Fatalf("bad provider: %d %s", bad.status, bad.raw)
	}
	bad = r.call(t, "DELETE", "/v1/devices", oldToken, map[string]any{"provider": "apns", "token": "not-hex"})
	if bad.status != http.StatusBadRequest || bad.body["field"] != "token" {
		t.Fatalf("bad token: %d %s", bad.status, bad.raw)
	}
}

func pushBody(user, key string) map[string]any {
	return map[string]any{"userId": user, "category": "otp", "title": "Code", "body": "Your code is 123456",
		"data": map[string]string{"kind": "otp"}, "ttl": "1m", "idempotencyKey": key}
}

func TestPushNamesTheBadField(t *testing.T) {
	r := newRig(t)
	cases := []struct {
		name  string
		edit  func(map[string]any)
		field string
	}{
		{"no user", func(b map[string]any) { b["userId"] = "" }, "userId"},
		{"category", func(b map[string]any) { b["category"] = "marketing" }, "category"},
		{"long title", func(b map[string]any) { b["title"] = strings.Repeat("t", 300) }, "title"},
		{"long body", func(b map[string]any) { b["body"] = strings.Repeat("b", 4000) }, "body"},
		{"empty", func(b map[string]any) { b["title"], b["body"] = "", " " }, "body"},
		{"reserved data", func(b map[string]any) { b["data"] = map[string]string{"google.x": "1"} }, "data"},
		{"data not strings", func(b map[string]any) { b["data"] = map[string]any{"n": 1} }, "data"},
		{"payload over 4 KB", func(b map[string]any) { b["data"] = map[string]string{"blob": strings.Repeat("x", 4100)} }, "data"},
		{"ttl shape", func(b map[string]any) { b["ttl"] = "soon" }, "ttl"},
		{"ttl number", func(b map[string]any) { b["ttl"] = 300 }, "ttl"},
		{"ttl too long", func(b map[string]any) { b["ttl"] = "2h" }, "ttl"},
		{"no key", func(b map[string]any) { delete(b, "idempotencyKey") }, "idempotencyKey"},
		{"unknown field", func(b map[string]any) { b["deviceToken"] = "x" }, "deviceToken"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := pushBody("alice", "k-"+c.name)
			c.edit(b)
			got := r.call(t, "POST", "/v1/push", oldToken, b)
			if got.status != http.StatusBadRequest || got.body["field"] != c.field {
				t.Fatalf("got %d %s, want 400 naming %s", got.status, got.raw, c.field)
			}
		})
	}
}

func TestPushSameKeyOneWorkflowOneDelivery(t *testing.T) {
	r := newRig(t)
	tok := sendpushtest.APNsToken(9)
	r.call(t, "POST", "/v1/devices", oldToken, device("alice", "apns", tok))
	accepted := testutil.ToFloat64(api.Requests.WithLabelValues("POST /v1/push", "202"))
	first := r.call(t, "POST", "/v1/push", oldToken, pushBody("alice", "login-otp-42"))
	second := r.call(t, "POST", "/v1/push", newToken, pushBody("alice", "login-otp-42"))
	id, _ := first.body["workflowId"].(string)
	if first.status != http.StatusAccepted || second.status != http.StatusAccepted || id == "" || second.body["workflowId"] != id {
		t.Fatalf("first %d %s, second %d %s", first.status, first.raw, second.status, second.raw)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := r.Temporal.GetWorkflow(ctx, id, "").Get(ctx, nil); err != nil {
		t.Fatal(err)
	}
	third := r.call(t, "POST", "/v1/push", oldToken, pushBody("alice", "login-otp-42"))
	if third.status != http.StatusAccepted || third.body["workflowId"] != id {
		t.Fatalf("after completion: %d %s", third.status, third.raw)
	}
	if n := r.APNs.Delivered(tok); n != 1 {
		t.Fatalf("delivered %d times", n)
	}
	if got := testutil.ToFloat64(api.Requests.WithLabelValues("POST /v1/push", "202")) - accepted; got != 3 {
		t.Fatalf("imshift_api_requests_total{POST /v1/push,202} grew by %v", got)
	}
	other := r.call(t, "POST", "/v1/push", oldToken, pushBody("alice", "login-otp-43"))
	if other.body["workflowId"] == id {
		t.Fatal("a different key got the same workflow")
	}
}
