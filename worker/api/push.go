package api

import (
	"net/http"

	"github.com/imshift/imshift/workflows/sendpush"
)

type pushAccepted struct {
	WorkflowID string `json:"workflowId"`
}

// sendPush starts a SendPush and answers 202 with its workflow id, the same
// id for the same idempotencyKey (see sendpush.StartSendPush).
func (s *server) sendPush(w http.ResponseWriter, r *http.Request) {
	var req sendpush.SendPushRequest
	if e := decode(w, r, &req); e != nil {
		writeError(w, e.status, e.message, e.field)
		return
	}
	if err := req.Validate(); err != nil {
		s.fail(w, r, err)
		return
	}
	id, err := sendpush.StartSendPush(r.Context(), s.opts.Temporal, s.opts.TaskQueue, req)
	if err != nil {
		s.log.ErrorContext(r.Context(), "start SendPush failed", "error", err)
		writeError(w, http.StatusServiceUnavailable, "the push could not be started; retry with the same idempotencyKey", "")
		return
	}
	writeJSON(w, http.StatusAccepted, pushAccepted{WorkflowID: id})
}
