package sendpush_test

import (
	"testing"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/imshift/imshift/testbed/testenv"
	"github.com/imshift/imshift/workflows/sendpush"
)

// TestReplayRecordedHistories replays SendPush histories recorded on the dev
// server before strict inputs and canonical ids (testdata/history-<what>~<workflow
// id>.json): one started by the API, one started by hand under another id
// with a field the old code dropped. Both must replay as they ran.
func TestReplayRecordedHistories(t *testing.T) {
	testenv.ReplayHistories(t, "testdata", 2, func(t *testing.T, file string, _ *historypb.History, r worker.WorkflowReplayer) string {
		r.RegisterWorkflowWithOptions(sendpush.SendPush, workflow.RegisterOptions{Name: sendpush.SendPushName})
		id, _ := testenv.HistoryWorkflowID(file)
		return id
	})
}
