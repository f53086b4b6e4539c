package sendpush

import (
	"encoding/json"

	"go.temporal.io/sdk/workflow"

	"github.com/imshift/imshift/workflows"
)

// acceptRequest decodes the request strictly (an unknown field or a wrong
// type is refused naming it, whichever path started the run: API, UI,
// temporal CLI), validates it, and checks that the run's workflow id is the
// one its idempotency key gives (SendPushWorkflowID). That check is what
// makes a key push once: Temporal keeps one open run per workflow id, and
// the ledger keys a push's devices by workflow id, so a later run of the
// same key skips every device already settled (docs/ownership.md). A run
// recorded before these checks reads its input as the SDK did then.
func acceptRequest(ctx workflow.Context, input json.RawMessage) (SendPushRequest, error) {
	var req SendPushRequest
	decodeErr := workflows.DecodeStrict(input, &req)
	if workflow.GetVersion(ctx, "strict-input", workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		if decodeErr != nil {
			_ = json.Unmarshal(input, &req)
		}
		return req, req.Validate()
	}
	if decodeErr != nil {
		return req, decodeErr
	}
	if err := req.Validate(); err != nil {
		return req, err
	}
	return req, workflows.CheckWorkflowID(ctx, SendPushWorkflowID(req.IdempotencyKey))
}
