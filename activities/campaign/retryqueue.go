package campaign

import (
	"slices"
	"time"
)

// retryQueue holds a page's targets not yet settled, per provider, in the
// order they become due: fresh targets first (due now), retries at the end
// of their backoff.
type retryQueue struct {
	byProvider map[string][]target // sorted by due
	wake       *time.Timer
}

func newRetryQueue(all []target) *retryQueue {
	q := &retryQueue{byProvider: map[string][]target{}}
	q.add(all)
	return q
}

// add queues targets by due time.
func (q *retryQueue) add(ts []target) {
	for _, t := range ts {
		q.byProvider[t.provider] = append(q.byProvider[t.provider], t)
	}
	for p, list := range q.byProvider {
		slices.SortStableFunc(list, func(a, b target) int { return a.due.Compare(b.due) })
		q.byProvider[p] = list
	}
}

// take removes up to n targets of one provider that are due at now, the
// provider with the longest-due target first; nil when none is due.
func (q *retryQueue) take(now time.Time, n int) (string, []target) {
	best := ""
	for _, p := range []string{"fcm", "apns"} {
		list := q.byProvider[p]
		if len(list) > 0 && !list[0].due.After(now) &&
			(best == "" || list[0].due.Before(q.byProvider[best][0].due)) {
			best = p
		}
	}
	if best == "" {
		return "", nil
	}
	list := q.byProvider[best]
	k := 0
	for k < len(list) && k < n && !list[k].due.After(now) {
		k++
	}
	chunk := slices.Clone(list[:k])
	q.byProvider[best] = list[k:]
	return best, chunk
}

// empty reports whether nothing is left to send.
func (q *retryQueue) empty() bool {
	for _, list := range q.byProvider {
		if len(list) > 0 {
			return false
		}
	}
	return true
}

// timer fires when the earliest queued target becomes due; nil (never)
// when nothing is queued.
func (q *retryQueue) timer() <-chan time.Time {
	var next time.Time
	for _, list := range q.byProvider {
		if len(list) > 0 && (next.IsZero() || list[0].due.Before(next)) {
			next = list[0].due
		}
	}
	if next.IsZero() {
		return nil
	}
	if q.wake == nil {
		q.wake = time.NewTimer(time.Until(next))
	} else {
		q.wake.Reset(time.Until(next))
	}
	return q.wake.C
}
