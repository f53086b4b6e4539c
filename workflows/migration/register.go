package migration

import (
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	migact "github.com/imshift/imshift/activities/migration"
)

// Register puts TrafficMigration, under its product name, and its
// activities on r.
func Register(r worker.Registry, acts *migact.Activities) {
	r.RegisterWorkflowWithOptions(TrafficMigration, workflow.RegisterOptions{
		Name: WorkflowName,
		// A migration runs for weeks: it moves to each new build, which must
		// replay every recorded history (replay_test.go; CI runs it).
		VersioningBehavior: workflow.VersioningBehaviorAutoUpgrade,
	})
	acts.Register(r)
}
