package fcm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"firebase.google.com/go/v4/errorutils"
	"golang.org/x/oauth2"

	"github.com/imshift/imshift/activities/delivery"
)

const fcmErrorType = "type.googleapis.com/google.firebase.fcm.v1.FcmError"

// googleError is the part of a Google API error body classification reads.
type googleError struct {
	Error struct {
		Message string `json:"message"`
		Status  string `json:"status"`
		Details []struct {
			Type            string `json:"@type"`
			ErrorCode       string `json:"errorCode"`
			FieldViolations []struct {
				Field string `json:"field"`
			} `json:"fieldViolations"`
		} `json:"details"`
	} `json:"error"`
}

// Classify maps an error from the messaging SDK (or from the OAuth2 token
// source) onto a delivery class. Reason is the FCM error code when FCM gave
// one, else the canonical status, else a short cause such as
// "DEADLINE_EXCEEDED" or the OAuth2 error ("invalid_grant"). nil is Sent.
func Classify(err error) delivery.Result {
	if err == nil {
		return delivery.Result{Class: delivery.Sent}
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return classifyTokenRefusal(re)
	}
	if resp := errorutils.HTTPResponse(err); resp != nil {
		return classifyResponse(resp, err.Error())
	}
	return delivery.Result{Class: delivery.Transient, Reason: transportReason(err)}
}

// classifyResponse decides from FCM's error code first, then the canonical
// status, then the HTTP status.
func classifyResponse(resp *http.Response, message string) delivery.Result {
	ge := readError(resp)
	code, fields := "", []string(nil)
	for _, d := range ge.Error.Details {
		if d.Type == fcmErrorType && code == "" {
			code = d.ErrorCode
		}
		for _, v := range d.FieldViolations {
			fields = append(fields, v.Field)
		}
	}
	status := ge.Error.Status
	r := delivery.Result{Reason: firstNonEmpty(code, status, "HTTP_"+strconv.Itoa(resp.StatusCode)),
		RetryAfter: retryAfter(resp.Header.Get("Retry-After"))}
	r.Class = classOf(code, status, resp.StatusCode, namesToken(fields, message))
	return r
}

func classOf(code, status string, httpStatus int, tokenBlamed bool) delivery.Class {
	switch {
	case code == "UNREGISTERED" || code == "SENDER_ID_MISMATCH":
		return delivery.DeadToken
	case code == "THIRD_PARTY_AUTH_ERROR" || code == "APNS_AUTH_ERROR":
		return delivery.Credentials
	case code == "INVALID_ARGUMENT" || status == "INVALID_ARGUMENT" || httpStatus == http.StatusBadRequest:
		if tokenBlamed {
			return delivery.DeadToken
		}
		return delivery.BadMessage
	case code == "QUOTA_EXCEEDED" || status == "RESOURCE_EXHAUSTED" || httpStatus == http.StatusTooManyRequests:
		return delivery.Quota
	case code == "UNAVAILABLE" || code == "INTERNAL" || httpStatus >= 500:
		return delivery.Transient
	case status == "UNAUTHENTICATED" || status == "PERMISSION_DENIED" ||
		httpStatus == http.StatusUnauthorized || httpStatus == http.StatusForbidden:
		return delivery.Credentials
	case httpStatus == http.StatusNotFound:
		// NOT_FOUND without UNREGISTERED: the project or endpoint is wrong.
		return delivery.Credentials
	case httpStatus >= 400:
		return delivery.BadMessage
	}
	return delivery.Transient
}

// namesToken: FCM blames the token either with a BadRequest field violation
// on message.token or, in the body it really sends, only in the message.
func namesToken(fields []string, message string) bool {
	for _, f := range fields {
		if f == "message.token" {
			return true
		}
	}
	return strings.Contains(message, "registration token")
}

// readError parses the buffered body the SDK keeps and puts it back, so
// classifying the same error twice sees the same body.
func readError(resp *http.Response) googleError {
	var ge googleError
	if resp.Body == nil {
		return ge
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	resp.Body = io.NopCloser(bytes.NewReader(b))
	json.Unmarshal(b, &ge)
	return ge
}

// retryAfter reads Retry-After as seconds or as an HTTP date.
func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil && secs > 0 {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}

// classifyTokenRefusal: the token endpoint said no. 4xx means the key or
// account is refused; 5xx is the endpoint's trouble.
func classifyTokenRefusal(re *oauth2.RetrieveError) delivery.Result {
	reason := re.ErrorCode
	if reason == "" {
		var body struct {
			Error string `json:"error"`
		}
		json.Unmarshal(re.Body, &body)
		reason = firstNonEmpty(body.Error, "UNAUTHENTICATED")
	}
	if re.Response != nil && re.Response.StatusCode >= 500 {
		return delivery.Result{Class: delivery.Transient, Reason: reason,
			RetryAfter: retryAfter(re.Response.Header.Get("Retry-After"))}
	}
	return delivery.Result{Class: delivery.Credentials, Reason: reason}
}

// transportReason names an error that never reached FCM's answer:
// cancellation, timeout, refused or broken connection.
func transportReason(err error) string {
	switch {
	case errors.Is(err, context.Canceled):
		return "CANCELLED"
	case errors.Is(err, context.DeadlineExceeded) || errorutils.IsDeadlineExceeded(err):
		return "DEADLINE_EXCEEDED"
	case errorutils.IsUnavailable(err):
		return "UNAVAILABLE"
	}
	return "UNKNOWN"
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
