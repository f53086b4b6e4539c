package campaign_test

import (
	"context"
	"testing"
	"time"

	"github.com/imshift/imshift/activities/openim"
	"github.com/imshift/imshift/testbed/rigs/campaigntest"
	"github.com/imshift/imshift/testbed/testenv"
)

// A campaign page that finds dead FCM tokens clears them from OpenIM at
// once, not at the next TokenSweep (the rig runs no sweep at all), and
// leaves the live tokens OpenIM holds alone.
func TestCampaignClearsDeadTokensFromOpenIM(t *testing.T) {
	r := campaigntest.New(t)
	r.StartWorker(t, e2eTuning)
	// gone0 and gone1 have dead tokens; gone0 and gone2 are on OpenIM.
	devices := r.Seed(t, campaigntest.SeedSpec{FCM: 3, DeadFCM: 2, User: "gone"})
	r.OpenIM.Provision(t, r.DB, "gone0", devices[0].Token)
	r.OpenIM.Provision(t, r.DB, "gone2", devices[2].Token)

	if p := r.Finish(t, r.Start(t, campaigntest.Spec("prune"))); p.Pruned != 2 || p.Sent != 1 {
		t.Fatalf("progress = %+v", p)
	}
	testenv.WaitFor(t, "both dead tokens recorded as cleared in OpenIM", func() bool {
		var n int
		err := r.DB.QueryRow(context.Background(), `SELECT count(*) FROM imshift.devices
			WHERE invalidated_at IS NOT NULL AND openim_pruned_at >= invalidated_at`).Scan(&n)
		return err == nil && n == 2
	})
	r.OpenIM.Sim.AdvanceClock(2 * time.Second) // a cleared token expires after 1 s
	if tok, ok := r.OpenIM.Sim.FCMToken("gone0", openim.PlatformAndroid); ok {
		t.Errorf("OpenIM still holds %q for gone0", tok)
	}
	if tok, _ := r.OpenIM.Sim.FCMToken("gone2", openim.PlatformAndroid); tok != devices[2].Token {
		t.Errorf("OpenIM holds %q for gone2, want its live token untouched", tok)
	}
}
