package main

import (
	"bytes"
	"testing"
	"time"

	campaignact "github.com/imshift/imshift/activities/campaign"
	"github.com/imshift/imshift/workflows/campaign"
)

func TestRoughly(t *testing.T) {
	for d, want := range map[time.Duration]string{
		1234 * time.Millisecond:                       "1s",
		4*time.Minute + 7400*time.Millisecond:         "4m7s",
		5 * time.Minute:                               "5m",
		2*time.Hour + 14*time.Minute + 40*time.Second: "2h15m",
		3 * time.Hour:                                 "3h",
		26 * time.Hour:                                "26h",
	} {
		if got := roughly(d); got != want {
			t.Errorf("roughly(%v) = %q, want %q", d, got, want)
		}
	}
	if got := roughlyText("2m30.4s"); got != "2m30s" {
		t.Errorf("roughlyText = %q", got)
	}
}

// The status a campaign manager reads: breakdowns in words, largest first,
// no Go maps, the ETA rounded.
func TestPrintProgressReadsAsText(t *testing.T) {
	p := campaign.Progress{
		CampaignID: "spring", State: campaign.CampaignRunning, Targeted: 5180,
		Audience: map[string]int64{"apns": 1666, "fcm": 3514},
		Sent:     2000, Pruned: 12, FailedTotal: 5, Failed: map[string]int64{"transient: INTERNAL": 2, "quota: 429": 3},
		Remaining: 3163, Rate: 499.6, ETA: "6m19.873s",
		Problems: []campaignact.Problem{{Provider: "apns", Reason: "TooManyRequests", Class: "throttled"}},
	}
	var b bytes.Buffer
	printProgress(&b, p)
	want := `campaign   spring
state      running
targeted   5180 (fcm 3514, apns 1666)
sent       2000
pruned     12
failed     5 (quota: 429 3, transient: INTERNAL 2)
deferred   0
remaining  3163
rate       500/s
eta        6m20s
problem    apns TooManyRequests (throttled)
`
	if b.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", b.String(), want)
	}
	b.Reset()
	printProgress(&b, campaign.Progress{CampaignID: "empty", State: campaign.CampaignCompleted, Audience: map[string]int64{}, Failed: map[string]int64{}})
	if want := "targeted   0\n"; !bytes.Contains(b.Bytes(), []byte(want)) || bytes.Contains(b.Bytes(), []byte("map[")) {
		t.Fatalf("empty breakdowns:\n%s", b.String())
	}
}

func TestProgressLineWhilePreparingShowsNoPercent(t *testing.T) {
	if got := progressLine(campaign.Progress{State: campaign.CampaignPreparing}); got != "preparing: counting the audience" {
		t.Fatalf("preparing frame %q", got)
	}
	got := progressLine(campaign.Progress{State: campaign.CampaignRunning, Targeted: 200, Remaining: 150, Sent: 50, Rate: 100, ETA: "1.49s"})
	if want := "[#######-----------------------]  25% running  sent 50  pruned 0  failed 0  deferred 0  remaining 150  100/s  eta 1s"; got != want {
		t.Fatalf("running frame\n%q\nwant\n%q", got, want)
	}
}
