// Package notify tells operators about state changes: a workflow calls
// Notifier.Post at each transition, which starts a Notification child
// workflow that posts the event to every configured webhook, with retries,
// on its own. docs/notifications.md explains the choices.
package notify

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	notifyact "github.com/imshift/imshift/activities/notify"
)

// WorkflowName is the type of the child workflow that delivers one event.
const WorkflowName = "Notification"

// deliveryWindow is how long an event is retried against a receiver that is
// down: a day, after which the state it reports is history anyway.
const deliveryWindow = 24 * time.Hour

var (
	targetsOptions = workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		Summary:             "list the webhooks",
	}
	deliverOptions = workflow.ActivityOptions{
		StartToCloseTimeout:    30 * time.Second,
		ScheduleToCloseTimeout: deliveryWindow,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    5 * time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    10 * time.Minute,
		},
	}
)

// Notification posts e to every configured webhook, each on its own
// activity so one receiver that is down neither delays nor repeats the
// others. It fails when some receiver could not be reached within the
// delivery window (the Temporal UI then lists it as failed).
func Notification(ctx workflow.Context, e notifyact.Event) error {
	var targets []notifyact.Target
	err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, targetsOptions), notifyact.TargetsName).Get(ctx, &targets)
	if err != nil {
		return err
	}
	futures := make([]workflow.Future, len(targets))
	for i, t := range targets {
		opts := deliverOptions
		opts.Summary = "post " + e.State + " to " + t.Host
		futures[i] = workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, opts), notifyact.DeliverName,
			notifyact.DeliverInput{Event: e, Target: t})
	}
	var firstErr error
	for i, f := range futures {
		if err := f.Get(ctx, nil); err != nil {
			workflow.GetLogger(ctx).Warn("notification not delivered", "host", targets[i].Host, "eventId", e.EventID, "error", err)
			if firstErr == nil {
				firstErr = err
			}
		}
	}
	return firstErr
}
