package migration

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	migact "github.com/imshift/imshift/activities/migration"
	notifyact "github.com/imshift/imshift/activities/notify"
	"github.com/imshift/imshift/activities/openim"
	"github.com/imshift/imshift/activities/ownership"
	"github.com/imshift/imshift/internal/config"
	"github.com/imshift/imshift/testbed/simulator/openimsim"
	"github.com/imshift/imshift/testbed/testenv"
	"github.com/imshift/imshift/workflows/notify"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// recordedContinueAsNewEvery is the hand-over period the continue-as-new
// histories were recorded with (instead of hours of real time); replaying
// them needs the same.
const recordedContinueAsNewEvery = 3

// TestReplayRecordedHistories replays every history recorded from a real
// server (testdata/history-*.json) against today's code: a change that
// would break a running migration fails here.
func TestReplayRecordedHistories(t *testing.T) {
	replayAll(t, "testdata", 4)
}

// replayAll replays with the hand-over period each history was recorded
// with, under migration-<migrationId> of its plan (the workflow refuses any
// other id).
func replayAll(t *testing.T, dir string, atLeast int) {
	testenv.ReplayHistories(t, dir, atLeast, func(t *testing.T, file string, h *historypb.History, r worker.WorkflowReplayer) string {
		every := defaultContinueAsNewEvery
		if strings.Contains(file, "continue-as-new") {
			every = recordedContinueAsNewEvery
		}
		withContinueAsNewEvery(t, every)
		r.RegisterWorkflowWithOptions(TrafficMigration, workflow.RegisterOptions{Name: WorkflowName})
		var plan Plan
		input := h.Events[0].GetWorkflowExecutionStartedEventAttributes().GetInput()
		if err := converter.GetDefaultDataConverter().FromPayloads(input, &plan); err != nil {
			t.Fatal(err)
		}
		return WorkflowID(plan.MigrationID)
	})
}

// recorder runs migrations on the dev server with the real activities.
type recorder struct {
	t     *testing.T
	ctx   context.Context
	tc    client.Client
	sim   *openimsim.Server
	db    *pgx.Conn
	queue string
	dir   string
}

// TestRecordAndReplayOnRealServer runs four scenarios on the dev server
// with the real activities (healthy with pause, resume and promote; rollback,
// retry and abort; dry run; continue-as-new), then replays their histories.
// With IMSHIFT_RECORD_HISTORY=1 it writes them to testdata/ for
// TestReplayRecordedHistories (keep the old files: they stand for
// migrations still running).
func TestRecordAndReplayOnRealServer(t *testing.T) {
	r := newRecorder(t)
	if os.Getenv("IMSHIFT_RECORD_HISTORY") != "" {
		r.dir = "testdata"
	}
	r.record("healthy", healthyRecording)
	r.record("rollback-retry-abort", rollbackRecording)
	r.record("dry-run", func(r *recorder, id string) Plan {
		p := recordingPlan(id)
		p.DryRun = true
		return p
	})
	withContinueAsNewEvery(t, recordedContinueAsNewEvery)
	r.record("continue-as-new", func(r *recorder, id string) Plan { return recordingPlan(id) })
	replayAll(t, r.dir, 5)
}

func newRecorder(t *testing.T) *recorder {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	tc := testenv.Temporal(t)
	pool, url := testenv.Database(t)
	rdb, _ := testenv.Redis(t)
	sim := openimsim.New(openimsim.Options{})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	rows := [][]any{}
	for i := range 100 {
		rows = append(rows, []any{fmt.Sprintf("rec-%03d", i), fmt.Sprintf("Rec %d", i)})
	}
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{"imshift", "demo_users"}, []string{"user_id", "nickname"}, pgx.CopyFromRows(rows)); err != nil {
		t.Fatal(err)
	}
	acts, err := migact.New(migact.Config{DB: pool, Redis: rdb, Directory: "imshift.demo_users",
		OpenIM: openim.New(openim.Config{BaseURL: srv.URL, AdminUserID: openimsim.DefaultAdminUserID, Secret: openimsim.DefaultSecret})})
	if err != nil {
		t.Fatal(err)
	}
	queue := "record-" + time.Now().Format("150405.000000")
	w := worker.New(tc, queue, worker.Options{})
	w.RegisterWorkflowWithOptions(TrafficMigration, workflow.RegisterOptions{Name: WorkflowName})
	acts.Register(w)
	notify.Register(w, notifyact.New(config.Notify{}, nil)) // no webhooks: the children just end
	ownership.New(pool, tc).Register(w)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return &recorder{t: t, ctx: ctx, tc: tc, sim: sim, db: conn, queue: queue, dir: t.TempDir()}
}

func recordingPlan(id string) Plan {
	return Plan{
		MigrationID: id,
		Steps:       []Step{{Percent: 10, Bake: "1s"}, {Percent: 100, Bake: "2s", Approval: true}},
		AllowUsers:  []string{"rec-007"},
		Analysis: Analysis{Interval: "1s", SampleSize: 20, MinOpenimOnlineRatio: 0.5, MaxLegacyOnlineRatio: 1,
			FailureLimit: 0, ConsecutiveErrorLimit: 1},
		Decommission: true,
	}
}

// record starts the plan scenario returns, lets scenario steer it, waits for
// the end and writes every run's history.
func (r *recorder) record(name string, scenario func(r *recorder, id string) Plan) {
	id := "rec-" + name + "-" + time.Now().Format("150405")
	r.online(true)
	plan := scenario(r, id)
	run, err := r.tc.ExecuteWorkflow(r.ctx, StartOptions(id, r.queue), WorkflowName, plan)
	if err != nil {
		r.t.Fatal(err)
	}
	r.steer(name, id)
	var st Status
	if err := r.tc.GetWorkflow(r.ctx, run.GetID(), "").Get(r.ctx, &st); err != nil {
		r.t.Fatal(err)
	}
	r.t.Logf("%s ended %s after %d runs", name, st.State, st.Runs)
	testenv.WriteHistories(r.ctx, r.t, r.tc, r.dir, name, run.GetID(), run.GetRunID())
}

// steer sends the scenario's signals as the run reaches each state.
func (r *recorder) steer(name, id string) {
	switch name {
	case "healthy", "continue-as-new":
		r.wait(id, StateAwaitingApproval)
		r.signal(id, SignalRetry, nil) // rejected: on the record
		r.signal(id, SignalPause, PauseSignal{Reason: "recording"})
		r.wait(id, StatePaused)
		r.signal(id, SignalResume, nil)
		r.wait(id, StateAwaitingApproval)
		r.signal(id, SignalPromote, PromoteSignal{})
	case "rollback-retry-abort":
		r.wait(id, StateRolledBack)
		r.online(true)
		r.signal(id, SignalRetry, nil)
		r.wait(id, StateAwaitingApproval)
		r.signal(id, SignalAbort, AbortSignal{Reason: "recording"})
	}
}

func healthyRecording(r *recorder, id string) Plan { return recordingPlan(id) }

// rollbackRecording: nobody is online in OpenIM, so the first analysis
// fails and (failureLimit 0) rolls back.
func rollbackRecording(r *recorder, id string) Plan {
	r.online(false)
	return recordingPlan(id)
}

// online puts every directory user online in OpenIM, or offline.
func (r *recorder) online(on bool) {
	for i := range 100 {
		r.sim.SetOnline(migact.OpenIMUserID(fmt.Sprintf("rec-%03d", i)), openim.PlatformAndroid, on)
	}
}

func (r *recorder) signal(id, name string, payload any) {
	if err := r.tc.SignalWorkflow(r.ctx, WorkflowID(id), "", name, payload); err != nil {
		r.t.Fatal(err)
	}
}

func (r *recorder) wait(id string, want State) {
	testenv.WaitFor(r.t, fmt.Sprintf("%s to reach %s", id, want), func() bool {
		var st Status
		v, err := r.tc.QueryWorkflow(r.ctx, WorkflowID(id), "", QueryStatus)
		return err == nil && v.Get(&st) == nil && st.State == want
	})
}
