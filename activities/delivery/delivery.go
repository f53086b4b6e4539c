// Package delivery holds what the FCM and APNs senders share: the message a
// sender is given, the class of every outcome, and the Sender interface the
// push activities call. Classes decide what the caller does next, so both
// providers' errors are mapped onto the same six.
package delivery

import (
	"context"
	"time"
)

// Class is what a push outcome means for the caller.
type Class string

const (
	// Sent: the provider acknowledged the push; never send it again.
	Sent Class = "sent"
	// DeadToken: the token will never work again; mark the device invalid.
	DeadToken Class = "dead_token"
	// BadMessage: the payload itself is rejected; fail the whole send fast.
	BadMessage Class = "bad_message"
	// Throttled: the provider asks us to slow down; honour RetryAfter.
	Throttled Class = "throttled"
	// Transient: a 5xx, unavailable or timeout; retry with backoff.
	Transient Class = "transient"
	// Credentials: our key or service account is refused; stop and alert.
	Credentials Class = "credentials"
)

// Message is one push to one device. Title/Body are already localized.
type Message struct {
	Token        string
	Title        string
	Body         string
	Data         map[string]string
	ImageURL     string
	TTL          time.Duration
	HighPriority bool
	CollapseKey  string
	// APNs only.
	PushType string // alert | background
	Sound    string
	// ValidateOnly asks FCM to check the message without delivering it.
	ValidateOnly bool
}

// Result is the outcome of one Message, in the same position as its message.
type Result struct {
	Class      Class
	Reason     string        // provider reason, e.g. "UNREGISTERED", "BadDeviceToken"
	MessageID  string        // provider message id when Sent
	RetryAfter time.Duration // when Throttled (or Transient) and the provider said so
}

// Sender sends a batch of messages to one provider. It never returns an error
// for a per-message failure: every message gets a Result. The returned error
// is only for a failure of the whole call that has no per-message meaning
// (for example ctx cancelled before anything was sent).
type Sender interface {
	Send(ctx context.Context, msgs []Message) ([]Result, error)
}
