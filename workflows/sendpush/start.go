package sendpush

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/imshift/imshift/workflows"
)

// highPriority is Temporal's task priority for SendPush and its activities
// (1 is the highest of the default 1..5), so a backlog of campaign tasks on
// the same queue does not hold back an OTP.
const highPriority = 1

// timeoutMargin is added to the TTL for the workflow's own timeout: the time
// to read the ledger and finish after the last delivery attempt.
const timeoutMargin = 2 * time.Minute

// SendPushWorkflowID is the workflow id for an idempotency key:
// "push-" and the first 32 hex digits of the key's SHA-256. Hashing keeps
// whatever the caller put in the key (a phone number, an email) out of the
// Temporal UI and makes any key a valid id.
func SendPushWorkflowID(idempotencyKey string) string {
	sum := sha256.Sum256([]byte(idempotencyKey))
	return "push-" + hex.EncodeToString(sum[:])[:32]
}

// Summary is the one-line StaticSummary of a SendPush, for the Temporal
// UI: "otp push to user u-42, ttl 5m0s". The message text stays out of it.
func Summary(req SendPushRequest) string {
	ttl, _ := req.ParseTTL()
	return fmt.Sprintf("%s push to user %s, ttl %s", req.Category, req.UserID, ttl)
}

// StartSendPush validates req and starts SendPush on taskQueue, or finds the
// one its idempotency key already started: a running workflow is used as is
// (conflict policy USE_EXISTING) and a closed one is not run again (reuse
// policy REJECT_DUPLICATE) for as long as the namespace retains it. Either
// way it returns the workflow id. A bad request is a *field.Error.
func StartSendPush(ctx context.Context, c client.Client, taskQueue string, req SendPushRequest) (string, error) {
	if err := req.Validate(); err != nil {
		return "", err
	}
	ttl, _ := req.ParseTTL()
	opts := client.StartWorkflowOptions{
		ID:                       SendPushWorkflowID(req.IdempotencyKey),
		TaskQueue:                taskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowExecutionTimeout: ttl + timeoutMargin,
		Priority:                 temporal.Priority{PriorityKey: highPriority},
		TypedSearchAttributes: temporal.NewSearchAttributes(
			workflows.KindKey.ValueSet("push"), workflows.StateKey.ValueSet(StateSending)),
		StaticSummary: Summary(req),
		// The worker in this process takes the first workflow task in the
		// start's answer, skipping a round trip through the task queue.
		EnableEagerStart: true,
	}
	run, err := c.ExecuteWorkflow(ctx, opts, SendPushName, req)
	if err != nil {
		return "", err
	}
	return run.GetID(), nil
}
