package campaign

import (
	"context"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/imshift/imshift/activities/delivery"
)

// PageInput is one page of a pass: the devices with ids in (After, Upto].
type PageInput struct {
	CampaignID string
	SpecHash   string
	Pass       string
	After      int64
	Upto       int64
	// PageSize is the plan's page size; the registry is read with it as
	// the limit (PassMain).
	PageSize int
	Cutoff   time.Time // PassDeferred: deferrals due by then
	// Ranges are where a retry page (PassRetry) reads the ledger's
	// retrying rows; After and Upto are unused then.
	Ranges []IDRange `json:",omitempty"`
}

// PageResult is what a page reports; counts only, never a token.
type PageResult struct {
	// Counts: for PassMain the whole range as the ledger has it (what
	// earlier attempts settled plus this attempt); for PassDeferred what
	// this attempt settled.
	Counts Counts
	// Undeferred is how many deferred rows this attempt moved on: settled,
	// or retrying after their first answer (PassDeferred).
	Undeferred int64
	// Pushes is how many pushes the provider acknowledged in this attempt.
	Pushes int64
	// Stopped is the stop reason the page obeyed before finishing; its
	// unsent devices are left for a later run of the same range.
	Stopped string `json:",omitempty"`
	// Problem is a bad message or refused credentials; the page stopped.
	Problem *Problem `json:",omitempty"`
	// NextDeferral is the earliest end of quiet hours deferred in the range.
	NextDeferral time.Time
	// Retry is what the page left to a later retry page, if anything.
	Retry *RetryLater `json:",omitempty"`
}

// PageProgress is the heartbeat: how far into the page the sends are.
type PageProgress struct {
	Targets int // devices the page had to send at start
	Done    int // devices settled since
}

// Stop reasons the gate carries.
const (
	StopPaused    = "paused"
	StopCancelled = "cancelled"
	StopFailed    = "failed"
)

// Tuning of the sends inside a page.
const (
	// chunksInFlight is how many provider calls one page runs at once.
	chunksInFlight = 4
	// sendTimeout bounds one provider call and its ledger write.
	sendTimeout = 2 * time.Minute
)

// SendPage sends one page: it skips devices the ledger has settled, defers
// those inside quiet hours, sends the rest in provider calls of ChunkSize
// under the gate, and records every outcome in the ledger per call.
func (a *Activities) SendPage(ctx context.Context, in PageInput) (PageResult, error) {
	spec, err := a.spec(ctx, in.CampaignID, in.SpecHash)
	if err != nil {
		return PageResult{}, err
	}
	p := &page{a: a, in: in, spec: spec, expires: time.Now().Add(spec.TTL())}
	if activity.HasHeartbeatDetails(ctx) {
		var prev PageProgress
		if activity.GetHeartbeatDetails(ctx, &prev) == nil {
			activity.GetLogger(ctx).Info("page resumes; the ledger skips what was sent",
				"campaignId", in.CampaignID, "after", in.After, "done", prev.Done, "of", prev.Targets)
		}
	}
	stopBeating := p.heartbeat(ctx)
	defer stopBeating()
	targets, err := p.targets(ctx)
	if err != nil {
		return PageResult{}, err
	}
	if err := p.sendAll(ctx, targets); err != nil {
		return PageResult{}, err
	}
	p.res.Retry = p.retryLater(p.ranges())
	return p.res, nil
}

// ranges are the device ranges the page covers.
func (p *page) ranges() []IDRange {
	if p.in.Pass == PassRetry {
		return p.in.Ranges
	}
	return []IDRange{{After: p.in.After, Upto: p.in.Upto}}
}

// heartbeatEvery is well inside the page's heartbeat timeout (10 s), so a
// slow provider call or a long rate-limit wait never looks like a dead
// worker, which would start a second attempt beside this one.
const heartbeatEvery = 2 * time.Second

// heartbeat records the page's position every heartbeatEvery until the
// returned function is called. Only this ticker heartbeats: the SDK sends
// an activity's first heartbeat at once and waits for the server, which on
// every provider call would put a Temporal round trip (and a history
// write) in each page's path; most pages end before the first tick.
func (p *page) heartbeat(ctx context.Context) func() {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(heartbeatEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				p.beat(ctx)
			}
		}
	}()
	return func() { close(done) }
}

// target is one device to send to.
type target struct {
	id       int64
	provider string
	token    string
	locale   string
	attempts int32     // before this attempt
	due      time.Time // not to be sent before (retries)
	// expires is when the message's TTL ends for the device, counted
	// from its first try; a retry due after it fails instead.
	expires time.Time
	// deferred: its ledger row says deferred (PassDeferred, before its
	// first answer in this page).
	deferred bool
}

// page is one SendPage call's state.
type page struct {
	a    *Activities
	in   PageInput
	spec *Spec

	// expires is when the message's TTL ends for a device first tried in
	// this page.
	expires time.Time

	mu    sync.Mutex
	res   PageResult
	done  int
	total int
	// later are the devices handed to a later retry page; laterDue the
	// earliest next try among them.
	later    []int64
	laterDue time.Time
	// rest is what a retry page left unread (retryReadLimit).
	rest []IDRange
}

// targets loads the page's devices and drops the settled ones; in the main
// pass it defers those in quiet hours.
func (p *page) targets(ctx context.Context) ([]target, error) {
	var all []target
	switch p.in.Pass {
	case PassDeferred:
		due, err := p.a.ledger.DueDevices(ctx, p.in.CampaignID, p.in.Cutoff, p.in.After, p.in.Upto)
		if err != nil {
			return nil, err
		}
		for _, d := range due {
			all = append(all, target{id: d.ID, provider: d.Provider, token: d.Token, locale: d.Locale,
				expires: p.expires, deferred: true})
		}
		p.total = len(all)
		return all, nil
	case PassRetry:
		return p.retryTargets(ctx)
	}
	states, err := p.a.ledger.Rows(ctx, delivery.CampaignSend(p.in.CampaignID), p.in.After, p.in.Upto)
	if err != nil {
		return nil, err
	}
	devices, err := p.a.registry.Page(ctx, p.spec.RegistryFilter(), p.in.After, p.in.PageSize)
	if err != nil {
		return nil, err
	}
	p.countPrior(states)
	var deferred []delivery.Entry
	now := time.Now()
	for _, d := range devices {
		st, seen := states[d.ID]
		if d.ID > p.in.Upto || seen && st.Outcome != delivery.OutcomeRetrying {
			continue
		}
		if until, quiet := p.quiet(now, d.TimeZone); quiet {
			deferred = append(deferred, delivery.Entry{DeviceID: d.ID, Provider: d.Provider, Outcome: delivery.OutcomeDeferred,
				Reason: "quiet hours", NotBefore: until})
			continue
		}
		t := target{id: d.ID, provider: d.Provider, token: d.Token, locale: d.Locale, expires: p.expires}
		if seen { // retrying: an earlier attempt of this page handed it off
			t.attempts, t.due, t.expires = st.Attempts, st.NotBefore, st.CreatedAt.Add(p.spec.TTL())
		}
		all = append(all, t)
	}
	p.total = len(all)
	for _, e := range deferred {
		p.res.Counts.Deferred++
		p.res.NextDeferral = earliest(p.res.NextDeferral, e.NotBefore)
	}
	return all, p.a.ledger.Record(ctx, delivery.CampaignSend(p.in.CampaignID), deferred)
}

// countPrior starts the range's counts from what earlier attempts (or an
// earlier run of the campaign) settled in it, so a main-pass page reports
// the whole range however often it ran.
func (p *page) countPrior(states map[int64]delivery.Row) {
	for _, st := range states {
		p.res.Counts.count(st.Outcome, st.Reason, 1)
		if st.Outcome == delivery.OutcomeDeferred {
			p.res.NextDeferral = earliest(p.res.NextDeferral, st.NotBefore)
		}
	}
}

// quiet applies the campaign's quiet hours to a device time zone.
func (p *page) quiet(now time.Time, tz string) (time.Time, bool) {
	q := p.spec.QuietHours
	if q == nil || IgnoresQuietHours(p.spec.Category) {
		return time.Time{}, false
	}
	return q.QuietUntil(now, location(tz))
}

// sendAll sends the targets per provider in chunks of ChunkSize, up to
// chunksInFlight calls at once. A device with a retryable answer due within
// the retry policy's linger joins a later chunk of this page; one due later
// is handed to a later retry page (RetryLater), so the page never holds its
// slot in the campaign's window for a backoff. It returns when every target
// is settled or handed off, the campaign stopped, or a call failed.
func (p *page) sendAll(ctx context.Context, all []target) error {
	q := newRetryQueue(nil)
	p.enqueue(q, all)
	defer p.handOffQueued(q)
	size := ChunkSize(p.spec.RatePerSecond)
	type done struct {
		retry []target
		err   error
	}
	results := make(chan done, chunksInFlight)
	inFlight := 0
	var firstErr error
	for {
		stopping := firstErr != nil || p.stopped()
		for !stopping && inFlight < chunksInFlight {
			provider, chunk := q.take(time.Now(), size)
			if chunk == nil {
				break
			}
			inFlight++
			go func() {
				retry, err := p.call(ctx, provider, chunk)
				results <- done{retry, err}
			}()
		}
		if inFlight == 0 && (stopping || q.empty()) {
			break
		}
		var wake <-chan time.Time // a free slot waits for the next due target
		if !stopping && inFlight < chunksInFlight {
			wake = q.timer()
		}
		select {
		case d := <-results:
			inFlight--
			p.enqueue(q, d.retry)
			if d.err != nil && firstErr == nil {
				firstErr = d.err
			}
		case <-wake:
		}
	}
	return firstErr
}

// stopped reports whether the page obeyed a stop or met a problem.
func (p *page) stopped() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.res.Stopped != "" || p.res.Problem != nil
}

// progress notes n more devices settled; the next heartbeat reports it.
func (p *page) progress(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
}

// beat heartbeats the page's position.
func (p *page) beat(ctx context.Context) {
	p.mu.Lock()
	hb := PageProgress{Targets: p.total, Done: p.done}
	p.mu.Unlock()
	activity.RecordHeartbeat(ctx, hb)
}

// halt records why the page stopped early; the first reason wins.
func (p *page) halt(reason string, problem *Problem) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.res.Stopped == "" {
		p.res.Stopped = reason
	}
	if problem != nil && p.res.Problem == nil {
		p.res.Problem = problem
	}
}
