package campaign

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	campaignact "github.com/imshift/imshift/activities/campaign"
)

// refreshEvery is how often progress is read from the ledger while pages
// run: pages settle devices for minutes, and without it sent would move only
// when a whole page ends. Under 2 s, so the worker's own latency still
// leaves the figures at most 2 s old.
const refreshEvery = 1500 * time.Millisecond

// liveVersion marks runs that refresh their progress from the ledger (a
// timer and a local activity every refreshEvery); earlier runs did not.
const liveVersion = "live-progress"

// liveTallyOptions: one attempt; a failed read is simply read again at the
// next refresh.
var liveTallyOptions = workflow.LocalActivityOptions{
	StartToCloseTimeout: 10 * time.Second,
	RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 1},
	Summary:             "read progress from the ledger",
}

// live is the ledger as last read while pages run.
type live struct {
	enabled bool
	checked bool
	timer   workflow.Future // the next refresh, while pages run
	tally   workflow.Future // the local activity in flight
	asked   []PageRange     // the ranges it reads
	// ranges: main-pass pages in flight, as the ledger had them at At.
	ranges map[PageRange]campaignact.Counts
	// whole: the campaign as the ledger had it at At, during a deferred pass.
	whole *campaignact.Counts
	at    time.Time
}

// addRefresh lets sel wake for the next refresh while pages run: a timer
// every refreshEvery starts a ledger read (unless one is still running) and
// the read's answer is folded into the progress.
func (r *campaignRun) addRefresh(ctx workflow.Context, sel workflow.Selector) {
	if !r.live.checked {
		r.live.checked = true
		r.live.enabled = workflow.GetVersion(ctx, liveVersion, workflow.DefaultVersion, 1) == 1
	}
	if !r.live.enabled {
		return
	}
	if r.live.timer == nil && len(r.inFlight) > 0 {
		r.live.timer = workflow.NewTimerWithOptions(ctx, refreshEvery, workflow.TimerOptions{Summary: "next progress refresh"})
	}
	if r.live.timer != nil {
		sel.AddFuture(r.live.timer, func(workflow.Future) {
			r.live.timer = nil
			r.startRefresh(ctx)
		})
	}
	if r.live.tally != nil {
		sel.AddFuture(r.live.tally, func(f workflow.Future) { r.refreshed(ctx, f) })
	}
}

// startRefresh reads the ledger for the pages in flight; with none, the
// send rate is over and starts afresh with the next page.
func (r *campaignRun) startRefresh(ctx workflow.Context) {
	if len(r.inFlight) == 0 {
		r.rate = rateMeter{}
		return
	}
	if r.live.tally != nil {
		return
	}
	in := campaignact.LiveInput{CampaignID: r.spec.CampaignID, Pass: r.Pass}
	r.live.asked = nil
	if r.Pass == campaignact.PassMain {
		for _, pc := range r.inFlight {
			if pc.pass == campaignact.PassRetry {
				continue // its devices are in ranges already booked
			}
			in.Ranges = append(in.Ranges, campaignact.IDRange{After: pc.rng.After, Upto: pc.rng.Upto})
			r.live.asked = append(r.live.asked, pc.rng)
		}
	}
	r.live.tally = workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, liveTallyOptions),
		campaignact.LiveTallyName, in)
}

// refreshed folds a ledger read into the progress. A main-pass answer is
// kept for the ranges still in flight (a page that ended meanwhile booked
// its own, later figures).
func (r *campaignRun) refreshed(ctx workflow.Context, f workflow.Future) {
	r.live.tally = nil
	var res campaignact.LiveResult
	if err := f.Get(ctx, &res); err != nil {
		r.logger.Warn("reading progress from the ledger failed; trying again at the next refresh", "error", err)
		return
	}
	r.live.at, r.live.whole, r.live.ranges = res.At, res.Whole, map[PageRange]campaignact.Counts{}
	for i, c := range res.Ranges {
		if i < len(r.live.asked) && r.inFlightRange(r.live.asked[i]) {
			r.live.ranges[r.live.asked[i]] = c
		}
	}
	if len(r.inFlight) > 0 { // else a read left over from a pass that ended
		now := r.currentCounts()
		r.rate.observe(res.At, now.Settled())
	}
}

func (r *campaignRun) inFlightRange(rng PageRange) bool {
	for _, pc := range r.inFlight {
		if pc.rng == rng {
			return true
		}
	}
	return false
}

// currentCounts is the campaign's figures as of the last ledger read or
// page end, whichever is later for each range: finished ranges as booked,
// stopped ones as last reported, the pages in flight as last read. During a
// deferred pass the whole-campaign read is combined the same way, figure by
// figure: both are the ledger at some moment, and the later one is known
// by its figures (see later).
func (r *campaignRun) currentCounts() campaignact.Counts {
	var out campaignact.Counts
	out.Add(r.Counts)
	seen := map[PageRange]bool{}
	for _, p := range r.Partial {
		c := p.Counts
		if l, ok := r.live.ranges[p.Range]; ok && r.inFlightRange(p.Range) {
			c = later(c, l, r.Pass)
		}
		out.Add(c)
		seen[p.Range] = true
	}
	for _, pc := range r.inFlight {
		if l, ok := r.live.ranges[pc.rng]; ok && !seen[pc.rng] {
			out.Add(l)
		}
	}
	if r.live.whole != nil {
		out = later(out, *r.live.whole, r.Pass)
	}
	return out
}

// later combines two readings of the same rows taken at different moments
// into the later one. Settled figures only grow; deferrals grow in the main
// pass (devices inside quiet hours) and shrink in a deferred pass.
func later(a, b campaignact.Counts, pass string) campaignact.Counts {
	out := campaignact.Counts{
		Sent: max(a.Sent, b.Sent), Pruned: max(a.Pruned, b.Pruned), Skipped: max(a.Skipped, b.Skipped),
		Deferred: max(a.Deferred, b.Deferred),
	}
	if pass == campaignact.PassDeferred {
		out.Deferred = min(a.Deferred, b.Deferred)
	}
	for reason, n := range a.Failed {
		out.AddFailed(reason, max(n, b.Failed[reason]))
	}
	for reason, n := range b.Failed {
		if _, ok := a.Failed[reason]; !ok {
			out.AddFailed(reason, n)
		}
	}
	return out
}
