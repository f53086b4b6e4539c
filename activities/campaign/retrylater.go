package campaign

import (
	"cmp"
	"context"
	"slices"
	"time"
)

func (r IDRange) holds(id int64) bool { return id > r.After && id <= r.Upto }

// RetryLater is what a page leaves to a later retry page (PassRetry): the
// devices whose next try falls after the page's linger. Each is a
// `retrying` row in the ledger with its attempts and not_before, so a page
// never sleeps on a backoff while holding its slot in the campaign's window.
type RetryLater struct {
	// Ranges hold the devices; a retry page reads the ledger's retrying
	// rows in them.
	Ranges []IDRange `json:"ranges"`
	// Due is the earliest next try among them.
	Due time.Time `json:"due"`
	// Devices is how many were left (a retry page's size is bounded by it).
	Devices int64 `json:"devices"`
}

// Merge adds o to l: the union of ranges, the earlier due time.
func (l *RetryLater) Merge(o RetryLater) {
	l.Ranges = Coalesce(append(l.Ranges, o.Ranges...))
	l.Due = earliest(l.Due, o.Due)
	l.Devices += o.Devices
}

// Coalesce sorts ranges and joins those that touch or overlap.
func Coalesce(rs []IDRange) []IDRange {
	rs = slices.Clone(rs)
	slices.SortFunc(rs, func(a, b IDRange) int { return cmp.Compare(a.After, b.After) })
	var out []IDRange
	for _, r := range rs {
		if n := len(out); n > 0 && r.After <= out[n-1].Upto {
			out[n-1].Upto = max(out[n-1].Upto, r.Upto)
			continue
		}
		out = append(out, r)
	}
	return out
}

// handOff leaves t to a later retry page: its ledger row already says
// retrying, with its attempts and when it is due.
func (p *page) handOff(t target) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.later = append(p.later, t.id)
	p.laterDue = earliest(p.laterDue, t.due)
}

// retryLater is the page's RetryLater: the ranges of the page that hold a
// device it handed off (and what a retry page did not read), or nil.
func (p *page) retryLater(ranges []IDRange) *RetryLater {
	p.mu.Lock()
	defer p.mu.Unlock()
	var keep []IDRange
	for _, r := range ranges {
		if slices.ContainsFunc(p.later, r.holds) {
			keep = append(keep, r)
		}
	}
	l := RetryLater{Ranges: keep, Due: p.laterDue, Devices: int64(len(p.later))}
	if len(p.rest) > 0 {
		l.Merge(RetryLater{Ranges: p.rest, Due: time.Now(), Devices: 1})
	}
	if l.Devices == 0 {
		return nil
	}
	l.Ranges = Coalesce(l.Ranges)
	return &l
}

// enqueue queues the targets due within the retry policy's linger for the
// page's pass and hands the others off.
func (p *page) enqueue(q *retryQueue, ts []target) {
	horizon := time.Now().Add(p.a.retry.linger(p.in.Pass))
	var keep []target
	for _, t := range ts {
		if t.due.After(horizon) {
			p.handOff(t)
			continue
		}
		keep = append(keep, t)
	}
	q.add(keep)
}

// handOffQueued hands off the retries a stopped page did not send, so a
// retry page finds them; fresh devices stay for the page's next run.
func (p *page) handOffQueued(q *retryQueue) {
	for _, list := range q.byProvider {
		for _, t := range list {
			if t.attempts > 0 {
				p.handOff(t)
			}
		}
	}
}

// retryReadLimit bounds the rows one retry page reads; the workflow sizes
// retry pages to a page's worth of devices, so only a catch-all over the
// whole campaign (Tally found retrying rows no page held) reaches it.
const retryReadLimit = 5000

// retryTargets loads the retrying devices of a retry page's ranges. If
// there are more than it reads, the rest of the ranges is left to the next
// retry page at once.
func (p *page) retryTargets(ctx context.Context) ([]target, error) {
	rows, gone, err := p.a.ledger.RetryDevices(ctx, p.in.CampaignID, p.in.Ranges, retryReadLimit)
	if err != nil {
		return nil, err
	}
	p.res.Counts.Skipped += gone
	all := make([]target, len(rows))
	for i, d := range rows {
		all[i] = target{id: d.ID, provider: d.Provider, token: d.Token, locale: d.Locale, attempts: d.Attempts,
			due: d.NotBefore, expires: d.CreatedAt.Add(p.spec.TTL())}
	}
	if len(rows) == retryReadLimit {
		p.rest = clipAfter(p.in.Ranges, rows[len(rows)-1].ID)
	}
	p.total = len(all)
	return all, nil
}

// clipAfter is the part of ranges after id.
func clipAfter(ranges []IDRange, id int64) []IDRange {
	var out []IDRange
	for _, r := range ranges {
		if r.Upto > id {
			out = append(out, IDRange{After: max(r.After, id), Upto: r.Upto})
		}
	}
	return out
}
