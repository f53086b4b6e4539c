package testenv

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/encoding/protojson"
)

// Recorded histories are files history-<name>-run<n>.json (or
// history-<name>~<workflow id>.json) that each workflow's record test writes
// from a real server and its replay test replays against today's code: a
// change that would break a running workflow fails there.

// ReplayHistories replays every history-*.json in dir, one subtest each,
// and fails when there are fewer than atLeast (so a lost file does not pass
// unnoticed). setup registers the workflow on the replayer as the file's
// run had it and returns the workflow id the run ran under: the history
// does not hold it and the workflows check it.
func ReplayHistories(t *testing.T, dir string, atLeast int, setup func(t *testing.T, file string, h *historypb.History, r worker.WorkflowReplayer) string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "history-*.json"))
	if err != nil || len(files) < atLeast {
		t.Fatalf("recorded histories in %s: %v %v", dir, files, err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			h := readHistory(t, file)
			r := worker.NewWorkflowReplayer()
			id := setup(t, file, h, r)
			err := r.ReplayWorkflowHistoryWithOptions(nil, h, worker.ReplayWorkflowHistoryOptions{
				OriginalExecution: workflow.Execution{ID: id}, // the run id comes from the history
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

func readHistory(t *testing.T, file string) *historypb.History {
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// HistoryWorkflowID is the workflow id a file history-<name>~<workflow
// id>.json names: a run recorded under an id its name cannot give.
func HistoryWorkflowID(file string) (string, bool) {
	_, id, ok := strings.Cut(strings.TrimSuffix(filepath.Base(file), ".json"), "~")
	return id, ok
}

// WriteHistories writes the history of run runID of workflowID and of
// every run it continued as new into, in order, as
// dir/history-<name>-run<n>.json.
func WriteHistories(ctx context.Context, t *testing.T, tc client.Client, dir, name, workflowID, runID string) {
	t.Helper()
	for n := 1; runID != ""; n++ {
		h := &historypb.History{}
		it := tc.GetWorkflowHistory(ctx, workflowID, runID, false, 0)
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
