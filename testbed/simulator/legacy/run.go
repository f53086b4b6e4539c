package legacy

import (
	"context"
	"time"

	"github.com/imshift/imshift/internal/cohort"
)

// pending is a routing row read, to be acted on at a time.
type pending struct {
	row Routing
	at  time.Time
}

// retryAfter is how long a failed apply waits before it is tried again.
const retryAfter = time.Second

func afterSecond() <-chan time.Time { return time.After(retryAfter) }

// Run watches the routing until ctx ends, moving clients as the rule
// changes and renewing the presence TTLs. The first row read is acted on at
// once (it is the state the population joins); later changes after
// MoveDelay. Errors (database or Redis down) are counted in Stats and
// retried; Run returns nil when ctx ends.
func (p *Population) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wake := make(chan struct{}, 1)
	go p.listen(ctx, wake)
	resync := time.NewTicker(p.opts.Resync)
	defer resync.Stop()
	refresh := time.NewTicker(p.opts.PresenceTTL / 3)
	defer refresh.Stop()

	var queue []pending
	lastRead := int64(-1)
	read := func(delay time.Duration) {
		row, err := ReadRouting(ctx, p.opts.DB, p.opts.MigrationID)
		if err != nil {
			p.failed(err)
			return
		}
		if lastRead == -1 || row.Revision != lastRead {
			lastRead = row.Revision
			queue = append(queue, pending{row: row, at: time.Now().Add(delay)})
		}
	}
	read(0)
	for {
		var due <-chan time.Time
		if len(queue) > 0 {
			due = time.After(time.Until(queue[0].at))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
			read(p.opts.MoveDelay)
		case <-resync.C:
			read(p.opts.MoveDelay)
		case <-refresh.C:
			p.mu.Lock()
			err := p.refreshLocked(ctx)
			p.mu.Unlock()
			p.failed(err)
		case <-due:
			if err := p.apply(ctx, queue[0].row); err != nil {
				p.failed(err)
				queue[0].at = time.Now().Add(retryAfter)
				continue
			}
			queue = queue[1:]
		}
	}
}

func (p *Population) failed(err error) {
	if err != nil {
		p.errors.Add(1)
		p.mu.Lock()
		p.lastErr = err.Error()
		p.mu.Unlock()
	}
}

// apply moves every client to the stack row sends it to. It is idempotent:
// after a partial failure the same row is applied again from where the
// clients are.
func (p *Population) apply(ctx context.Context, row Routing) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	rule := cohort.NewRule(float64(row.BucketThreshold)/100, row.AllowUsers, row.DenyUsers)
	var leave, back, stay []*client
	for _, c := range p.order {
		want := rule.OnOpenIM(c.userID)
		switch {
		case want && (c.place == onLegacy || c.place == offline):
			leave = append(leave, c)
		case !want && c.place != onLegacy:
			back = append(back, c)
		case !want:
			stay = append(stay, c)
		}
	}
	if err := p.leaveLegacyLocked(ctx, leave); err != nil {
		return err
	}
	for _, c := range leave {
		p.comeOnlineLocked(c)
		p.moved.Add(1)
	}
	for _, c := range back {
		if c.place == onOpenIM {
			p.opts.OpenIM.SetOnline(c.openimID, p.opts.PlatformID, false)
		}
		if c.place != offline {
			p.returned.Add(1)
		}
		c.place = offline
	}
	if row.LegacyPresenceEnabled && !p.row.LegacyPresenceEnabled {
		if err := p.writePresence(ctx, stay); err != nil {
			return err
		}
	}
	p.row, p.rule = row, rule
	return p.joinLegacyLocked(ctx, back)
}
