package apns

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/sideshow/apns2"

	"github.com/imshift/imshift/activities/delivery"
)

// TestClassifyFallbacks covers answers the simulator does not produce:
// reasons Apple may add later, and errors without a response.
func TestClassifyFallbacks(t *testing.T) {
	cases := []struct {
		name   string
		res    *apns2.Response
		err    error
		class  delivery.Class
		reason string
	}{
		{"unknown 410", &apns2.Response{StatusCode: 410, Reason: "SomethingNew"}, nil, delivery.DeadToken, "SomethingNew"},
		{"unknown 403", &apns2.Response{StatusCode: 403, Reason: "SomethingNew"}, nil, delivery.Credentials, "SomethingNew"},
		{"unknown 429", &apns2.Response{StatusCode: 429}, nil, delivery.Throttled, "429"},
		{"unknown 400", &apns2.Response{StatusCode: 400, Reason: "SomethingNew"}, nil, delivery.BadMessage, "SomethingNew"},
		{"bad gateway", &apns2.Response{StatusCode: 502}, nil, delivery.Transient, "502"},
		{"expired token", &apns2.Response{StatusCode: 410, Reason: apns2.ReasonExpiredToken}, nil, delivery.DeadToken, "ExpiredToken"},
		{"shutdown", &apns2.Response{StatusCode: 503, Reason: apns2.ReasonShutdown}, nil, delivery.Transient, "Shutdown"},
		{"deadline", nil, fmt.Errorf("post: %w", context.DeadlineExceeded), delivery.Transient, "timeout"},
		{"canceled", nil, fmt.Errorf("post: %w", context.Canceled), delivery.Transient, "canceled"},
		{"garbled body", &apns2.Response{}, errors.New("invalid character"), delivery.Transient, "network"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Classify(tc.res, tc.err)
			if got.Class != tc.class || got.Reason != tc.reason {
				t.Fatalf("got %s %q, want %s %q", got.Class, got.Reason, tc.class, tc.reason)
			}
		})
	}
}
