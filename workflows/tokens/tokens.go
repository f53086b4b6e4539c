// Package tokens holds TokenSweep: the token hygiene pass run by the
// token-sweep Temporal Schedule (docs/presence.md, "Token hygiene").
package tokens

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	tokensact "github.com/imshift/imshift/activities/tokens"
)

// TokenSweepName is the workflow type; it is part of the product.
const TokenSweepName = "TokenSweep"

// Schedule that runs it: created by `worker setup` when missing, left as
// the operator set it when present.
const (
	ScheduleID    = "token-sweep"
	ScheduleEvery = time.Hour
)

// TokenSweepResult is what the two passes did.
type TokenSweepResult struct {
	DeadCleared tokensact.Result `json:"deadCleared"` // dead FCM tokens taken out of OpenIM
	Stale       tokensact.Result `json:"stale"`       // devices removed as stale
}

// TokenSweep clears from OpenIM the dead FCM tokens the prune point has not
// cleared yet, then removes devices not refreshed for
// IMSHIFT_TOKEN_STALE_AFTER (the worker's setting). Each pass is one
// activity that heartbeats, so history stays small.
func TokenSweep(ctx workflow.Context) (TokenSweepResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Hour,
		HeartbeatTimeout:    time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
			MaximumAttempts:    10,
		},
	})
	var out TokenSweepResult
	if err := workflow.ExecuteActivity(ctx, tokensact.PruneOpenIMName).Get(ctx, &out.DeadCleared); err != nil {
		return out, err
	}
	err := workflow.ExecuteActivity(ctx, tokensact.SweepStaleName).Get(ctx, &out.Stale)
	return out, err
}
