package faults_test

import (
	"fmt"
	"testing"

	"github.com/imshift/imshift/testbed/faults/devserver"
	"github.com/imshift/imshift/testbed/faults/report"
	"github.com/imshift/imshift/testbed/rigs/campaigntest"
	"github.com/imshift/imshift/testbed/testenv"
	"github.com/imshift/imshift/workflows/campaign"
)

// The Temporal server SIGKILLed mid-campaign and restarted on the same
// database file: the campaign finishes, every device has its push once.
func TestFaultTemporalKilledMidCampaign(t *testing.T) {
	const fcm, apns = 300, 300
	row := &report.Row{Fault: "Temporal server SIGKILL + restart on its db file",
		Running: "PushCampaign, 600 devices at 50/s", Registered: report.NA}
	report.Record(t, row)
	srv := devserver.Start(t)
	r := campaigntest.New(t)
	r.Temporal = srv.Client(t)
	r.StartWorker(t, campaign.Tuning{PageSize: 25, Window: 2, PlanPages: 4, PagesPerRun: 100})
	devices := r.Seed(t, campaigntest.SeedSpec{FCM: fcm, APNs: apns})
	c := campaigntest.Spec("temporal-killed")
	c.RatePerSecond = 50
	run := r.Start(t, c)

	testenv.WaitFor(t, "a third of the pushes", func() bool { return r.TotalDelivered() >= 200 })
	srv.Kill(t)
	atKill := r.TotalDelivered()
	if atKill >= fcm+apns {
		t.Fatal("the campaign had finished before the kill: the test proves nothing")
	}
	srv.Restart(t)
	p := r.Finish(t, run)

	row.Delivered, row.Duplicated, row.Lost = tally(r, devices)
	row.Outcome = fmt.Sprintf("killed at %d delivered; campaign %s", atKill, p.State)
	if row.Lost != 0 || row.Duplicated != 0 || p.Sent != fcm+apns {
		t.Fatalf("after the restart: %d lost, %d duplicated, progress %+v", row.Lost, row.Duplicated, p)
	}
}

// tally counts the devices that got their push, the extra pushes, and the
// devices that got none.
func tally(r *campaigntest.Rig, devices []campaigntest.Device) (delivered, duplicated, lost int) {
	for _, d := range devices {
		switch n := r.Delivered(d); {
		case n == 0:
			lost++
		default:
			delivered++
			duplicated += n - 1
		}
	}
	return delivered, duplicated, lost
}
