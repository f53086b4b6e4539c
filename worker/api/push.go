package api

import (
	"net/http"

	"github.com/imshift/imshift/workflows/sendpush"
)

type pushAccepted struct {
	WorkflowID string `json:"workflowId"`
}

// sendPush accepts a transactional push and answers 202 with its SendPush
// workflow id, the same id for the same idempotencyKey. The push is
// delivered and its workflow started before the answer, unless that takes
// longer than a couple of seconds; then it goes on after it
// (sendpush.Dispatcher).
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
	id, err := s.opts.Pushes.Accept(r.Context(), req)
	if err != nil {
		s.log.ErrorContext(r.Context(), "push not accepted", "error", err)
		writeError(w, http.StatusServiceUnavailable, "the push could not be accepted; retry with the same idempotencyKey", "")
		return
	}
	writeJSON(w, http.StatusAccepted, pushAccepted{WorkflowID: id})
}
