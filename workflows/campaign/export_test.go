package campaign

import "go.temporal.io/sdk/workflow"

// TunedPushCampaign is PushCampaign with tuning t, for replaying histories
// recorded with it.
func TunedPushCampaign(t Tuning) func(workflow.Context, Campaign) (Progress, error) {
	return func(ctx workflow.Context, in Campaign) (Progress, error) { return runCampaign(ctx, in, t) }
}
