package fcmsim

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// Error statuses a Fault may name. The first seven are FCM error codes
// (sent as a FcmError detail, which the Admin SDK's predicates read); the
// last two are plain platform errors without an FCM detail.
const (
	Unregistered        = "UNREGISTERED"
	InvalidArgument     = "INVALID_ARGUMENT"
	SenderIDMismatch    = "SENDER_ID_MISMATCH"
	QuotaExceeded       = "QUOTA_EXCEEDED"
	Unavailable         = "UNAVAILABLE"
	Internal            = "INTERNAL"
	ThirdPartyAuthError = "THIRD_PARTY_AUTH_ERROR"
	Unauthenticated     = "UNAUTHENTICATED"
	PermissionDenied    = "PERMISSION_DENIED"
)

const (
	fcmErrorType   = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
	badRequestType = "type.googleapis.com/google.rpc.BadRequest"
	badTokenText   = "The registration token is not a valid FCM registration token"
)

// apiError is one Google API error response: HTTP code, canonical status,
// message, optional FCM error code and optional field violation.
type apiError struct {
	httpCode int
	status   string
	message  string
	fcmCode  string // "" = no FcmError detail
	field    string // "" = no BadRequest detail
}

// faultErrors is how FCM answers each error status a Fault can inject.
var faultErrors = map[string]apiError{
	Unregistered:        {404, "NOT_FOUND", "Requested entity was not found.", Unregistered, ""},
	InvalidArgument:     {400, "INVALID_ARGUMENT", badTokenText, InvalidArgument, "message.token"},
	SenderIDMismatch:    {403, "PERMISSION_DENIED", "SenderId mismatch", SenderIDMismatch, ""},
	QuotaExceeded:       {429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Send requests' of service 'fcm.googleapis.com'.", QuotaExceeded, ""},
	Unavailable:         {503, "UNAVAILABLE", "The service is currently unavailable.", Unavailable, ""},
	Internal:            {500, "INTERNAL", "Internal error encountered.", Internal, ""},
	ThirdPartyAuthError: {401, "UNAUTHENTICATED", "Auth error from APNS or Web Push Service", ThirdPartyAuthError, ""},
	Unauthenticated:     {401, "UNAUTHENTICATED", unauthenticatedText, "", ""},
	PermissionDenied:    {403, "PERMISSION_DENIED", "The caller does not have permission", "", ""},
}

const unauthenticatedText = "Request had invalid authentication credentials. " +
	"Expected OAuth 2 access token, login cookie or other valid authentication credential. " +
	"See https://developers.google.com/identity/sign-in/web/devconsole-project."

// badMessage is a 400 INVALID_ARGUMENT that blames a payload field.
func badMessage(field, message string) apiError {
	return apiError{400, "INVALID_ARGUMENT", message, InvalidArgument, field}
}

// key is what the error counters file this error under: the FCM error code
// when there is one, otherwise the canonical status.
func (e apiError) key() string {
	if e.fcmCode != "" {
		return e.fcmCode
	}
	return e.status
}

type errorEnvelope struct {
	Error errorBody `json:"error"`
}

type errorBody struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Status  string `json:"status"`
	Details []any  `json:"details,omitempty"`
}

type fcmErrorDetail struct {
	Type      string `json:"@type"`
	ErrorCode string `json:"errorCode"`
}

type badRequestDetail struct {
	Type            string           `json:"@type"`
	FieldViolations []fieldViolation `json:"fieldViolations"`
}

type fieldViolation struct {
	Field       string `json:"field"`
	Description string `json:"description"`
}

// write sends the error in Google's JSON shape, with Retry-After when
// retryAfter is positive (rounded up to whole seconds).
func (e apiError) write(w http.ResponseWriter, retryAfter time.Duration) {
	body := errorBody{Code: e.httpCode, Message: e.message, Status: e.status}
	if e.fcmCode != "" {
		body.Details = append(body.Details, fcmErrorDetail{fcmErrorType, e.fcmCode})
	}
	if e.field != "" {
		body.Details = append(body.Details, badRequestDetail{badRequestType,
			[]fieldViolation{{e.field, e.message}}})
	}
	if retryAfter > 0 {
		secs := int64((retryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	}
	writeJSON(w, e.httpCode, errorEnvelope{body})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	w.Write(b)
}
