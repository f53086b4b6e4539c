// Package push holds the push workflows. SendPush delivers one transactional
// push (OTP, account alert) to every valid device of one user.
package sendpush

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/imshift/imshift/activities/delivery"
	pushact "github.com/imshift/imshift/activities/sendpush"
	"github.com/imshift/imshift/workflows"
)

// SendPushName is the workflow type; it is part of the product.
const SendPushName = "SendPush"

// Final states of a SendPush, also its ImshiftState search attribute.
const (
	StateSending   = "sending"
	StateDelivered = "delivered"  // every device reached (dead ones pruned)
	StatePartial   = "partial"    // some devices reached, some failed
	StateFailed    = "failed"     // devices failed and none was reached
	StateNoDevices = "no_devices" // the user has no valid device (left)
)

// SendPushResult is the outcome per device and the counts.
type SendPushResult struct {
	State   string                  `json:"state"`
	Sent    int                     `json:"sent"`
	Pruned  int                     `json:"pruned"`
	Failed  int                     `json:"failed"`
	Devices []pushact.DeviceOutcome `json:"devices"`
}

// Retry policy of the delivery activity: quick first retries, because an OTP
// is wanted within seconds, capped so a long outage still gets a try every
// 15 seconds until the TTL.
var deliverRetry = &temporal.RetryPolicy{
	InitialInterval:    time.Second,
	BackoffCoefficient: 2,
	MaximumInterval:    15 * time.Second,
}

// attemptTimeout bounds one delivery attempt; a hung attempt is retried.
const attemptTimeout = 30 * time.Second

// SendPush sends the request to each of the user's valid devices once,
// retrying devices with transient errors until the TTL (counted from the
// workflow's start) passes. It completes with the per-device result unless
// devices failed and none was reached; then it fails with the reason's type
// (Credentials, BadMessage, TTLExpired) and the result as details. The
// request arrives as raw JSON (the payload a typed SendPushRequest decoded
// from, so recorded histories replay); bad input fails at once with
// InvalidInput naming the field (acceptRequest).
func SendPush(ctx workflow.Context, input json.RawMessage) (SendPushResult, error) {
	req, err := acceptRequest(ctx, input)
	if err != nil {
		return SendPushResult{}, temporal.NewNonRetryableApplicationError(err.Error(), workflows.ErrInvalidInput, nil)
	}
	ttl, _ := req.ParseTTL()
	info := workflow.GetInfo(ctx)
	deadline := info.WorkflowStartTime.Add(ttl)
	details := fmt.Sprintf("**%s** to every valid device of user %s until %s", StateSending, req.UserID,
		deadline.UTC().Format("15:04:05 UTC"))
	localFirst := workflow.GetVersion(ctx, "local-first-attempt", workflow.DefaultVersion, 1) == 1
	if localFirst && startedSending(ctx) {
		// The start set the state already (StartSendPush): no upsert, one
		// visibility write less per push.
		workflow.SetCurrentDetails(ctx, details)
	} else if err := setState(ctx, StateSending, details); err != nil {
		return SendPushResult{}, err
	}
	in := pushact.SendPushDelivery{
		WorkflowID: info.WorkflowExecution.ID, UserID: req.UserID,
		Title: req.Title, Body: req.Body, Data: req.Data, Deadline: deadline,
	}
	outcomes, deliverErr := deliver(ctx, in, localFirst)
	res := summarize(outcomes)
	details = fmt.Sprintf("**%s** · sent %d · pruned %d · failed %d", res.State, res.Sent, res.Pruned, res.Failed)
	if err := setState(ctx, res.State, details); err != nil {
		return res, err
	}
	if res.State == StateFailed || (deliverErr != nil && res.Sent == 0) {
		return res, failure(res, deliverErr)
	}
	return res, nil
}

// deliver runs the delivery activity until it succeeds or the TTL passes.
// When it gives up, the outcomes come from the ledger, and the error is
// returned alongside. With localFirst the first attempt is a local
// activity (firstAttempt).
func deliver(ctx workflow.Context, in pushact.SendPushDelivery, localFirst bool) ([]pushact.DeviceOutcome, error) {
	var outcomes []pushact.DeviceOutcome
	if !workflow.Now(ctx).Before(in.Deadline) {
		return nil, temporal.NewNonRetryableApplicationError("the TTL passed before the first attempt", workflows.ErrTTLExpired, nil)
	}
	if localFirst {
		outcomes, err, again := firstAttempt(ctx, in)
		if !again {
			return outcomes, err
		}
	}
	left := in.Deadline.Sub(workflow.Now(ctx))
	if left <= 0 {
		return readOutcomes(ctx, in.WorkflowID, temporal.NewNonRetryableApplicationError("the TTL passed", workflows.ErrTTLExpired, nil))
	}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		ScheduleToCloseTimeout: left,
		StartToCloseTimeout:    min(left, attemptTimeout),
		RetryPolicy:            deliverRetry,
		Summary:                deliverySummary(in.UserID),
	})
	err := workflow.ExecuteActivity(actx, pushact.DeliverName, in).Get(ctx, &outcomes)
	if err == nil {
		return outcomes, nil
	}
	return readOutcomes(ctx, in.WorkflowID, err)
}

// firstAttempt is the first delivery attempt as a local activity: with
// the eager start of StartSendPush, a push that succeeds at once costs
// Temporal one workflow task from start to completion instead of three
// tasks and an activity, which is what lets one workflow per push reach
// the API's rate on a small server (docs/delivery.md). Retries stay with
// the regular activity and its policy: again reports that the attempt left
// devices to retry, after waiting the backoff it asked for.
func firstAttempt(ctx workflow.Context, in pushact.SendPushDelivery) (outcomes []pushact.DeviceOutcome, err error, again bool) {
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		ScheduleToCloseTimeout: min(in.Deadline.Sub(workflow.Now(ctx)), attemptTimeout),
		RetryPolicy:            &temporal.RetryPolicy{MaximumAttempts: 1},
		Summary:                deliverySummary(in.UserID),
	})
	err = workflow.ExecuteLocalActivity(lctx, pushact.DeliverName, in).Get(ctx, &outcomes)
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.NonRetryable() {
		outcomes, err = readOutcomes(ctx, in.WorkflowID, err)
		return outcomes, err, false
	}
	if err == nil {
		return outcomes, nil, false
	}
	wait := deliverRetry.InitialInterval
	if appErr != nil {
		wait = max(wait, appErr.NextRetryDelay())
	}
	return nil, nil, workflow.Sleep(ctx, wait) == nil
}

// deliverySummary is what the Temporal UI shows for a delivery attempt.
func deliverySummary(userID string) string { return "deliver to every valid device of user " + userID }

// readOutcomes reads every device's outcome from the ledger after the
// delivery gave up with err, and returns err beside them.
func readOutcomes(ctx workflow.Context, workflowID string, err error) ([]pushact.DeviceOutcome, error) {
	var outcomes []pushact.DeviceOutcome
	lctx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		ScheduleToCloseTimeout: time.Minute,
		StartToCloseTimeout:    10 * time.Second,
		Summary:                "read the outcomes from the ledger",
	})
	if lerr := workflow.ExecuteActivity(lctx, pushact.OutcomesName, workflowID).Get(ctx, &outcomes); lerr != nil {
		return nil, errors.Join(err, lerr)
	}
	return outcomes, err
}

func summarize(outcomes []pushact.DeviceOutcome) SendPushResult {
	res := SendPushResult{Devices: outcomes}
	if res.Devices == nil {
		res.Devices = []pushact.DeviceOutcome{}
	}
	for _, o := range outcomes {
		switch o.Outcome {
		case delivery.OutcomeSent:
			res.Sent++
		case delivery.OutcomePruned:
			res.Pruned++
		default:
			res.Failed++
		}
	}
	switch {
	case res.Sent > 0 && res.Failed > 0:
		res.State = StatePartial
	case res.Sent > 0:
		res.State = StateDelivered
	case res.Failed > 0:
		res.State = StateFailed
	default:
		res.State = StateNoDevices
	}
	return res
}

// failure is the error of a SendPush that reached no device. Its type says
// why: credentials and bad messages need people, anything else ran out of
// time. Its message gives a provider reason, never a token.
func failure(res SendPushResult, deliverErr error) error {
	kind, why := workflows.ErrTTLExpired, "no attempt finished"
	for _, o := range res.Devices {
		switch {
		case o.Outcome != delivery.OutcomeFailed:
			continue
		case o.Class == string(delivery.Credentials):
			kind = workflows.ErrCredentials
		case o.Class == string(delivery.BadMessage):
			kind = workflows.ErrBadMessage
		}
		why = fmt.Sprintf("%s %s (%s)", o.Provider, o.Reason, o.Class)
		if kind != workflows.ErrTTLExpired {
			break
		}
	}
	msg := fmt.Sprintf("push reached no device: %s", why)
	if kind == workflows.ErrTTLExpired {
		msg = fmt.Sprintf("push reached no device before its TTL passed, last error: %s", why)
	}
	return temporal.NewNonRetryableApplicationError(msg, kind, deliverErr, res)
}

// startedSending reports whether the run was started with its state set
// (StartSendPush sets it; a UI or CLI start does not).
func startedSending(ctx workflow.Context) bool {
	state, ok := workflow.GetTypedSearchAttributes(ctx).GetKeyword(workflows.StateKey)
	return ok && state == StateSending
}

// setState records the state as a search attribute (with the kind, so a
// SendPush started without them is still found by kind) and as the current
// details the Temporal UI shows.
func setState(ctx workflow.Context, state, details string) error {
	workflow.SetCurrentDetails(ctx, details)
	return workflow.UpsertTypedSearchAttributes(ctx,
		workflows.KindKey.ValueSet("push"), workflows.StateKey.ValueSet(state))
}
