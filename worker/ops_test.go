package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/redis/go-redis/v9"
	"go.temporal.io/sdk/client"

	"github.com/imshift/imshift/testbed/faults/report"
	"github.com/imshift/imshift/testbed/faults/tcpproxy"
	"github.com/imshift/imshift/testbed/testenv"
)

func probeHealth(t *testing.T, h http.Handler) (int, map[string]string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	var body map[string]string
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("/healthz body %q: %v", rec.Body.String(), err)
	}
	return rec.Code, body
}

func TestHealthzIsReadyOnlyWhenPostgresAnswers(t *testing.T) {
	pool, _ := testenv.Database(t)
	rdb, _ := testenv.Redis(t)
	h := opsHandler(&deps{temporal: testenv.Temporal(t), db: pool, redis: rdb})
	if code, body := probeHealth(t, h); code != http.StatusOK || body["postgres"] != "ok" || body["temporal"] != "ok" || body["redis"] != "ok" {
		t.Fatalf("healthy: %d %v", code, body)
	}
	pool.Close()
	if code, body := probeHealth(t, h); code != http.StatusServiceUnavailable || body["postgres"] != "unreachable" ||
		body["temporal"] != "ok" || body["redis"] != "ok" {
		t.Fatalf("PostgreSQL gone: %d %v, want 503 naming postgres only", code, body)
	}
}

// A Temporal frontend that accepts connections but answers nothing (behind
// a proxy that stops forwarding) is reported as temporal, by its own
// deadline, while PostgreSQL and Redis are still reported ok.
func TestFaultHealthzNamesAFrozenTemporal(t *testing.T) {
	report.Record(t, &report.Row{Fault: "Temporal frozen behind a TCP proxy", Running: "worker /healthz",
		Delivered: report.NA, Duplicated: report.NA, Lost: report.NA, Registered: report.NA, Outcome: "503 naming temporal only; 200 after the thaw"})
	proxy, err := tcpproxy.Start(testenv.TemporalAddress(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)
	tc, err := client.Dial(client.Options{HostPort: proxy.Addr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tc.Close)
	pool, _ := testenv.Database(t)
	rdb, _ := testenv.Redis(t)
	h := opsHandler(&deps{temporal: tc, db: pool, redis: rdb})
	if code, body := probeHealth(t, h); code != http.StatusOK {
		t.Fatalf("before the freeze: %d %v", code, body)
	}
	proxy.Freeze()
	code, body := probeHealth(t, h)
	if code != http.StatusServiceUnavailable || body["temporal"] != "no answer within 2s" ||
		body["postgres"] != "ok" || body["redis"] != "ok" {
		t.Fatalf("Temporal frozen: %d %v, want 503 naming temporal only", code, body)
	}
	proxy.Thaw()
	if code, body := probeHealth(t, h); code != http.StatusOK {
		t.Fatalf("after the thaw: %d %v", code, body)
	}
}

func TestHealthzNamesRedis(t *testing.T) {
	pool, _ := testenv.Database(t)
	rdb := redis.NewClient(&redis.Options{Addr: freeAddr(t)})
	t.Cleanup(func() { rdb.Close() })
	h := opsHandler(&deps{temporal: testenv.Temporal(t), db: pool, redis: rdb})
	if code, body := probeHealth(t, h); code != http.StatusServiceUnavailable || body["redis"] != "unreachable" ||
		body["postgres"] != "ok" || body["temporal"] != "ok" {
		t.Fatalf("Redis gone: %d %v, want 503 naming redis only", code, body)
	}
}
