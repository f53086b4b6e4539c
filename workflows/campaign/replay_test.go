package campaign_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/imshift/imshift/testbed/rigs/campaigntest"
	"github.com/imshift/imshift/testbed/testenv"
	"github.com/imshift/imshift/workflows/campaign"
)

// recordTuning is what the recorded histories ran with: small pages, so 300
// devices make several continue-as-new runs. Replaying needs the same.
var recordTuning = campaign.Tuning{PageSize: 50, Window: 4, PlanPages: 4, PagesPerRun: 3}

// TestReplayRecordedHistories replays every campaign history recorded from
// a real server (testdata/history-*.json) against today's code: a change
// that would break a running campaign fails here. Most were recorded before
// run ownership, one of them started by hand under another workflow id with
// a field the old code dropped (quietHour); history-default-* was recorded
// with the production tuning and pages of 2 000.
func TestReplayRecordedHistories(t *testing.T) {
	replayAll(t, "testdata", 6)
}

// defaultPrefix names the histories recorded with the production tuning,
// which replay against PushCampaign itself (its version markers included).
const defaultPrefix = "history-default-"

func replayAll(t *testing.T, dir string, atLeast int) {
	testenv.ReplayHistories(t, dir, atLeast, func(t *testing.T, file string, _ *historypb.History, r worker.WorkflowReplayer) string {
		wf := campaign.TunedPushCampaign(recordTuning)
		if strings.HasPrefix(filepath.Base(file), defaultPrefix) {
			wf = campaign.PushCampaign
		}
		r.RegisterWorkflowWithOptions(wf, workflow.RegisterOptions{Name: campaign.PushCampaignName})
		return recordedWorkflowID(file)
	})
}

// recordedWorkflowID is the workflow id a recorded history ran under:
// history-<scenario>-run<n>.json was recorded as campaign-rec-<scenario>;
// history-<scenario>-run<n>~<workflow id>.json under the id it names (a run
// started by hand under another id, before canonical ids were enforced).
func recordedWorkflowID(file string) string {
	if id, ok := testenv.HistoryWorkflowID(file); ok {
		return id
	}
	name := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(file), "history-"), ".json")
	return campaign.CampaignWorkflowID("rec-" + name[:strings.LastIndex(name, "-run")])
}

// TestRecordAndReplayOnRealServer runs campaigns on the dev server with the
// real activities and simulators (one continuing as new to completion, one
// paused, resumed and cancelled, one with the production tuning), then
// replays their histories. With
// IMSHIFT_RECORD_HISTORY=1 it writes them to testdata/ for
// TestReplayRecordedHistories (keep the old files: they stand for campaigns
// still running).
func TestRecordAndReplayOnRealServer(t *testing.T) {
	r := campaigntest.New(t)
	r.StartWorker(t, recordTuning)
	r.Seed(t, campaigntest.SeedSpec{FCM: 150, APNs: 150})
	dir := t.TempDir()
	if os.Getenv("IMSHIFT_RECORD_HISTORY") != "" {
		dir = "testdata"
	}
	record(t, r, dir, "completed", nil)
	// Slow answers keep the campaign running long enough to be steered.
	r.FCM.SetLatency(time.Second)
	r.APNs.SetLatency(time.Second)
	record(t, r, dir, "pause-resume-cancel", func(id string) {
		signal(t, r, id, campaign.SignalPause, nil)
		waitState(t, r, id, campaign.CampaignPaused)
		signal(t, r, id, campaign.SignalResume, nil)
		waitState(t, r, id, campaign.CampaignRunning)
		signal(t, r, id, campaign.SignalCancel, campaign.CancelRequest{Reason: "recording"})
	})
	// The production tuning, on a rig (task queue) of its own.
	t.Run("default tuning", func(t *testing.T) {
		r := campaigntest.New(t)
		r.StartWorker(t, campaign.DefaultTuning)
		r.Seed(t, campaigntest.SeedSpec{FCM: 150, APNs: 150})
		record(t, r, dir, "default-completed", nil)
	})
	replayAll(t, dir, 5)
}

// record runs campaign rec-<name>, lets steer act on it, waits for its end
// and writes every run's history.
func record(t *testing.T, r *campaigntest.Rig, dir, name string, steer func(id string)) {
	c := campaigntest.Spec("rec-" + name)
	run := r.Start(t, c)
	if steer != nil {
		waitState(t, r, run.GetID(), campaign.CampaignRunning)
		steer(run.GetID())
	}
	p := r.Finish(t, run)
	t.Logf("%s ended %s after %d runs", name, p.State, p.Runs+1)
	testenv.WriteHistories(context.Background(), t, r.Temporal, dir, name, run.GetID(), run.GetRunID())
}

func signal(t *testing.T, r *campaigntest.Rig, id, name string, payload any) {
	if err := r.Temporal.SignalWorkflow(context.Background(), id, "", name, payload); err != nil {
		t.Fatal(err)
	}
}

func waitState(t *testing.T, r *campaigntest.Rig, id, state string) {
	testenv.WaitFor(t, fmt.Sprintf("%s to be %s", id, state), func() bool {
		v, err := r.Temporal.QueryWorkflow(context.Background(), id, "", campaign.QueryProgress)
		var p campaign.Progress
		return err == nil && v.Get(&p) == nil && p.State == state
	})
}
