package campaign_test

import (
	"context"
	"testing"
	"time"

	campaignact "github.com/imshift/imshift/activities/campaign"
	"github.com/imshift/imshift/activities/delivery"
	"github.com/imshift/imshift/testbed/rigs/campaigntest"
	"github.com/imshift/imshift/testbed/simulator/apnssim"
	"github.com/imshift/imshift/testbed/simulator/fcmsim"
	"github.com/imshift/imshift/workflows/campaign"
)

// One APNs token answers TooManyRequests and one FCM token UNAVAILABLE on
// every try: each backs off on its own, counts every try, and ends failed
// with its reason at the attempt limit; every other device is delivered
// once, the campaign completes, and nothing provider-wide was touched (no
// APNs hold, no cut of either provider's adaptive rate).
func TestCampaignE2EDeviceThrottledEveryTimeEndsFailedAndHoldsNothing(t *testing.T) {
	r := campaigntest.New(t)
	r.Retry = campaignact.RetryPolicy{First: 20 * time.Millisecond, Max: 100 * time.Millisecond, MaxAttempts: 5}
	r.StartWorker(t, e2eTuning)
	devices := r.Seed(t, campaigntest.SeedSpec{FCM: 100, APNs: 100})
	hotAPNs, hotFCM := devices[150], devices[10]
	if hotAPNs.Provider != "apns" || hotFCM.Provider != "fcm" {
		t.Fatalf("seed order changed: %+v %+v", hotAPNs, hotFCM)
	}
	if err := r.APNs.SetTokenFault(hotAPNs.Token, apnssim.Fault{Status: 429, Reason: "TooManyRequests"}); err != nil {
		t.Fatal(err)
	}
	if err := r.FCM.SetTokenFault(hotFCM.Token, fcmsim.Fault{Status: fcmsim.Unavailable}); err != nil {
		t.Fatal(err)
	}
	p := r.Finish(t, r.Start(t, campaigntest.Spec("hot")))
	want := map[string]int64{"throttled: TooManyRequests": 1, "transient: UNAVAILABLE": 1}
	if p.State != campaign.CampaignCompleted || p.Sent != 198 || p.Failed["throttled: TooManyRequests"] != 1 ||
		p.Failed["transient: UNAVAILABLE"] != 1 {
		t.Errorf("progress = %+v, want 198 sent and failed %v", p, want)
	}
	for _, d := range devices {
		if d == hotAPNs || d == hotFCM {
			continue
		}
		if n := r.Delivered(d); n != 1 {
			t.Errorf("device %d delivered %d times", d.ID, n)
		}
	}
	if tries := r.APNs.Attempts(hotAPNs.Token); tries != 5 {
		t.Errorf("the throttled APNs token was tried %d times, want the attempt limit 5", tries)
	}
	ctx := context.Background()
	var attempts int32
	var outcome string
	err := r.DB.QueryRow(ctx, `SELECT outcome, attempts FROM imshift.push_ledger WHERE send_id = $1 AND device_id = $2`,
		delivery.CampaignSend("hot"), hotAPNs.ID).Scan(&outcome, &attempts)
	if err != nil || outcome != delivery.OutcomeFailed || attempts != 5 {
		t.Errorf("ledger row of the throttled device: %s after %d attempts (%v), want failed after 5", outcome, attempts, err)
	}
	held := r.Redis.Exists(ctx, "imshift:push:apns:throttled", "imshift:push:apns:adaptive", "imshift:push:fcm:adaptive")
	if n, err := held.Result(); err != nil || n != 0 {
		t.Errorf("%d provider-wide holds or rate cuts (%v); a token's throttle is its own", n, err)
	}
}
