package apns

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/sideshow/apns2"
	"golang.org/x/net/http2"

	"github.com/imshift/imshift/activities/delivery"
)

// DefaultThrottleWait is the RetryAfter given to TooManyProviderTokenUpdates
// (our JWT refreshed too often), which holds every APNs send: Apple
// documents no wait; a second lets the connections settle on one token.
// TooManyRequests (one device pushed too often) gets none: that token backs
// off on its own schedule.
const DefaultThrottleWait = time.Second

// reasonClass maps Apple's reason strings to classes. A reason not listed
// falls back to its status code (statusClass).
var reasonClass = map[string]delivery.Class{
	apns2.ReasonUnregistered:                delivery.DeadToken,
	apns2.ReasonExpiredToken:                delivery.DeadToken,
	apns2.ReasonBadDeviceToken:              delivery.DeadToken,
	apns2.ReasonDeviceTokenNotForTopic:      delivery.DeadToken,
	apns2.ReasonMissingDeviceToken:          delivery.DeadToken,
	apns2.ReasonExpiredProviderToken:        delivery.Credentials,
	apns2.ReasonInvalidProviderToken:        delivery.Credentials,
	apns2.ReasonMissingProviderToken:        delivery.Credentials,
	apns2.ReasonBadCertificate:              delivery.Credentials,
	apns2.ReasonBadCertificateEnvironment:   delivery.Credentials,
	apns2.ReasonForbidden:                   delivery.Credentials,
	"UnrelatedKeyIdInToken":                 delivery.Credentials,
	apns2.ReasonTooManyRequests:             delivery.Throttled,
	apns2.ReasonTooManyProviderTokenUpdates: delivery.ProviderThrottled,
	apns2.ReasonIdleTimeout:                 delivery.Transient,
	apns2.ReasonInternalServerError:         delivery.Transient,
	apns2.ReasonServiceUnavailable:          delivery.Transient,
	apns2.ReasonShutdown:                    delivery.Transient,
}

// Classify maps an apns2 answer (or transport error) onto a delivery.Result.
// Reason is Apple's reason string, or for errors a short category
// ("timeout", "canceled", "network") that never contains the request URL and
// so never the device token.
func Classify(res *apns2.Response, err error) delivery.Result {
	if err != nil {
		return classifyErr(err)
	}
	if res == nil {
		return delivery.Result{Class: delivery.Transient, Reason: "no response"}
	}
	if res.StatusCode == apns2.StatusSent {
		return delivery.Result{Class: delivery.Sent, MessageID: res.ApnsID}
	}
	class, ok := reasonClass[res.Reason]
	if !ok {
		class = statusClass(res.StatusCode)
	}
	r := delivery.Result{Class: class, Reason: res.Reason}
	if r.Reason == "" {
		r.Reason = strconv.Itoa(res.StatusCode)
	}
	if class == delivery.ProviderThrottled {
		r.RetryAfter = DefaultThrottleWait
	}
	return r
}

// statusClass classifies by HTTP status when the reason is unknown.
func statusClass(status int) delivery.Class {
	switch {
	case status == http.StatusGone:
		return delivery.DeadToken
	case status == http.StatusForbidden:
		return delivery.Credentials
	case status == http.StatusTooManyRequests:
		return delivery.Throttled
	case status >= 400 && status < 500:
		return delivery.BadMessage
	}
	return delivery.Transient
}

// classifyErr: no answer from APNs at all is always worth retrying.
func classifyErr(err error) delivery.Result {
	reason := "network"
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled):
		reason = "canceled"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		reason = "timeout"
	}
	return delivery.Result{Class: delivery.Transient, Reason: reason}
}

// retryHint receives a Retry-After header seen for one request. apns2's
// Response drops headers, so the transport writes it here through the
// request context.
type retryHint struct {
	set bool
	d   time.Duration
}

type retryHintKey struct{}

func withRetryAfter(ctx context.Context) (context.Context, *retryHint) {
	h := &retryHint{}
	return context.WithValue(ctx, retryHintKey{}, h), h
}

// retryAfterTransport records Retry-After (delta seconds) into the request's
// retryHint. Apple does not send it today; honouring it costs nothing.
type retryAfterTransport struct {
	next *http2.Transport
}

func (t *retryAfterTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	if v := resp.Header.Get("Retry-After"); v != "" {
		if h, ok := req.Context().Value(retryHintKey{}).(*retryHint); ok {
			if secs, perr := strconv.Atoi(v); perr == nil && secs >= 0 {
				h.set, h.d = true, time.Duration(secs)*time.Second
			}
		}
	}
	return resp, nil
}

// CloseIdleConnections keeps apns2's Client.CloseIdleConnections working.
func (t *retryAfterTransport) CloseIdleConnections() { t.next.CloseIdleConnections() }
