package campaign

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	campaignact "github.com/imshift/imshift/activities/campaign"
	"github.com/imshift/imshift/activities/delivery"
)

// passOutcome is how sendPass ended.
type passOutcome int

const (
	passDone     passOutcome = iota // every page of the pass finished
	passContinue                    // the run is long enough: continue as new
	passStopped                     // cancelled or failed
)

// sendPass runs the pass as a sliding window: up to Window pages in flight,
// the next planned page launched as soon as one finishes, the next page
// boundaries planned while pages run, signals handled between. It returns
// once nothing is in flight and the pass is done, the campaign stopped, or
// the run should continue as new.
func (r *campaignRun) sendPass(ctx workflow.Context) (passOutcome, error) {
	for {
		if r.planErr != nil {
			return passDone, r.planErr
		}
		if r.State == CampaignRunning && !r.continueDue(ctx) {
			r.fill(ctx)
		}
		if len(r.inFlight) == 0 && r.planning == nil {
			switch {
			case r.stopping():
				return passStopped, nil
			case r.continueDue(ctx):
				return passContinue, nil
			case r.State == CampaignRunning && r.Planned && len(r.Queue) == 0 && len(r.Retries) == 0:
				return passDone, nil
			}
		}
		sel := workflow.NewSelector(ctx)
		r.addSignals(ctx, sel)
		r.addRetryTimer(ctx, sel)
		for _, pc := range r.inFlight {
			sel.AddFuture(pc.f, func(workflow.Future) { r.pageDone(ctx, pc) })
		}
		if r.planning != nil {
			sel.AddFuture(r.planning, func(f workflow.Future) { r.planDone(ctx, f) })
		}
		r.addRefresh(ctx, sel)
		sel.Select(ctx)
		r.publish(ctx)
	}
}

// inFlightOf counts the pages of pass in flight.
func (r *campaignRun) inFlightOf(pass string) int {
	n := 0
	for _, pc := range r.inFlight {
		if pc.pass == pass {
			n++
		}
	}
	return n
}

// continueDue: enough pages in this run, or the server suggests a new run.
func (r *campaignRun) continueDue(ctx workflow.Context) bool {
	return r.pages >= r.tuning.PagesPerRun || workflow.GetInfo(ctx).GetContinueAsNewSuggested()
}

// fill launches planned pages until the window is full, and plans the next
// boundaries ahead, while pages run, once fewer than a window's worth wait.
func (r *campaignRun) fill(ctx workflow.Context) {
	if r.continueDue(ctx) {
		return
	}
	for r.inFlightOf(campaignact.PassRetry) < r.tuning.retryWindow() {
		due := r.dueRetries(workflow.Now(ctx))
		if due == nil {
			break
		}
		r.launchRetry(ctx, due)
	}
	for r.inFlightOf(r.Pass) < r.tuning.Window && len(r.Queue) > 0 && !r.continueDue(ctx) {
		rng := r.Queue[0]
		r.Queue = r.Queue[1:]
		r.launch(ctx, rng)
	}
	if !r.Planned && r.planning == nil && len(r.Queue) < r.tuning.Window {
		in := campaignact.PlanInput{
			CampaignID: r.spec.CampaignID, SpecHash: r.SpecHash, Pass: r.Pass, After: r.Cursor,
			PageSize: r.tuning.PageSize, Pages: r.tuning.PlanPages, Cutoff: r.Cutoff,
		}
		summary := fmt.Sprintf("plan %s-pass pages after device %d", r.Pass, r.Cursor)
		r.planning = workflow.ExecuteActivity(summarized(ctx, shortOptions, summary), campaignact.PlanName, in)
	}
}

// planDone queues the planned pages and moves the cursor past them.
func (r *campaignRun) planDone(ctx workflow.Context, f workflow.Future) {
	r.planning = nil
	var ids []int64
	if err := f.Get(ctx, &ids); err != nil {
		r.planErr = err
		return
	}
	for _, id := range ids {
		r.Queue = append(r.Queue, PageRange{After: r.Cursor, Upto: id})
		r.Cursor = id
	}
	r.Planned = len(ids) < r.tuning.PlanPages
}

// launch starts one page activity.
func (r *campaignRun) launch(ctx workflow.Context, rng PageRange) {
	in := campaignact.PageInput{
		CampaignID: r.spec.CampaignID, SpecHash: r.SpecHash, Pass: r.Pass,
		After: rng.After, Upto: rng.Upto, PageSize: r.tuning.PageSize, Cutoff: r.Cutoff,
	}
	r.Pages++
	summary := fmt.Sprintf("page %d (%s pass, devices %d to %d, up to %d)", r.Pages, r.Pass, rng.After+1, rng.Upto, r.tuning.PageSize)
	f := workflow.ExecuteActivity(summarized(ctx, pageOptions, summary), campaignact.SendPageName, in)
	r.inFlight = append(r.inFlight, &pageCall{rng: rng, pass: r.Pass, f: f})
	r.pages++
}

// pageDone takes a finished page out of the window and books its result.
func (r *campaignRun) pageDone(ctx workflow.Context, pc *pageCall) {
	for i, p := range r.inFlight {
		if p == pc {
			r.inFlight = append(r.inFlight[:i], r.inFlight[i+1:]...)
			break
		}
	}
	var res campaignact.PageResult
	if err := pc.f.Get(ctx, &res); err != nil {
		if r.stopping() || isCancellation(err) {
			return
		}
		what := fmt.Sprintf("page of devices (%d, %d]", pc.rng.After, pc.rng.Upto)
		if pc.pass == campaignact.PassRetry {
			what = "retry page"
		}
		r.fail(ctx, fmt.Sprintf("%s failed: %v", what, err))
		return
	}
	r.Pushes += res.Pushes
	r.book(pc, res)
	if res.Problem != nil {
		r.onProblem(ctx, res.Problem)
	}
}

// book adds a page's counts. A main-pass page reports its range's ledger
// tally, kept as partial until the range finishes; a deferred-pass or
// retry page reports what it settled. An unfinished range goes back to the
// queue's front, to be sent again (the ledger skips what it already sent);
// what a page left for later joins the retries.
func (r *campaignRun) book(pc *pageCall, res campaignact.PageResult) {
	rng := pc.rng
	finished := res.Stopped == "" && res.Problem == nil
	if res.Retry != nil {
		r.addRetry(*res.Retry)
	}
	switch {
	case pc.pass == campaignact.PassRetry:
		r.Counts.Add(res.Counts)
		return
	case pc.pass == campaignact.PassDeferred:
		r.Counts.Add(res.Counts)
		r.Counts.Deferred -= res.Undeferred
	case finished:
		r.dropPartial(rng)
		r.Counts.Add(res.Counts)
	default:
		r.setPartial(rng, res.Counts)
	}
	if !res.NextDeferral.IsZero() && (r.NextDeferral.IsZero() || res.NextDeferral.Before(r.NextDeferral)) {
		r.NextDeferral = res.NextDeferral
	}
	if !finished {
		r.Queue = append([]PageRange{rng}, r.Queue...)
	}
}

// onProblem reacts to a provider refusing the campaign as a whole: a bad
// message fails it (the pages already raised the stop flag, so the rest of
// the audience is not burnt), refused credentials pause it until resumed.
func (r *campaignRun) onProblem(ctx workflow.Context, p *campaignact.Problem) {
	if p.Class == delivery.BadMessage {
		r.fail(ctx, describe(p)+"; the campaign stopped before sending to the rest of its audience")
		return
	}
	if r.State != CampaignRunning {
		return
	}
	r.active, r.State = CampaignRunning, CampaignPaused
	r.Reason = describe(p) + "; fix the credentials, then signal resume"
	r.logger.Warn("campaign paused itself", "reason", r.Reason)
	_ = r.upsertState(ctx)
}

// fail stops the campaign for good with reason.
func (r *campaignRun) fail(ctx workflow.Context, reason string) {
	if r.stopping() {
		return
	}
	r.State, r.Reason = CampaignFailed, reason
	r.logger.Error("campaign failed", "reason", reason)
	if err := r.setStop(ctx, campaignact.StopFailed); err != nil {
		r.logger.Error("raising the stop flag failed", "error", err)
	}
	_ = r.upsertState(ctx)
}
