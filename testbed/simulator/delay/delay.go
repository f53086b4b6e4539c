// Package delay is what every simulator does before answering: hold the
// answer for the configured latency, unless the client gives up first.
package delay

import (
	"context"
	"time"
)

// Wait blocks for d (nothing when d ≤ 0) and reports false when ctx ended
// first, so a simulator can skip answering a client that went away.
func Wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
