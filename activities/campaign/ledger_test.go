package campaign

import (
	"context"
	"testing"
	"time"

	"github.com/imshift/imshift/activities/delivery"
	"github.com/imshift/imshift/internal/registry"
	"github.com/imshift/imshift/testbed/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// seed registers n devices (alternating providers) and returns their ids.
func seed(t *testing.T, store *registry.Store, n int) []int64 {
	t.Helper()
	ids := make([]int64, n)
	for i := range n {
		d := registry.Device{UserID: "u" + string(rune('a'+i%26)), Platform: "android", Provider: "fcm",
			Token: "fcm-token-000000-" + string(rune('a'+i%26)) + string(rune('a'+i/26))}
		dev, _, err := store.Upsert(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = dev.ID
	}
	return ids
}

func TestLedgerTallyAndDeferrals(t *testing.T) {
	pool, _ := testenv.Database(t)
	store := registry.New(pool)
	ids := seed(t, store, 7)
	l := ledger{delivery.NewLedger(pool)}
	ctx := context.Background()
	soon := time.Now().Add(-time.Minute).UTC().Truncate(time.Microsecond)
	later := time.Now().Add(time.Hour).UTC().Truncate(time.Microsecond)
	err := l.Record(ctx, delivery.CampaignSend("c"), []delivery.Entry{
		{DeviceID: ids[0], Provider: "fcm", Outcome: delivery.OutcomeSent, Attempts: 1},
		{DeviceID: ids[1], Provider: "fcm", Outcome: delivery.OutcomePruned, Reason: "UNREGISTERED", Attempts: 1},
		{DeviceID: ids[2], Provider: "fcm", Outcome: delivery.OutcomeFailed, Reason: "transient: INTERNAL", Attempts: 10},
		{DeviceID: ids[3], Provider: "fcm", Outcome: delivery.OutcomeRetrying, Attempts: 1, NotBefore: later},
		{DeviceID: ids[4], Provider: "fcm", Outcome: delivery.OutcomeDeferred, NotBefore: soon},
		{DeviceID: ids[5], Provider: "fcm", Outcome: delivery.OutcomeDeferred, NotBefore: soon},
		{DeviceID: ids[6], Provider: "fcm", Outcome: delivery.OutcomeDeferred, NotBefore: later},
	})
	if err != nil {
		t.Fatal(err)
	}
	tally, err := l.Tally(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	if c := tally.Counts; c.Sent != 1 || c.Pruned != 1 || c.Deferred != 3 || c.Failed["transient: INTERNAL"] != 1 ||
		!tally.NextDeferral.Equal(soon) || tally.Retrying != 1 || !tally.NextRetry.Equal(later) {
		t.Errorf("tally = %+v", tally)
	}
	retrying, gone, err := l.RetryDevices(ctx, "c", []IDRange{{After: ids[0], Upto: ids[2]}, {After: ids[2], Upto: ids[6]}}, 10)
	if err != nil || gone != 0 || len(retrying) != 1 || retrying[0].ID != ids[3] || retrying[0].Attempts != 1 ||
		!retrying[0].NotBefore.Equal(later) || retrying[0].Token == "" {
		t.Errorf("retrying devices = %+v, %d gone, %v", retrying, gone, err)
	}
	st, err := l.Rows(ctx, delivery.CampaignSend("c"), ids[3], ids[4])
	if err != nil || len(st) != 1 || !st[ids[4]].NotBefore.Equal(soon) || st[ids[4]].Outcome != delivery.OutcomeDeferred {
		t.Errorf("states of (%d, %d] = %+v, %v", ids[3], ids[4], st, err)
	}
	b, err := l.DeferredBoundaries(ctx, "c", time.Now(), 0, 1, 10)
	if err != nil || len(b) != 2 || b[0] != ids[4] || b[1] != ids[5] {
		t.Errorf("deferred boundaries = %v, %v; want the two due", b, err)
	}
	// A due device found dead meanwhile is skipped, not waited for.
	if _, err := store.Invalidate(ctx, []int64{ids[5]}, "UNREGISTERED"); err != nil {
		t.Fatal(err)
	}
	due, err := l.DueDevices(ctx, "c", time.Now(), 0, ids[6])
	if err != nil || len(due) != 1 || due[0].ID != ids[4] || due[0].Token == "" {
		t.Fatalf("due = %+v, %v", due, err)
	}
	tally, _ = l.Tally(ctx, "c")
	if c := tally.Counts; c.Skipped != 1 || c.Deferred != 2 {
		t.Errorf("after skipping: %+v", c)
	}
}

func TestSpecStoreDetectsAReusedID(t *testing.T) {
	pool, _ := testenv.Database(t)
	st := newSpecStore(pool)
	ctx := context.Background()
	s := validSpec()
	h1, err := st.save(ctx, &s)
	if err != nil {
		t.Fatal(err)
	}
	got, err := st.load(ctx, s.CampaignID, h1)
	if err != nil || got.Message.Localized["de"].Title != "Frühlingsangebot" {
		t.Fatalf("load = %+v, %v", got, err)
	}
	s.Message.Title = "Other"
	if _, err := st.save(ctx, &s); err != nil {
		t.Fatal(err)
	}
	fresh := newSpecStore(pool)
	if _, err := fresh.load(ctx, s.CampaignID, h1); err != ErrSpecChanged {
		t.Errorf("old hash after reuse: %v, want ErrSpecChanged", err)
	}
}
