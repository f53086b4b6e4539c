package migration

import (
	"context"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	migact "github.com/imshift/imshift/activities/migration"
	notifyact "github.com/imshift/imshift/activities/notify"
	"github.com/imshift/imshift/activities/ownership"
	"github.com/imshift/imshift/workflows"
	"github.com/imshift/imshift/workflows/notify"
)

// world stands in for PostgreSQL, Redis and OpenIM: it records what the
// workflow asked of each activity and answers like the real ones would for
// a directory of ten users per bucket.
type world struct {
	mu         sync.Mutex
	flips      []migact.FlipInput
	provisions []migact.ProvisionInput
	analyses   []migact.AnalyzeInput
	deletes    int
	dryRuns    int
	states     []string // ImshiftState values as upserted
	notices    []notifyact.Event
	// analyze answers the n-th analysis (0-based); nil is healthy.
	analyze func(n int) (migact.AnalyzeResult, error)
	// provisionErrors is the Errors total every provisioning reports.
	provisionErrors int64
	// routing is the routing row a new run finds; claimed and released
	// are the ownership calls.
	routing  migact.RoutingRow
	claimed  []ownership.ClaimInput
	released []ownership.ReleaseInput
}

func (w *world) claim(_ context.Context, in ownership.ClaimInput) (ownership.ClaimResult, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.claimed = append(w.claimed, in)
	return ownership.ClaimResult{}, nil
}

func (w *world) release(_ context.Context, in ownership.ReleaseInput) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.released = append(w.released, in)
	return nil
}

func (w *world) readRouting(context.Context, string) (migact.RoutingRow, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.routing, nil
}

const usersPerBucket = 10

func (w *world) flip(_ context.Context, in migact.FlipInput) (migact.FlipResult, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.flips = append(w.flips, in)
	return migact.FlipResult{Revision: int64(len(w.flips)), BucketThreshold: int(in.Percent * 100), Changed: true}, nil
}

func (w *world) provision(_ context.Context, in migact.ProvisionInput) (migact.ProvisionResult, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.provisions = append(w.provisions, in)
	var p migact.ProvisionProgress
	p.CohortSize = int64(in.ToThreshold)*usersPerBucket + int64(len(in.AllowUsers))
	p.AllowFound = int64(len(in.AllowUsers))
	p.Selected = int64(in.ToThreshold-in.FromThreshold) * usersPerBucket
	p.Done.Registered = p.Selected
	return migact.ProvisionResult{
		ProvisionProgress: p,
		Totals:            migact.ProvisionCounts{Registered: p.CohortSize, Errors: w.provisionErrors},
	}, nil
}

func (w *world) analyzeFn(_ context.Context, in migact.AnalyzeInput) (migact.AnalyzeResult, error) {
	w.mu.Lock()
	n := len(w.analyses)
	w.analyses = append(w.analyses, in)
	answer := w.analyze
	w.mu.Unlock()
	if answer != nil {
		return answer(n)
	}
	return healthy(), nil
}

func (w *world) deletePresence(context.Context, migact.DeletePresenceInput) (migact.DeletePresenceProgress, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.deletes++
	return migact.DeletePresenceProgress{Scanned: 42, Deleted: 42, Done: true}, nil
}

func (w *world) cohortSizes(_ context.Context, in migact.CohortSizesInput) (migact.CohortSizesResult, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.dryRuns++
	r := migact.CohortSizesResult{DirectoryUsers: 100000, AllowFound: int64(len(in.AllowUsers)), MappedIDs: 7}
	for _, t := range in.Thresholds {
		r.PerStep = append(r.PerStep, int64(t)*usersPerBucket+r.AllowFound)
	}
	return r, nil
}

// notification stands in for the Notification child: it records the event
// (workflows/notify's tests post it to real receivers).
func (w *world) notification(_ workflow.Context, e notifyact.Event) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.notices = append(w.notices, e)
	return nil
}

func (w *world) percents() []float64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []float64
	for _, f := range w.flips {
		out = append(out, f.Percent)
	}
	return out
}

func healthy() migact.AnalyzeResult {
	return migact.AnalyzeResult{Sampled: 100, OpenIMOnline: 100}
}

// stuck is an analysis whose cohort never reached OpenIM.
func stuck() migact.AnalyzeResult {
	return migact.AnalyzeResult{Sampled: 100, LegacyOnline: 90, OpenIMOnline: 10}
}

// unreachable is an analysis whose activity failed (OpenIM or Redis down).
func unreachable() (migact.AnalyzeResult, error) {
	return migact.AnalyzeResult{}, temporal.NewNonRetryableApplicationError("openim /user/get_users_online_status: transport error", "Unreachable", nil)
}

type harness struct {
	t   *testing.T
	env *testsuite.TestWorkflowEnvironment
	w   *world
	ts  testsuite.WorkflowTestSuite
}

func newHarness(t *testing.T) *harness {
	h := &harness{t: t, w: &world{}}
	h.ts.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	h.env = h.ts.NewTestWorkflowEnvironment()
	h.env.SetTestTimeout(30 * time.Second)
	h.env.RegisterWorkflowWithOptions(TrafficMigration, workflow.RegisterOptions{Name: WorkflowName})
	h.env.RegisterActivityWithOptions(h.w.flip, activity.RegisterOptions{Name: migact.FlipRoutingName})
	h.env.RegisterActivityWithOptions(h.w.provision, activity.RegisterOptions{Name: migact.ProvisionStepName})
	h.env.RegisterActivityWithOptions(h.w.analyzeFn, activity.RegisterOptions{Name: migact.AnalyzeName})
	h.env.RegisterActivityWithOptions(h.w.deletePresence, activity.RegisterOptions{Name: migact.DeletePresenceKeysName})
	h.env.RegisterActivityWithOptions(h.w.cohortSizes, activity.RegisterOptions{Name: migact.CohortSizesName})
	h.env.RegisterWorkflowWithOptions(h.w.notification, workflow.RegisterOptions{Name: notify.WorkflowName})
	h.env.RegisterActivityWithOptions(h.w.readRouting, activity.RegisterOptions{Name: migact.ReadRoutingName})
	h.env.RegisterActivityWithOptions(h.w.claim, activity.RegisterOptions{Name: ownership.ClaimName})
	h.env.RegisterActivityWithOptions(h.w.release, activity.RegisterOptions{Name: ownership.ReleaseName})
	h.env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		sa := args.Get(0).(temporal.SearchAttributes)
		if s, ok := sa.GetKeyword(workflows.StateKey); ok {
			h.w.mu.Lock()
			h.w.states = append(h.w.states, s)
			h.w.mu.Unlock()
		}
	}).Return(nil)
	return h
}

// at runs fn when the workflow's clock reaches d after the start.
func (h *harness) at(d time.Duration, fn func()) { h.env.RegisterDelayedCallback(fn, d) }

func (h *harness) signalAt(d time.Duration, name string, payload any) {
	h.at(d, func() { h.env.SignalWorkflow(name, payload) })
}

// status queries the running (or finished) workflow.
func (h *harness) status() Status {
	h.t.Helper()
	v, err := h.env.QueryWorkflow(QueryStatus)
	if err != nil {
		h.t.Fatalf("query status: %v", err)
	}
	var st Status
	if err := v.Get(&st); err != nil {
		h.t.Fatalf("decode status: %v", err)
	}
	return st
}

// execute starts plan under its canonical workflow id and runs it to its end.
func (h *harness) execute(plan any, migrationID string) {
	h.env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: WorkflowID(migrationID)})
	h.env.ExecuteWorkflow(WorkflowName, plan)
}

// run executes plan to its end and returns the final status.
func (h *harness) run(plan Plan) Status {
	h.t.Helper()
	h.execute(plan, plan.MigrationID)
	if !h.env.IsWorkflowCompleted() {
		h.t.Fatal("workflow did not complete")
	}
	if err := h.env.GetWorkflowError(); err != nil {
		h.t.Fatalf("workflow failed: %v", err)
	}
	var st Status
	if err := h.env.GetWorkflowResult(&st); err != nil {
		h.t.Fatalf("result: %v", err)
	}
	return st
}

// delay makes every call of activity (matching input, if given) take d of
// workflow time, so a signal can arrive while it runs.
func (h *harness) delay(name string, d time.Duration, fn any, input ...any) {
	if len(input) == 0 {
		h.env.OnActivity(name, mock.Anything, mock.Anything).After(d).Return(fn)
		return
	}
	h.env.OnActivity(name, mock.Anything, input[0]).After(d).Return(fn)
	h.env.OnActivity(name, mock.Anything, mock.Anything).Return(fn)
}

// basePlan: four steps, 10-minute analyses, approvals on the last two.
func basePlan() Plan {
	return Plan{
		MigrationID: "test-2027q1",
		Steps: []Step{
			{Percent: 1, Bake: "30m"},
			{Percent: 10, Bake: "1h"},
			{Percent: 50, Bake: "1h", Approval: true},
			{Percent: 100, Bake: "1h", Approval: true},
		},
		AllowUsers: []string{"staff_001"},
		DenyUsers:  []string{"vip_007"},
		Analysis: Analysis{
			Interval: "10m", SampleSize: 100,
			MinOpenimOnlineRatio: 0.9, MaxLegacyOnlineRatio: 0.05, MaxProvisionErrorRatio: 0.01,
			FailureLimit: 2, ConsecutiveErrorLimit: 2,
		},
		OnFailure:    OnFailureRollback,
		Decommission: true,
	}
}

// eventsFrom are the status events at or after d into the run.
func eventsFrom(st Status, d time.Duration) []Event {
	var out []Event
	for _, e := range st.Events {
		if !e.At.Before(st.StartedAt.Add(d)) {
			out = append(out, e)
		}
	}
	return out
}
