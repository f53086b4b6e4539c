package notify

import (
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	notifyact "github.com/imshift/imshift/activities/notify"
	"github.com/imshift/imshift/workflows"
)

// changeID guards the Post calls added to TrafficMigration and PushCampaign:
// histories recorded before them replay without posting.
const changeID = "imshift-notify"

// Notifier numbers one workflow run's events. Its zero value is ready; keep
// one per run (not carried across continue-as-new: the run id changes).
type Notifier struct {
	seq int
}

// Post starts the Notification child for e and waits only until it has
// started, which takes one round trip to the server and never depends on
// a receiver. The child is abandoned when the parent closes, so a
// completion notice still goes out after the run that sent it has ended;
// waiting for the start matters because the server drops a child not yet
// started when its parent closes. A child that cannot start is logged and
// the workflow goes on: a notification never fails the workflow.
//
// At is workflow time.
func (n *Notifier) Post(ctx workflow.Context, e notifyact.Event) {
	if workflow.GetVersion(ctx, changeID, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return
	}
	// Disconnected: a cancelled campaign still reports its cancellation.
	ctx, _ = workflow.NewDisconnectedContext(ctx)
	n.seq++
	e.EventID = EventID(e.Kind, e.ID, workflow.GetInfo(ctx).WorkflowExecution.RunID, n.seq)
	e.At = workflow.Now(ctx).UTC()
	ctx = workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:               e.EventID,
		ParentClosePolicy:        enumspb.PARENT_CLOSE_POLICY_ABANDON,
		WorkflowExecutionTimeout: deliveryWindow + time.Hour,
		StaticSummary:            e.Text(),
		TypedSearchAttributes:    temporal.NewSearchAttributes(workflows.KindKey.ValueSet("notification")),
	})
	err := workflow.ExecuteChildWorkflow(ctx, WorkflowName, e).GetChildWorkflowExecution().Get(ctx, nil)
	if err != nil {
		workflow.GetLogger(ctx).Warn("notification not started", "eventId", e.EventID, "state", e.State, "error", err)
	}
}

// EventID names the seq-th event of a workflow run (and the child that
// delivers it): "notify-migration-openim-2027q1-<run id>-3". It is the same on
// every replay and retry and distinct for every event. It holds no workflow
// id: a replayer given a history file does not know it, and the kind, id and
// run id already say whose event it is.
func EventID(kind, id, runID string, seq int) string {
	return fmt.Sprintf("notify-%s-%s-%s-%d", kind, id, runID, seq)
}
