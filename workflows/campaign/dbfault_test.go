package campaign_test

import (
	"testing"

	"github.com/imshift/imshift/testbed/rigs/campaigntest"
	"github.com/imshift/imshift/testbed/rigs/dbfault"
	"github.com/imshift/imshift/testbed/testenv"
	"github.com/imshift/imshift/workflows/campaign"
)

// Every connection to the test's database is terminated three times during
// a campaign: it completes with each device delivered exactly once. A
// ledger write that fails after the provider acknowledged its pushes is
// retried (delivery.WriteRetry), never given up for a page retry that
// would send them again.
func TestCampaignE2EDatabaseConnectionsKilledNothingDuplicatedNothingLost(t *testing.T) {
	r := campaigntest.New(t)
	r.StartWorker(t, e2eTuning)
	devices := r.Seed(t, campaigntest.SeedSpec{FCM: 400, APNs: 400})
	c := campaigntest.Spec("dbfault")
	c.RatePerSecond = 200 // four seconds of sending
	run := r.Start(t, c)
	for round, at := range []int64{150, 350, 550} {
		testenv.WaitFor(t, "pushes before the next fault", func() bool { return r.TotalDelivered() >= at })
		t.Logf("round %d: %d connections terminated after %d pushes", round+1, dbfault.Terminate(t, r.DBURL), r.TotalDelivered())
	}
	p := r.Finish(t, run)
	if p.State != campaign.CampaignCompleted || p.Sent != int64(len(devices)) {
		t.Errorf("progress = %+v", p)
	}
	lost, twice := 0, 0
	for _, d := range devices {
		switch n := r.Delivered(d); {
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
