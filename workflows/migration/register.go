package migration

import (
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	migact "github.com/imshift/imshift/activities/migration"
)

// Register puts TrafficMigration, under its product name, and its
// activities on r.
func Register(r worker.Registry, acts *migact.Activities) {
	r.RegisterWorkflowWithOptions(TrafficMigration, workflow.RegisterOptions{Name: WorkflowName})
	acts.Register(r)
}
