package delivery

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"
)

// WriteRetry bounds how long a database write that follows a provider call
// is retried before the activity fails. Failing sooner would make Temporal
// retry the activity, which sends again every push the write was to record;
// so the write is retried through a PostgreSQL restart, a failover or a
// killed connection, up to Bound.
type WriteRetry struct {
	First time.Duration // first wait, doubled after each failure
	Max   time.Duration // longest single wait
	Bound time.Duration // total time before giving up
}

// DefaultWriteRetry: 50 ms doubling to 2 s, for up to 2 minutes, which
// rides out a PostgreSQL restart or a managed failover (typically 30–60 s).
var DefaultWriteRetry = WriteRetry{First: 50 * time.Millisecond, Max: 2 * time.Second, Bound: 2 * time.Minute}

// Do runs write until it succeeds, ctx ends, or Bound passes; what names
// the write in the final error.
func (w WriteRetry) Do(ctx context.Context, what string, write func(context.Context) error) error {
	deadline := time.Now().Add(w.Bound)
	wait := w.First
	for tries := 1; ; tries++ {
		err := write(ctx)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil || time.Now().Add(wait).After(deadline) {
			return fmt.Errorf("%s (%d tries): %w", what, tries, err)
		}
		if err := Sleep(ctx, wait/2+rand.N(wait/2+1)); err != nil {
			return fmt.Errorf("%s (%d tries): %w", what, tries, err)
		}
		wait = min(2*wait, w.Max)
	}
}

// Sleep waits d or until ctx is done.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
