package presence

import (
	"context"
	"sync"
)

// maxBatch bounds the events one Redis round trip carries.
const maxBatch = 256

// intake applies webhook events for many concurrent requests with few Redis
// round trips: each request queues its event and waits; one goroutine takes
// whatever is queued (up to maxBatch) and applies it in one pipeline. Under
// load a round trip carries many events; alone, an event goes at once.
type intake struct {
	store *Store
	once  sync.Once
	queue chan intakeReq
}

type intakeReq struct {
	ctx   context.Context
	event Event
	done  chan intakeRes
}

type intakeRes struct {
	applied bool
	err     error
}

func (in *intake) apply(ctx context.Context, e Event) (bool, error) {
	in.once.Do(func() {
		in.queue = make(chan intakeReq, maxBatch)
		go in.run()
	})
	req := intakeReq{ctx: ctx, event: e, done: make(chan intakeRes, 1)}
	select {
	case in.queue <- req:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	select {
	case res := <-req.done:
		return res.applied, res.err
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

func (in *intake) run() {
	batch := make([]intakeReq, 0, maxBatch)
	events := make([]Event, 0, maxBatch)
	for first := range in.queue {
		batch, events = append(batch[:0], first), append(events[:0], first.event)
	more:
		for len(batch) < maxBatch {
			select {
			case r := <-in.queue:
				batch, events = append(batch, r), append(events, r.event)
			default:
				break more
			}
		}
		// The batch outlives any one request: a caller that gives up
		// must not cancel its neighbours' writes.
		res, err := in.store.applyAll(context.WithoutCancel(first.ctx), events)
		for i, r := range batch {
			if err != nil {
				r.done <- intakeRes{err: err}
				continue
			}
			r.done <- intakeRes{applied: res[i]}
		}
	}
}
