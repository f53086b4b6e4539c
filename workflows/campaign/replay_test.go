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
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/imshift/imshift/testbed/rigs/campaigntest"
	"github.com/imshift/imshift/testbed/testenv"
	"github.com/imshift/imshift/workflows/campaign"
)

// recordTuning is what the recorded histories ran with: small pages, so 300
// devices make several continue-as-new runs. Replaying needs the same.
var recordTuning = campaign.Tuning{PageSize: 50, Window: 4, PlanPages: 4, PagesPerRun: 3}

// TestReplayRecordedHistories replays every campaign history recorded from
// a real server (testdata/history-*.json) against today's code: a change
// that would break a running campaign fails here. They were recorded before
// run ownership, one of them started by hand under another workflow id with
// a field the old code dropped (quietHour).
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob("testdata/history-*.json")
	if err != nil || len(files) < 5 {
		t.Fatalf("recorded histories: %v %v", files, err)
	}
	replayAll(t, files)
}

func replayAll(t *testing.T, files []string) {
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflowWithOptions(campaign.TunedPushCampaign(recordTuning),
				workflow.RegisterOptions{Name: campaign.PushCampaignName})
			h, id := loadHistory(t, f)
			err := r.ReplayWorkflowHistoryWithOptions(nil, h, worker.ReplayWorkflowHistoryOptions{
				OriginalExecution: workflow.Execution{ID: id}, // the run id comes from the history
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// loadHistory reads a recorded history and the workflow id it ran under:
// history-<scenario>-run<n>.json was recorded as campaign-rec-<scenario>;
// history-<scenario>-run<n>~<workflow id>.json under the id it names (a run
// started by hand under another id, before canonical ids were enforced).
func loadHistory(t *testing.T, file string) (*historypb.History, string) {
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(file), "history-"), ".json")
	if _, id, ok := strings.Cut(name, "~"); ok {
		return h, id
	}
	return h, campaign.CampaignWorkflowID("rec-" + name[:strings.LastIndex(name, "-run")])
}

// TestRecordAndReplayOnRealServer runs campaigns on the dev server with the
// real activities and simulators (one continuing as new to completion, one
// paused, resumed and cancelled), then replays their histories. With
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
	files, err := filepath.Glob(filepath.Join(dir, "history-*.json"))
	if err != nil || len(files) < 4 {
		t.Fatalf("recorded %v %v", files, err)
	}
	replayAll(t, files)
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
	writeRuns(t, r, dir, name, run.GetID(), run.GetRunID())
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

// writeRuns writes the history of the first run and of every run it
// continued as new into, in order.
func writeRuns(t *testing.T, r *campaigntest.Rig, dir, name, workflowID, runID string) {
	for n := 1; runID != ""; n++ {
		h := &historypb.History{}
		it := r.Temporal.GetWorkflowHistory(context.Background(), workflowID, runID, false, 0)
		next := ""
		for it.HasNext() {
			e, err := it.Next()
			if err != nil {
				t.Fatal(err)
			}
			h.Events = append(h.Events, e)
			if a := e.GetWorkflowExecutionContinuedAsNewEventAttributes(); a != nil {
				next = a.GetNewExecutionRunId()
			}
		}
		b, err := protojson.MarshalOptions{Indent: "  "}.Marshal(h)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("history-%s-run%d.json", name, n)), b, 0o644); err != nil {
			t.Fatal(err)
		}
		runID = next
	}
}
