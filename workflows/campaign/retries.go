package campaign

import (
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/workflow"

	campaignact "github.com/imshift/imshift/activities/campaign"
)

// Retry pages. A page hands the devices whose next try is not due soon to
// a later retry page (campaignact.RetryLater) instead of sleeping on their
// backoff, so no page holds its slot in the window for a wait. The run
// keeps what was handed off by due time and, whenever a slot of its retry
// window (beside the pass's window) is free, launches a retry page over
// what is due: retries overlap the pass instead of trailing it, and
// neighbouring pages' retries gather into full provider calls.

// addRetry keeps l among the retries, in due order.
func (r *campaignRun) addRetry(l campaignact.RetryLater) {
	i, _ := slices.BinarySearchFunc(r.Retries, l.Due, func(e campaignact.RetryLater, t time.Time) int {
		return e.Due.Compare(t)
	})
	r.Retries = slices.Insert(r.Retries, i, l)
}

// dueRetries takes the retries due at now, up to a page's worth of
// devices (at least one retry), merged into one; nil if none is due.
func (r *campaignRun) dueRetries(now time.Time) *campaignact.RetryLater {
	var take campaignact.RetryLater
	n := 0
	for n < len(r.Retries) && !r.Retries[n].Due.After(now) &&
		(n == 0 || take.Devices+r.Retries[n].Devices <= int64(r.tuning.PageSize)) {
		take.Merge(r.Retries[n])
		n++
	}
	if n == 0 {
		return nil
	}
	r.Retries = slices.Delete(r.Retries, 0, n)
	return &take
}

// launchRetry starts a retry page over l's ranges.
func (r *campaignRun) launchRetry(ctx workflow.Context, l *campaignact.RetryLater) {
	in := campaignact.PageInput{
		CampaignID: r.spec.CampaignID, SpecHash: r.SpecHash, Pass: campaignact.PassRetry,
		PageSize: r.tuning.PageSize, Ranges: l.Ranges,
	}
	summary := fmt.Sprintf("retry page (about %d devices handed off, in %d ranges)", l.Devices, len(l.Ranges))
	f := workflow.ExecuteActivity(summarized(ctx, pageOptions, summary), campaignact.SendPageName, in)
	r.inFlight = append(r.inFlight, &pageCall{pass: campaignact.PassRetry, f: f})
	r.pages++
}

// addRetryTimer wakes sel when the earliest retry falls due, if a slot of
// the retry window is free for it. One timer is kept; a new one is started only
// for an earlier retry.
func (r *campaignRun) addRetryTimer(ctx workflow.Context, sel workflow.Selector) {
	if r.State != CampaignRunning || len(r.Retries) == 0 || r.continueDue(ctx) ||
		r.inFlightOf(campaignact.PassRetry) >= r.tuning.retryWindow() {
		return
	}
	due := r.Retries[0].Due
	if r.retryTimer == nil || due.Before(r.retryAt) {
		r.retryTimer, r.retryAt = workflow.NewTimer(ctx, max(due.Sub(workflow.Now(ctx)), time.Millisecond)), due
	}
	timer := r.retryTimer
	sel.AddFuture(timer, func(workflow.Future) {
		if r.retryTimer == timer {
			r.retryTimer = nil
		}
	})
}
