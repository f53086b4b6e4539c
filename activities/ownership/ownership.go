// Package ownership keeps at most one live workflow run per migration and
// per campaign, whatever the workflow id it was started under: the
// imshift.run_owners table is the lock, Temporal says whether its holder
// still runs.
//
// A run claims its subject first thing (before it reads, sends, registers or
// flips anything) and releases it when it ends, recording how. A second run
// fails at once with AlreadyOwned naming the live owner's workflow id. A
// claim whose holder Temporal reports closed (terminated: no workflow code
// ran to release it; timed out; or gone) is taken over by the next claim,
// so `temporal workflow terminate` never leaves a subject stuck. A subject
// released in a state the claimer names final (a completed migration) is
// refused with AlreadyEnded. docs/ownership.md is the operator's account.
package ownership

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
)

// Activity names and the kinds of subject.
const (
	ClaimName   = "ClaimRun"
	ReleaseName = "ReleaseRun"

	KindMigration = "migration"
	KindCampaign  = "campaign"
)

// Error types of the non-retryable refusals (temporal.ApplicationError.Type);
// the details hold the Owner.
const (
	ErrAlreadyOwned = "AlreadyOwned"
	ErrAlreadyEnded = "AlreadyEnded"
	errInvalidInput = "InvalidInput"
)

// Activities claim and release subjects. Safe for concurrent use.
type Activities struct {
	db       *pgxpool.Pool
	temporal client.Client
}

// New returns the activities on db, asking tc whether owners still run.
func New(db *pgxpool.Pool, tc client.Client) *Activities {
	return &Activities{db: db, temporal: tc}
}

// Register puts the ownership activities on r under their names.
func (a *Activities) Register(r worker.ActivityRegistry) {
	r.RegisterActivityWithOptions(a.Claim, activity.RegisterOptions{Name: ClaimName})
	r.RegisterActivityWithOptions(a.Release, activity.RegisterOptions{Name: ReleaseName})
}

// Run is one workflow run chain: its workflow id and the id of its first
// run (continue-as-new keeps both).
type Run struct {
	Kind       string `json:"kind"`
	SubjectID  string `json:"subjectId"`
	WorkflowID string `json:"workflowId"`
	RunID      string `json:"runId"`
}

// ClaimInput is the run claiming its subject. FinalStates are the release
// states after which the subject never runs again.
type ClaimInput struct {
	Run
	FinalStates []string `json:"finalStates,omitempty"`
}

// Owner is a claim as the table holds it.
type Owner struct {
	WorkflowID string     `json:"workflowId"`
	RunID      string     `json:"runId"`
	ClaimedAt  time.Time  `json:"claimedAt"`
	ReleasedAt *time.Time `json:"releasedAt,omitempty"`
	FinalState string     `json:"finalState,omitempty"`
}

// ClaimResult says whose claim was taken over, if any.
type ClaimResult struct {
	TookOverFrom *Owner `json:"tookOverFrom,omitempty"`
}

// ReleaseInput ends a run's claim with the state it ended in.
type ReleaseInput struct {
	Run
	FinalState string `json:"finalState"`
}

// Claim makes in.Run the subject's owner, or refuses. A retry of the same
// run's claim succeeds again.
func (a *Activities) Claim(ctx context.Context, in ClaimInput) (ClaimResult, error) {
	if err := in.check(); err != nil {
		return ClaimResult{}, err
	}
	var res ClaimResult
	err := pgx.BeginFunc(ctx, a.db, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO imshift.run_owners (kind, subject_id, workflow_id, run_id)
			VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, in.Kind, in.SubjectID, in.WorkflowID, in.RunID)
		if err != nil || tag.RowsAffected() == 1 {
			return err
		}
		prev, err := lockOwner(ctx, tx, in.Run)
		if err != nil || prev.WorkflowID == in.WorkflowID && prev.RunID == in.RunID {
			return err
		}
		if err := a.refusal(ctx, in, prev); err != nil {
			return err
		}
		res.TookOverFrom = &prev // the workflow logs it and records it in its status
		_, err = tx.Exec(ctx, `UPDATE imshift.run_owners SET workflow_id = $3, run_id = $4, claimed_at = now(),
			released_at = NULL, final_state = NULL WHERE kind = $1 AND subject_id = $2`,
			in.Kind, in.SubjectID, in.WorkflowID, in.RunID)
		return err
	})
	return res, err
}

func lockOwner(ctx context.Context, tx pgx.Tx, r Run) (Owner, error) {
	var o Owner
	var final *string
	err := tx.QueryRow(ctx, `SELECT workflow_id, run_id, claimed_at, released_at, final_state
		FROM imshift.run_owners WHERE kind = $1 AND subject_id = $2 FOR UPDATE`, r.Kind, r.SubjectID,
	).Scan(&o.WorkflowID, &o.RunID, &o.ClaimedAt, &o.ReleasedAt, &final)
	if final != nil {
		o.FinalState = *final
	}
	return o, err
}

// refusal says why prev keeps the subject: it ended in a final state, or it
// still runs. nil means the claim may be taken over.
func (a *Activities) refusal(ctx context.Context, in ClaimInput, prev Owner) error {
	if prev.ReleasedAt != nil {
		if slices.Contains(in.FinalStates, prev.FinalState) {
			return temporal.NewNonRetryableApplicationError(fmt.Sprintf(
				"%s %s %s at %s (workflow %s, run %s) and does not run again; start a new %s id",
				in.Kind, in.SubjectID, prev.FinalState, prev.ReleasedAt.UTC().Format(time.RFC3339),
				prev.WorkflowID, prev.RunID, in.Kind), ErrAlreadyEnded, nil, prev)
		}
		return nil
	}
	live, err := a.running(ctx, prev)
	if err != nil || !live {
		return err
	}
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(
		"%s %s is owned by the live run of workflow %s (run %s, since %s); one run at a time per %s",
		in.Kind, in.SubjectID, prev.WorkflowID, prev.RunID, prev.ClaimedAt.UTC().Format(time.RFC3339), in.Kind),
		ErrAlreadyOwned, nil, prev)
}

// running asks Temporal whether o's run chain is still open: the latest run
// of its workflow id runs and belongs to the same chain.
func (a *Activities) running(ctx context.Context, o Owner) (bool, error) {
	d, err := a.temporal.DescribeWorkflowExecution(ctx, o.WorkflowID, "")
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("describe owner %s: %w", o.WorkflowID, err)
	}
	info := d.GetWorkflowExecutionInfo()
	return info.GetStatus() == enums.WORKFLOW_EXECUTION_STATUS_RUNNING && info.GetFirstRunId() == o.RunID, nil
}

// Release records how the run ended; a claim already taken over is left
// alone. Idempotent.
func (a *Activities) Release(ctx context.Context, in ReleaseInput) error {
	if err := in.check(); err != nil {
		return err
	}
	_, err := a.db.Exec(ctx, `UPDATE imshift.run_owners SET released_at = coalesce(released_at, now()), final_state = $5
		WHERE kind = $1 AND subject_id = $2 AND workflow_id = $3 AND run_id = $4`,
		in.Kind, in.SubjectID, in.WorkflowID, in.RunID, in.FinalState)
	return err
}

func (r Run) check() error {
	if r.Kind != KindMigration && r.Kind != KindCampaign || r.SubjectID == "" || r.WorkflowID == "" || r.RunID == "" {
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf("run ownership: bad run %+v", r), errInvalidInput, nil)
	}
	return nil
}
