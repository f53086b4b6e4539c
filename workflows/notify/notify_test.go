package notify_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	notifyact "github.com/imshift/imshift/activities/notify"
	"github.com/imshift/imshift/internal/config"
	"github.com/imshift/imshift/testbed/testenv"
	"github.com/imshift/imshift/workflows/notify"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const secret = "test-secret-0123456789abcdef0123456789"

// parent stands in for TrafficMigration and PushCampaign: it posts each
// event at a transition, then ends at once.
func parent(ctx workflow.Context, events []notifyact.Event) error {
	var n notify.Notifier
	for _, e := range events {
		n.Post(ctx, e)
	}
	return nil
}

// received is one request as the receiver saw it.
type received struct {
	status             int
	eventID, signature string
	body               []byte
}

// receiver is a real HTTP webhook receiver. It answers 503 with
// Retry-After: 1 while down is set.
type receiver struct {
	*httptest.Server
	mu   sync.Mutex
	down bool
	got  chan received
}

func newReceiver(t *testing.T, down bool) *receiver {
	r := &receiver{down: down, got: make(chan received, 100)}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		status := http.StatusNoContent
		if r.down {
			status = http.StatusServiceUnavailable
			w.Header().Set("Retry-After", "1")
		}
		r.mu.Unlock()
		w.WriteHeader(status)
		r.got <- received{status, req.Header.Get(notifyact.HeaderEventID), req.Header.Get(notifyact.HeaderSignature), body}
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) setDown(down bool) {
	r.mu.Lock()
	r.down = down
	r.mu.Unlock()
}

// next waits for the next request; the deadline only guards a hung test.
func (r *receiver) next(t *testing.T) received {
	t.Helper()
	select {
	case got := <-r.got:
		return got
	case <-time.After(time.Minute):
		t.Fatal("no request reached the receiver")
		return received{}
	}
}

type rig struct {
	c  client.Client
	tq string
}

// start runs a worker with the Notification workflow posting to urls
// through hc, and the parent.
func start(t *testing.T, urls []string, hc *http.Client) *rig {
	c := testenv.Temporal(t)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	tq := "notify-test-" + hex.EncodeToString(b)
	w := worker.New(c, tq, worker.Options{})
	notify.Register(w, notifyact.New(config.Notify{WebhookURLs: urls, Secret: secret}, hc))
	w.RegisterWorkflowWithOptions(parent, workflow.RegisterOptions{Name: "NotifyTestParent"})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	return &rig{c: c, tq: tq}
}

// run starts the parent with events and waits for it to complete.
func (r *rig) run(t *testing.T, events ...notifyact.Event) client.WorkflowRun {
	t.Helper()
	ctx := context.Background()
	run, err := r.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: r.tq + "-parent", TaskQueue: r.tq}, "NotifyTestParent", events)
	if err != nil {
		t.Fatal(err)
	}
	if err := run.Get(ctx, nil); err != nil {
		t.Fatalf("parent: %v", err)
	}
	t.Cleanup(func() { r.terminateChildren(run, events) })
	return run
}

// terminateChildren stops notifications still retrying when the test ends.
func (r *rig) terminateChildren(run client.WorkflowRun, events []notifyact.Event) {
	for i, e := range events {
		_ = r.c.TerminateWorkflow(context.Background(), childID(run, e, i+1), "", "test over")
	}
}

// childID is the seq-th event's id, spelled out as receivers see it.
func childID(run client.WorkflowRun, e notifyact.Event, seq int) string {
	return fmt.Sprintf("notify-%s-%s-%s-%d", e.Kind, e.ID, run.GetRunID(), seq)
}

func pausedEvent() notifyact.Event {
	return notifyact.Event{Kind: "migration", ID: "m1", State: "paused", PreviousState: "baking", Step: 2, Percent: 10, Note: "on-call handover"}
}

func TestEventsArriveWithTheirFieldsAndAValidSignature(t *testing.T) {
	recv := newReceiver(t, false)
	r := start(t, []string{recv.URL + "/hooks/imshift"}, nil)
	completed := notifyact.Event{Kind: "campaign", ID: "spring", State: "completed", PreviousState: "running", Percent: 100}
	paused := pausedEvent()
	run := r.run(t, paused, completed)

	byState := map[string]map[string]any{}
	for range 2 {
		got := recv.next(t)
		if want := notifyact.Sign([]byte(secret), got.body); got.signature != want {
			t.Errorf("signature %q, want %q", got.signature, want)
		}
		var fields map[string]any
		if err := json.Unmarshal(got.body, &fields); err != nil {
			t.Fatalf("body %s: %v", got.body, err)
		}
		if len(fields) != 9 {
			t.Errorf("body has %d fields, want the 9 of the contract: %s", len(fields), got.body)
		}
		if fields["eventId"] != got.eventID {
			t.Errorf("header event id %q, body %v", got.eventID, fields["eventId"])
		}
		byState[fields["state"].(string)] = fields
	}
	p, c := byState["paused"], byState["completed"]
	if p == nil || c == nil {
		t.Fatalf("events received: %v", byState)
	}
	want := map[string]any{"eventId": childID(run, paused, 1), "kind": "migration", "id": "m1", "previousState": "baking",
		"step": float64(2), "percent": float64(10), "note": "on-call handover"}
	for k, v := range want {
		if p[k] != v {
			t.Errorf("paused event %s = %v, want %v", k, p[k], v)
		}
	}
	if c["eventId"] != childID(run, completed, 2) || c["kind"] != "campaign" || c["step"] != float64(0) {
		t.Errorf("completed event: %v", c)
	}
	if at, err := time.Parse(time.RFC3339Nano, p["at"].(string)); err != nil || at.IsZero() {
		t.Errorf("at %v: %v", p["at"], err)
	}
}

// A receiver that refuses connections and one that answers 503 do not
// hold up the parent: it completes while both deliveries are still
// retrying. Once the second receiver is back the same event arrives.
func TestReceiverDownDoesNotDelayTheWorkflow(t *testing.T) {
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadURL := "http://" + dead.Addr().String() + "/hook"
	dead.Close()
	busy := newReceiver(t, true)
	r := start(t, []string{deadURL, busy.URL}, nil)
	paused := pausedEvent()
	run := r.run(t, paused) // returns: the parent completed

	first, second := busy.next(t), busy.next(t) // retried, after Retry-After
	if first.status != http.StatusServiceUnavailable || second.eventID != first.eventID {
		t.Fatalf("attempts: %+v then %+v", first, second)
	}
	desc, err := r.c.DescribeWorkflowExecution(context.Background(), childID(run, paused, 1), "")
	if err != nil {
		t.Fatal(err)
	}
	if s := desc.GetWorkflowExecutionInfo().GetStatus(); s != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		t.Fatalf("notification %v while its receivers are down, want running", s)
	}
	busy.setDown(false)
	for got := busy.next(t); got.status != http.StatusNoContent; got = busy.next(t) {
		if got.eventID != first.eventID {
			t.Fatalf("event id changed on retry: %q, then %q", first.eventID, got.eventID)
		}
	}
}

func TestSlackGetsItsOwnShape(t *testing.T) {
	recv := newReceiver(t, false)
	// hooks.slack.com resolves to the receiver: the real URL parsing and
	// shape choice, a local listener.
	hc := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, recv.Listener.Addr().String())
		},
	}}
	r := start(t, []string{"http://hooks.slack.com/services/T000/B000/XXXX"}, hc)
	e := notifyact.Event{Kind: "migration", ID: "m1", State: "rolled_back", PreviousState: "rolling_back", Step: 2, Percent: 10,
		Note: "automatic rollback: openim online ratio 0.42 < 0.9"}
	r.run(t, e)

	got := recv.next(t)
	var body map[string]string
	if err := json.Unmarshal(got.body, &body); err != nil || len(body) != 1 {
		t.Fatalf("Slack body %s: %v", got.body, err)
	}
	want := "imshift migration m1: rolled_back (was rolling_back), step 2, 10%: automatic rollback: openim online ratio 0.42 < 0.9"
	if body["text"] != want {
		t.Fatalf("text %q\nwant %q", body["text"], want)
	}
	if !strings.HasPrefix(got.eventID, "notify-") {
		t.Fatalf("event id header %q", got.eventID)
	}
}
