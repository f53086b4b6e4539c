package campaign_test

import (
	"strings"
	"testing"
	"time"

	campaignact "github.com/imshift/imshift/activities/campaign"
	"github.com/imshift/imshift/activities/delivery"
	"github.com/imshift/imshift/workflows/campaign"
)

// A campaign that starts, pauses itself on refused credentials, is resumed
// and is cancelled posts each change once, with its reason; the carried
// state of a continued run is not posted again.
func TestCampaignTransitionsAreNotified(t *testing.T) {
	a := newAudience(100)
	refused := true
	a.page = func(in campaignact.PageInput) (campaignact.PageResult, bool) {
		if !refused {
			return campaignact.PageResult{}, false
		}
		return campaignact.PageResult{Stopped: campaignact.StopPaused, Problem: &campaignact.Problem{
			Class: delivery.Credentials, Provider: "apns", Reason: "InvalidProviderToken"}}, true
	}
	env := suiteEnv(t, a, smallTuning)
	env.RegisterDelayedCallback(func() {
		refused = false
		env.SignalWorkflow(campaign.SignalResume, nil)
	}, time.Hour)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(campaign.SignalCancel, campaign.CancelRequest{Reason: "wrong segment"})
	}, time.Hour+2500*time.Millisecond)
	env.ExecuteWorkflow(campaign.PushCampaignName, testCampaign())
	p := result(t, env)

	want := "preparing>running running>paused paused>running running>cancelled"
	if got := strings.Join(a.transitions(), " "); got != want {
		t.Fatalf("notified %s\nwant     %s", got, want)
	}
	paused, cancelled := a.notices[1], a.notices[3]
	if paused.Kind != "campaign" || paused.ID != "unit" || !strings.HasPrefix(paused.Note, "apns refused the campaign: InvalidProviderToken") {
		t.Errorf("paused notice %+v", paused)
	}
	// The share settled when the cancel arrived: pages in flight still finish.
	settled := float64(p.Targeted-p.Remaining) / float64(p.Targeted) * 100
	if cancelled.Note != "wrong segment" || cancelled.Percent > settled || cancelled.Percent == 0 || cancelled.Step != 0 {
		t.Errorf("cancelled notice %+v, settled %v%%", cancelled, settled)
	}
}

func TestCompletedCampaignIsNotified(t *testing.T) {
	a := newAudience(35)
	env := suiteEnv(t, a, smallTuning)
	env.ExecuteWorkflow(campaign.PushCampaignName, testCampaign())
	result(t, env)
	if got := strings.Join(a.transitions(), " "); got != "preparing>running running>completed" {
		t.Fatalf("notified %s", got)
	}
	if last := a.notices[1]; last.Percent != 100 {
		t.Fatalf("completed notice %+v", last)
	}
}
