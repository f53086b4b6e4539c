package sendpush_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	pushact "github.com/imshift/imshift/activities/sendpush"
	"github.com/imshift/imshift/internal/registry"
	"github.com/imshift/imshift/testbed/faults/tcpproxy"
	"github.com/imshift/imshift/testbed/rigs/sendpushtest"
	"github.com/imshift/imshift/testbed/testenv"
	"github.com/imshift/imshift/workflows/sendpush"
)

// result waits for the SendPush run of id (started by a dispatcher, maybe
// later) and returns its result.
func result(t *testing.T, e *sendpushtest.Env, id string) sendpush.SendPushResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	testenv.WaitFor(t, "the SendPush run of "+id, func() bool {
		_, err := e.Temporal.DescribeWorkflowExecution(ctx, id, "")
		return err == nil
	})
	var res sendpush.SendPushResult
	if err := e.Temporal.GetWorkflow(ctx, id, "").Get(ctx, &res); err != nil {
		t.Fatalf("SendPush %s: %v", id, err)
	}
	return res
}

// The API's way in sends the push before it answers and starts the key's
// SendPush, which finds every device settled; the same key again answers
// the same id and sends nothing; the outbox keeps the key but not the
// message once the workflow holds it.
func TestAcceptDeliversThenStartsTheWorkflow(t *testing.T) {
	e := sendpushtest.Start(t)
	a := e.Register(t, "alice", "fcm", sendpushtest.FCMToken(1))
	b := e.Register(t, "alice", "apns", sendpushtest.APNsToken(1))
	ctx := context.Background()
	req := otp("alice", "accept-1")
	id, err := e.Pushes.Accept(ctx, req)
	if err != nil || id != sendpush.SendPushWorkflowID(req.IdempotencyKey) {
		t.Fatalf("Accept: %q %v", id, err)
	}
	deliveredOnce(t, e, "at the answer", a, b)
	if res := result(t, e, id); res.State != sendpush.StateDelivered || res.Sent != 2 {
		t.Fatalf("SendPush: %+v", res)
	}
	if again, err := e.Pushes.Accept(ctx, req); err != nil || again != id {
		t.Fatalf("the same key again: %q %v", again, err)
	}
	deliveredOnce(t, e, "after the repeat", a, b)
	var kept bool
	if err := e.DB.QueryRow(ctx, `SELECT request IS NULL AND started_at IS NOT NULL FROM imshift.push_outbox
		WHERE workflow_id = $1`, id).Scan(&kept); err != nil || !kept {
		t.Fatalf("outbox row: started without the request = %v, %v", kept, err)
	}
}

// An OTP goes out while Temporal does not answer (the dispatcher's client
// behind a frozen proxy): the answer comes within the dispatcher's wait,
// the push is delivered before its workflow exists, and once Temporal
// answers again a sweep starts the workflow, which sends nothing more.
func TestFaultAcceptDeliversWhileTemporalIsFrozen(t *testing.T) {
	e := sendpushtest.Start(t)
	a := e.Register(t, "bob", "fcm", sendpushtest.FCMToken(2))
	b := e.Register(t, "bob", "apns", sendpushtest.APNsToken(2))
	proxy, err := tcpproxy.Start(testenv.TemporalAddress(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)
	frozen, err := client.Dial(client.Options{HostPort: proxy.Addr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(frozen.Close)
	d := &sendpush.Dispatcher{Outbox: e.Pushes.Outbox, Acts: e.Pushes.Acts, Temporal: frozen,
		TaskQueue: e.TaskQueue, Logger: slog.Default()}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go d.Sweep(ctx)

	proxy.Freeze()
	id, err := d.Accept(ctx, otp("bob", "frozen-1"))
	if err != nil {
		t.Fatalf("Accept with Temporal frozen: %v", err)
	}
	deliveredOnce(t, e, "with Temporal frozen", a, b)
	var notFound *serviceerror.NotFound
	if _, err := e.Temporal.DescribeWorkflowExecution(ctx, id, ""); !errors.As(err, &notFound) {
		t.Fatalf("the workflow exists before Temporal answered the dispatcher: %v", err)
	}
	proxy.Thaw()
	if res := result(t, e, id); res.State != sendpush.StateDelivered || res.Sent != 2 {
		t.Fatalf("SendPush after the thaw: %+v", res)
	}
	deliveredOnce(t, e, "in the end", a, b)
}

// A push accepted by a worker that died before it could deliver (its
// outbox row and nothing else) is delivered once by another worker's sweep,
// which starts its workflow.
func TestSweepFinishesAPushAcceptedByAWorkerThatDied(t *testing.T) {
	e := sendpushtest.Start(t)
	a := e.Register(t, "carol", "fcm", sendpushtest.FCMToken(3))
	req := otp("carol", "orphan-1")
	body, _ := json.Marshal(req)
	id := sendpush.SendPushWorkflowID(req.IdempotencyKey)
	if _, fresh, err := e.Pushes.Outbox.Accept(context.Background(), id, body); err != nil || !fresh {
		t.Fatalf("outbox: %v %v", fresh, err)
	}
	if res := result(t, e, id); res.State != sendpush.StateDelivered || res.Sent != 1 {
		t.Fatalf("SendPush started by the sweep: %+v", res)
	}
	if n := e.FCM.Delivered(a.Token); n != 1 {
		t.Fatalf("delivered %d, want 1", n)
	}
}

// Attempts of one push at once (the API's, a sweep's, the workflow's, a
// timed-out attempt and its retry) never send it twice: one holds the
// lease, the others are refused with AttemptInFlight or find it settled.
func TestAttemptsOfOnePushAtOnceSendOnce(t *testing.T) {
	e := sendpushtest.Start(t)
	a := e.Register(t, "dave", "fcm", sendpushtest.FCMToken(4))
	b := e.Register(t, "dave", "apns", sendpushtest.APNsToken(4))
	e.FCM.SetLatency(200 * time.Millisecond)
	in := pushact.SendPushDelivery{WorkflowID: sendpush.SendPushWorkflowID("racing-1"), UserID: "dave",
		Title: "Code", Body: "1", Deadline: time.Now().Add(time.Minute)}
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() { _, errs[i] = e.Pushes.Acts.SendPushDeliver(context.Background(), in) })
	}
	wg.Wait()
	refused := 0
	for _, err := range errs {
		if err != nil && !isInFlight(err) {
			t.Fatalf("attempt: %v", err)
		}
		if err != nil {
			refused++
		}
	}
	if refused == 0 {
		t.Errorf("no attempt met another holding the push")
	}
	deliveredOnce(t, e, "in the end", a, b)
}

func isInFlight(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.Type() == pushact.ErrAttemptInFlight
}

// Prune deletes SendPush ledger and outbox rows a day old and leaves
// campaign rows and fresh ones.
func TestPruneDeletesPushRowsPastRetention(t *testing.T) {
	e := sendpushtest.Start(t)
	ctx := context.Background()
	_, err := e.DB.Exec(ctx, `
		INSERT INTO imshift.push_ledger (send_id, device_id, provider, outcome, attempts, updated_at) VALUES
		  ('push:old', 1, 'fcm', 'sent', 1, now() - interval '25 hours'),
		  ('push:new', 1, 'fcm', 'sent', 1, now()),
		  ('campaign:old', 1, 'fcm', 'sent', 1, now() - interval '25 hours');
		INSERT INTO imshift.push_outbox (workflow_id, accepted_at) VALUES
		  ('push-old', now() - interval '25 hours'), ('push-new', now())`)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Pushes.Acts.Prune(ctx); err != nil {
		t.Fatal(err)
	}
	var left string
	err = e.DB.QueryRow(ctx, `SELECT string_agg(id, ' ' ORDER BY id) FROM (
		SELECT send_id AS id FROM imshift.push_ledger UNION ALL SELECT workflow_id FROM imshift.push_outbox) x`).Scan(&left)
	if err != nil || left != "campaign:old push-new push:new" {
		t.Fatalf("left after Prune: %q %v", left, err)
	}
}

// deliveredOnce fails unless the simulators delivered exactly one push to
// the FCM device fcm and one to the APNs device apns (by when).
func deliveredOnce(t *testing.T, e *sendpushtest.Env, when string, fcm, apns registry.Device) {
	t.Helper()
	if f, a := e.FCM.Delivered(fcm.Token), e.APNs.Delivered(apns.Token); f != 1 || a != 1 {
		t.Fatalf("%s: delivered fcm=%d apns=%d, want 1 each", when, f, a)
	}
}
