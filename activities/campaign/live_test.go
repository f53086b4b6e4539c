package campaign

import (
	"context"
	"testing"

	"github.com/imshift/imshift/activities/delivery"
	"github.com/imshift/imshift/internal/registry"
	"github.com/imshift/imshift/testbed/testenv"
)

// Each range counts only its own rows of its own campaign.
func TestTallyRanges(t *testing.T) {
	pool, _ := testenv.Database(t)
	ids := seed(t, registry.New(pool), 6)
	l := ledger{delivery.NewLedger(pool)}
	ctx := context.Background()
	rows := []delivery.Entry{
		{DeviceID: ids[0], Provider: "fcm", Outcome: delivery.OutcomeSent},
		{DeviceID: ids[1], Provider: "fcm", Outcome: delivery.OutcomeSent},
		{DeviceID: ids[2], Provider: "fcm", Outcome: delivery.OutcomeRetrying},
		{DeviceID: ids[3], Provider: "fcm", Outcome: delivery.OutcomePruned},
		{DeviceID: ids[4], Provider: "fcm", Outcome: delivery.OutcomeFailed, Reason: "bad"},
	}
	if err := l.Record(ctx, delivery.CampaignSend("c"), rows); err != nil {
		t.Fatal(err)
	}
	if err := l.Record(ctx, delivery.CampaignSend("other"), rows); err != nil {
		t.Fatal(err)
	}
	got, err := l.TallyRanges(ctx, "c", []IDRange{{ids[2], ids[5]}, {ids[0] - 1, ids[2]}, {ids[5], ids[5] + 10}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Pruned != 1 || got[0].Failed["bad"] != 1 || got[0].Sent != 0 ||
		got[1].Sent != 2 || got[1].Settled() != 2 || got[2].Settled() != 0 {
		t.Errorf("tallies = %+v", got)
	}
	none, err := l.TallyRanges(ctx, "c", nil)
	if err != nil || len(none) != 0 {
		t.Errorf("no ranges: %v %v", none, err)
	}
}
