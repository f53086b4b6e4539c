package campaign

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	campaignact "github.com/imshift/imshift/activities/campaign"
	"github.com/imshift/imshift/workflows"
)

// campaignRun is one run of PushCampaign: the carried state plus what only
// lives within the run (pages in flight, signal channels, the rate meter).
type campaignRun struct {
	Continuation
	spec     campaignact.Spec
	tuning   Tuning
	inFlight []*pageCall
	planning workflow.Future // the plan activity in flight, if any
	planErr  error
	pages    int // pages launched in this run
	// retryTimer wakes the run when the earliest retry is due and a slot
	// of the window is free; retryAt is when it fires.
	retryTimer workflow.Future
	retryAt    time.Time
	rate       rateMeter
	live       live
	problems   []campaignact.Problem
	logger     log.Logger
	notes      notifier

	signalCh map[string]workflow.ReceiveChannel
	// strictSignals: signal payloads are read strictly (runs recorded
	// before took any payload).
	strictSignals bool
	// active is the state resume returns to (running, or waiting for quiet
	// hours to end).
	active string
}

// pageCall is a page activity in flight.
type pageCall struct {
	rng  PageRange
	pass string // the run's pass, or PassRetry for a retry page
	f    workflow.Future
}

// newCampaignRun decodes and validates the input (deriving a scheduled
// run's campaign id first) and checks the workflow id, registers the
// progress query and the signals, and sets the search attributes. Bad input
// fails the workflow at once, naming the field, before anything is read or
// sent.
func newCampaignRun(ctx workflow.Context, input json.RawMessage, t Tuning) (*campaignRun, error) {
	in, decodeErr := decodeCampaign(input)
	r := &campaignRun{spec: in.Spec, tuning: t, active: CampaignRunning}
	if in.Continuation != nil {
		r.Continuation = *in.Continuation
		r.Runs++
	} else {
		r.spec.CampaignID = scheduledCampaignID(ctx, in.CampaignID)
		r.State, r.Pass, r.StartedAt = CampaignPreparing, campaignact.PassMain, workflow.Now(ctx)
		// Runs recorded before run ownership read their input leniently,
		// and neither check their id, claim nor release.
		r.Owns = workflow.GetVersion(ctx, "run-ownership", workflow.DefaultVersion, 1) == 1
	}
	r.strictSignals = workflow.GetVersion(ctx, "strict-signals", workflow.DefaultVersion, 1) == 1
	r.notes.last = r.State
	if fe := r.refuseInput(ctx, in, decodeErr); fe != nil {
		return nil, temporal.NewNonRetryableApplicationError("invalid campaign input: "+fe.Error(), workflows.ErrInvalidInput, nil, fe.Field)
	}
	r.logger = log.With(workflow.GetLogger(ctx), "campaignId", r.spec.CampaignID)
	err := workflow.SetQueryHandlerWithOptions(ctx, QueryProgress,
		func() (Progress, error) { return r.progress(), nil },
		workflow.QueryHandlerOptions{Description: "Campaign progress: state, targeted, sent, pruned, failed by reason, deferred, remaining, rate, ETA"})
	if err != nil {
		return nil, err
	}
	r.signalCh = map[string]workflow.ReceiveChannel{}
	for _, sig := range []struct{ name, what string }{
		{SignalPause, `Pause sending; pages in flight finish their current provider call. Input: {"reason": "..."} or none`},
		{SignalResume, "Resume a paused campaign (also after credentials were fixed). No input"},
		{SignalCancel, `Stop the campaign for good. Input: {"reason": "..."} or none`},
	} {
		r.signalCh[sig.name] = workflow.GetSignalChannelWithOptions(ctx, sig.name, workflow.SignalChannelOptions{Description: sig.what})
	}
	return r, r.upsertState(ctx)
}

// run reads top-down like the campaign: prepare, the main pass, then a
// deferred pass whenever quiet hours end, until nothing is left.
func (r *campaignRun) run(ctx workflow.Context) (Progress, error) {
	if r.State == CampaignPreparing {
		if err := r.claim(ctx); err != nil {
			return r.progress(), err
		}
		if done, err := r.prepare(ctx); done || err != nil {
			if done {
				r.release(ctx)
			}
			return r.progress(), err
		}
	}
	for {
		next, err := r.sendPass(ctx)
		switch {
		case err != nil:
			return r.progress(), err
		case next == passContinue:
			return r.progress(), r.continueAsNew(ctx)
		case next == passStopped:
			return r.finish(ctx)
		}
		stray, err := r.tally(ctx)
		if err != nil {
			return r.progress(), err
		}
		if stray != nil {
			r.logger.Warn("retrying devices no retry page held; sending them", "devices", stray.Devices)
			r.addRetry(*stray)
			continue
		}
		if r.Counts.Deferred == 0 {
			r.State = CampaignCompleted
			return r.finish(ctx)
		}
		if stopped, err := r.waitForDeferrals(ctx); stopped || err != nil {
			if err != nil {
				return r.progress(), err
			}
			return r.finish(ctx)
		}
	}
}

// prepare stores the spec and counts the audience. It reports done for a
// dry run and for an empty audience, which complete at once.
func (r *campaignRun) prepare(ctx workflow.Context) (bool, error) {
	var res campaignact.PrepareResult
	summary := "store the message, count the audience"
	if r.spec.DryRun {
		summary = "dry run: count the audience, validate with the providers"
	}
	err := workflow.ExecuteActivity(summarized(ctx, shortOptions, summary), campaignact.PrepareName,
		campaignact.PrepareInput{Spec: r.spec}).Get(ctx, &res)
	if err != nil {
		return false, err
	}
	r.SpecHash, r.Audience, r.problems = res.SpecHash, res.Audience, res.Problems
	switch {
	case r.spec.DryRun:
		r.State = CampaignDryRun
	case r.Targeted() == 0:
		r.State = CampaignCompleted
	default:
		r.State = CampaignRunning
		r.logger.Info("campaign starts", "targeted", r.Targeted())
		return false, r.upsertState(ctx)
	}
	return true, r.upsertState(ctx)
}

// tally replaces the counters by the ledger's exact figures. Retrying rows
// left at the end of a pass belong to no retry page (a page attempt failed
// after handing them off): it returns a retry of the whole campaign for
// them, so none is lost.
func (r *campaignRun) tally(ctx workflow.Context) (*campaignact.RetryLater, error) {
	var res campaignact.TallyResult
	err := workflow.ExecuteActivity(summarized(ctx, shortOptions, "count the ledger"), campaignact.TallyName,
		r.spec.CampaignID).Get(ctx, &res)
	if err != nil {
		return nil, err
	}
	r.Counts, r.Partial, r.NextDeferral = res.Counts, nil, res.NextDeferral
	r.live.whole = nil // older than this tally
	if res.Retrying == 0 {
		return nil, nil
	}
	everyone := []PageRange{{After: math.MinInt64, Upto: math.MaxInt64}}
	return &campaignact.RetryLater{Ranges: everyone, Due: res.NextRetry, Devices: res.Retrying}, nil
}

// finish settles the figures and ends the workflow: completed or cancelled
// return the progress, failed returns it as the details of a non-retryable
// error. A completed campaign lowers its stop flag; a cancelled or failed
// one leaves it up (it expires), so a stray attempt of a page on a worker
// that lost contact cannot send after the end.
func (r *campaignRun) finish(ctx workflow.Context) (Progress, error) {
	if ctx.Err() != nil {
		ctx, _ = workflow.NewDisconnectedContext(ctx)
	}
	if _, err := r.tally(ctx); err != nil {
		return r.progress(), err
	}
	if r.State == CampaignCompleted {
		if err := r.setStop(ctx, ""); err != nil {
			return r.progress(), err
		}
	}
	if err := r.upsertState(ctx); err != nil {
		return r.progress(), err
	}
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return r.progress(), err
	}
	r.release(ctx)
	p := r.progress()
	r.logger.Info("campaign ends", "state", p.State, "sent", p.Sent, "pruned", p.Pruned, "failed", p.FailedTotal)
	if r.State == CampaignFailed {
		return p, temporal.NewNonRetryableApplicationError(r.Reason, workflows.ErrBadMessage, nil, p)
	}
	return p, nil
}

// continueAsNew hands the state to a fresh run once no page is in flight.
// Signals already delivered are applied first, so none is lost.
func (r *campaignRun) continueAsNew(ctx workflow.Context) error {
	r.drainSignals(ctx)
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return err
	}
	next := r.Continuation
	r.logger.Info("campaign continues as new", "run", next.Runs+1, "cursor", next.Cursor)
	return workflow.NewContinueAsNewError(ctx, PushCampaignName, Campaign{Spec: r.spec, Continuation: &next})
}

// setStop raises or lowers the campaign's stop flag, which every page checks
// before each provider call.
func (r *campaignRun) setStop(ctx workflow.Context, reason string) error {
	if ctx.Err() != nil {
		// Cancelled workflow: the flag must still reach the pages.
		ctx, _ = workflow.NewDisconnectedContext(ctx)
	}
	summary := "raise the stop flag: " + reason
	if reason == "" {
		summary = "lower the stop flag"
	}
	return workflow.ExecuteActivity(summarized(ctx, shortOptions, summary), campaignact.StopName,
		campaignact.StopInput{CampaignID: r.spec.CampaignID, Reason: reason}).Get(ctx, nil)
}

// upsertState publishes kind, state and campaign id as search attributes,
// the details to the Temporal UI, and a state change to the operators'
// webhooks.
func (r *campaignRun) upsertState(ctx workflow.Context) error {
	r.publish(ctx)
	err := workflow.UpsertTypedSearchAttributes(ctx,
		workflows.KindKey.ValueSet("campaign"),
		workflows.StateKey.ValueSet(r.State),
		workflows.CampaignIDKey.ValueSet(r.spec.CampaignID))
	r.notifyChange(ctx)
	return err
}

// stopping is true once the campaign is cancelled or failed.
func (r *campaignRun) stopping() bool {
	return r.State == CampaignCancelled || r.State == CampaignFailed
}

// isCancellation tells a page cut short by the workflow's own cancellation
// from a page that failed.
func isCancellation(err error) bool {
	var ce *temporal.CanceledError
	return errors.As(err, &ce)
}

// describe renders a provider problem for people.
func describe(p *campaignact.Problem) string {
	return fmt.Sprintf("%s refused the campaign: %s (%s)", p.Provider, p.Reason, p.Class)
}
