// Package presence holds PresenceReconcile: one pass that makes the
// presence facade agree with OpenIM, run by the presence-reconcile
// Temporal Schedule (docs/presence.md).
package presence

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	presenceact "github.com/imshift/imshift/activities/presence"
)

// PresenceReconcileName is the workflow type; it is part of the product.
const PresenceReconcileName = "PresenceReconcile"

// Schedule that runs it: created by `worker setup` when missing, left as
// the operator set it when present.
const (
	ScheduleID    = "presence-reconcile"
	ScheduleEvery = 5 * time.Minute
)

// PresenceReconcileInput is optional; {} is a full pass.
type PresenceReconcileInput struct {
	// PageSize is how many users one OpenIM status call carries (default 500).
	PageSize int `json:"pageSize,omitempty"`
}

// PresenceReconcile runs one reconcile pass: a single activity that
// heartbeats its cursor, so history stays a handful of events however many
// users there are, and a retried attempt resumes where the last one was.
func PresenceReconcile(ctx workflow.Context, in PresenceReconcileInput) (presenceact.ReconcileProgress, error) {
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
	var out presenceact.ReconcileProgress
	err := workflow.ExecuteActivity(ctx, presenceact.ReconcileName,
		presenceact.ReconcileInput{PageSize: in.PageSize}).Get(ctx, &out)
	return out, err
}
