package tokens

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// Pruner tells OpenIM about dead FCM tokens soon after the delivery path
// invalidated them, off the send path: the prune point (a campaign page or
// a SendPush attempt) hands it the device ids and goes on, and a few
// goroutines of the worker clear them through PruneInOpenIM, gathering the
// ids of many pages into one call. It keeps nothing durable: ids lost to a
// full queue, an OpenIM failure or a stopping worker are cleared by the next
// TokenSweep, which finds every dead device whose OpenIM side is not done
// (devices.openim_pruned_at). Clearing twice is harmless, so a retried page
// handing the same ids again is too.
type Pruner struct {
	acts  *Activities
	log   *slog.Logger
	queue chan []int64
}

const (
	// pruneQueue is how many handed-over batches wait; a page hands at most
	// one per provider call.
	pruneQueue = 1024
	// pruneWorkers run OpenIM calls at once.
	pruneWorkers = 4
	// pruneTimeout bounds one PruneInOpenIM call.
	pruneTimeout = time.Minute
)

// NewPruner returns a pruner on a; Run starts it.
func NewPruner(a *Activities, log *slog.Logger) *Pruner {
	if log == nil {
		log = slog.Default()
	}
	return &Pruner{acts: a, log: log, queue: make(chan []int64, pruneQueue)}
}

// Pruned hands over devices the registry has just invalidated. It never
// blocks: with the queue full they are left to TokenSweep.
func (p *Pruner) Pruned(deviceIDs []int64) {
	if len(deviceIDs) == 0 {
		return
	}
	select {
	case p.queue <- slices.Clone(deviceIDs):
	default:
		PruneOutcomes.WithLabelValues("left_to_sweep").Add(float64(len(deviceIDs)))
	}
}

// Run clears handed-over devices until ctx ends.
func (p *Pruner) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for range pruneWorkers {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case ids := <-p.queue:
					p.prune(ctx, p.gather(ids))
				}
			}
		})
	}
	wg.Wait()
}

// gather adds what else waits, up to a page of ids, so a burst of pages
// becomes few database reads.
func (p *Pruner) gather(ids []int64) []int64 {
	for len(ids) < pageSize {
		select {
		case more := <-p.queue:
			ids = append(ids, more...)
		default:
			return ids
		}
	}
	return ids
}

func (p *Pruner) prune(ctx context.Context, ids []int64) {
	ctx, cancel := context.WithTimeout(ctx, pruneTimeout)
	defer cancel()
	if err := p.acts.PruneInOpenIM(ctx, ids); err != nil {
		PruneOutcomes.WithLabelValues("failed").Add(float64(len(ids)))
		p.log.Warn("dead tokens not cleared in OpenIM yet; the next TokenSweep clears them",
			"devices", len(ids), "error", err)
	}
}
