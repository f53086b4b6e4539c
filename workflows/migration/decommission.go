package migration

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	migact "github.com/imshift/imshift/activities/migration"
)

// startDecommissionStage runs the first stage not done: legacy chat push
// off, legacy presence off (both routing flips, announced), then the
// presence keys deleted. After the last it completes the migration.
func (m *migration) startDecommissionStage(ctx workflow.Context) bool {
	i := m.stageIndex()
	if i < 0 {
		m.enter(ctx, StateCompleted, deadlines{}, "legacy path decommissioned; migration complete")
		return true
	}
	now := workflow.Now(ctx)
	stage := &m.st.Decommission[i]
	stage.State, stage.StartedAt = StageRunning, &now
	if stage.Name == StagePresenceKeysDeleted {
		in := migact.DeletePresenceInput{MigrationID: m.plan.MigrationID}
		m.start(ctx, scanOptions, true, migact.DeletePresenceKeysName, "decommission: delete legacy presence keys", in, func(ctx workflow.Context, f workflow.Future) {
			var res migact.DeletePresenceProgress
			if err := f.Get(ctx, &res); err != nil {
				m.failed = fmt.Errorf("delete presence keys: %w", err)
				return
			}
			stage.Deleted = res.Deleted
			m.stageDone(ctx, stage)
		})
		return true
	}
	in := m.flipInput(m.st.Percent, m.plan.AllowUsers)
	in.LegacyPushEnabled = false
	in.LegacyPresenceEnabled = stage.Name != StageLegacyPresenceOff
	m.start(ctx, flipOptions, false, migact.FlipRoutingName, "decommission: "+stage.Name, in, func(ctx workflow.Context, f workflow.Future) {
		if m.flipped(ctx, f, in) {
			stage.Revision = m.st.Routing.Revision
			m.stageDone(ctx, stage)
		}
	})
	return true
}

func (m *migration) stageDone(ctx workflow.Context, stage *DecommissionStep) {
	now := workflow.Now(ctx)
	stage.State, stage.DoneAt = StageDone, &now
	m.record(ctx, "decommission: "+stage.Name)
}

// stageIndex is the first decommission stage not done, or -1.
func (m *migration) stageIndex() int {
	for i, s := range m.st.Decommission {
		if s.State != StageDone {
			return i
		}
	}
	return -1
}

func (m *migration) currentStage() string {
	if i := m.stageIndex(); i >= 0 {
		return m.st.Decommission[i].Name
	}
	return ""
}
