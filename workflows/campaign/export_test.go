package campaign

import (
	"encoding/json"

	"go.temporal.io/sdk/workflow"
)

// TunedPushCampaign is PushCampaign with tuning t, for replaying histories
// recorded with it.
func TunedPushCampaign(t Tuning) func(workflow.Context, json.RawMessage) (Progress, error) {
	return func(ctx workflow.Context, in json.RawMessage) (Progress, error) { return runCampaign(ctx, in, t) }
}
