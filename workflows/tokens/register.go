package tokens

import (
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	tokensact "github.com/imshift/imshift/activities/tokens"
)

// Register puts TokenSweep, under its product name, and its activities on r.
func Register(r worker.Registry, acts *tokensact.Activities) {
	r.RegisterWorkflowWithOptions(TokenSweep, workflow.RegisterOptions{
		Name: TokenSweepName,
		// A scheduled run lasts minutes; the next run starts on the current
		// build (docs/releases.md).
		VersioningBehavior: workflow.VersioningBehaviorPinned,
	})
	acts.Register(r)
}
