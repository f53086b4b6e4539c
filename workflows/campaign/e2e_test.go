package campaign_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	campaignact "github.com/imshift/imshift/activities/campaign"
	"github.com/imshift/imshift/testbed/rigs/campaigntest"
	"github.com/imshift/imshift/testbed/simulator/apnssim"
	"github.com/imshift/imshift/testbed/simulator/fcmsim"
	"github.com/imshift/imshift/testbed/testenv"
	"github.com/imshift/imshift/workflows"
	"github.com/imshift/imshift/workflows/campaign"
)

// End-to-end: real Temporal dev server, PostgreSQL, Redis, the real FCM and
// APNs senders against the simulators over TLS, a worker in this process.

func TestCampaignE2EDeliversOncePerDeviceAndPrunesDeadTokens(t *testing.T) {
	r := campaigntest.New(t)
	r.StartWorker(t, e2eTuning)
	devices := r.Seed(t, campaigntest.SeedSpec{FCM: 150, APNs: 150, DeadFCM: 5, Locale: "de-DE", TimeZone: "Europe/Berlin"})
	deadAPNs := map[int64]bool{}
	for _, d := range devices {
		if d.Provider == "apns" && len(deadAPNs) < 5 {
			deadAPNs[d.ID] = true
			if err := r.APNs.SetTokenFault(d.Token, apnssim.Fault{Status: 410, Reason: "Unregistered"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	run := r.Start(t, campaigntest.Spec("mixed"))
	p := r.Finish(t, run)
	if p.State != campaign.CampaignCompleted || p.Targeted != 300 || p.Sent != 290 || p.Pruned != 10 || p.Remaining != 0 {
		t.Errorf("progress = %+v", p)
	}
	if p.Runs == 0 {
		t.Errorf("300 devices in pages of 50 with 6 pages per run must continue as new; runs = %d", p.Runs)
	}
	for _, d := range devices {
		dead := strings.HasPrefix(d.Token, "dead-") || deadAPNs[d.ID]
		want := 1
		if dead {
			want = 0
		}
		if got := r.Delivered(d); got != want {
			t.Errorf("device %d (%s, dead %v): delivered %d times, want %d", d.ID, d.Provider, dead, got, want)
		}
	}
	var invalid int
	if err := r.DB.QueryRow(context.Background(),
		`SELECT count(*) FROM imshift.devices WHERE invalidated_at IS NOT NULL AND invalid_reason IN ('UNREGISTERED', 'Unregistered')`).Scan(&invalid); err != nil {
		t.Fatal(err)
	}
	if invalid != 10 {
		t.Errorf("%d devices invalidated, want the 10 dead ones", invalid)
	}
	history, runs := r.HistoryJSON(t, run.GetID())
	for _, d := range devices {
		if strings.Contains(history, d.Token) {
			t.Fatalf("a device token appears in the workflow history")
		}
	}
	if runs < 2 {
		t.Errorf("%d runs in the history", runs)
	}

	// Run again under the same id: the ledger says everything is settled.
	again := r.Finish(t, r.Start(t, campaigntest.Spec("mixed")))
	if again.Sent != 290 || r.TotalDelivered() != 290 {
		t.Errorf("re-run: progress %+v, simulators delivered %d in all, want 290", again, r.TotalDelivered())
	}
}

func TestCampaignE2ESurvivesTransientErrorsAnd429(t *testing.T) {
	r := campaigntest.New(t)
	r.StartWorker(t, e2eTuning)
	devices := r.Seed(t, campaigntest.SeedSpec{FCM: 150, APNs: 150})
	// Every third request fails transiently: 33 % of all sends.
	if err := r.FCM.SetRateFault(fcmsim.Fault{Status: fcmsim.Internal}, 3); err != nil {
		t.Fatal(err)
	}
	r.APNs.SetRateFault(apnssim.Fault{Status: 503, Reason: "ServiceUnavailable"}, 3)
	// And a few devices are throttled once with a Retry-After.
	throttled := 0
	for _, d := range devices {
		if throttled == 6 || d.ID%25 != 0 {
			continue
		}
		throttled++
		var err error
		if d.Provider == "fcm" {
			err = r.FCM.SetTokenFault(d.Token, fcmsim.Fault{Status: fcmsim.QuotaExceeded, Remaining: 1, RetryAfter: time.Second})
		} else {
			err = r.APNs.SetTokenFault(d.Token, apnssim.Fault{Status: 429, Reason: "TooManyRequests", Remaining: 1, RetryAfter: time.Second})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	p := r.Finish(t, r.Start(t, campaigntest.Spec("flaky")))
	if p.State != campaign.CampaignCompleted || p.Sent != 300 || p.FailedTotal != 0 {
		t.Errorf("progress = %+v", p)
	}
	for _, d := range devices {
		if got := r.Delivered(d); got != 1 {
			t.Errorf("device %d (%s): delivered %d times, want exactly 1", d.ID, d.Provider, got)
		}
	}
	var retried, maxAttempts int
	if err := r.DB.QueryRow(context.Background(), `SELECT count(*) FILTER (WHERE attempts > 1), max(attempts)
		FROM imshift.push_ledger WHERE send_id = 'campaign:flaky' AND outcome = 'sent'`).Scan(&retried, &maxAttempts); err != nil {
		t.Fatal(err)
	}
	if retried < 50 {
		t.Errorf("only %d devices needed a retry; the ledger does not count attempts", retried)
	}
	if c := r.FCM.Counters(); c.Errors[fcmsim.QuotaExceeded] == 0 {
		t.Errorf("no 429 was answered: %+v", c.Errors)
	}
}

func TestCampaignE2EPauseStopsSendingAndResumeFinishes(t *testing.T) {
	r := campaigntest.New(t)
	r.StartWorker(t, e2eTuning)
	devices := r.Seed(t, campaigntest.SeedSpec{FCM: 200, APNs: 200})
	c := campaigntest.Spec("pausable")
	c.RatePerSecond = 100 // four seconds of sending
	run := r.Start(t, c)
	testenv.WaitFor(t, "the first pushes", func() bool { return r.TotalDelivered() >= 50 })
	if err := r.Temporal.SignalWorkflow(context.Background(), run.GetID(), "", campaign.SignalPause, nil); err != nil {
		t.Fatal(err)
	}
	// Paused with no page in flight, nothing can send: the simulators hold
	// exactly what the ledger says was sent.
	var paused campaign.Progress
	testenv.WaitFor(t, "the pause to settle", func() bool {
		paused = r.Progress(t, run.GetID())
		return paused.State == campaign.CampaignPaused && paused.PagesInFlight == 0
	})
	atPause := r.TotalDelivered()
	if int64(atPause) != paused.Sent {
		t.Fatalf("paused with %d sent by the ledger, %d at the simulators", paused.Sent, atPause)
	}
	if atPause >= 400 {
		t.Fatalf("the campaign finished before the pause took effect")
	}
	if err := r.Temporal.SignalWorkflow(context.Background(), run.GetID(), "", campaign.SignalResume, nil); err != nil {
		t.Fatal(err)
	}
	p := r.Finish(t, run)
	if p.State != campaign.CampaignCompleted || p.Sent != 400 {
		t.Errorf("progress = %+v", p)
	}
	for _, d := range devices {
		if got := r.Delivered(d); got != 1 {
			t.Errorf("device %d: delivered %d times", d.ID, got)
		}
	}
}

func TestCampaignE2ECancel(t *testing.T) {
	r := campaigntest.New(t)
	r.StartWorker(t, e2eTuning)
	r.Seed(t, campaigntest.SeedSpec{FCM: 200, APNs: 200})
	c := campaigntest.Spec("cancelled")
	c.RatePerSecond = 100
	run := r.Start(t, c)
	testenv.WaitFor(t, "the first pushes", func() bool { return r.TotalDelivered() >= 20 })
	err := r.Temporal.SignalWorkflow(context.Background(), run.GetID(), "", campaign.SignalCancel,
		campaign.CancelRequest{Reason: "wrong segment"})
	if err != nil {
		t.Fatal(err)
	}
	p := r.Finish(t, run)
	if p.State != campaign.CampaignCancelled || p.Reason != "wrong segment" || p.Remaining == 0 {
		t.Errorf("progress = %+v", p)
	}
	if int64(r.TotalDelivered()) != p.Sent {
		t.Errorf("simulators delivered %d, progress says %d", r.TotalDelivered(), p.Sent)
	}
}

func TestCampaignE2EQuietHoursDeferThenDeliver(t *testing.T) {
	r := campaigntest.New(t)
	r.StartWorker(t, e2eTuning)
	sleeper := r.Seed(t, campaigntest.SeedSpec{FCM: 1, User: "sleeper", TimeZone: "UTC"})[0]
	awake := r.Seed(t, campaigntest.SeedSpec{FCM: 1, User: "awake", TimeZone: "Asia/Tokyo"})[0]

	urgent := campaigntest.Spec("urgent")
	urgent.Category = "account_alert"
	urgent.QuietHours, _ = quietUntilSoon(time.Now())
	if p := r.Finish(t, r.Start(t, urgent)); p.Sent != 2 || p.Deferred != 0 {
		t.Fatalf("an account alert waited for quiet hours: %+v", p)
	}

	c := campaigntest.Spec("quiet")
	var end time.Time
	c.QuietHours, end = quietUntilSoon(time.Now())
	run := r.Start(t, c)
	testenv.WaitFor(t, "the campaign to wait for quiet hours", func() bool {
		return r.Progress(t, run.GetID()).State == campaign.CampaignWaiting
	})
	p := r.Progress(t, run.GetID())
	if p.Deferred != 1 || p.Sent != 1 || p.NextDeferral == nil || !p.NextDeferral.Equal(end) {
		t.Errorf("while waiting: %+v; want the deferral to end at %v", p, end)
	}
	if r.Delivered(sleeper) != 1 || r.Delivered(awake) != 2 {
		t.Errorf("while waiting: sleeper %d, awake %d; want the sleeper to have only the alert",
			r.Delivered(sleeper), r.Delivered(awake))
	}
	p = r.Finish(t, run)
	if p.State != campaign.CampaignCompleted || p.Sent != 2 || p.Deferred != 0 {
		t.Errorf("result = %+v", p)
	}
	if r.Delivered(sleeper) != 2 {
		t.Errorf("the deferred device got %d pushes in all, want 2 (alert and campaign)", r.Delivered(sleeper))
	}
}

// quietUntilSoon is a UTC quiet window that holds now and ends at the
// first whole minute at least quietMargin after it, and that end. It starts
// an hour before now, so a device in UTC stays inside it from now until the
// end whatever the second now falls on; the Tokyo device (UTC+9) is far
// outside. Windows may wrap midnight, so any time of day works.
func quietUntilSoon(now time.Time) (*campaignact.QuietHours, time.Time) {
	now = now.UTC()
	end := now.Add(quietMargin + time.Minute - 1).Truncate(time.Minute)
	return &campaignact.QuietHours{Start: now.Add(-time.Hour).Format("15:04"), End: end.Format("15:04")}, end
}

// quietMargin is the least time the first page has to reach the sleeper
// while it is still inside the window (the campaign must start and plan
// first); it is also the least the test waits for the window to end.
const quietMargin = 30 * time.Second

func TestCampaignE2EEmptyAudienceCompletesWithZero(t *testing.T) {
	r := campaigntest.New(t)
	r.StartWorker(t, e2eTuning)
	r.Seed(t, campaigntest.SeedSpec{FCM: 3})
	c := campaigntest.Spec("nobody")
	c.Audience = campaignact.Audience{UserIDs: []string{"no-such-user"}}
	p := r.Finish(t, r.Start(t, c))
	if p.State != campaign.CampaignCompleted || p.Targeted != 0 || p.Remaining != 0 {
		t.Errorf("progress = %+v", p)
	}
	if r.TotalDelivered() != 0 {
		t.Errorf("%d pushes sent to an empty audience", r.TotalDelivered())
	}
}

func TestCampaignE2EInvalidInputRefusedNamingTheField(t *testing.T) {
	r := campaigntest.New(t)
	r.StartWorker(t, e2eTuning)
	c := campaigntest.Spec("invalid")
	c.Filter.Platforms = []string{"ios", "symbian"}
	if err := campaign.ValidateCampaign(c); err == nil || !strings.Contains(err.Error(), "filter.platforms[1]") {
		t.Errorf("ValidateCampaign = %v", err)
	}
	// The UI starts without the starter's check: the workflow refuses too.
	run, err := r.Temporal.ExecuteWorkflow(context.Background(),
		campaign.StartCampaignOptions(c.CampaignID, r.TaskQueue), campaign.PushCampaignName, c)
	if err != nil {
		t.Fatal(err)
	}
	err = run.Get(context.Background(), nil)
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != workflows.ErrInvalidInput || !strings.Contains(appErr.Error(), "filter.platforms[1]") {
		t.Errorf("workflow error = %v", err)
	}
}

func TestCampaignE2EBadMessageFailsFast(t *testing.T) {
	r := campaigntest.New(t)
	r.StartWorker(t, e2eTuning)
	devices := r.Seed(t, campaigntest.SeedSpec{APNs: 1000})
	// APNs refuses the payload itself, for every device.
	r.APNs.SetRateFault(apnssim.Fault{Status: 413, Reason: "PayloadTooLarge"}, 1)
	run := r.Start(t, campaigntest.Spec("too-big"))
	err := run.Get(context.Background(), nil)
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != workflows.ErrBadMessage || !strings.Contains(appErr.Error(), "PayloadTooLarge") {
		t.Fatalf("workflow error = %v", err)
	}
	if tried := r.APNs.Counters().Requests; tried > int64(len(devices))/2 {
		t.Errorf("%d of %d devices tried before failing", tried, len(devices))
	}
	d, err := r.Temporal.DescribeWorkflowExecution(context.Background(), run.GetID(), "")
	if err != nil {
		t.Fatal(err)
	}
	state := d.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields()[workflows.StateKey.GetName()]
	if state == nil || !strings.Contains(string(state.GetData()), campaign.CampaignFailed) {
		t.Errorf("ImshiftState = %v", state)
	}
}

func TestCampaignE2ECredentialsPauseUntilResumed(t *testing.T) {
	r := campaigntest.New(t)
	r.StartWorker(t, e2eTuning)
	devices := r.Seed(t, campaigntest.SeedSpec{APNs: 100})
	r.APNs.SetClockSkew(2 * time.Hour) // every provider token looks expired
	run := r.Start(t, campaigntest.Spec("expired-key"))
	testenv.WaitFor(t, "the campaign to pause itself", func() bool {
		return r.Progress(t, run.GetID()).State == campaign.CampaignPaused
	})
	p := r.Progress(t, run.GetID())
	if !strings.Contains(p.Reason, "ExpiredProviderToken") || p.Sent != 0 {
		t.Errorf("paused with %+v", p)
	}
	r.APNs.SetClockSkew(0) // the key is fixed
	if err := r.Temporal.SignalWorkflow(context.Background(), run.GetID(), "", campaign.SignalResume, nil); err != nil {
		t.Fatal(err)
	}
	p = r.Finish(t, run)
	if p.State != campaign.CampaignCompleted || p.Sent != 100 {
		t.Errorf("after resume: %+v", p)
	}
	for _, d := range devices {
		if r.Delivered(d) != 1 {
			t.Fatalf("device %d delivered %d times", d.ID, r.Delivered(d))
		}
	}
}

func TestCampaignE2EScheduleFiresAndASecondTriggerForTheSameTimeSendsNothing(t *testing.T) {
	r := campaigntest.New(t)
	r.StartWorker(t, e2eTuning)
	devices := r.Seed(t, campaigntest.SeedSpec{FCM: 20, APNs: 20})
	ctx := context.Background()
	// Once an hour, the next time a few seconds from now.
	fire := time.Now().UTC().Add(4 * time.Second).Truncate(time.Second)
	id := "digest-" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))[:20]
	c := campaigntest.Spec("")
	opts := campaign.ScheduleOptions(campaign.CampaignSchedule{
		ID: id,
		Spec: client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{
			Every: time.Hour, Offset: fire.Sub(fire.Truncate(time.Hour))}}},
		Campaign: c, TaskQueue: r.TaskQueue,
	})
	h, err := r.Temporal.ScheduleClient().Create(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Delete(context.Background()) })

	wantWorkflow := campaign.CampaignWorkflowID(id + "-" + fire.Format(time.RFC3339))
	first, firstRun := waitForScheduledRun(t, h, 1)
	if first != wantWorkflow {
		t.Fatalf("scheduled run is %s, want %s", first, wantWorkflow)
	}
	p := r.Finish(t, r.Temporal.GetWorkflow(ctx, first, ""))
	if p.CampaignID != id+"-"+fire.Format(time.RFC3339) || p.Sent != 40 {
		t.Fatalf("first run: %+v", p)
	}
	// The same scheduled time again, as a backfill (a retried or re-triggered
	// run for that time looks the same to the campaign).
	err = h.Backfill(ctx, client.ScheduleBackfillOptions{Backfill: []client.ScheduleBackfill{{
		Start: fire.Add(-time.Second), End: fire.Add(time.Second), Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL}}})
	if err != nil {
		t.Fatal(err)
	}
	second, secondRun := waitForScheduledRun(t, h, 2)
	if second != first || secondRun == firstRun {
		t.Fatalf("the backfill for the same time ran as %s/%s, want a new run of %s", second, secondRun, first)
	}
	p = r.Finish(t, r.Temporal.GetWorkflow(ctx, second, secondRun))
	if p.State != campaign.CampaignCompleted || p.CampaignID != id+"-"+fire.Format(time.RFC3339) {
		t.Errorf("second run: %+v", p)
	}
	for _, d := range devices {
		if got := r.Delivered(d); got != 1 {
			t.Fatalf("device %d delivered %d times, want exactly once over both runs", d.ID, got)
		}
	}
}

// waitForScheduledRun waits until the schedule has started n runs and
// returns the workflow and run id of the latest.
func waitForScheduledRun(t *testing.T, h client.ScheduleHandle, n int) (string, string) {
	t.Helper()
	var id, run string
	testenv.WaitFor(t, "a scheduled run", func() bool {
		d, err := h.Describe(context.Background())
		if err != nil || d.Info.NumActions < n || len(d.Info.RecentActions) == 0 {
			return false
		}
		last := d.Info.RecentActions[len(d.Info.RecentActions)-1]
		id, run = last.StartWorkflowResult.WorkflowID, last.StartWorkflowResult.FirstExecutionRunID
		return true
	})
	return id, run
}
