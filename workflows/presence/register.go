package presence

import (
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	presenceact "github.com/imshift/imshift/activities/presence"
)

// Register puts PresenceReconcile, under its product name, and its
// activities on r.
func Register(r worker.Registry, acts *presenceact.Activities) {
	r.RegisterWorkflowWithOptions(PresenceReconcile, workflow.RegisterOptions{
		Name: PresenceReconcileName,
		// A scheduled run lasts minutes; the next run starts on the current
		// build (docs/releases.md).
		VersioningBehavior: workflow.VersioningBehaviorPinned,
	})
	acts.Register(r)
}
