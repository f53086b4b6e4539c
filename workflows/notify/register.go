package notify

import (
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	notifyact "github.com/imshift/imshift/activities/notify"
)

// Register puts the Notification workflow and its activities on r.
func Register(r worker.Registry, acts *notifyact.Activities) {
	r.RegisterWorkflowWithOptions(Notification, workflow.RegisterOptions{
		Name: WorkflowName,
		// One notification, delivered with retries for minutes: it drains with
		// its build (docs/releases.md).
		VersioningBehavior: workflow.VersioningBehaviorPinned,
	})
	acts.Register(r)
}
