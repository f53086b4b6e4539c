package api

import (
	"encoding/json"
	"net/http"

	"github.com/imshift/imshift/activities/openim"
	"github.com/imshift/imshift/activities/presence"
)

// OpenIM's presence webhook commands (pkg/callbackstruct/constant.go), the
// last path segment of POST /openim/webhooks/{command}.
const (
	CommandUserOnline  = "callbackAfterUserOnlineCommand"
	CommandUserOffline = "callbackAfterUserOfflineCommand"
	CommandUserKickOff = "callbackAfterUserKickOffCommand"
)

// maxWebhookBody bounds a webhook body; a presence event is ~250 bytes.
const maxWebhookBody = 16 << 10

// userStatusCallback is the body of the three presence webhooks
// (callbackstruct.CallbackUserOnlineReq and its siblings): unknown fields
// are ignored, since OpenIM may add some.
type userStatusCallback struct {
	CallbackCommand string `json:"callbackCommand"`
	OperationID     string `json:"operationID"`
	PlatformID      int32  `json:"platformID"`
	Platform        string `json:"platform"`
	UserID          string `json:"userID"`
	Seq             int64  `json:"seq"`
	IsAppBackground bool   `json:"isAppBackground"`
	ConnID          string `json:"connID"`
}

// callbackResp is the answer every OpenIM webhook reads
// (callbackstruct.CommonCallbackResp). nextCode stays 0, so even a
// before-hook pointed here by mistake lets its operation through.
type callbackResp struct {
	ActionCode int32  `json:"actionCode"`
	ErrCode    int32  `json:"errCode"`
	ErrMsg     string `json:"errMsg"`
	ErrDlt     string `json:"errDlt"`
	NextCode   int32  `json:"nextCode"`
}

// openimWebhook takes OpenIM's afterUserOnline, afterUserOffline and
// afterUserKickOff into the presence facade. OpenIM ignores the HTTP status
// and, for these after-hooks, the answer: the status and errCode are for
// our own metrics and logs.
func (s *server) openimWebhook(w http.ResponseWriter, r *http.Request) {
	command := r.PathValue("command")
	if !s.webhooks.AllowBasic(r) {
		presence.Webhooks.WithLabelValues("unauthenticated", "refused").Inc()
		writeCallback(w, http.StatusUnauthorized, openim.CodeNoPermission, "NoPermissionError", "missing or wrong webhook secret")
		return
	}
	if command != CommandUserOnline && command != CommandUserOffline && command != CommandUserKickOff {
		presence.Webhooks.WithLabelValues("other", "refused").Inc()
		writeCallback(w, http.StatusNotFound, openim.CodeArgs, "ArgsError", "imshift handles only the presence webhooks")
		return
	}
	var cb userStatusCallback
	err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxWebhookBody)).Decode(&cb)
	if problem := checkCallback(command, cb, err); problem != "" {
		presence.Webhooks.WithLabelValues(command, "refused").Inc()
		writeCallback(w, http.StatusBadRequest, openim.CodeArgs, "ArgsError", problem)
		return
	}
	applied, err := s.opts.Presence.Apply(r.Context(), presence.Event{
		UserID: cb.UserID, PlatformID: cb.PlatformID, Online: command == CommandUserOnline,
		Seq: cb.Seq, Background: cb.IsAppBackground,
	})
	if err != nil {
		// OpenIM does not retry: the reconcile repairs what is lost here.
		presence.Webhooks.WithLabelValues(command, "failed").Inc()
		s.log.ErrorContext(r.Context(), "presence webhook not applied", "command", command, "error", err)
		writeCallback(w, http.StatusServiceUnavailable, openim.CodeServerInternal, "ServerInternalError", "presence store unavailable")
		return
	}
	outcome := "applied"
	if !applied {
		outcome = "stale"
	}
	presence.Webhooks.WithLabelValues(command, outcome).Inc()
	writeCallback(w, http.StatusOK, 0, "", "")
}

// checkCallback names what is wrong with a decoded body, "" when nothing.
func checkCallback(command string, cb userStatusCallback, decodeErr error) string {
	switch {
	case decodeErr != nil:
		return "the body is not a JSON presence callback"
	case cb.CallbackCommand != command:
		return "callbackCommand does not match the URL's command"
	case !openim.IsLegalUserID(cb.UserID):
		return "userID is not a legal OpenIM user id"
	case openim.PlatformName(cb.PlatformID) == "":
		return "platformID is not an OpenIM platform"
	case cb.Seq <= 0:
		return "seq must be OpenIM's millisecond timestamp"
	}
	return ""
}

func writeCallback(w http.ResponseWriter, status int, code int32, msg, dlt string) {
	writeJSON(w, status, callbackResp{ErrCode: code, ErrMsg: msg, ErrDlt: dlt})
}
