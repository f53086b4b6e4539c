package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	migact "github.com/imshift/imshift/activities/migration"
	notifyact "github.com/imshift/imshift/activities/notify"
	"github.com/imshift/imshift/activities/openim"
	"github.com/imshift/imshift/activities/ownership"
	"github.com/imshift/imshift/internal/config"
	"github.com/imshift/imshift/testbed/simulator/openimsim"
	"github.com/imshift/imshift/testbed/testenv"
	"github.com/imshift/imshift/workflows/migration"
	"github.com/imshift/imshift/workflows/notify"
)

// TestMain stops the Temporal dev server testenv may start for this package.
func TestMain(m *testing.M) { testenv.Main(m) }

// runMigrationCmd runs `starter migration <args>` and returns its output.
func runMigrationCmd(ctx context.Context, a *app, args ...string) (string, error) {
	cmd := newMigrationCmd(a)
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	return out.String(), err
}

func writePlan(t *testing.T, plan any) string {
	t.Helper()
	b, err := json.Marshal(plan)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "plan.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// A bad plan is refused with the field's name before anything is dialed:
// the app has no client and no server to reach.
func TestMigrationStartRefusesBadPlans(t *testing.T) {
	a := &app{taskQueue: "nowhere"}
	t.Setenv("TEMPORAL_ADDRESS", "127.0.0.1:1")
	good := func() map[string]any {
		return map[string]any{
			"migrationId": "m1",
			"steps":       []any{map[string]any{"percent": 10, "bake": "1m"}, map[string]any{"percent": 5, "bake": "1m"}},
			"analysis":    map[string]any{"interval": "10s", "sampleSize": 10},
		}
	}
	cases := []struct {
		change func(map[string]any)
		want   string
	}{
		{func(map[string]any) {}, "invalid plan: steps[1].percent: must be greater than steps[0].percent (10)"},
		{func(p map[string]any) { p["failurLimit"] = 3 }, "not a migration plan: failurLimit: unknown field"},
		{func(p map[string]any) { p["steps"] = "all" }, "not a migration plan: steps: must be a list"},
		{func(p map[string]any) { p["continued"] = map[string]any{"state": "completed"} }, "invalid plan: continued:"},
	}
	for _, c := range cases {
		p := good()
		c.change(p)
		_, err := runMigrationCmd(context.Background(), a, "start", "-f", writePlan(t, p))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Fatalf("got %v, want %q", err, c.want)
		}
		if a.c != nil {
			t.Fatal("the starter dialed Temporal for a bad plan")
		}
	}
}

// Every verb against a real Temporal server, a worker running the real
// workflow and activities, PostgreSQL, Redis and the OpenIM simulator.
func TestMigrationVerbsEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	tc := testenv.Temporal(t)
	pool, _ := testenv.Database(t)
	rdb, _ := testenv.Redis(t)
	sim := openimsim.New(openimsim.Options{})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	rows := [][]any{}
	for i := range 200 {
		rows = append(rows, []any{fmt.Sprintf("user-%03d", i), fmt.Sprintf("User %d", i)})
	}
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{"imshift", "demo_users"}, []string{"user_id", "nickname"}, pgx.CopyFromRows(rows)); err != nil {
		t.Fatal(err)
	}
	acts, err := migact.New(migact.Config{DB: pool, Redis: rdb, Directory: "imshift.demo_users",
		OpenIM: openim.New(openim.Config{BaseURL: srv.URL, AdminUserID: openimsim.DefaultAdminUserID, Secret: openimsim.DefaultSecret})})
	if err != nil {
		t.Fatal(err)
	}
	queue := "starter-migration-" + time.Now().Format("150405.000000")
	w := worker.New(tc, queue, worker.Options{})
	migration.Register(w, acts)
	ownership.New(pool, tc).Register(w)
	notify.Register(w, notifyact.New(config.Notify{}, nil)) // no webhooks: notifications just end
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	a := &app{taskQueue: queue, c: tc}
	id := "starter-" + time.Now().Format("150405.000000")
	plan := migration.Plan{
		MigrationID: id,
		Steps:       []migration.Step{{Percent: 20, Bake: "1s"}, {Percent: 100, Bake: "1s", Approval: true}},
		Analysis:    migration.Analysis{Interval: "1s", SampleSize: 50, MaxLegacyOnlineRatio: 1, FailureLimit: 1, ConsecutiveErrorLimit: 1},
	}
	out, err := runMigrationCmd(ctx, a, "start", "-f", writePlan(t, plan))
	if err != nil || !strings.Contains(out, "started migration "+id) {
		t.Fatalf("start: %v\n%s", err, out)
	}
	if _, err := runMigrationCmd(ctx, a, "start", "-f", writePlan(t, plan)); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Fatalf("second start: %v", err)
	}
	waitState(ctx, t, a, id, migration.StateAwaitingApproval)
	describe := testenv.TemporalCLI(ctx, t, "workflow", "describe", "--workflow-id", migration.WorkflowID(id), "-o", "json")
	if !strings.Contains(describe, `"summary": "migration `+id+`: 20 % → 100 %"`) {
		t.Errorf("temporal workflow describe lacks the starter's summary:\n%s", describe)
	}
	meta := testenv.TemporalCLI(ctx, t, "workflow", "metadata", "--workflow-id", migration.WorkflowID(id), "-o", "json")
	for _, want := range []string{`"currentDetails": "**awaiting_approval** · step 2 of 2 · routing at 100 % (revision 2)`,
		"analyse the cohort again (step 2 waits for promote) at ", "- last analysis (step 2, ", "**passed**, OpenIM online ", "- provisioned: 200 registered"} {
		if !strings.Contains(meta, want) {
			t.Errorf("temporal workflow metadata: current details lack %q:\n%s", want, meta)
		}
	}

	// The same verbs as Updates: refused by the validator with the reason.
	h, err := tc.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: migration.WorkflowID(id),
		UpdateName: migration.SignalResume, WaitForStage: client.WorkflowUpdateStageCompleted})
	if err == nil {
		err = h.Get(ctx, nil)
	}
	if err == nil || !strings.Contains(err.Error(), "resume applies only while paused") {
		t.Fatalf("resume update while awaiting: %v", err)
	}
	out, err = runMigrationCmd(ctx, a, "resume", id)
	if err == nil || !strings.Contains(err.Error(), "resume rejected in state awaiting_approval: resume applies only while paused") {
		t.Fatalf("resume while awaiting: %v\n%s", err, out)
	}
	out, err = runMigrationCmd(ctx, a, "pause", id, "--reason", "check dashboards")
	if err != nil || !strings.Contains(out, "now paused") {
		t.Fatalf("pause: %v\n%s", err, out)
	}
	out, err = runMigrationCmd(ctx, a, "status", id)
	if err != nil || !strings.Contains(out, "state         paused") || !strings.Contains(out, "check dashboards") ||
		!strings.Contains(out, "percent       100% (routing revision 2)") {
		t.Fatalf("status: %v\n%s", err, out)
	}
	if out, err = runMigrationCmd(ctx, a, "resume", id); err != nil || !strings.Contains(out, "now awaiting_approval") {
		t.Fatalf("resume: %v\n%s", err, out)
	}
	if out, err = runMigrationCmd(ctx, a, "promote", id); err != nil || !strings.Contains(out, "now completed") {
		t.Fatalf("promote: %v\n%s", err, out)
	}
	out, err = runMigrationCmd(ctx, a, "watch", id, "--every", "100ms")
	for _, want := range []string{"provisioning", "baking", "awaiting_approval", "paused", "completed", "analysis passed", "rejected resume", "ended: completed"} {
		if !strings.Contains(out, want) {
			t.Fatalf("watch lacks %q: %v\n%s", want, err, out)
		}
	}
	out, err = runMigrationCmd(ctx, a, "watch", id, "--json")
	var last time.Time
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var it watchItem
		if json.Unmarshal([]byte(line), &it) != nil || it.At.Before(last) {
			t.Fatalf("watch --json line %q out of order or not JSON: %v\n%s", line, err, out)
		}
		last = it.At
	}
	out, err = runMigrationCmd(ctx, a, "status", id, "--json")
	var st migration.Status
	if err != nil || json.Unmarshal([]byte(out), &st) != nil || st.State != migration.StateCompleted || st.Percent != 100 ||
		st.Provisioning.Registered != 200 || st.MigratedUsers != 200 {
		t.Fatalf("final status: %v\n%s", err, out)
	}
	if sim.Users() != 200 {
		t.Fatalf("OpenIM holds %d users", sim.Users())
	}
	if _, err := runMigrationCmd(ctx, a, "abort", id, "--reason", "late"); err == nil || !strings.Contains(err.Error(), "has ended") {
		t.Fatalf("abort after the end: %v", err)
	}
}

func waitState(ctx context.Context, t *testing.T, a *app, id string, want migration.State) {
	t.Helper()
	testenv.WaitFor(t, fmt.Sprintf("migration %s to reach %s", id, want), func() bool {
		st, _, err := a.migrationStatus(ctx, id)
		return err == nil && st.State == want
	})
}
