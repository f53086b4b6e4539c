package sendpush

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"golang.org/x/sync/errgroup"

	pushact "github.com/imshift/imshift/activities/sendpush"
)

// Dispatcher is how POST /v1/push sends at rate (docs/delivery.md,
// "SendPush at rate"): a Temporal workflow per push costs the server a
// start and a workflow task, a few tens per second on a small server and
// none at all while it is down or overloaded, so the push is not made to
// wait for them. Accept records the push in the outbox (PostgreSQL, in the
// request), delivers it at once in this process through the workflow's own
// delivery code and ledger, and then starts its SendPush workflow, which
// finds the devices settled and owns any retry. Sweep, on every worker,
// finishes what a worker that crashed or could not reach Temporal left.
// The delivery lease (pushact.Outbox.Lease) keeps the two paths from ever
// sending one push at once.
type Dispatcher struct {
	Outbox    pushact.Outbox
	Acts      *pushact.Activities
	Temporal  client.Client
	TaskQueue string
	Logger    *slog.Logger
}

// acceptWait is how long Accept waits for the delivery and the workflow's
// start before it answers anyway; the rest goes on after the answer.
const acceptWait = 2 * time.Second

// Accept records req, which the caller has validated (the API answers 400
// naming the field), dispatches it, and returns its workflow id once the
// push was delivered and its workflow started, or after acceptWait,
// whichever comes first. A repeated idempotency key returns the same id and
// sends nothing. An error means the push was not accepted (the outbox could
// not be written).
func (d *Dispatcher) Accept(ctx context.Context, req SendPushRequest) (string, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return "", err
	}
	a, fresh, err := d.Outbox.Accept(ctx, SendPushWorkflowID(req.IdempotencyKey), body)
	if err != nil || !fresh {
		return a.WorkflowID, err
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = d.dispatch(context.WithoutCancel(ctx), a)
	}()
	select {
	case <-done:
	case <-time.After(acceptWait):
	case <-ctx.Done():
	}
	return a.WorkflowID, nil
}

// dispatch delivers an accepted push (unless its TTL has passed) and starts
// its workflow. Every step may run again (a sweep after a crash): the ledger
// skips settled devices and the start finds the running workflow.
func (d *Dispatcher) dispatch(ctx context.Context, a pushact.Accepted) error {
	var req SendPushRequest
	if err := json.Unmarshal(a.Request, &req); err != nil {
		d.Logger.Error("outbox request unreadable", "workflowId", a.WorkflowID, "error", err)
		return nil
	}
	ttl, _ := req.ParseTTL()
	in := pushact.SendPushDelivery{WorkflowID: a.WorkflowID, UserID: req.UserID, Title: req.Title, Body: req.Body,
		Data: req.Data, Deadline: a.AcceptedAt.Add(ttl)}
	if time.Now().Before(in.Deadline) {
		_, err := d.Acts.SendPushDeliver(ctx, in)
		var appErr *temporal.ApplicationError
		if err != nil && !errors.As(err, &appErr) {
			// The database failed: the workflow's attempts go on.
			d.Logger.Warn("push delivery at accept failed", "workflowId", a.WorkflowID, "error", err)
		}
	}
	sctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	if _, err := StartSendPush(sctx, d.Temporal, d.TaskQueue, req); err != nil {
		d.Logger.Warn("SendPush not started yet; the sweep tries again", "workflowId", a.WorkflowID, "error", err)
		return err
	}
	if err := d.Outbox.Started(ctx, a.WorkflowID); err != nil {
		d.Logger.Warn("outbox not updated; the sweep starts the workflow again", "workflowId", a.WorkflowID, "error", err)
	}
	return nil
}

// startTimeout bounds one start of a workflow, so a sweep does not hang on
// a Temporal server that does not answer.
const startTimeout = 10 * time.Second

// sweepEvery and sweepAge: how often a worker looks for pushes left
// unstarted, and how old one must be (older than any dispatch in flight
// normally takes, so a sweep rarely repeats one that is still running).
const (
	sweepEvery = time.Second
	sweepAge   = 10 * time.Second
	sweepBatch = 100
	// pruneEvery: how often a sweep also deletes a batch of rows past
	// retention (pushact.Activities.Prune).
	pruneEvery = 30 * time.Second
)

// Sweep dispatches, until ctx ends, the accepted pushes whose workflow is
// not started: their worker crashed before it could, or Temporal could not
// be reached. Workers sweep at once; the lease and the start's conflict
// policy make that safe.
func (d *Dispatcher) Sweep(ctx context.Context) {
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	pruned := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if time.Since(pruned) >= pruneEvery {
			pruned = time.Now()
			if err := d.Acts.Prune(ctx); err != nil && ctx.Err() == nil {
				d.Logger.Warn("push ledger cleanup failed", "error", err)
			}
		}
		left, err := d.Outbox.Unstarted(ctx, sweepAge, sweepBatch)
		if err != nil {
			if ctx.Err() == nil {
				d.Logger.Warn("outbox sweep failed", "error", err)
			}
			continue
		}
		d.sweep(ctx, left)
	}
}

// sweepParallel is how many pushes a sweep dispatches at once. One at a
// time, a sweep starts pushes at one per round trip to Temporal: after a
// 10-minute outage at 100 pushes/s, 60 000 starts at 20 ms each would take
// 20 minutes to drain. Eight keeps half the default pool for the API.
const sweepParallel = 8

// sweep dispatches left, sweepParallel at a time, and launches no more once
// one fails: Temporal is not answering, and the next sweep tries again.
func (d *Dispatcher) sweep(ctx context.Context, left []pushact.Accepted) {
	var g errgroup.Group
	g.SetLimit(sweepParallel)
	var failed atomic.Bool
	for _, a := range left {
		if failed.Load() {
			break
		}
		g.Go(func() error {
			if d.dispatch(ctx, a) != nil {
				failed.Store(true)
			}
			return nil
		})
	}
	_ = g.Wait()
}
