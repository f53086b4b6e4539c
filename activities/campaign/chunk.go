package campaign

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/imshift/imshift/activities/delivery"
)

// defaultThrottleWait is the pause after a 429 that named no Retry-After.
const defaultThrottleWait = time.Second

// sendChunk sends one provider call's worth of targets and retries what
// failed transiently or was throttled, recording the ledger after every
// call so at most one call's pushes can be sent but unrecorded.
func (p *page) sendChunk(ctx context.Context, provider string, chunk []target) error {
	sender := p.a.senders[provider]
	for round := 0; len(chunk) > 0; {
		if err := ctx.Err(); err != nil {
			return err
		}
		reason, err := p.a.gate.Take(ctx, p.in.CampaignID, p.spec.RatePerSecond, provider, len(chunk))
		if err != nil {
			return err
		}
		if reason != "" {
			p.halt(reason, nil)
			return nil
		}
		msgs := make([]delivery.Message, len(chunk))
		for i, t := range chunk {
			msgs[i] = p.spec.DeliveryMessage(t.token, t.locale)
		}
		o, err := p.call(ctx, sender, provider, chunk, msgs)
		if err != nil || o.stopped {
			return err
		}
		p.progress(ctx, len(chunk)-len(o.retry))
		if o.throttle > 0 {
			if err := p.a.gate.Throttle(ctx, provider, o.throttle); err != nil {
				return err
			}
		} else if len(o.retry) > 0 {
			if round++; round >= transientRounds {
				p.mu.Lock()
				p.unfinished += len(o.retry)
				p.mu.Unlock()
				return nil
			}
			if err := sleep(ctx, backoff(round)); err != nil {
				return err
			}
		}
		chunk = o.retry
	}
	return nil
}

// call sends one provider call and records its outcomes. Both run on a
// context the activity's cancellation (a cancelled workflow, a stopping
// worker) does not cut short: a push the provider acknowledged is always
// written to the ledger, which is what keeps the duplicate window to a crash.
func (p *page) call(ctx context.Context, sender delivery.Sender, provider string, chunk []target, msgs []delivery.Message) (outcome, error) {
	callCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sendTimeout)
	defer cancel()
	results, err := sender.Send(callCtx, msgs)
	if err != nil {
		return outcome{}, err
	}
	return p.settle(callCtx, provider, chunk, results)
}

// backoff is exponential from 250 ms with full jitter on the upper half, so
// pages retrying at once spread out.
func backoff(round int) time.Duration {
	d := 250 * time.Millisecond << (round - 1)
	return d/2 + rand.N(d/2+1)
}

// outcome of one provider call, after the ledger was written.
type outcome struct {
	retry    []target      // throttled or transiently failed, to send again
	throttle time.Duration // the longest Retry-After among throttled
	stopped  bool          // bad message or credentials: the page stopped
}

// settle turns one call's results into ledger rows, invalidated devices,
// counts and what to retry.
func (p *page) settle(ctx context.Context, provider string, chunk []target, results []delivery.Result) (outcome, error) {
	var o outcome
	var entries []Entry
	var c Counts
	var pushes int64
	dead := map[string][]int64{}
	var problem *Problem
	interim := OutcomeRetrying
	if p.in.Pass == PassDeferred {
		// Stay deferred (and due) so a retried deferred page finds it again.
		interim = OutcomeDeferred
	}
	for i, r := range results {
		t := chunk[i]
		e := Entry{DeviceID: t.id, Provider: provider, Reason: r.Reason, Attempts: 1}
		switch r.Class {
		case delivery.Sent:
			e.Outcome, e.MessageID, e.Reason = OutcomeSent, r.MessageID, ""
			c.Sent++
			pushes++
		case delivery.DeadToken:
			e.Outcome = OutcomePruned
			dead[r.Reason] = append(dead[r.Reason], t.id)
			c.Pruned++
		case delivery.BadMessage:
			e.Outcome, e.Reason = OutcomeFailed, "bad_message: "+r.Reason
			c.AddFailed(e.Reason, 1)
			problem = &Problem{Class: r.Class, Provider: provider, Reason: r.Reason}
		case delivery.Credentials:
			// Not the device's fault: left untouched, sent after resume.
			problem = &Problem{Class: r.Class, Provider: provider, Reason: r.Reason}
			continue
		case delivery.Throttled:
			// The provider did not look at it: no attempt counted.
			o.retry = append(o.retry, t)
			o.throttle = max(o.throttle, r.RetryAfter, defaultThrottleWait)
			continue
		default: // Transient
			t.attempts++
			if t.attempts >= MaxAttempts {
				e.Outcome, e.Reason = OutcomeFailed, "transient: "+r.Reason
				c.AddFailed(e.Reason, 1)
			} else {
				e.Outcome = interim
				if interim == OutcomeDeferred {
					e.NotBefore = p.in.Cutoff
				}
				o.retry = append(o.retry, t)
			}
		}
		entries = append(entries, e)
	}
	if err := p.a.ledger.Record(ctx, p.in.CampaignID, entries); err != nil {
		return o, err
	}
	for reason, ids := range dead {
		if _, err := p.a.registry.Invalidate(ctx, ids, reason); err != nil {
			return o, err
		}
	}
	p.count(c, pushes)
	if problem != nil {
		return outcome{stopped: true}, p.stopFor(ctx, problem)
	}
	return o, nil
}

// count adds one call's tallies to the page's report.
func (p *page) count(c Counts, pushes int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.res.Pushes += pushes
	p.res.Counts.Add(c)
	if p.in.Pass == PassDeferred {
		p.res.Undeferred += c.Settled()
	}
}

// stopFor raises the campaign's stop flag at once, so every page on every
// worker stops before its next call instead of burning the audience: a bad
// message fails the campaign, refused credentials pause it.
func (p *page) stopFor(ctx context.Context, problem *Problem) error {
	reason := StopPaused
	if problem.Class == delivery.BadMessage {
		reason = StopFailed
	}
	p.halt(reason, problem)
	return p.a.gate.SetStop(ctx, p.in.CampaignID, reason)
}
