// Package delivery is the delivery core SendPush and campaigns share: the
// message a sender is given, the class of every provider answer, the one
// table from class to action (actions.go), the one ledger of every push
// (ledger.go), and the Sender interface the push activities call. Both
// providers' errors are mapped onto the same classes.
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
	// Throttled: this token is sent to too often (APNs TooManyRequests);
	// only this token backs off.
	Throttled Class = "throttled"
	// Quota: the provider's quota is exceeded (FCM 429 QUOTA_EXCEEDED); the
	// provider-wide adaptive rate is cut and RetryAfter honoured.
	Quota Class = "quota"
	// ProviderThrottled: the provider throttles our credentials themselves
	// (APNs TooManyProviderTokenUpdates); every send to it holds back.
	ProviderThrottled Class = "provider_throttled"
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
