package campaign_test

import (
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/imshift/imshift/activities/ownership"
	"github.com/imshift/imshift/testbed/rigs/campaigntest"
	"github.com/imshift/imshift/testbed/testenv"
	"github.com/imshift/imshift/workflows"
	"github.com/imshift/imshift/workflows/campaign"
)

// Run ownership and canonical workflow ids (docs/ownership.md) on the real
// dev server, PostgreSQL, Redis and the simulators.

// refusedWith waits for run's end and checks it failed at once,
// non-retryable, with errType and a message naming every one of mentions.
func refusedWith(t *testing.T, run client.WorkflowRun, errType string, mentions ...string) {
	t.Helper()
	err := run.Get(context.Background(), nil)
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || app.Type() != errType || !app.NonRetryable() {
		t.Fatalf("run ended with %v, want a non-retryable %s", err, errType)
	}
	for _, m := range mentions {
		if !strings.Contains(err.Error(), m) {
			t.Errorf("%q does not name %q", err, m)
		}
	}
}

// owner is the run_owners row of a campaign.
func owner(t *testing.T, r *campaigntest.Rig, campaignID string) (workflowID, finalState string) {
	t.Helper()
	var final *string
	err := r.DB.QueryRow(context.Background(), `SELECT workflow_id, final_state FROM imshift.run_owners
		WHERE kind = 'campaign' AND subject_id = $1`, campaignID).Scan(&workflowID, &final)
	if err != nil {
		t.Fatal(err)
	}
	if final != nil {
		finalState = *final
	}
	return workflowID, finalState
}

// A schedule (id wk-…) whose campaign is named dg-… gives its runs the
// workflow id campaign-wk-…-<time> and the campaign id dg-…-<time>; a
// manual start of that campaign id has the other canonical id
// campaign-dg-…-<time>. While the scheduled run sends, the manual one is
// refused naming it; once the scheduled run is terminated, the manual one
// takes over and sends only to devices the ledger has not settled.
func TestCampaignE2ESecondRunIsRefusedThenTakesOverAfterTerminate(t *testing.T) {
	r := campaigntest.New(t)
	r.StartWorker(t, e2eTuning)
	devices := r.Seed(t, campaigntest.SeedSpec{FCM: 200, APNs: 200})
	ctx := context.Background()
	c := campaigntest.Spec("dg-takeover")
	c.RatePerSecond = 20 // about 20 s of sending: time to start a second run and to terminate
	h, err := r.Temporal.ScheduleClient().Create(ctx, campaign.ScheduleOptions(campaign.CampaignSchedule{
		ID: "wk-takeover", Campaign: c, TaskQueue: r.TaskQueue,
		Spec: client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: 24 * 365 * time.Hour}}},
	}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Delete(context.Background()) })
	if err := h.Trigger(ctx, client.ScheduleTriggerOptions{}); err != nil {
		t.Fatal(err)
	}
	first, _ := waitForScheduledRun(t, h, 1)
	suffix := strings.TrimPrefix(first, "campaign-wk-takeover")
	campaignID := "dg-takeover" + suffix
	testenv.WaitFor(t, "the scheduled run to send", func() bool { return r.TotalDelivered() >= 40 })

	second := c
	second.CampaignID = campaignID
	run := r.Start(t, second)
	if run.GetID() == first {
		t.Fatalf("both runs have the workflow id %s", first)
	}
	refusedWith(t, run, ownership.ErrAlreadyOwned, first)
	if p := r.Progress(t, first); p.State != campaign.CampaignRunning || p.CampaignID != campaignID {
		t.Fatalf("the owner after the refusal: %+v", p)
	}

	if err := r.Temporal.TerminateWorkflow(ctx, first, "", "operator test"); err != nil {
		t.Fatal(err)
	}
	before := r.TotalDelivered()
	if before >= int64(len(devices)) {
		t.Fatalf("the scheduled run delivered all %d devices before it was terminated; nothing left to take over", before)
	}
	p := r.Finish(t, r.Start(t, second))
	if p.State != campaign.CampaignCompleted || p.Sent != int64(len(devices)) {
		t.Errorf("the run that took over: %+v", p)
	}
	for _, d := range devices {
		if got := r.Delivered(d); got != 1 {
			t.Fatalf("device %d delivered %d times over both runs, want 1", d.ID, got)
		}
	}
	t.Logf("%d delivered when the scheduled run was terminated; %d in all", before, r.TotalDelivered())
	if wf, final := owner(t, r, campaignID); wf != campaign.CampaignWorkflowID(campaignID) || final != campaign.CampaignCompleted {
		t.Errorf("run_owners: %s %s", wf, final)
	}
}

// A run under another workflow id than campaign-<campaignId> (the UI and
// the CLI take any) fails at once naming the expected id, and sends nothing.
func TestCampaignE2EAnotherWorkflowIDIsRefused(t *testing.T) {
	r := campaigntest.New(t)
	r.StartWorker(t, e2eTuning)
	r.Seed(t, campaigntest.SeedSpec{FCM: 10, APNs: 10})
	c := campaigntest.Spec("wrong-id")
	run, err := r.Temporal.ExecuteWorkflow(context.Background(),
		client.StartWorkflowOptions{ID: "my-campaign", TaskQueue: r.TaskQueue}, campaign.PushCampaignName, c)
	if err != nil {
		t.Fatal(err)
	}
	refusedWith(t, run, workflows.ErrInvalidInput, `workflowId: must be "campaign-wrong-id"`)
	if n := r.TotalDelivered(); n != 0 {
		t.Errorf("%d pushes sent by a refused run", n)
	}
}

// The temporal CLI passes the input through as JSON: a misspelt field and a
// wrong type fail the run at once naming the field, before anything is sent.
func TestCampaignE2EStrictInputFromTheTemporalCLI(t *testing.T) {
	r := campaigntest.New(t)
	r.StartWorker(t, e2eTuning)
	r.Seed(t, campaigntest.SeedSpec{FCM: 10, APNs: 10})
	for _, c := range []struct {
		id, field string
		value     any
		want      string
	}{
		{"cli-misspelt", "quietHour", map[string]string{"start": "22:00", "end": "08:00"}, "quietHour: unknown field"},
		{"cli-wrong-type", "ratePerSecond", "10", "ratePerSecond: must be a number"},
	} {
		in := map[string]any{}
		b, _ := json.Marshal(campaigntest.Spec(c.id))
		if err := json.Unmarshal(b, &in); err != nil {
			t.Fatal(err)
		}
		in[c.field] = c.value
		input, _ := json.Marshal(in)
		cmd := exec.Command(filepath.Join(testenv.ModuleRoot(), "bin", "temporal"), "workflow", "start",
			"--address", testenv.TemporalAddress(t), "--type", campaign.PushCampaignName,
			"--task-queue", r.TaskQueue, "--workflow-id", campaign.CampaignWorkflowID(c.id), "--input", string(input))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("temporal workflow start: %v\n%s", err, out)
		}
		refusedWith(t, r.Temporal.GetWorkflow(context.Background(), campaign.CampaignWorkflowID(c.id), ""),
			workflows.ErrInvalidInput, c.want)
	}
	if n := r.TotalDelivered(); n != 0 {
		t.Errorf("%d pushes sent by refused runs", n)
	}
}
