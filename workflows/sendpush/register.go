package sendpush

import (
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	pushact "github.com/imshift/imshift/activities/sendpush"
)

// Register puts the SendPush workflow, under its product name, and its
// activities on r.
func Register(r worker.Registry, acts *pushact.Activities) {
	r.RegisterWorkflowWithOptions(SendPush, workflow.RegisterOptions{
		Name: SendPushName,
		// A push lives minutes at most: it drains with its build.
		VersioningBehavior: workflow.VersioningBehaviorPinned,
	})
	acts.Register(r)
}
