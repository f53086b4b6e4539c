package campaign

import (
	"encoding/json"
	"fmt"

	"go.temporal.io/sdk/workflow"

	campaignact "github.com/imshift/imshift/activities/campaign"
	"github.com/imshift/imshift/workflows"
)

// addSignals lets sel wake on pause, resume, cancel and on the workflow's
// own cancellation.
func (r *campaignRun) addSignals(ctx workflow.Context, sel workflow.Selector) {
	for _, name := range []string{SignalPause, SignalResume, SignalCancel} {
		sel.AddReceive(r.signalCh[name], func(c workflow.ReceiveChannel, _ bool) {
			var payload json.RawMessage
			c.Receive(ctx, &payload)
			r.onSignal(ctx, name, payload)
		})
	}
	if ctx.Err() == nil {
		sel.AddReceive(ctx.Done(), func(workflow.ReceiveChannel, bool) {
			r.onCancel(ctx, "the workflow was cancelled")
		})
	}
}

// drainSignals applies every signal already delivered, before the run ends.
func (r *campaignRun) drainSignals(ctx workflow.Context) {
	for got := true; got; {
		got = false
		for _, name := range []string{SignalPause, SignalResume, SignalCancel} {
			var payload json.RawMessage
			if r.signalCh[name].ReceiveAsync(&payload) {
				r.onSignal(ctx, name, payload)
				got = true
				break
			}
		}
	}
}

// onSignal reads a signal's payload and applies it. A run with strict
// signals refuses a payload with an unknown field or a wrong type, records
// it in rejectedSignals naming the field, and changes nothing (a misspelt
// cancel must not cancel with a reason nobody wrote); runs recorded before
// took any payload and still do.
func (r *campaignRun) onSignal(ctx workflow.Context, name string, payload json.RawMessage) {
	var in CancelRequest // pause takes the same {"reason"}; resume nothing
	switch {
	case !r.strictSignals:
		if name == SignalCancel { // pause took no reason then
			in.Reason = lenientReason(payload)
		}
	case name == SignalResume:
		if err := workflows.DecodeStrict(payload, &struct{}{}); err != nil {
			r.reject(ctx, name, err)
			return
		}
	default:
		if err := workflows.DecodeStrict(payload, &in); err != nil {
			r.reject(ctx, name, err)
			return
		}
	}
	switch name {
	case SignalPause:
		r.onPause(ctx, in.Reason)
	case SignalResume:
		r.onResume(ctx)
	case SignalCancel:
		r.onCancel(ctx, in.Reason)
	}
}

// reject records a refused signal (the last keepRejected are kept).
func (r *campaignRun) reject(ctx workflow.Context, name string, err error) {
	r.logger.Info("signal rejected", "signal", name, "state", r.State, "error", err)
	r.RejectedSignals = append(r.RejectedSignals, RejectedSignal{
		At: workflow.Now(ctx), Name: name, State: r.State, Reason: "payload refused: " + err.Error(),
	})
	if n := len(r.RejectedSignals); n > keepRejected {
		r.RejectedSignals = r.RejectedSignals[n-keepRejected:]
	}
}

// keepRejected bounds rejectedSignals, which continue-as-new carries.
const keepRejected = 20

// lenientReason reads {"reason": "..."} or a bare string, as runs recorded
// before strict signals did.
func lenientReason(payload json.RawMessage) string {
	var v any
	_ = json.Unmarshal(payload, &v)
	switch x := v.(type) {
	case map[string]any:
		if s, ok := x["reason"].(string); ok {
			return s
		}
	case string:
		return x
	}
	return ""
}

// onPause stops sending: the stop flag makes pages in flight end after
// their current provider call, and no page is launched until resume.
func (r *campaignRun) onPause(ctx workflow.Context, reason string) {
	if r.State != CampaignRunning && r.State != CampaignWaiting {
		return
	}
	if reason == "" {
		reason = "paused by an operator"
	}
	r.active, r.State, r.Reason = r.State, CampaignPaused, reason
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
	if reason == "" {
		reason = "cancelled by an operator"
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
