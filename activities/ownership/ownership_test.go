package ownership_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/imshift/imshift/activities/ownership"
	"github.com/imshift/imshift/testbed/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

type env struct {
	ctx  context.Context
	acts *ownership.Activities
	tc   client.Client
}

func newEnv(t *testing.T) *env {
	pool, _ := testenv.Database(t)
	tc := testenv.Temporal(t)
	return &env{ctx: context.Background(), acts: ownership.New(pool, tc), tc: tc}
}

// idle starts a workflow no worker polls for: a run Temporal reports open.
func (e *env) idle(t *testing.T, id string) ownership.Run {
	t.Helper()
	run, err := e.tc.ExecuteWorkflow(e.ctx, client.StartWorkflowOptions{ID: id, TaskQueue: "ownership-test-" + id}, "Idle")
	if err != nil {
		t.Fatal(err)
	}
	return ownership.Run{Kind: ownership.KindMigration, SubjectID: "m-" + t.Name(), WorkflowID: id, RunID: run.GetRunID()}
}

func refusedAs(t *testing.T, err error, errType string, mentions ...string) {
	t.Helper()
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || app.Type() != errType || !app.NonRetryable() {
		t.Fatalf("got %v, want a non-retryable %s", err, errType)
	}
	for _, m := range mentions {
		if !strings.Contains(err.Error(), m) {
			t.Errorf("%q does not name %q", err, m)
		}
	}
}

// TestSecondLiveRunIsRefused: whatever its workflow id, a second run of the
// same subject is refused naming the live owner; the owner's own retry is
// accepted.
func TestSecondLiveRunIsRefused(t *testing.T) {
	e := newEnv(t)
	first := e.idle(t, "own-a-"+t.Name())
	if _, err := e.acts.Claim(e.ctx, ownership.ClaimInput{Run: first}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.acts.Claim(e.ctx, ownership.ClaimInput{Run: first}); err != nil {
		t.Fatalf("the owner's retried claim: %v", err)
	}
	second := e.idle(t, "own-b-"+t.Name())
	second.SubjectID = first.SubjectID
	_, err := e.acts.Claim(e.ctx, ownership.ClaimInput{Run: second})
	refusedAs(t, err, ownership.ErrAlreadyOwned, first.WorkflowID, first.RunID)
	var app *temporal.ApplicationError
	var owner ownership.Owner
	if errors.As(err, &app); app.Details(&owner) != nil || owner.WorkflowID != first.WorkflowID {
		t.Errorf("details %+v", owner)
	}
}

// TestTerminatedOwnerIsTakenOver: terminate runs no workflow code, so the
// claim stays; the next claim sees the owner closed and takes over.
func TestTerminatedOwnerIsTakenOver(t *testing.T) {
	e := newEnv(t)
	first := e.idle(t, "own-a-"+t.Name())
	if _, err := e.acts.Claim(e.ctx, ownership.ClaimInput{Run: first}); err != nil {
		t.Fatal(err)
	}
	if err := e.tc.TerminateWorkflow(e.ctx, first.WorkflowID, first.RunID, "operator"); err != nil {
		t.Fatal(err)
	}
	second := e.idle(t, "own-b-"+t.Name())
	second.SubjectID = first.SubjectID
	res, err := e.acts.Claim(e.ctx, ownership.ClaimInput{Run: second})
	if err != nil || res.TookOverFrom == nil || res.TookOverFrom.WorkflowID != first.WorkflowID {
		t.Fatalf("takeover: %+v %v", res, err)
	}
	// The same workflow id started again is a new chain: the old one is
	// closed even though a run of that id is open.
	again := e.idle(t, "own-b-"+t.Name()+"-x")
	again.SubjectID = first.SubjectID
	if err := e.tc.TerminateWorkflow(e.ctx, second.WorkflowID, second.RunID, "operator"); err != nil {
		t.Fatal(err)
	}
	restarted := e.idle(t, second.WorkflowID)
	restarted.SubjectID = first.SubjectID
	if _, err := e.acts.Claim(e.ctx, ownership.ClaimInput{Run: restarted}); err != nil {
		t.Fatalf("a new chain of the owner's workflow id: %v", err)
	}
	_, err = e.acts.Claim(e.ctx, ownership.ClaimInput{Run: again})
	refusedAs(t, err, ownership.ErrAlreadyOwned, restarted.RunID)
}

// TestReleasedFinalStateIsRefused: a run that released in a final state
// keeps the subject closed for claimers that name that state; other
// release states hand the subject on.
func TestReleasedFinalStateIsRefused(t *testing.T) {
	e := newEnv(t)
	first := e.idle(t, "own-a-"+t.Name())
	if _, err := e.acts.Claim(e.ctx, ownership.ClaimInput{Run: first}); err != nil {
		t.Fatal(err)
	}
	if err := e.acts.Release(e.ctx, ownership.ReleaseInput{Run: first, FinalState: "completed"}); err != nil {
		t.Fatal(err)
	}
	second := e.idle(t, "own-b-"+t.Name())
	second.SubjectID = first.SubjectID
	_, err := e.acts.Claim(e.ctx, ownership.ClaimInput{Run: second, FinalStates: []string{"completed"}})
	refusedAs(t, err, ownership.ErrAlreadyEnded, "completed at", first.WorkflowID)

	if err := e.acts.Release(e.ctx, ownership.ReleaseInput{Run: first, FinalState: "aborted"}); err != nil {
		t.Fatal(err)
	}
	res, err := e.acts.Claim(e.ctx, ownership.ClaimInput{Run: second, FinalStates: []string{"completed"}})
	if err != nil || res.TookOverFrom == nil || res.TookOverFrom.FinalState != "aborted" {
		t.Fatalf("after an aborted run: %+v %v", res, err)
	}
	// The old run's late release does not touch the new owner's claim.
	if err := e.acts.Release(e.ctx, ownership.ReleaseInput{Run: first, FinalState: "completed"}); err != nil {
		t.Fatal(err)
	}
	third := e.idle(t, "own-c-"+t.Name())
	third.SubjectID = first.SubjectID
	_, err = e.acts.Claim(e.ctx, ownership.ClaimInput{Run: third, FinalStates: []string{"completed"}})
	refusedAs(t, err, ownership.ErrAlreadyOwned, second.WorkflowID)
}

func TestBadRunIsRefused(t *testing.T) {
	e := newEnv(t)
	_, err := e.acts.Claim(e.ctx, ownership.ClaimInput{Run: ownership.Run{Kind: "user", SubjectID: "x", WorkflowID: "w", RunID: "r"}})
	refusedAs(t, err, "InvalidInput")
}
