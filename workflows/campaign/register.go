package campaign

import (
	"encoding/json"

	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	campaignact "github.com/imshift/imshift/activities/campaign"
)

// Register puts PushCampaign, under its product name and with tuning t, and
// the campaign activities on r. Tests pass a smaller tuning.
func Register(r worker.Registry, acts *campaignact.Activities, t Tuning) {
	wf := PushCampaign
	if t != DefaultTuning {
		wf = func(ctx workflow.Context, in json.RawMessage) (Progress, error) { return runCampaign(ctx, in, t) }
	}
	r.RegisterWorkflowWithOptions(wf, workflow.RegisterOptions{
		Name: PushCampaignName,
		// A campaign finishes on the build it started on: its paging and
		// ledger logic never changes under a running campaign.
		VersioningBehavior: workflow.VersioningBehaviorPinned,
	})
	acts.Register(r)
}
