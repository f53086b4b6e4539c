package e2e

import (
	"errors"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/imshift/imshift/activities/ownership"
	"github.com/imshift/imshift/testbed/simulator/legacy"
	"github.com/imshift/imshift/workflows/migration"
)

// refused waits for run's end and checks it failed at once, non-retryable,
// with errType and a message naming every one of mentions.
func (s *stack) refused(run client.WorkflowRun, errType string, mentions ...string) {
	s.t.Helper()
	err := run.Get(s.ctx, nil)
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || app.Type() != errType || !app.NonRetryable() {
		s.t.Fatalf("run ended with %v, want a non-retryable %s", err, errType)
	}
	for _, m := range mentions {
		if !strings.Contains(app.Error(), m) {
			s.t.Errorf("%q does not name %q", app.Error(), m)
		}
	}
}

func (s *stack) startAs(workflowID string, plan migration.Plan) client.WorkflowRun {
	s.t.Helper()
	run, err := s.tc.ExecuteWorkflow(s.ctx, client.StartWorkflowOptions{ID: workflowID, TaskQueue: s.taskQueue},
		migration.WorkflowName, plan)
	if err != nil {
		s.t.Fatal(err)
	}
	return run
}

// TestRunUnderAnotherWorkflowIDIsRefused: the UI and the temporal CLI take
// any id; a migration run under another id than migration-<migrationId>
// fails at once naming the expected id, and writes nothing.
func TestRunUnderAnotherWorkflowIDIsRefused(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	s.seed(200)
	s.startWorker()
	plan := s.plan(migration.Step{Percent: 10, Bake: "1s"}, migration.Step{Percent: 100, Bake: "1s"})
	s.refused(s.startAs("my-"+s.migrationID, plan), migration.ErrInvalidPlan,
		"workflowId: must be \""+s.workflowID()+"\"")
	s.expectNothingWritten()
}

// TestSecondLiveRunIsRefused: while a live run owns the migration (here a
// run under another workflow id holding the claim), a new run fails at
// once naming the owner's workflow id, before it reads or flips anything.
func TestSecondLiveRunIsRefused(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	s.seed(200)
	s.startWorker()
	owner, err := s.tc.ExecuteWorkflow(s.ctx, client.StartWorkflowOptions{ID: "owner-" + s.migrationID,
		TaskQueue: "nobody-polls-" + s.migrationID}, "Idle")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.tc.TerminateWorkflow(s.ctx, owner.GetID(), "", "test over") })
	_, err = ownership.New(s.db, s.tc).Claim(s.ctx, ownership.ClaimInput{Run: ownership.Run{
		Kind: ownership.KindMigration, SubjectID: s.migrationID, WorkflowID: owner.GetID(), RunID: owner.GetRunID()}})
	if err != nil {
		t.Fatal(err)
	}
	plan := s.plan(migration.Step{Percent: 10, Bake: "1s"}, migration.Step{Percent: 100, Bake: "1s"})
	s.refused(s.start(plan), ownership.ErrAlreadyOwned, owner.GetID())
	s.expectNothingWritten()
}

// TestTerminatedRunIsTakenOverAndResumes: `temporal workflow terminate`
// runs no workflow code, so the claim stays and the routing row stays at
// 10 %. The next run of the same plan takes the claim over and resumes at
// the step the row is at: routing is never lowered.
func TestTerminatedRunIsTakenOverAndResumes(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	s.seed(1000)
	s.connect(legacy.Options{SuccessRate: 1})
	s.startWorker()
	plan := s.plan(migration.Step{Percent: 10, Bake: "1h"}, migration.Step{Percent: 100, Bake: "1s"})
	first := s.start(plan)
	s.waitState(migration.StateBaking, 0)
	before := s.routing()
	s.cli("workflow", "terminate", "--workflow-id", s.workflowID(), "--reason", "operator mistake")
	if err := first.Get(s.ctx, nil); err == nil {
		t.Fatal("the terminated run ended without error")
	}

	run := s.start(plan)
	st := s.waitState(migration.StateBaking, 0)
	if r := s.routing(); r.BucketThreshold != before.BucketThreshold || r.Revision != before.Revision {
		t.Fatalf("routing moved on resume: %+v, was %+v", r, before)
	}
	notes := eventNotes(st)
	for _, want := range []string{"took the migration over from workflow " + s.workflowID(), "resumed at step 1 of 2",
		"at 10% (revision"} {
		if !strings.Contains(notes, want) {
			t.Errorf("events lack %q:\n%s", want, notes)
		}
	}
	// A misspelt signal payload is refused naming the field, and changes nothing.
	s.cli("workflow", "signal", "--workflow-id", s.workflowID(), "--name", "pause", "--input", `{"reson":"typo"}`)
	st = s.waitStatus("the misspelt pause refused", func(st migration.Status) bool { return len(st.RejectedSignals) > 0 })
	if r := st.RejectedSignals[0]; r.Reason != "payload refused: reson: unknown field" || st.State != migration.StateBaking {
		t.Fatalf("rejected %+v in %s", r, st.State)
	}
	s.cli("workflow", "signal", "--workflow-id", s.workflowID(), "--name", "promote", "--input", `{"full":false}`)
	if st := s.result(run); st.State != migration.StateCompleted || s.routing().BucketThreshold != 10000 {
		t.Fatalf("after resume: %s, routing %+v", st.State, s.routing())
	}
}

// TestStrandedRoutingAtAnotherPercentIsRefused: a row left at 10 % by a
// terminated run, and a new plan with no 10 % step: the run is refused
// naming the row's percent and revision, and the row stays.
func TestStrandedRoutingAtAnotherPercentIsRefused(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	s.seed(500)
	s.startWorker()
	s.start(s.plan(migration.Step{Percent: 10, Bake: "1h"}, migration.Step{Percent: 100, Bake: "1s"}))
	s.waitState(migration.StateBaking, 0)
	before := s.routing()
	s.cli("workflow", "terminate", "--workflow-id", s.workflowID(), "--reason", "stranded")

	run := s.start(s.plan(migration.Step{Percent: 20, Bake: "1s"}, migration.Step{Percent: 100, Bake: "1s"}))
	s.refused(run, migration.ErrRoutingAhead, "is at 10% (revision 1", "never lowers the routing")
	if r := s.routing(); r.Revision != before.Revision || r.BucketThreshold != before.BucketThreshold {
		t.Fatalf("routing changed: %+v, was %+v", r, before)
	}
}

// TestCompletedMigrationIsNotRunAgain: starting a completed migration again
// (the plan file still at hand) is refused naming the state and when it
// ended; the routing row stays at 100 %.
func TestCompletedMigrationIsNotRunAgain(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	s.seed(300)
	s.startWorker()
	plan := s.plan(migration.Step{Percent: 100}) // no bake: no analysis of a population not connected
	if st := s.result(s.start(plan)); st.State != migration.StateCompleted {
		t.Fatalf("first run ended %s", st.State)
	}
	before := s.routing()
	s.refused(s.start(plan), ownership.ErrAlreadyEnded, "migration "+s.migrationID+" completed at "+
		time.Now().UTC().Format("2006-01-02T"), "start a new migration id")
	if r := s.routing(); r.Revision != before.Revision || r.BucketThreshold != 10000 {
		t.Fatalf("routing changed: %+v, was %+v", r, before)
	}
}

// TestStrictPlanFromTheTemporalCLI: `temporal workflow start` with a
// misspelt field or a wrong type fails the run at once with InvalidPlan
// naming the field path; nothing is written.
func TestStrictPlanFromTheTemporalCLI(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	s.seed(200)
	s.startWorker()
	good := `"migrationId":"` + s.migrationID + `","steps":[{"percent":10,"bake":"1s"},{"percent":100}],` +
		`"analysis":{"interval":"1s","sampleSize":10,"minOpenimOnlineRatio":0.5,"maxLegacyOnlineRatio":1,"maxProvisionErrorRatio":0,`
	for input, want := range map[string]string{
		"{" + good + `"failurLimit":3}}`: "analysis.failurLimit: unknown field",
		"{" + strings.Replace(good, `"percent":10`, `"percent":"10"`, 1) + `"failureLimit":3}}`: "steps[0].percent: must be a number",
	} {
		s.cli("workflow", "start", "--type", migration.WorkflowName, "--task-queue", s.taskQueue,
			"--workflow-id", s.workflowID(), "--input", input)
		s.refused(s.tc.GetWorkflow(s.ctx, s.workflowID(), ""), migration.ErrInvalidPlan, want)
	}
	s.expectNothingWritten()
}

func eventNotes(st migration.Status) string {
	var b strings.Builder
	for _, e := range st.Events {
		b.WriteString(e.Note + "\n")
	}
	return b.String()
}
