package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/imshift/imshift/internal/cohort"
	"github.com/imshift/imshift/testbed/testenv"
	"github.com/imshift/imshift/workflows/migration"
)

// seedDemo loads the demo population make dev loads, n users.
func seedDemo(t *testing.T, dbURL string, n int) {
	t.Helper()
	seed := filepath.Join(testenv.ModuleRoot(), "testbed", "scripts", "demo-seed.sql")
	out, err := exec.Command("psql", dbURL, "-q", "-v", "ON_ERROR_STOP=1", "-v", fmt.Sprintf("n=%d", n), "-f", seed).CombinedOutput()
	if err != nil {
		t.Fatalf("demo seed: %v\n%s", err, out)
	}
}

// demoExpectation is the forecast of the demo plan worked out from the
// seed's rules (even users an FCM token, every third an APNs device).
func demoExpectation(p migration.Plan, n int) []migration.ForecastStep {
	steps := make([]migration.ForecastStep, len(p.Steps))
	thresholds := make([]int, len(p.Steps))
	for i, s := range p.Steps {
		thresholds[i] = cohort.Threshold(s.Percent)
		steps[i] = migration.ForecastStep{Step: i + 1, Percent: s.Percent}
	}
	for i := 1; i <= n; i++ {
		id := fmt.Sprintf("demo_%06d", i)
		first := 0
		if id != p.AllowUsers[0] {
			b := cohort.Bucket(id)
			first = sort.Search(len(thresholds), func(k int) bool { return b < thresholds[k] })
		}
		if first == len(steps) {
			continue
		}
		s := &steps[first]
		s.NewUsers++
		fcm, apns := i%2 == 0, i%3 == 0
		if fcm {
			s.FCMTokens++
		}
		if apns {
			s.APNsDevices++
		}
		if apns && !fcm {
			s.APNsOnlyUsers++
		}
	}
	var users int64
	for i := range steps {
		users += steps[i].NewUsers
		steps[i].Users = users
	}
	return steps
}

// TestMigrationPlanForecastsTheDemo forecasts examples/migration-demo.json
// on the demo population: per step counts as the seed's rules give them,
// the rate the last run measured, the shortest duration, the warnings, and
// nothing written.
func TestMigrationPlanForecastsTheDemo(t *testing.T) {
	pool, dbURL := testenv.Database(t)
	t.Setenv("IMSHIFT_DATABASE_URL", dbURL)
	t.Setenv("TEMPORAL_ADDRESS", "127.0.0.1:1") // the forecast needs no Temporal
	const n = 3000
	seedDemo(t, dbURL, n)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// An earlier migration: batches of 500 at 0, 1 and 2.5 s, a bake, then
	// two more 0.5 s apart: 1 500 users in 3 s of provisioning, 500/s.
	base := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	for b, at := range []time.Duration{0, time.Second, 2500 * time.Millisecond, 10 * time.Minute, 10*time.Minute + 500*time.Millisecond} {
		_, err := pool.Exec(ctx, `INSERT INTO imshift.migration_users (migration_id, legacy_id, openim_id, bucket, status, updated_at)
			SELECT 'earlier', 'u' || $1::int || '-' || i, 'u' || $1::int || '-' || i, 0, 'registered', $2 FROM generate_series(1, 500) i`, b, base.Add(at))
		if err != nil {
			t.Fatal(err)
		}
	}
	plan := filepath.Join(testenv.ModuleRoot(), "examples", "migration-demo.json")
	out := runPlan(t, ctx, "-f", plan, "--json")
	var f migration.Forecast
	must(t, json.Unmarshal([]byte(out), &f))
	p := readPlan(t, plan)
	want := demoExpectation(p, n)
	for i, s := range f.Steps {
		w := want[i]
		if s.Users != w.Users || s.NewUsers != w.NewUsers || s.FCMTokens != w.FCMTokens || s.APNsDevices != w.APNsDevices || s.APNsOnlyUsers != w.APNsOnlyUsers {
			t.Errorf("step %d: %+v, want %+v", i+1, s, w)
		}
		if wantSec := float64(w.NewUsers) / 500; s.ProvisioningSeconds != wantSec {
			t.Errorf("step %d provisioning %vs, want %vs", i+1, s.ProvisioningSeconds, wantSec)
		}
	}
	if f.Rate != 500 || !strings.Contains(f.RateSource, "earlier") || f.DirectoryUsers != n || f.Approvals != 2 {
		t.Fatalf("forecast %+v", f)
	}
	if bakes := 30.0 + 60 + 60 + 60; f.ShortestSeconds != bakes+float64(want[3].Users)/500 {
		t.Fatalf("shortest %vs", f.ShortestSeconds)
	}
	// Step 1 is 1 % of 3 000 users plus the allow list: below sampleSize 200.
	if len(f.Warnings) == 0 || !strings.Contains(f.Warnings[0], fmt.Sprintf("step 1 has %d users on OpenIM", want[0].Users)) {
		t.Fatalf("warnings %q", f.Warnings)
	}
	text := runPlan(t, ctx, "-f", plan)
	t.Log(text)
	for _, line := range []string{"provisioning at 500 users/s, measured in migration earlier", "bake 30s (3 analyses)",
		"bake 1m (6 analyses), then approval", "+ 2 approval(s) by a person", "warning: step 1 has"} {
		if !strings.Contains(text, line) {
			t.Errorf("text output lacks %q:\n%s", line, text)
		}
	}
	var routing, mapped int
	must(t, pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM imshift.routing), (SELECT count(*) FROM imshift.user_id_map)`).Scan(&routing, &mapped))
	if routing != 0 || mapped != 0 {
		t.Fatalf("the forecast wrote: %d routing rows, %d mapped ids", routing, mapped)
	}
}

func runPlan(t *testing.T, ctx context.Context, args ...string) string {
	t.Helper()
	out, err := runMigrationCmd(ctx, &app{taskQueue: "nowhere"}, append([]string{"plan"}, args...)...)
	if err != nil {
		t.Fatalf("migration plan %v: %v\n%s", args, err, out)
	}
	return out
}

func readPlan(t *testing.T, path string) migration.Plan {
	t.Helper()
	p, err := readInput[migration.Plan](path, "migration plan")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
