package push

import (
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	pushact "github.com/imshift/imshift/activities/push"
)

// RegisterSendPush registers the SendPush workflow under its product name
// and its activities (SendPushDeliver, SendPushOutcomes) on r.
func RegisterSendPush(r worker.Registry, acts *pushact.SendPushActivities) {
	r.RegisterWorkflowWithOptions(SendPush, workflow.RegisterOptions{Name: SendPushName})
	r.RegisterActivityWithOptions(acts.SendPushDeliver, activity.RegisterOptions{Name: "SendPushDeliver"})
	r.RegisterActivityWithOptions(acts.SendPushOutcomes, activity.RegisterOptions{Name: "SendPushOutcomes"})
}
