package openim

import (
	"errors"
	"fmt"
	"net/http"
)

// ErrInvalidArgument wraps every refusal made before a request is sent.
var ErrInvalidArgument = errors.New("openim: invalid argument")

// Error is a failed call. Code is the envelope's errCode (0 when there was no
// envelope), HTTPStatus the HTTP status (0 when no answer arrived at all).
// Error() never contains the secret or a token.
type Error struct {
	Path       string
	Code       int
	Msg, Dlt   string
	HTTPStatus int
	cause      error
}

func (e *Error) Error() string {
	s := fmt.Sprintf("openim %s: ", e.Path)
	switch {
	case e.HTTPStatus == 0:
		s += "transport error"
	case e.Code != 0:
		s += fmt.Sprintf("errCode %d %s", e.Code, e.Msg)
	default:
		s += e.Msg
	}
	if e.Dlt != "" {
		s += ": " + e.Dlt
	}
	if e.HTTPStatus != 0 && e.HTTPStatus != http.StatusOK {
		s += fmt.Sprintf(" (HTTP %d)", e.HTTPStatus)
	}
	return s
}

// Unwrap gives the transport error, if that is what happened.
func (e *Error) Unwrap() error { return e.cause }

// Retryable reports whether the same call may succeed later: transport
// failures, HTTP 429 and 5xx, errCode 500 (an uncoded server error), 90004
// (a before-webhook could not be reached), 429, and token rejections that
// survived the refresh. Argument, permission, not-found and already-registered
// errors (1001, 1002, 1004, 1102, ...) are not, nor is an HTTP 400 (a body the
// server cannot bind fails the same way every time) or a 404.
func (e *Error) Retryable() bool {
	switch {
	case e.HTTPStatus == 0:
		return true
	case e.HTTPStatus == http.StatusTooManyRequests || e.HTTPStatus >= 500:
		return true
	case e.HTTPStatus == http.StatusBadRequest:
		return false
	}
	switch e.Code {
	case 500, 90004, 429, 1501, 1505, 1506, 1507:
		return true
	}
	return false
}

// IsCode reports whether err is an *Error with that errCode.
func IsCode(err error, code int) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

// IsRetryable reports whether err is an *Error that is Retryable. Refusals
// before sending (ErrInvalidArgument) and context errors are not.
func IsRetryable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Retryable()
}

// tokenRejected is the set of codes after which a fresh admin token may help.
func tokenRejected(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code {
	case 1501, 1505, 1506, 1507:
		return true
	}
	return false
}

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidArgument}, args...)...)
}
