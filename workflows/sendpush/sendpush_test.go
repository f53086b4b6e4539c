package sendpush_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/imshift/imshift/activities/delivery"
	pushact "github.com/imshift/imshift/activities/sendpush"
	"github.com/imshift/imshift/internal/registry"
	"github.com/imshift/imshift/testbed/rigs/sendpushtest"
	"github.com/imshift/imshift/testbed/simulator/apnssim"
	"github.com/imshift/imshift/testbed/simulator/fcmsim"
	"github.com/imshift/imshift/testbed/testenv"
	"github.com/imshift/imshift/workflows"
	"github.com/imshift/imshift/workflows/sendpush"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func otp(user, key string) sendpush.SendPushRequest {
	return sendpush.SendPushRequest{UserID: user, Category: sendpush.CategoryOTP, Title: "Code", Body: "Your code is 123456",
		Data: map[string]string{"kind": "otp"}, TTL: "1m", IdempotencyKey: key}
}

// run starts req and waits for its end.
func run(t *testing.T, e *sendpushtest.Env, req sendpush.SendPushRequest) (string, sendpush.SendPushResult, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	id, err := sendpush.StartSendPush(ctx, e.Temporal, e.TaskQueue, req)
	if err != nil {
		t.Fatal(err)
	}
	var res sendpush.SendPushResult
	err = e.Temporal.GetWorkflow(ctx, id, "").Get(ctx, &res)
	return id, res, err
}

func outcomes(res sendpush.SendPushResult) map[int64]pushact.DeviceOutcome {
	m := map[int64]pushact.DeviceOutcome{}
	for _, o := range res.Devices {
		m[o.DeviceID] = o
	}
	return m
}

func TestSendPushDeliversOncePerDeviceAndKeepsTokensOutOfHistory(t *testing.T) {
	e := sendpushtest.Start(t)
	a := e.Register(t, "alice", "fcm", sendpushtest.FCMToken(1))
	b := e.Register(t, "alice", "apns", sendpushtest.APNsToken(1))
	other := e.Register(t, "bob", "fcm", sendpushtest.FCMToken(2))
	id, res, err := run(t, e, otp("alice", "otp-1"))
	if err != nil {
		t.Fatal(err)
	}
	if res.State != sendpush.StateDelivered || res.Sent != 2 || len(res.Devices) != 2 {
		t.Fatalf("result %+v", res)
	}
	for _, d := range []registry.Device{a, b} {
		if o := outcomes(res)[d.ID]; o.Outcome != delivery.OutcomeSent || o.Provider != d.Provider || o.MessageID == "" {
			t.Fatalf("device %d: %+v", d.ID, o)
		}
	}
	if e.FCM.Delivered(a.Token) != 1 || e.APNs.Delivered(b.Token) != 1 || e.FCM.Delivered(other.Token) != 0 {
		t.Fatalf("delivered fcm=%d apns=%d other=%d", e.FCM.Delivered(a.Token), e.APNs.Delivered(b.Token), e.FCM.Delivered(other.Token))
	}
	assertHistoryHasNo(t, e, id, a.Token, b.Token)
	assertState(t, e, id, sendpush.StateDelivered)
}

func assertHistoryHasNo(t *testing.T, e *sendpushtest.Env, id string, secrets ...string) {
	t.Helper()
	it := e.Temporal.GetWorkflowHistory(context.Background(), id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	events := 0
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		events++
		for _, s := range secrets {
			if strings.Contains(ev.String(), s) {
				t.Fatalf("event %d (%s) holds a device token", ev.GetEventId(), ev.GetEventType())
			}
		}
	}
	if events == 0 {
		t.Fatal("empty history")
	}
}

func assertState(t *testing.T, e *sendpushtest.Env, id, state string) {
	t.Helper()
	desc, err := e.Temporal.DescribeWorkflow(context.Background(), id, "")
	if err != nil {
		t.Fatal(err)
	}
	sa := desc.TypedSearchAttributes
	kind, _ := sa.GetKeyword(temporal.NewSearchAttributeKeyKeyword("ImshiftKind"))
	got, _ := sa.GetKeyword(temporal.NewSearchAttributeKeyKeyword("ImshiftState"))
	if kind != "push" || got != state {
		t.Fatalf("search attributes kind=%q state=%q, want push/%s", kind, got, state)
	}
}

func TestSendPushPrunesDeadTokens(t *testing.T) {
	e := sendpushtest.Start(t)
	live := e.Register(t, "alice", "fcm", sendpushtest.FCMToken(1))
	deadFCM := e.Register(t, "alice", "fcm", "dead-"+sendpushtest.FCMToken(2))
	deadAPNs := e.Register(t, "alice", "apns", sendpushtest.APNsToken(3))
	if err := e.APNs.SetTokenFault(deadAPNs.Token, apnssim.Fault{Status: 410, Reason: "Unregistered"}); err != nil {
		t.Fatal(err)
	}
	_, res, err := run(t, e, otp("alice", "otp-dead"))
	if err != nil {
		t.Fatal(err)
	}
	got := outcomes(res)
	if res.State != sendpush.StateDelivered || res.Sent != 1 || res.Pruned != 2 ||
		got[deadFCM.ID].Reason != "UNREGISTERED" || got[deadAPNs.ID].Reason != "Unregistered" || got[live.ID].Outcome != delivery.OutcomeSent {
		t.Fatalf("result %+v", res)
	}
	list, err := e.Registry.ListByUser(context.Background(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range list {
		dead := d.ID != live.ID
		if (d.InvalidatedAt != nil) != dead || (dead && d.InvalidReason == "") {
			t.Fatalf("device %d invalidated=%v reason=%q", d.ID, d.InvalidatedAt, d.InvalidReason)
		}
	}
	// A second push leaves the pruned devices alone.
	if _, res, err = run(t, e, otp("alice", "otp-dead-2")); err != nil || res.Sent != 1 || len(res.Devices) != 1 {
		t.Fatalf("second push %+v, %v", res, err)
	}
	if n := e.APNs.Attempts(deadAPNs.Token); n != 1 {
		t.Fatalf("dead APNs token tried %d times", n)
	}
}

func TestSendPushRetriesTransientErrorsAndDeliversOnce(t *testing.T) {
	e := sendpushtest.Start(t)
	flaky := e.Register(t, "alice", "apns", sendpushtest.APNsToken(1))
	steady := e.Register(t, "alice", "fcm", sendpushtest.FCMToken(1))
	throttled := e.Register(t, "alice", "fcm", sendpushtest.FCMToken(2))
	if err := e.APNs.SetTokenFault(flaky.Token, apnssim.Fault{Status: 503, Reason: "ServiceUnavailable", Remaining: 2}); err != nil {
		t.Fatal(err)
	}
	if err := e.FCM.SetTokenFault(throttled.Token, fcmsim.Fault{Status: fcmsim.QuotaExceeded, Remaining: 1, RetryAfter: time.Second}); err != nil {
		t.Fatal(err)
	}
	_, res, err := run(t, e, otp("alice", "otp-flaky"))
	if err != nil {
		t.Fatal(err)
	}
	if res.State != sendpush.StateDelivered || res.Sent != 3 {
		t.Fatalf("result %+v", res)
	}
	if d, a := e.APNs.Delivered(flaky.Token), e.APNs.Attempts(flaky.Token); d != 1 || a != 3 {
		t.Fatalf("flaky device: delivered %d in %d attempts, want 1 in 3", d, a)
	}
	// Sent on the first attempt, and not again on the two retries.
	if n := e.FCM.Delivered(steady.Token); n != 1 {
		t.Fatalf("steady device delivered %d times", n)
	}
	if n := e.FCM.Delivered(throttled.Token); n != 1 {
		t.Fatalf("throttled device delivered %d times", n)
	}
}

func TestSendPushSameKeyStartsOneWorkflow(t *testing.T) {
	e := sendpushtest.Start(t)
	d := e.Register(t, "alice", "fcm", sendpushtest.FCMToken(1))
	ctx := context.Background()
	req := otp("alice", "same-key")
	first, err := sendpush.StartSendPush(ctx, e.Temporal, e.TaskQueue, req)
	if err != nil {
		t.Fatal(err)
	}
	second, err := sendpush.StartSendPush(ctx, e.Temporal, e.TaskQueue, req)
	if err != nil || second != first {
		t.Fatalf("second start: %q, %v; want %q", second, err, first)
	}
	if err := e.Temporal.GetWorkflow(ctx, first, "").Get(ctx, nil); err != nil {
		t.Fatal(err)
	}
	// After completion the key is still taken: no second run, no second push.
	third, err := sendpush.StartSendPush(ctx, e.Temporal, e.TaskQueue, req)
	if err != nil || third != first {
		t.Fatalf("start after completion: %q, %v", third, err)
	}
	if n := runs(t, e, first); n != 1 {
		t.Fatalf("%d runs for one key", n)
	}
	if n := e.FCM.Delivered(d.Token); n != 1 {
		t.Fatalf("delivered %d times", n)
	}
}

// runs counts the executions visibility lists for id, waiting for the
// asynchronous visibility store to show at least one.
func runs(t *testing.T, e *sendpushtest.Env, id string) int {
	t.Helper()
	n := 0
	testenv.WaitFor(t, "the visibility store to list "+id, func() bool {
		resp, err := e.Temporal.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{
			Query: "WorkflowId = '" + id + "'",
		})
		if err != nil {
			t.Fatal(err)
		}
		n = len(resp.Executions)
		return n > 0
	})
	return n
}

func TestSendPushFailsFastOnCredentials(t *testing.T) {
	e := sendpushtest.Start(t)
	d := e.Register(t, "alice", "apns", sendpushtest.APNsToken(1))
	if err := e.APNs.SetTokenFault(d.Token, apnssim.Fault{Status: 403, Reason: "InvalidProviderToken"}); err != nil {
		t.Fatal(err)
	}
	id, _, err := run(t, e, otp("alice", "otp-creds"))
	res := assertFailure(t, err, workflows.ErrCredentials, "InvalidProviderToken")
	if res.Failed != 1 || res.Devices[0].Class != "credentials" {
		t.Fatalf("details %+v", res)
	}
	if n := e.APNs.Attempts(d.Token); n != 1 {
		t.Fatalf("credentials failure retried: %d attempts", n)
	}
	assertState(t, e, id, sendpush.StateFailed)
}

func TestSendPushGivesUpWhenTheTTLPasses(t *testing.T) {
	e := sendpushtest.Start(t)
	d := e.Register(t, "alice", "apns", sendpushtest.APNsToken(1))
	if err := e.APNs.SetTokenFault(d.Token, apnssim.Fault{Status: 500, Reason: "InternalServerError"}); err != nil {
		t.Fatal(err)
	}
	req := otp("alice", "otp-ttl")
	req.TTL = "3s"
	_, _, err := run(t, e, req)
	res := assertFailure(t, err, workflows.ErrTTLExpired, "InternalServerError")
	if res.Failed != 1 || res.Devices[0].DeviceID != d.ID || e.APNs.Delivered(d.Token) != 0 || e.APNs.Attempts(d.Token) < 2 {
		t.Fatalf("details %+v, attempts %d", res, e.APNs.Attempts(d.Token))
	}
}

func TestSendPushWithoutDevices(t *testing.T) {
	e := sendpushtest.Start(t)
	_, res, err := run(t, e, otp("nobody", "otp-none"))
	if err != nil || res.State != sendpush.StateNoDevices || len(res.Devices) != 0 {
		t.Fatalf("%+v, %v", res, err)
	}
}

func TestSendPushRefusesInvalidInput(t *testing.T) {
	e := sendpushtest.Start(t)
	ctx := context.Background()
	bad := otp("alice", "otp-bad")
	bad.Category = "marketing"
	run, err := e.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: e.TaskQueue}, sendpush.SendPushName, bad)
	if err != nil {
		t.Fatal(err)
	}
	assertFailure(t, run.Get(ctx, nil), workflows.ErrInvalidInput, "category")
}

// assertFailure checks a failed SendPush's error type and message and
// returns the result carried in its details.
func assertFailure(t *testing.T, err error, kind, mention string) sendpush.SendPushResult {
	t.Helper()
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != kind || !strings.Contains(appErr.Error(), mention) || !appErr.NonRetryable() {
		t.Fatalf("got %v, want a non-retryable %s naming %q", err, kind, mention)
	}
	var res sendpush.SendPushResult
	if appErr.HasDetails() {
		if err := appErr.Details(&res); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := json.Marshal(res)
	t.Logf("result: %s", b)
	return res
}

// The Temporal UI shows what a SendPush is and how it ended without a
// query: the start's summary, the workflow's current details and the
// delivery activity's summary, as `temporal workflow describe` and
// `metadata` print them and the history holds them.
func TestSendPushShowsWhatItIsInTheTemporalUI(t *testing.T) {
	e := sendpushtest.Start(t)
	e.Register(t, "carol", "fcm", sendpushtest.FCMToken(3))
	id, _, err := run(t, e, otp("carol", "ui-1"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	checks := []struct{ verb, want string }{
		{"describe", `"summary": "otp push to user carol, ttl 1m0s"`},
		{"metadata", `"currentDetails": "**delivered** · sent 1 · pruned 0 · failed 0"`},
	}
	for _, c := range checks {
		if out := testenv.TemporalCLI(ctx, t, "workflow", c.verb, "--workflow-id", id, "-o", "json"); !strings.Contains(out, c.want) {
			t.Errorf("temporal workflow %s lacks %s:\n%s", c.verb, c.want, out)
		}
	}
	summaries := testenv.EventSummaries(ctx, t, e.Temporal, id, "")
	if !slices.Contains(summaries, "deliver to every valid device of user carol") {
		t.Errorf("event summaries %q lack the delivery's", summaries)
	}
}
