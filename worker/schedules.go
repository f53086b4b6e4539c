package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/imshift/imshift/workflows/presence"
	"github.com/imshift/imshift/workflows/tokens"
)

// upkeep is one schedule `worker setup` makes sure exists.
type upkeep struct {
	id       string
	every    time.Duration
	workflow string
	args     []any
	note     string
}

func upkeepSchedules() []upkeep {
	return []upkeep{
		{presence.ScheduleID, presence.ScheduleEvery, presence.PresenceReconcileName,
			[]any{presence.PresenceReconcileInput{}}, "imshift: make the presence facade agree with OpenIM"},
		{tokens.ScheduleID, tokens.ScheduleEvery, tokens.TokenSweepName,
			nil, "imshift: clear dead FCM tokens from OpenIM, remove stale devices"},
	}
}

// ensureSchedules creates the upkeep schedules that do not exist yet. One
// that exists is left as it is, so an operator's change of its interval,
// or a pause, survives every later setup.
func ensureSchedules(ctx context.Context, c client.Client, taskQueue string) error {
	for _, u := range upkeepSchedules() {
		_, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
			ID:   u.id,
			Spec: client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: u.every}}},
			Action: &client.ScheduleWorkflowAction{
				ID: u.id, Workflow: u.workflow, Args: u.args, TaskQueue: taskQueue,
				WorkflowRunTimeout: u.every * 6,
			},
			// A pass still running when the next is due makes the next
			// one redundant.
			Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
			Note:    u.note,
		})
		switch {
		case errors.Is(err, temporal.ErrScheduleAlreadyRunning):
			fmt.Printf("schedule %s: exists, left as it is\n", u.id)
		case err != nil:
			return fmt.Errorf("create schedule %s: %w", u.id, err)
		default:
			fmt.Printf("schedule %s: created (every %s)\n", u.id, u.every)
		}
	}
	return nil
}
