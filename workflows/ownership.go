package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/imshift/imshift/activities/ownership"
)

// A claim retries while PostgreSQL or Temporal is unreachable (the run waits,
// having done nothing); the refusals are final.
var claimOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 30 * time.Second,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second,
		NonRetryableErrorTypes: []string{ownership.ErrAlreadyOwned, ownership.ErrAlreadyEnded, ErrInvalidInput},
	},
}

// CheckWorkflowID refuses a run started under another workflow id than the
// canonical one of its input (migration-<migrationId>, campaign-<campaignId>,
// or the id a schedule gives its runs), so that Temporal's own one-open-run-
// per-id rule and the operator's commands (which address the canonical id)
// hold. The error names the expected id.
func CheckWorkflowID(ctx workflow.Context, want string) error {
	if got := workflow.GetInfo(ctx).WorkflowExecution.ID; got != want {
		return &InputError{Field: "workflowId", Problem: fmt.Sprintf("must be %q for this input (it is %q)", want, got)}
	}
	return nil
}

// ownedRun is this run chain as ownership knows it: the first run's id stays
// the same across continue-as-new.
func ownedRun(ctx workflow.Context, kind, subjectID string) ownership.Run {
	info := workflow.GetInfo(ctx)
	return ownership.Run{Kind: kind, SubjectID: subjectID, WorkflowID: info.WorkflowExecution.ID, RunID: info.FirstRunID}
}

// ClaimRun makes this run the one live owner of subjectID, first thing, or
// fails with the non-retryable AlreadyOwned (naming the live owner's
// workflow id) or AlreadyEnded (the subject was released in one of
// finalStates). A claim held by a run Temporal reports closed (terminated)
// is taken over; the result names it. Call it once per chain, on the first
// run (continue-as-new keeps the claim).
func ClaimRun(ctx workflow.Context, kind, subjectID string, finalStates ...string) (ownership.ClaimResult, error) {
	in := ownership.ClaimInput{Run: ownedRun(ctx, kind, subjectID), FinalStates: finalStates}
	var res ownership.ClaimResult
	err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, claimOptions), ownership.ClaimName, in).Get(ctx, &res)
	return res, err
}

// ReleaseRun records how the run chain ended. It runs on a disconnected
// context so a cancelled run still releases; a run that is terminated never
// gets here, and its claim is taken over by the next run.
func ReleaseRun(ctx workflow.Context, kind, subjectID, finalState string) error {
	dctx, cancel := workflow.NewDisconnectedContext(ctx)
	defer cancel()
	in := ownership.ReleaseInput{Run: ownedRun(ctx, kind, subjectID), FinalState: finalState}
	return workflow.ExecuteActivity(workflow.WithActivityOptions(dctx, claimOptions), ownership.ReleaseName, in).Get(dctx, nil)
}
