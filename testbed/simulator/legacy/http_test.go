package legacy_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/imshift/imshift/testbed/simulator/legacy"
)

// TestHTTPOpenIMDrivesARemoteSimulator uses the control surface of an
// OpenIM simulator behind a real HTTP server.
func TestHTTPOpenIMDrivesARemoteSimulator(t *testing.T) {
	e := newEnv(t)
	srv := httptest.NewServer(e.sim)
	t.Cleanup(srv.Close)
	remote := &legacy.HTTPOpenIM{BaseURL: srv.URL + "/"}
	remote.SetOnline("demo_000001", 2, true)
	if got := e.sim.User("demo_000001").OnlinePlatformIDs; len(got) != 1 || got[0] != 2 {
		t.Fatalf("online platforms %v", got)
	}
	remote.SetOnline("demo_000001", 2, false)
	if e.sim.Counters().Online != 0 || remote.Failures() != 0 {
		t.Fatalf("still online or failures %d", remote.Failures())
	}
	remote.SetOnline("demo_000001", 0, true) // the simulator refuses platform 0
	if remote.Failures() != 1 {
		t.Fatalf("failures %d, want 1", remote.Failures())
	}
	down := &legacy.HTTPOpenIM{BaseURL: "http://127.0.0.1:1"}
	down.SetOnline("demo_000001", 2, true)
	if down.Failures() != 1 {
		t.Fatalf("unreachable simulator: failures %d", down.Failures())
	}
}

func TestHandler(t *testing.T) {
	e := newEnv(t)
	p := e.start(legacy.Options{SuccessRate: 0.5})
	if err := p.Connect(e.ctx, users("demo", 3)); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p.Handler())
	t.Cleanup(srv.Close)
	for body, want := range map[string]int{`{"rate":1}`: 200, `{"rate":2}`: 400, `{}`: 400, `{"rate":1,"x":1}`: 400} {
		resp, err := http.Post(srv.URL+"/success-rate", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("POST %s: HTTP %d, want %d", body, resp.StatusCode, want)
		}
	}
	resp, err := http.Get(srv.URL + "/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s legacy.Stats
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		t.Fatal(err)
	}
	if s.Clients != 3 || s.Legacy != 3 || s.SuccessRate != 1 {
		t.Fatalf("stats %+v", s)
	}
}

func TestNewRefusesIncompleteOptions(t *testing.T) {
	e := newEnv(t)
	good := legacy.Options{Redis: e.rdb, DB: e.db, MigrationID: "m", OpenIM: e.sim}
	bad := map[string]func(o *legacy.Options){
		"Redis":       func(o *legacy.Options) { o.Redis = nil },
		"DB":          func(o *legacy.Options) { o.DB = nil },
		"MigrationID": func(o *legacy.Options) { o.MigrationID = "" },
		"OpenIM":      func(o *legacy.Options) { o.OpenIM = nil },
		"SuccessRate": func(o *legacy.Options) { o.SuccessRate = -0.1 },
	}
	for field, breakIt := range bad {
		o := good
		breakIt(&o)
		if _, err := legacy.New(o); err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("without a valid %s: %v", field, err)
		}
	}
	if _, err := legacy.New(good); err != nil {
		t.Fatal(err)
	}
}
