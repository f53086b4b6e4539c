package campaign

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	campaignact "github.com/imshift/imshift/activities/campaign"
)

// addSignals lets sel wake on pause, resume, cancel and on the workflow's
// own cancellation.
func (r *campaignRun) addSignals(ctx workflow.Context, sel workflow.Selector) {
	sel.AddReceive(r.pauseCh, func(c workflow.ReceiveChannel, _ bool) {
		receiveAny(ctx, c)
		r.onPause(ctx)
	})
	sel.AddReceive(r.resumeCh, func(c workflow.ReceiveChannel, _ bool) {
		receiveAny(ctx, c)
		r.onResume(ctx)
	})
	sel.AddReceive(r.cancelCh, func(c workflow.ReceiveChannel, _ bool) {
		r.onCancel(ctx, cancelReason(receiveAny(ctx, c)))
	})
	if ctx.Err() == nil {
		sel.AddReceive(ctx.Done(), func(workflow.ReceiveChannel, bool) {
			r.onCancel(ctx, "the workflow was cancelled")
		})
	}
}

// drainSignals applies every signal already delivered, before the run ends.
func (r *campaignRun) drainSignals(ctx workflow.Context) {
	for {
		var v any
		switch {
		case r.pauseCh.ReceiveAsync(&v):
			r.onPause(ctx)
		case r.resumeCh.ReceiveAsync(&v):
			r.onResume(ctx)
		case r.cancelCh.ReceiveAsync(&v):
			r.onCancel(ctx, cancelReason(v))
		default:
			return
		}
	}
}

// receiveAny takes one signal whatever its payload: operators send pause and
// resume from the UI or CLI with or without input, and a payload that does
// not decode must not wedge the workflow.
func receiveAny(ctx workflow.Context, c workflow.ReceiveChannel) any {
	var v any
	c.Receive(ctx, &v)
	return v
}

// cancelReason reads {"reason": "..."} (or a bare string).
func cancelReason(v any) string {
	switch x := v.(type) {
	case map[string]any:
		if s, ok := x["reason"].(string); ok && s != "" {
			return s
		}
	case string:
		if x != "" {
			return x
		}
	}
	return "cancelled by an operator"
}

// onPause stops sending: the stop flag makes pages in flight end after
// their current provider call, and no page is launched until resume.
func (r *campaignRun) onPause(ctx workflow.Context) {
	if r.State != CampaignRunning && r.State != CampaignWaiting {
		return
	}
	r.active, r.State, r.Reason = r.State, CampaignPaused, "paused by an operator"
	if err := r.setStop(ctx, campaignact.StopPaused); err != nil {
		r.logger.Error("raising the stop flag failed", "error", err)
	}
	r.logger.Info("campaign paused")
	_ = r.upsertState(ctx)
}

// onResume lowers the stop flag and goes on where the campaign stopped.
func (r *campaignRun) onResume(ctx workflow.Context) {
	if r.State != CampaignPaused {
		return
	}
	if err := r.setStop(ctx, ""); err != nil {
		r.logger.Error("lowering the stop flag failed; still paused", "error", err)
		return
	}
	r.State, r.Reason = r.active, ""
	r.logger.Info("campaign resumed")
	_ = r.upsertState(ctx)
}

// onCancel ends the campaign for good; pages in flight stop after their
// current provider call and what they sent stays recorded.
func (r *campaignRun) onCancel(ctx workflow.Context, reason string) {
	if r.stopping() || r.State == CampaignCompleted {
		return
	}
	r.State, r.Reason = CampaignCancelled, reason
	if err := r.setStop(ctx, campaignact.StopCancelled); err != nil {
		r.logger.Error("raising the stop flag failed", "error", err)
	}
	r.logger.Info("campaign cancelled", "reason", reason)
	_ = r.upsertState(ctx)
}

// waitForDeferrals sleeps until the earliest quiet hours end, answering
// signals meanwhile, then sets up the deferred pass. It reports stopped when
// the campaign was cancelled while waiting.
func (r *campaignRun) waitForDeferrals(ctx workflow.Context) (bool, error) {
	if r.State == CampaignRunning {
		r.State = CampaignWaiting
	}
	r.active = CampaignWaiting
	if err := r.upsertState(ctx); err != nil {
		return false, err
	}
	tctx, cancelTimer := workflow.WithCancel(ctx)
	defer cancelTimer()
	summary := fmt.Sprintf("quiet hours until %s (%d deferred)", clock(r.NextDeferral), r.Counts.Deferred)
	timer := workflow.NewTimerWithOptions(tctx, max(0, r.NextDeferral.Sub(workflow.Now(ctx))), workflow.TimerOptions{Summary: summary})
	due := false
	for !due || r.State != CampaignWaiting {
		if r.stopping() {
			return true, nil
		}
		sel := workflow.NewSelector(ctx)
		r.addSignals(ctx, sel)
		if !due {
			sel.AddFuture(timer, func(workflow.Future) { due = true })
		}
		sel.Select(ctx)
	}
	r.State, r.active = CampaignRunning, CampaignRunning
	r.Pass, r.Cutoff, r.Cursor, r.Planned, r.Queue = campaignact.PassDeferred, r.NextDeferral, 0, false, nil
	r.logger.Info("quiet hours over; sending deferred devices", "deferred", r.Counts.Deferred)
	return false, r.upsertState(ctx)
}
