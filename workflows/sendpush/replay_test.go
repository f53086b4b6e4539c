package sendpush_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/imshift/imshift/workflows/sendpush"
)

// TestReplayRecordedHistories replays SendPush histories recorded on the dev
// server before strict inputs and canonical ids (testdata/history-<what>~<workflow
// id>.json): one started by the API, one started by hand under another id
// with a field the old code dropped. Both must replay as they ran.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob("testdata/history-*.json")
	if err != nil || len(files) < 2 {
		t.Fatalf("recorded histories: %v %v", files, err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflowWithOptions(sendpush.SendPush, workflow.RegisterOptions{Name: sendpush.SendPushName})
			file, err := os.Open(f)
			if err != nil {
				t.Fatal(err)
			}
			defer file.Close()
			h, err := client.HistoryFromJSON(file, client.HistoryJSONOptions{})
			if err != nil {
				t.Fatal(err)
			}
			_, id, _ := strings.Cut(strings.TrimSuffix(filepath.Base(f), ".json"), "~")
			err = r.ReplayWorkflowHistoryWithOptions(nil, h, worker.ReplayWorkflowHistoryOptions{
				OriginalExecution: workflow.Execution{ID: id},
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}
