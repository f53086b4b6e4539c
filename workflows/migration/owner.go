package migration

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	migact "github.com/imshift/imshift/activities/migration"
	"github.com/imshift/imshift/activities/ownership"
	"github.com/imshift/imshift/workflows"
)

// ErrRoutingAhead is the type of the non-retryable error a new run fails
// with when the routing row is ahead of 0 % at a percent it cannot resume
// from (no step of its plan, or the legacy path already decommissioned).
const ErrRoutingAhead = "RoutingAhead"

// readOptions: a short read, retried while PostgreSQL is away.
var readOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 30 * time.Second,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second,
	},
}

// begin leaves validating, first thing of a migration's first run: it
// claims the migration (one live run per migrationId; a completed one never
// runs again), then a dry run computes its report, and a real run starts at
// its first step, or resumes at the step the routing row is at, so a new
// run never lowers the routing (docs/migration.md §8).
func (m *migration) begin(ctx workflow.Context) error {
	if err := m.claim(ctx); err != nil {
		m.logger.Error("run refused", "error", err)
		return err
	}
	if m.plan.DryRun {
		m.startDryRun(ctx)
		return nil
	}
	if !m.owns {
		m.enterStep(ctx, 0, 0, "plan accepted")
		return nil
	}
	var row migact.RoutingRow
	err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, readOptions), migact.ReadRoutingName,
		m.plan.MigrationID).Get(ctx, &row)
	if err == nil {
		err = m.startFrom(ctx, row)
	}
	if err != nil {
		m.logger.Error("run refused", "error", err)
		m.release(ctx, "refused")
	}
	return err
}

// claim makes this run the migration's one live owner.
func (m *migration) claim(ctx workflow.Context) error {
	if !m.owns {
		return nil
	}
	res, err := workflows.ClaimRun(ctx, ownership.KindMigration, m.plan.MigrationID, string(StateCompleted))
	if err != nil {
		return err
	}
	if prev := res.TookOverFrom; prev != nil {
		how := "ended without releasing it (terminated)"
		if prev.FinalState != "" {
			how = "ended " + prev.FinalState
		}
		m.record(ctx, fmt.Sprintf("took the migration over from workflow %s (run %s), which %s", prev.WorkflowID, prev.RunID, how))
	}
	return nil
}

// startFrom enters the first step when the routing row is at 0 % (or
// absent), and the step whose percent the row holds otherwise: its users are
// provisioned again (those done are skipped), the same percent flipped (no
// lowering) and the step baked. Any other row refuses the run.
func (m *migration) startFrom(ctx workflow.Context, row migact.RoutingRow) error {
	if !row.Found || row.BucketThreshold == 0 && row.LegacyPushEnabled && row.LegacyPresenceEnabled {
		m.enterStep(ctx, 0, 0, "plan accepted")
		return nil
	}
	at := fmt.Sprintf("the routing row of migration %s is at %v%% (revision %d, legacy push %s, legacy presence %s, updated %s)",
		m.plan.MigrationID, row.Percent, row.Revision, onOff(row.LegacyPushEnabled), onOff(row.LegacyPresenceEnabled),
		row.UpdatedAt.UTC().Format(time.RFC3339))
	if !row.LegacyPushEnabled || !row.LegacyPresenceEnabled {
		return temporal.NewNonRetryableApplicationError(at+": its legacy path is being or was decommissioned; "+
			"a new run would turn it back on. Use a new migrationId", ErrRoutingAhead, nil, row)
	}
	for i, t := range m.plan.thresholds() {
		if t == row.BucketThreshold {
			m.st.LastHealthyStep = i - 1
			m.st.Percent = row.Percent
			m.st.Routing = Routing{Revision: row.Revision, BucketThreshold: row.BucketThreshold,
				AllowListed: row.AllowListed, LegacyPushEnabled: true, LegacyPresenceEnabled: true}
			m.enterStep(ctx, i, 0, fmt.Sprintf("resumed at step %d of %d: %s", i+1, len(m.plan.Steps), at))
			return nil
		}
	}
	return temporal.NewNonRetryableApplicationError(at+"; no step of this plan is at that percent, and a new run "+
		"never lowers the routing. Resume with a plan holding that percent as a step", ErrRoutingAhead, nil, row)
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// release records how the run chain ended, so the next run may take over
// (or, after completed, is refused).
func (m *migration) release(ctx workflow.Context, finalState string) {
	if !m.owns {
		return
	}
	if err := workflows.ReleaseRun(ctx, ownership.KindMigration, m.plan.MigrationID, finalState); err != nil {
		m.logger.Warn("run ownership not released; the next run takes it over", "error", err)
	}
}

// finalState is what the release records: a dry run never closes the
// migration.
func (m *migration) finalState() string {
	if m.plan.DryRun {
		return "dry_run"
	}
	return string(m.st.State)
}
