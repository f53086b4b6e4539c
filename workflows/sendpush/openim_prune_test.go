package sendpush_test

import (
	"context"
	"testing"
	"time"

	"github.com/imshift/imshift/activities/openim"
	"github.com/imshift/imshift/testbed/rigs/sendpushtest"
	"github.com/imshift/imshift/testbed/testenv"
)

// A push that finds a dead FCM token clears it from OpenIM at once, not at
// the next TokenSweep (the rig runs no sweep at all): the user with no other
// token loses it in OpenIM, the user with a live one gets that one instead.
func TestSendPushClearsDeadTokensFromOpenIM(t *testing.T) {
	e := sendpushtest.Start(t)
	lone := e.Register(t, "lone", "fcm", "dead-"+sendpushtest.FCMToken(1))
	e.OpenIM.Provision(t, e.DB, "lone", lone.Token)
	e.Register(t, "pair", "fcm", sendpushtest.FCMToken(2))
	stale := e.Register(t, "pair", "fcm", "dead-"+sendpushtest.FCMToken(3))
	e.OpenIM.Provision(t, e.DB, "pair", stale.Token)

	for _, user := range []string{"lone", "pair"} {
		if _, res, err := run(t, e, otp(user, "otp-"+user)); err != nil || res.Pruned != 1 {
			t.Fatalf("push to %s: %+v, %v", user, res, err)
		}
	}
	testenv.WaitFor(t, "both dead tokens recorded as cleared in OpenIM", func() bool {
		var n int
		err := e.DB.QueryRow(context.Background(), `SELECT count(*) FROM imshift.devices
			WHERE id = ANY($1) AND openim_pruned_at >= invalidated_at`, []int64{lone.ID, stale.ID}).Scan(&n)
		return err == nil && n == 2
	})
	e.OpenIM.Sim.AdvanceClock(2 * time.Second) // a cleared token expires after 1 s
	if tok, ok := e.OpenIM.Sim.FCMToken("lone", openim.PlatformAndroid); ok {
		t.Errorf("OpenIM still holds %q for lone", tok)
	}
	if tok, _ := e.OpenIM.Sim.FCMToken("pair", openim.PlatformAndroid); tok != sendpushtest.FCMToken(2) {
		t.Errorf("OpenIM holds %q for pair, want its live token", tok)
	}
}
