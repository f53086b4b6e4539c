package sendpush_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/imshift/imshift/testbed/rigs/dbfault"
	"github.com/imshift/imshift/testbed/rigs/sendpushtest"
	"github.com/imshift/imshift/workflows/sendpush"
)

// Every connection to the test's database is terminated three times while
// SendPush workflows deliver: each device still gets its push exactly once
// (the ledger write after an acknowledged send is retried, never given up
// for a resend).
func TestSendPushDatabaseConnectionsKilledNothingDuplicatedNothingLost(t *testing.T) {
	e := sendpushtest.Start(t)
	e.FCM.SetLatency(40 * time.Millisecond)
	e.APNs.SetLatency(40 * time.Millisecond)
	const users = 60
	type device struct{ provider, token string }
	var devices []device
	for i := range users {
		user := fmt.Sprintf("u%d", i)
		e.Register(t, user, "fcm", sendpushtest.FCMToken(i))
		e.Register(t, user, "apns", sendpushtest.APNsToken(i))
		devices = append(devices, device{"fcm", sendpushtest.FCMToken(i)}, device{"apns", sendpushtest.APNsToken(i)})
	}
	delivered := func() int64 { return e.FCM.Counters().Sent + e.APNs.Counters().Delivered }
	ctx := context.Background()
	ids := make([]string, users)
	for i := range users {
		id, err := sendpush.StartSendPush(ctx, e.Temporal, e.TaskQueue, otp(fmt.Sprintf("u%d", i), fmt.Sprintf("dbfault-%d", i)))
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
		if i%20 == 10 { // mid-stream, while pushes are in flight
			t.Logf("round %d: %d connections terminated after %d pushes", i/20+1, dbfault.Terminate(t, e.DBURL), delivered())
		}
	}
	for i, id := range ids {
		var res sendpush.SendPushResult
		if err := e.Temporal.GetWorkflow(ctx, id, "").Get(ctx, &res); err != nil {
			t.Fatalf("push %d: %v", i, err)
		}
		if res.State != sendpush.StateDelivered || res.Sent != 2 {
			t.Errorf("push %d: %+v", i, res)
		}
	}
	lost, twice := 0, 0
	for _, d := range devices {
		n := e.FCM.Delivered(d.token)
		if d.provider == "apns" {
			n = e.APNs.Delivered(d.token)
		}
		switch {
		case n == 0:
			lost++
		case n > 1:
			twice++
		}
	}
	if lost != 0 || twice != 0 {
		t.Errorf("%d devices lost, %d duplicated", lost, twice)
	}
}
