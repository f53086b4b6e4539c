package campaign

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/imshift/imshift/activities/delivery"
)

// RetryPolicy is how a page retries a device whose answer was retryable
// (delivery.Action.Retry): each device on its own schedule, the page's
// other devices going on meanwhile.
type RetryPolicy struct {
	// First is the backoff after a device's first retryable answer; it
	// doubles per attempt up to Max, and is never shorter than the
	// provider's Retry-After.
	First, Max time.Duration
	// MaxAttempts ends a device as failed after that many tries in all,
	// throttled ones included.
	MaxAttempts int32
	// Linger: a device due again within Linger is retried by the same
	// page of the pass; one due later is handed to a later retry page
	// (RetryLater). RetryLinger is the same for a retry page. Zero hands
	// every retry off.
	Linger, RetryLinger time.Duration
}

// DefaultRetry: 100 ms doubling to 1 s, 16 tries (about 12 s for a device
// refused every time). At 40 % retryable answers (the fault benchmark) one
// device in 2.3 million fails for lack of tries.
//
// A page of the pass retries nothing itself: it ends once its devices had
// their first try, so its slot in the window goes to fresh devices at once.
// Kept in place, its retries went out in calls of a few dozen messages (4 000
// calls of 35 on average for 100 000 pushes under the fault benchmark's 40 %
// retryable answers, against 200 of 500 clean), each with its own gate,
// ledger and SDK round, while the page held its slot. Retry pages gather the
// retries of many pages into fuller calls (900 to 1 900 calls of 70 to 190
// in the same run); a retry page keeps what is due again within 250 ms (a
// first or second backoff), which spares a retry page per short backoff, and
// hands on the rest (quota Retry-Afters, longer backoffs).
var DefaultRetry = RetryPolicy{First: 100 * time.Millisecond, Max: time.Second, MaxAttempts: 16,
	RetryLinger: 250 * time.Millisecond}

// linger is how long a page of pass may keep a retry to itself.
func (rp RetryPolicy) linger(pass string) time.Duration {
	if pass == PassRetry {
		return rp.RetryLinger
	}
	return rp.Linger
}

// retryGrain is the grid retry due times are rounded up to.
const retryGrain = 50 * time.Millisecond

// wait is how long a device waits before try attempts+1 after answer r
// under action a: its own backoff, or the provider's longer Retry-After.
func (rp RetryPolicy) wait(a delivery.Action, r delivery.Result, attempts int32) time.Duration {
	if a.Backoff == delivery.ScopeProvider {
		return max(r.RetryAfter, rateCooldown)
	}
	d := min(rp.First<<(attempts-1), rp.Max)
	if attempts > 32 {
		d = rp.Max
	}
	return max(r.RetryAfter, d/2+rand.N(d/2+1))
}

// call sends one provider call under the gate and records its outcomes.
// The send and its ledger write run on a context the activity's
// cancellation (a cancelled workflow, a stopping worker) does not cut
// short: a push the provider acknowledged is always written to the ledger
// (retried through database faults, delivery.WriteRetry), which keeps the
// duplicate window to a crash.
func (p *page) call(ctx context.Context, provider string, chunk []target) ([]target, error) {
	reason, err := p.a.gate.Take(ctx, p.in.CampaignID, p.spec.RatePerSecond, provider, len(chunk))
	if err != nil {
		return nil, err
	}
	if reason != "" {
		p.halt(reason, nil)
		return nil, nil
	}
	msgs := make([]delivery.Message, len(chunk))
	for i, t := range chunk {
		msgs[i] = p.spec.DeliveryMessage(t.token, t.locale)
	}
	callCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sendTimeout)
	defer cancel()
	delivery.CallMessages.WithLabelValues(provider).Observe(float64(len(msgs)))
	results, err := p.a.senders[provider].Send(callCtx, msgs)
	if err != nil {
		return nil, err
	}
	retry, err := p.settle(callCtx, provider, chunk, results)
	p.progress(len(chunk) - len(retry))
	return retry, err
}

// settled is one call's outcome before it is written.
type settled struct {
	entries []delivery.Entry
	counts  Counts
	pushes  int64
	dead    map[string][]int64
	retry   []target
	problem *Problem
	cut     time.Duration // a quota answer's Retry-After: cut the rate
	hold    time.Duration // hold the provider this long
	quota   bool
	// undeferred counts deferred rows this call moved on (PassDeferred).
	undeferred int64
}

// settle turns one call's results into ledger rows, invalidated devices,
// counts and the devices to try again, by the one table of actions.
func (p *page) settle(ctx context.Context, provider string, chunk []target, results []delivery.Result) ([]target, error) {
	s := settled{dead: map[string][]int64{}}
	now := time.Now()
	for i, r := range results {
		p.settleOne(&s, now, provider, chunk[i], r)
	}
	if err := p.a.ledger.Record(ctx, delivery.CampaignSend(p.in.CampaignID), s.entries); err != nil {
		return nil, err
	}
	for reason, ids := range s.dead {
		err := p.a.ledger.Retry().Do(ctx, "registry: invalidate", func(ctx context.Context) error {
			_, err := p.a.registry.Invalidate(ctx, ids, reason)
			return err
		})
		if err != nil {
			return nil, err
		}
		if p.a.onPruned != nil {
			p.a.onPruned(ids)
		}
	}
	p.count(s.counts, s.pushes, s.undeferred)
	if err := p.backOffProvider(ctx, provider, &s); err != nil {
		return nil, err
	}
	if s.problem != nil {
		return nil, p.stopFor(ctx, s.problem)
	}
	return s.retry, nil
}

// settleOne applies the action of one answer.
func (p *page) settleOne(s *settled, now time.Time, provider string, t target, r delivery.Result) {
	a := delivery.CampaignPolicy.Act(r.Class)
	e := delivery.Entry{DeviceID: t.id, Provider: provider, Class: r.Class, Reason: r.Reason, Attempts: 1,
		Outcome: a.Outcome, MessageID: r.MessageID}
	switch {
	case a.Outcome == delivery.OutcomeSent:
		e.Reason = ""
		s.counts.Sent++
		s.pushes++
	case a.Prune:
		s.dead[r.Reason] = append(s.dead[r.Reason], t.id)
		s.counts.Pruned++
	case a.Stop != "":
		s.problem = &Problem{Class: r.Class, Provider: provider, Reason: r.Reason}
		if a.Outcome == "" {
			return // credentials: not the device's fault, sent after resume
		}
		e.Reason = string(r.Class) + ": " + r.Reason
		s.counts.AddFailed(e.Reason, 1)
	default:
		p.retryOne(s, &e, now, t, a, r)
	}
	if t.deferred {
		s.undeferred++ // its row is no longer deferred
	}
	s.entries = append(s.entries, e)
}

// retryOne counts a retryable answer as an attempt and either schedules
// the device again or, at the attempt limit or past the message's TTL,
// ends it as failed with its reason.
func (p *page) retryOne(s *settled, e *delivery.Entry, now time.Time, t target, a delivery.Action, r delivery.Result) {
	switch {
	case a.CutRate:
		s.quota, s.cut = true, max(s.cut, r.RetryAfter)
	case a.HoldProvider:
		s.hold = max(s.hold, r.RetryAfter, rateCooldown)
	}
	t.attempts++
	// Due times fall on a retryGrain grid, so the retries of one call and of
	// neighbouring calls gather into full provider calls again instead of
	// one small call (and one gate and ledger round trip) each.
	t.due = now.Add(p.a.retry.wait(a, r, t.attempts) + retryGrain - 1).Truncate(retryGrain)
	if t.attempts >= p.a.retry.MaxAttempts || t.due.After(t.expires) {
		e.Outcome, e.Reason = delivery.OutcomeFailed, string(r.Class)+": "+r.Reason
		s.counts.AddFailed(e.Reason, 1)
		return
	}
	e.Outcome, e.NotBefore = delivery.OutcomeRetrying, t.due
	t.deferred = false
	s.retry = append(s.retry, t)
}

// backOffProvider applies the provider-wide part of a call's answers: a
// quota 429 cuts the shared adaptive rate, a throttle of our credentials
// holds the provider.
func (p *page) backOffProvider(ctx context.Context, provider string, s *settled) error {
	if s.quota {
		if err := p.a.gate.CutRate(ctx, provider, s.cut); err != nil {
			return err
		}
	}
	return p.a.gate.Throttle(ctx, provider, s.hold)
}

// count adds one call's tallies to the page's report.
func (p *page) count(c Counts, pushes, undeferred int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.res.Pushes += pushes
	p.res.Counts.Add(c)
	p.res.Undeferred += undeferred
}

// stopFor raises the campaign's stop flag at once, so every page on every
// worker stops before its next call instead of burning the audience: a bad
// message fails the campaign, refused credentials pause it.
func (p *page) stopFor(ctx context.Context, problem *Problem) error {
	reason := StopPaused
	if delivery.CampaignPolicy.Act(problem.Class).Stop == delivery.StopFail {
		reason = StopFailed
	}
	p.halt(reason, problem)
	return p.a.gate.SetStop(ctx, p.in.CampaignID, reason)
}
