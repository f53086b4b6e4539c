package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/imshift/imshift/testbed/testenv"
)

func TestHealthzIsReadyOnlyWhenPostgresAnswers(t *testing.T) {
	pool, _ := testenv.Database(t)
	h := opsHandler(&deps{temporal: testenv.Temporal(t), db: pool})
	probe := func() (int, map[string]string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
		var body map[string]string
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("/healthz body %q: %v", rec.Body.String(), err)
		}
		return rec.Code, body
	}
	if code, body := probe(); code != http.StatusOK || body["postgres"] != "ok" || body["temporal"] != "ok" {
		t.Fatalf("healthy: %d %v", code, body)
	}
	pool.Close()
	if code, body := probe(); code != http.StatusServiceUnavailable || body["postgres"] != "unreachable" {
		t.Fatalf("PostgreSQL gone: %d %v, want 503", code, body)
	}
}
