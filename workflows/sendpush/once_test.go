package sendpush_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/imshift/imshift/testbed/rigs/sendpushtest"
	"github.com/imshift/imshift/testbed/testenv"
	"github.com/imshift/imshift/workflows"
	"github.com/imshift/imshift/workflows/sendpush"
)

// One idempotency key pushes each device once, however often and under
// whatever workflow id it is started: a run under another id than the key's
// is refused naming that id, and the key's own id started again after the
// first run ended (the CLI's default reuse policy allows it) finds every
// device settled in the ledger.
func TestSendPushOneKeyPushesEachDeviceOnce(t *testing.T) {
	e := sendpushtest.Start(t)
	a := e.Register(t, "alice", "fcm", sendpushtest.FCMToken(1))
	b := e.Register(t, "alice", "apns", sendpushtest.APNsToken(1))
	req := otp("alice", "otp-once")
	if _, res, err := run(t, e, req); err != nil || res.Sent != 2 {
		t.Fatalf("first run: %+v %v", res, err)
	}
	ctx := context.Background()
	want := sendpush.SendPushWorkflowID(req.IdempotencyKey)
	other, err := e.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "push-other", TaskQueue: e.TaskQueue},
		sendpush.SendPushName, req)
	if err != nil {
		t.Fatal(err)
	}
	assertFailure(t, other.Get(ctx, nil), workflows.ErrInvalidInput, `workflowId: must be "`+want+`"`)
	again, err := e.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: want, TaskQueue: e.TaskQueue,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE}, sendpush.SendPushName, req)
	if err != nil {
		t.Fatal(err)
	}
	var res sendpush.SendPushResult
	if err := again.Get(ctx, &res); err != nil || res.State != sendpush.StateDelivered || res.Sent != 2 {
		t.Fatalf("the key's run started again: %+v %v", res, err)
	}
	deliveredOnce(t, e, "in the end", a, b)
}

// The temporal CLI passes the input through as JSON: a misspelt field and a
// wrong type fail the run at once naming the field, and nothing is pushed.
func TestSendPushStrictInputFromTheTemporalCLI(t *testing.T) {
	e := sendpushtest.Start(t)
	d := e.Register(t, "alice", "fcm", sendpushtest.FCMToken(1))
	for _, c := range []struct{ key, input, want string }{
		{"cli-misspelt", `{"userId":"alice","category":"otp","body":"123456","idempotencyKey":"cli-misspelt","tll":"1m"}`,
			"tll: unknown field"},
		{"cli-wrong-type", `{"userId":"alice","category":"otp","body":"123456","idempotencyKey":"cli-wrong-type","ttl":60}`,
			"ttl: must be a string"},
	} {
		id := sendpush.SendPushWorkflowID(c.key)
		cmd := exec.Command(filepath.Join(testenv.ModuleRoot(), "bin", "temporal"), "workflow", "start",
			"--address", testenv.TemporalAddress(t), "--type", sendpush.SendPushName,
			"--task-queue", e.TaskQueue, "--workflow-id", id, "--input", c.input)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("temporal workflow start: %v\n%s", err, out)
		}
		err := e.Temporal.GetWorkflow(context.Background(), id, "").Get(context.Background(), nil)
		assertFailure(t, err, workflows.ErrInvalidInput, c.want)
	}
	if n := e.FCM.Delivered(d.Token); n != 0 {
		t.Errorf("%d pushes sent by refused runs", n)
	}
}
